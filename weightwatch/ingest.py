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
from weightwatch.store import InputFile, Store

BATCH_ROWS = 100_000


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
    seen: dict[str, str] = {}
    batch: list[dict[str, Any]] = []
    total = len(listing.records)
    with store.writer(when, source=dialect, inputs=[source_input], replace=replace) as writer:

        def flush() -> None:
            writer.write_batch(pa.Table.from_pylist(batch, schema=FILE_SCHEMA))
            batch.clear()

        for done, record in enumerate(listing.records, start=1):
            if isinstance(record, BadRecord):
                problem = Problem(record.location, "(line)", record.reason, True)
                report.rejected.append(problem)
                writer.write_reject(record.location, "(line)", record.reason, record.text)
                continue
            row, problems = map_record(record.value, record.location, dialect, dialect)
            if row is not None and row["model_id"] in seen:
                reason = (
                    f"duplicate model id {row['model_id']!r} (first at {seen[row['model_id']]})"
                )
                problems = [Problem(record.location, "id", reason, True)]
                row = None
            for problem in problems:
                (report.rejected if problem.rejected else report.field_issues).append(problem)
            if row is None:
                writer.write_reject(
                    record.location, problems[0].field, problems[0].reason, record.value
                )
                continue
            seen[row["model_id"]] = record.location
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                flush()
            if progress is not None and done % 10_000 == 0:
                progress(done, total)
        flush()
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
