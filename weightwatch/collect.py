"""Collect a snapshot straight from the Hub's ``/api/models``, resumably.

A full-Hub run is 2-3 million models in thousands of pages and takes hours under anonymous
rate limits, so the collector is built to be killed and resumed:

1. **Fetch.**  Page the REST endpoint ourselves (``huggingface_hub.list_models`` hides its
   page cursor), following ``Link: <…>; rel="next"``, through :mod:`weightwatch.http` (the
   one HTTP seam: retries, backoff, rate limits).  Every page is kept exactly as fetched,
   gzip-compressed, in the *raw store*::

       STORE/_raw/collect/<snapshot_date>/
         page-000001.json.gz …     response bodies, byte for byte
         checkpoint.json           query, next-page URL (the cursor), pages done, rows seen
         details.jsonl             answers of the optional --details pass, one per line
         pages.sha256              checksums of the pages (written when publishing)

   A page is written and synced (temp file + ``os.replace``) *before* the checkpoint that
   counts it, and the checkpoint is replaced atomically too; a killed run, rerun with the
   same arguments, starts again at the checkpoint's next URL: nothing is lost, and a page
   fetched but not yet counted is simply fetched again and overwritten.  A checkpoint made
   with other query arguments is refused (``restart=True`` discards it).  ``_raw`` starts
   with ``_``: Parquet readers and ``Store.verify`` skip it.
2. **Details** (optional).  For the most-downloaded models whose listing lacks base-model or
   parameter data, ``GET /api/models/{id}`` with ``expand[]=baseModels…``, at most
   ``details_budget`` requests per snapshot; answers are merged into the listing record.
3. **Publish.**  Normalise the raw pages in order (:class:`weightwatch.ingest.RowSink`:
   first occurrence of a model id wins, later ones are rejected as duplicates and counted)
   into one snapshot, published atomically by :meth:`Store.writer` — only when the listing
   is complete, or with ``partial=True`` whatever was fetched, flagged ``partial`` in the
   manifest.  The raw pages stay: they are the raw store.  The checkpoint records that the
   run is complete and when it was published.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from weightwatch.errors import (
    InputError,
    IntegrityError,
    RateLimited,
    SnapshotExists,
    SourceError,
    SourceRefused,
    StoreError,
)
from weightwatch.http import HubClient, RetryPolicy, Sleep
from weightwatch.ingest import RowSink
from weightwatch.normalize.base_models import declared_base_models
from weightwatch.normalize.hub_listing import HUB_API, Problem
from weightwatch.store import InputFile, Store
from weightwatch.store.snapshots import partition_name

#: ``expand[]`` fields asked of ``/api/models`` (names as the Hub accepts them).
EXPAND: tuple[str, ...] = (
    "author",
    "downloads",
    "downloadsAllTime",
    "likes",
    "createdAt",
    "lastModified",
    "tags",
    "pipeline_tag",
    "library_name",
    "cardData",
    "safetensors",
    "gguf",
    "gated",
)
#: ``expand[]`` fields asked of ``/api/models/{id}`` by the details pass, and merged.
DETAILS_EXPAND: tuple[str, ...] = ("baseModels", "safetensors", "gguf", "cardData")

RAW_DIR = Path("_raw") / "collect"
CHECKPOINT = "checkpoint.json"
DETAILS = "details.jsonl"
PAGES_INDEX = "pages.sha256"
CHECKPOINT_FORMAT = 1
MAX_PAGE_SIZE = 1000  # the Hub serves at most 1,000 models per page


def page_name(number: int) -> str:
    return f"page-{number:06d}.json.gz"


@dataclass(frozen=True)
class CollectQuery:
    """What to list.  ``authors`` are listed one after the other (the Hub filters on one
    author per request); ``limit`` caps the number of listing entries taken in all;
    ``full`` asks for the Hub's ``full=true`` field set instead of :data:`EXPAND` (the Hub
    refuses both at once, and ``full`` lacks downloadsAllTime, cardData and safetensors)."""

    authors: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    limit: int | None = None
    full: bool = False
    page_size: int = MAX_PAGE_SIZE
    details: bool = False
    details_budget: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InputError(
                f"page size must be between 1 and {MAX_PAGE_SIZE}, got {self.page_size}"
            )
        if self.limit is not None and self.limit < 1:
            raise InputError(f"limit must be at least 1, got {self.limit}")
        if self.details_budget < 0:
            raise InputError(f"details budget cannot be negative, got {self.details_budget}")

    @property
    def request_size(self) -> int:
        return min(self.page_size, self.limit) if self.limit else self.page_size

    def listing_params(self, author: str | None) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if author:
            params.append(("author", author))
        if self.pipeline_tag:
            params.append(("pipeline_tag", self.pipeline_tag))
        if self.full:
            params.append(("full", "true"))
        else:
            params.extend(("expand[]", name) for name in EXPAND)
        params.append(("limit", str(self.request_size)))
        return params

    def identity(self, endpoint: str) -> dict[str, Any]:
        """What a checkpoint must match to be resumed (the details settings may change)."""
        return {
            "endpoint": endpoint,
            "authors": list(self.authors),
            "pipeline_tag": self.pipeline_tag,
            "limit": self.limit,
            "full": self.full,
            "page_size": self.request_size,
            "expand": [] if self.full else list(EXPAND),
        }


@dataclass
class Checkpoint:
    """The state of one collection run, as kept in ``checkpoint.json``."""

    query: dict[str, Any]
    started_at: str
    next_url: str | None  # the next page to fetch (the Hub's cursor lives in it)
    stream: int = 0  # which author is being listed (index into query["authors"])
    pages_done: int = 0
    rows_seen: int = 0  # listing entries in the pages done (duplicates included)
    totals: dict[str, int] = field(default_factory=dict)  # X-Total-Count per stream
    listing_complete: bool = False
    complete: bool = False  # listing and details pass done
    updated_at: str | None = None
    completed_at: str | None = None
    published_at: str | None = None
    published_partial: bool = False
    format: int = CHECKPOINT_FORMAT

    @classmethod
    def from_json(cls, path: Path) -> Checkpoint:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"unknown checkpoint format {doc.get('format')!r}")
            return cls(**doc)
        except (ValueError, TypeError, AttributeError) as exc:
            raise IntegrityError(
                f"{path}: unreadable checkpoint ({exc}); pass --restart to discard this run"
            ) from None


@dataclass(frozen=True)
class CollectProgress:
    """Where a run is, for progress displays."""

    phase: str  # "listing", "details" or "publish"
    pages: int
    models: int  # listing entries fetched (listing) / normalised (publish)
    total: int | None  # models expected, when the Hub says (X-Total-Count) or limit caps it
    details: int = 0
    details_budget: int = 0


ProgressFn = Callable[[CollectProgress], None]


@dataclass
class CollectReport:
    """What a collection run did."""

    snapshot_date: date
    raw_dir: Path
    pages: int = 0  # pages in the raw store for this run
    pages_fetched: int = 0  # pages fetched by this call
    rows_seen: int = 0  # listing entries fetched (duplicates included)
    rows: int = 0  # rows published
    duplicates: int = 0
    rejected: list[Problem] = field(default_factory=list)
    field_issues: list[Problem] = field(default_factory=list)
    resumed: bool = False
    complete: bool = False
    published: bool = False
    partial: bool = False
    error: str | None = None  # why a partial snapshot is partial
    details_requests: int = 0  # details answers held (all calls)
    details_merged: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    fetch_seconds: float = 0.0
    publish_seconds: float = 0.0


# -- the raw store ---------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class RawRun:
    """One date's raw-store directory: pages, checkpoint, details, and a run lock."""

    def __init__(self, store: Store, snapshot_date: date) -> None:
        self.directory = store.root / RAW_DIR / snapshot_date.isoformat()
        self.checkpoint_path = self.directory / CHECKPOINT
        self.details_path = self.directory / DETAILS

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Refuse a second collector on the same date (released even on SIGKILL)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"{self.directory}: another collection for this date is running"
                ) from None
            for stale in self.directory.glob(".*.tmp"):  # a write cut short by a kill
                stale.unlink(missing_ok=True)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clear(self) -> None:
        for entry in self.directory.iterdir():
            if entry.name == ".lock":
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def load(self) -> Checkpoint | None:
        return Checkpoint.from_json(self.checkpoint_path) if self.checkpoint_path.exists() else None

    def save(self, state: Checkpoint) -> None:
        state.updated_at = _now()
        data = json.dumps(asdict(state), indent=1, sort_keys=True).encode()
        _write_atomic(self.checkpoint_path, data + b"\n")

    def page_path(self, number: int) -> Path:
        return self.directory / page_name(number)

    def write_page(self, number: int, body: bytes) -> None:
        _write_atomic(self.page_path(number), gzip.compress(body, compresslevel=3, mtime=0))

    def read_page(self, number: int) -> list[Any]:
        path = self.page_path(number)
        try:
            doc = json.loads(gzip.decompress(path.read_bytes()))
        except FileNotFoundError:
            raise IntegrityError(
                f"{path}: missing, but the checkpoint counts it; pass --restart to refetch"
            ) from None
        except (OSError, EOFError, ValueError) as exc:
            raise IntegrityError(
                f"{path}: unreadable raw page ({exc}); pass --restart to refetch"
            ) from None
        if not isinstance(doc, list):
            raise IntegrityError(f"{path}: not a JSON array; pass --restart to refetch")
        return doc

    def pages_input(self, pages: int) -> InputFile:
        """One manifest input for all pages: the SHA-256 of ``pages.sha256``, which lists
        every page's own SHA-256 (``sha256sum -c`` can check them)."""
        lines = []
        size = 0
        for number in range(1, pages + 1):
            data = self.page_path(number).read_bytes()
            size += len(data)
            lines.append(f"{hashlib.sha256(data).hexdigest()}  {page_name(number)}\n")
        index = "".join(lines).encode()
        _write_atomic(self.directory / PAGES_INDEX, index)
        return InputFile(
            name=f"{RAW_DIR.as_posix()}/{self.directory.name}/{PAGES_INDEX}",
            sha256=hashlib.sha256(index).hexdigest(),
            bytes=size,
            container=f"hub-api pages ({pages})",
        )

    def read_details(self) -> dict[str, dict[str, Any]]:
        """Details answers by model id; a line cut short by a crash is ignored."""
        found: dict[str, dict[str, Any]] = {}
        if not self.details_path.exists():
            return found
        for line in self.details_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found[entry["id"]] = entry
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- the collector ---------------------------------------------------------------------


def _mismatch(saved: dict[str, Any], wanted: dict[str, Any]) -> str:
    keys = sorted(set(saved) | set(wanted))
    return "; ".join(
        f"{key}: {saved.get(key)!r} there, {wanted.get(key)!r} now"
        for key in keys
        if saved.get(key) != wanted.get(key)
    )


def _total(state: Checkpoint, query: CollectQuery) -> int | None:
    streams = max(1, len(query.authors))
    if len(state.totals) < streams:
        return query.limit
    total = sum(state.totals.values())
    return min(total, query.limit) if query.limit else total


class _Collector:
    def __init__(
        self,
        store: Store,
        query: CollectQuery,
        client: HubClient,
        run: RawRun,
        report: CollectReport,
        progress: ProgressFn | None,
    ) -> None:
        self.store = store
        self.query = query
        self.client = client
        self.run = run
        self.report = report
        self.progress = progress

    def _tell(self, phase: str, state: Checkpoint, models: int, details: int = 0) -> None:
        if self.progress is not None:
            self.progress(
                CollectProgress(
                    phase=phase,
                    pages=state.pages_done,
                    models=models,
                    total=_total(state, self.query),
                    details=details,
                    details_budget=self.query.details_budget if self.query.details else 0,
                )
            )

    def start_url(self, stream: int) -> str:
        authors = self.query.authors or (None,)
        return self.client.build_url("api/models", self.query.listing_params(authors[stream]))

    def fetch_listing(self, state: Checkpoint) -> None:
        """Follow the listing from the checkpoint's next URL to the end (or the limit).

        One page at a time: request and validate it, store it (gzip, fsync, rename), then
        the checkpoint that counts it.  (A writer thread overlapping the next request was
        slower: the GIL held through ``json.loads`` stalls it at every syscall.)"""
        streams = max(1, len(self.query.authors))
        limit = self.query.limit
        self._tell("listing", state, state.rows_seen)
        while not state.listing_complete:
            url = state.next_url or self.start_url(state.stream)
            answer = self.client.get_json(url, expect=list)
            number = state.pages_done + 1
            self.run.write_page(number, answer.body)  # synced before the checkpoint counts it
            self.report.pages_fetched += 1
            state.pages_done = number
            state.rows_seen += len(answer.data)
            if answer.total_count is not None:
                state.totals[str(state.stream)] = answer.total_count
            if limit is not None and state.rows_seen >= limit:
                state.next_url = None
                state.listing_complete = True
            elif answer.next_url is not None:
                if answer.next_url == url:
                    raise SourceError(f"GET {url}: the next-page link points to the same page")
                state.next_url = answer.next_url
            else:
                state.stream += 1
                state.listing_complete = state.stream >= streams
                state.next_url = None if state.listing_complete else self.start_url(state.stream)
            self.run.save(state)
            self._tell("listing", state, state.rows_seen)

    def _records(self, state: Checkpoint) -> Iterator[tuple[int, int, Any]]:
        """(page, item, record) over the raw pages, in order, up to ``limit`` entries."""
        taken = 0
        limit = self.query.limit
        for number in range(1, state.pages_done + 1):
            for item, record in enumerate(self.run.read_page(number), start=1):
                if limit is not None and taken >= limit:
                    return
                taken += 1
                yield number, item, record

    def fetch_details(self, state: Checkpoint) -> None:
        """Ask ``/api/models/{id}`` about the most-downloaded models lacking base-model or
        parameter data, within the budget (answers already held count against it)."""
        held = self.run.read_details()
        budget = self.query.details_budget
        wanted: list[tuple[int, str]] = []
        seen: set[str] = set()
        for _, _, record in self._records(state):
            if not isinstance(record, dict):
                continue
            model_id = record.get("id")
            if not isinstance(model_id, str) or model_id in seen:
                continue
            seen.add(model_id)
            if _lacks_details(record):
                downloads = record.get("downloads")
                wanted.append((downloads if isinstance(downloads, int) else 0, model_id))
        wanted.sort(key=lambda pair: (-pair[0], pair[1]))
        chosen = [model_id for _, model_id in wanted[:budget]]
        todo = [model_id for model_id in chosen if model_id not in held]
        done = len(chosen) - len(todo)
        self._tell("details", state, state.rows_seen, done)
        params = [("expand[]", name) for name in DETAILS_EXPAND]
        with self.run.details_path.open("a", encoding="utf-8") as handle:
            for model_id in todo:
                url = self.client.build_url(f"api/models/{quote(model_id, safe='/')}", params)
                try:
                    answer = self.client.get_json(url, expect=dict)
                    entry: dict[str, Any] = {
                        "id": model_id,
                        "status": answer.status,
                        "data": answer.data,
                    }
                except SourceRefused as refused:  # e.g. 404: deleted since the listing
                    entry = {"id": model_id, "status": refused.status, "data": None}
                handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
                done += 1
                self._tell("details", state, state.rows_seen, done)

    def publish(
        self, state: Checkpoint, *, partial: bool, replace: bool, error: str | None
    ) -> None:
        details = self.run.read_details() if self.query.details else {}
        inputs = [self.run.pages_input(state.pages_done)]
        merged = 0
        normalised = 0
        with self.store.writer(
            self.report.snapshot_date,
            source=HUB_API,
            inputs=inputs,
            replace=replace,
            partial=partial,
        ) as writer:
            sink = RowSink(writer, HUB_API, HUB_API)
            label = ""
            for number, item, record in self._records(state):
                if item == 1:
                    label = page_name(number)  # one string per page, shared by its ids
                    self._tell("publish", state, normalised)
                if details and isinstance(record, dict):
                    entry = details.get(str(record.get("id")))
                    if entry is not None and isinstance(entry.get("data"), dict):
                        merged += _merge(record, entry["data"])
                sink.add(record, f"{label} item {item}", first_at=label)
                normalised += 1
            sink.flush()
            writer.field_issues = len(sink.field_issues)
            writer.extra = {
                "dialect": HUB_API,
                "field_issues_by_field": sink.issues_by_field(),
                "collect": {
                    "query": state.query,
                    "raw_dir": f"{RAW_DIR.as_posix()}/{self.run.directory.name}",
                    "started_at": state.started_at,
                    "completed_at": state.completed_at,
                    "pages": state.pages_done,
                    "listing_entries": normalised,
                    "duplicates": sink.duplicates,
                    "details_requests": len(details),
                    "details_merged": merged,
                    "complete": state.complete,
                    "error": error,
                },
            }
        self.report.rows = writer.rows
        self.report.duplicates = sink.duplicates
        self.report.rejected = sink.rejected
        self.report.field_issues = sink.field_issues
        self.report.details_merged = merged
        self._tell("publish", state, normalised)


def _lacks_details(record: dict[str, Any]) -> bool:
    declared = declared_base_models(
        record.get("tags") if isinstance(record.get("tags"), list) else None,
        record.get("cardData"),
        record.get("baseModels"),
    )
    has_params = any(
        isinstance(block, dict) and isinstance(block.get("total"), int)
        for block in (record.get("safetensors"), record.get("gguf"))
    )
    return not declared or not has_params


def _merge(record: dict[str, Any], detail: dict[str, Any]) -> int:
    """Fill the record's missing enrichment fields from a details answer; 1 if any."""
    changed = 0
    for key in DETAILS_EXPAND:
        if record.get(key) in (None, {}, []) and detail.get(key) not in (None, {}, []):
            record[key] = detail[key]
            changed = 1
    return changed


def collect(
    store: Store,
    query: CollectQuery,
    *,
    snapshot_date: date,
    endpoint: str | None = None,
    token: str | None = None,
    partial: bool = False,
    progress: ProgressFn | None = None,
    sleep: Sleep = time.sleep,
    restart: bool = False,
    replace: bool = False,
    retry: RetryPolicy | None = None,
) -> CollectReport:
    """Collect ``query`` from the Hub into the snapshot of ``snapshot_date`` (see the module
    doc), resuming the run a previous call left in the raw store.

    ``endpoint`` defaults to ``$HF_ENDPOINT``, else https://huggingface.co; ``token`` to
    ``$HF_TOKEN``.  ``partial`` publishes what was fetched when the run cannot finish (the
    manifest says ``partial``); otherwise a failure raises SourceError and publishes
    nothing, the checkpoint staying for a rerun.  ``restart`` discards a previous run's
    raw pages and checkpoint; ``replace`` overwrites a published snapshot (a partial one
    published by this same run is replaced without asking).  ``sleep`` is used for every
    wait (tests pass a recorder)."""
    client = HubClient(endpoint, token, retry=retry, sleep=sleep)
    run = RawRun(store, snapshot_date)
    report = CollectReport(snapshot_date=snapshot_date, raw_dir=run.directory)
    identity = query.identity(client.endpoint)
    with run.locked():
        if restart:
            run.clear()
        state = run.load()
        if state is not None and state.query != identity:
            raise InputError(
                f"{run.checkpoint_path}: this date's collection was started with other "
                f"arguments ({_mismatch(state.query, identity)}); rerun with the same "
                "arguments to resume it, or pass --restart to discard it and start over"
            )
        existing = store.table_root() / partition_name(snapshot_date)
        replace_ok = replace or _own_partial(store, snapshot_date, state)
        if existing.exists() and not replace_ok:
            raise SnapshotExists(
                f"{store.root}: a snapshot for {snapshot_date.isoformat()} is already "
                "published; pass --replace to collect it again"
            )
        report.resumed = state is not None and state.pages_done > 0
        collector = _Collector(store, query, client, run, report, progress)
        if state is None:
            state = Checkpoint(query=identity, started_at=_now(), next_url=collector.start_url(0))
            run.save(state)
        error: str | None = None
        started = time.perf_counter()
        try:
            if not state.listing_complete:
                collector.fetch_listing(state)
            if not state.complete:
                if query.details and query.details_budget:
                    collector.fetch_details(state)
                state.complete = True
                state.completed_at = _now()
                run.save(state)
        except (SourceError, KeyboardInterrupt) as exc:
            kept = (
                f"{state.pages_done} page(s) kept in {run.directory}; "
                "rerun the same command to resume"
                if state.pages_done
                else f"the checkpoint in {run.directory} keeps the query; rerun the same "
                "command to try again"
            )
            if not partial or state.pages_done == 0:
                if isinstance(exc, RateLimited):
                    raise RateLimited(f"{exc}. {kept}", exc.retry_after) from exc
                if isinstance(exc, SourceError):
                    raise SourceError(f"{exc}. {kept}") from exc
                raise
            error = str(exc) or type(exc).__name__
        finally:
            report.fetch_seconds = time.perf_counter() - started
            stats = client.stats
            report.requests, report.retries = stats.requests, stats.retries
            report.rate_limited, report.waited = stats.rate_limited, stats.waited
            report.pages, report.rows_seen = state.pages_done, state.rows_seen
            report.complete = state.complete
        started = time.perf_counter()
        is_partial = not state.complete
        collector.publish(state, partial=is_partial, replace=replace_ok, error=error)
        report.publish_seconds = time.perf_counter() - started
        report.details_requests = len(run.read_details()) if query.details else 0
        report.published = True
        report.partial = is_partial
        report.error = error
        state.published_at = _now()
        state.published_partial = is_partial
        run.save(state)
    return report


def unfinished_run(store: Store, query: CollectQuery, endpoint: str) -> date | None:
    """The latest date whose collection with these arguments is not yet (fully) published:
    what a rerun without ``--snapshot-date`` should resume, even after midnight."""
    base = store.root / RAW_DIR
    if not base.is_dir():
        return None
    identity = query.identity(endpoint)
    found: list[date] = []
    for directory in sorted(base.iterdir()):
        try:
            when = date.fromisoformat(directory.name)
        except ValueError:
            continue
        if not (directory / CHECKPOINT).is_file():
            continue
        try:
            state = Checkpoint.from_json(directory / CHECKPOINT)
        except IntegrityError:
            continue
        if state.query == identity and (state.published_at is None or state.published_partial):
            found.append(when)
    return found[-1] if found else None


def _own_partial(store: Store, snapshot_date: date, state: Checkpoint | None) -> bool:
    """A partial snapshot this very run published earlier may be replaced by its resumption."""
    if state is None or not state.published_partial:
        return False
    try:
        manifest = store.manifest(snapshot_date)
    except StoreError:
        return False
    collected = manifest.extra.get("collect") or {}
    return manifest.partial and collected.get("started_at") == state.started_at


__all__ = [
    "DETAILS_EXPAND",
    "EXPAND",
    "CollectProgress",
    "CollectQuery",
    "CollectReport",
    "ProgressFn",
    "RawRun",
    "collect",
    "unfinished_run",
]
