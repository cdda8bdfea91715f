"""Ingest a file of Hub model listings into the store as one snapshot.

File → records (:mod:`weightwatch.sources.listing_file`) → canonical rows
(:mod:`weightwatch.normalize.hub_listing`) → staged Parquet → atomic publish
(:class:`weightwatch.store.Store`).  Rejected rows go to the snapshot's ``_rejects.jsonl``
with their location and reason; nulled fields are counted per field in the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from weightwatch.errors import InputError
from weightwatch.normalize.hub_listing import Problem, detect_dialect, map_record
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.sources.listing_file import BadRecord, ListingFile, read_listing_file
from weightwatch.store import InputFile, SnapshotWriter, Store

BATCH_ROWS = 100_000


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Canonical rows as an Arrow table: built column by column, the same table as
    ``pa.Table.from_pylist(rows, schema=FILE_SCHEMA)`` in a fraction of the time."""
    columns = [pa.array([row[f.name] for row in rows], type=f.type) for f in FILE_SCHEMA]
    return pa.Table.from_arrays(columns, schema=FILE_SCHEMA)


class RowSink:
    """Maps records onto canonical rows and feeds them to a snapshot writer, in batches of
    ``batch_rows``.  The first record of a model id wins; a later one is rejected as a
    duplicate naming where the first was.  Rejected records go to the snapshot's rejects
    with their location and reason; nulled fields are kept as problems.  Shared by file
    ingest and the Hub collector (:mod:`weightwatch.collect`)."""

    def __init__(
        self, writer: SnapshotWriter, dialect: str, source: str, *, batch_rows: int = BATCH_ROWS
    ) -> None:
        self.writer = writer
        self.dialect = dialect
        self.source = source
        self.batch_rows = batch_rows
        self.seen: dict[str, str] = {}  # model id -> where it was first seen
        self.rejected: list[Problem] = []
        self.field_issues: list[Problem] = []
        self.duplicates = 0
        self._batch: list[dict[str, Any]] = []

    def reject(self, location: str, field: str, reason: str, record: Any) -> None:
        """Refuse a record that could not even be mapped (e.g. a line that is not JSON)."""
        self.rejected.append(Problem(location, field, reason, True))
        self.writer.write_reject(location, field, reason, record)

    def add(self, record: Any, location: str, first_at: str | None = None) -> bool:
        """Map and keep ``record``; False if it was rejected.  ``first_at`` is what a later
        duplicate names as the first occurrence (default ``location``; a caller holding
        millions of ids can pass one shared string per page to save memory)."""
        row, problems = map_record(record, location, self.dialect, self.source)
        if row is not None and row["model_id"] in self.seen:
            reason = (
                f"duplicate model id {row['model_id']!r} (first at {self.seen[row['model_id']]})"
            )
            problems = [Problem(location, "id", reason, True)]
            row = None
            self.duplicates += 1
        for problem in problems:
            (self.rejected if problem.rejected else self.field_issues).append(problem)
        if row is None:
            self.writer.write_reject(location, problems[0].field, problems[0].reason, record)
            return False
        self.seen[row["model_id"]] = first_at or location
        self._batch.append(row)
        if len(self._batch) >= self.batch_rows:
            self.flush()
        return True

    def flush(self) -> None:
        self.writer.write_batch(rows_to_table(self._batch))
        self._batch.clear()

    def issues_by_field(self) -> dict[str, int]:
        return dict(Counter(p.field for p in self.field_issues).most_common())


@dataclass
class IngestReport:
    """What an ingest did: enough for the CLI summary and for tests."""

    path: Path
    snapshot_date: date
    container: str
    dialect: str
    rows: int = 0
    rejected: list[Problem] = field(default_factory=list)
    field_issues: list[Problem] = field(default_factory=list)

    def issues_by_field(self) -> dict[str, int]:
        return dict(Counter(p.field for p in self.field_issues).most_common())


def snapshot_date_from(listing: ListingFile) -> date | None:
    """The fetch date a wrapper file records about itself (``fetchedAt`` and friends)."""
    for key in ("fetchedAt", "fetched_at", "snapshot_date", "date"):
        value = listing.meta.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
            except ValueError:
                continue
    return None


def ingest_listing(
    path: Path,
    store: Store | Path,
    snapshot_date: date | None = None,
    *,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
    attribution: dict[str, str] | None = None,
) -> IngestReport:
    """Ingest ``path`` as the snapshot of ``snapshot_date`` (default: the file's own fetch
    date, if it records one).  ``attribution`` (name, licence, url, note) is kept in the
    manifest so reports can credit the data.  Raises ParseError for unreadable files, SnapshotExists
    when the date is taken and ``replace`` is false; the store is unchanged on any error.
    ``store`` may be a path: the store is then created, but only once the file has parsed."""
    listing = read_listing_file(path)
    when = snapshot_date or snapshot_date_from(listing)
    if when is None:
        raise InputError(
            f"{path}: the file does not say when it was fetched; pass --snapshot-date YYYY-MM-DD"
        )
    if not isinstance(store, Store):
        store = Store.create(store)
    values = [r.value for r in listing.records if not isinstance(r, BadRecord)]
    dialect = detect_dialect(values)
    report = IngestReport(path, when, listing.container, dialect)
    source_input = InputFile(
        name=path.name, sha256=listing.sha256, bytes=listing.size, container=listing.container
    )
    total = len(listing.records)
    with store.writer(when, source=dialect, inputs=[source_input], replace=replace) as writer:
        sink = RowSink(writer, dialect, dialect)
        report.rejected = sink.rejected
        report.field_issues = sink.field_issues
        for done, record in enumerate(listing.records, start=1):
            if isinstance(record, BadRecord):
                sink.reject(record.location, "(line)", record.reason, record.text)
                continue
            sink.add(record.value, record.location)
            if progress is not None and done % 10_000 == 0:
                progress(done, total)
        sink.flush()
        report.rows = writer.rows
        writer.field_issues = len(report.field_issues)
        writer.extra = {
            "dialect": dialect,
            "field_issues_by_field": report.issues_by_field(),
            "container": listing.container,
            "file_meta": {
                k: v for k, v in listing.meta.items() if isinstance(v, str | int | float)
            },
        }
        if attribution:
            writer.extra["attribution"] = attribution
    if progress is not None:
        progress(total, total)
    return report
