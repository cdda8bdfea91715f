"""Running totals per model: the all-time downloads of every model up to a snapshot, saved
now and then so that a metric over the ``all`` window reads a few million rows instead of
every facts row of the year.

``STORE/_tables/totals/snapshot_date=C/`` — a *checkpoint*: the facts rows of every interval
ending on or before C that change a sum (downloads not 0, or no counter: the rows
:func:`~weightwatch.metrics.per_model.counting` keeps), summed by the columns a metric
filters or labels on — ``model_id``, ``author``, ``pipeline_tag``, ``reupload``,
``params_total``, ``params_active`` — so that a model whose attributes changed has one
row per version of them, and every filter and label reads the same values as on the facts
rows.  Per row:

* ``downloads`` (missing counters as 0) and ``unknown_intervals`` (rows without a counter);
* ``downloads_manual``, ``intervals_manual`` and ``last_key_manual``: the same without the
  intervals flagged ``automated`` (``exclude_suspected_automated``; a flagged interval
  always has a counter, so ``unknown_intervals`` serves both);
* ``intervals``: the rows summed, and ``last_key``: the largest listing key of them
  (:data:`LISTING_KEY_SQL`: which of a model's listings is its latest).

A metric as of D reads the latest checkpoint C <= D that is current, plus the facts rows of
the snapshots after C up to D (:func:`ensure_totals`).  Checkpoints are made when a metric
needs one, not at ingest: when no current checkpoint is within :data:`CHECKPOINT_EVERY`
snapshots of D, one is saved at D, from the previous checkpoint and the facts since (a few
seconds at Hub scale).  A checkpoint records the manifests of every facts partition it
sums as its inputs, so a replaced or back-filled snapshot makes the checkpoints after it
stale; they are then ignored and saved again when needed.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from weightwatch.engine import published_files, sql_list
from weightwatch.series.rollup import FACTS_TABLE
from weightwatch.store import Store
from weightwatch.store.manifest import InputFile

TOTALS_TABLE = "totals"
#: A new checkpoint is saved when the latest current one is more snapshots back than this.
CHECKPOINT_EVERY = 4
#: Listing keys: ``LISTED + days since 1970-01-01`` of the interval's end for a listing,
#: the days alone for a vanished row (it has no attributes); the largest is the latest.
LISTED = 1_000_000

TOTALS_SCHEMA = pa.schema(
    [
        ("model_id", pa.string()),
        ("author", pa.string()),
        ("pipeline_tag", pa.string()),
        ("reupload", pa.bool_()),
        ("params_total", pa.int64()),
        ("params_active", pa.int64()),
        ("downloads", pa.int64()),
        ("unknown_intervals", pa.int64()),
        ("intervals", pa.int64()),
        ("last_key", pa.int64()),
        ("downloads_manual", pa.int64()),
        ("intervals_manual", pa.int64()),
        ("last_key_manual", pa.int64()),
    ]
)

KEYS = "model_id, author, pipeline_tag, reupload, params_total, params_active"
#: The listing key of a facts row, in DuckDB SQL (the Ibis form:
#: :func:`weightwatch.metrics.per_model.listing_key`).
LISTING_KEY_SQL = (
    f"(CASE WHEN coalesce(vanished, false) THEN 0 ELSE {LISTED} END"
    " + date_diff('day', DATE '1970-01-01', interval_end))"
)

_FACT_ROWS = f"""
    SELECT {KEYS}, coalesce(downloads, 0) AS downloads,
           (downloads IS NULL)::BIGINT AS unknown_intervals, 1::BIGINT AS intervals,
           {LISTING_KEY_SQL}::BIGINT AS last_key,
           CASE WHEN automated THEN 0 ELSE coalesce(downloads, 0) END AS downloads_manual,
           (NOT automated)::BIGINT AS intervals_manual,
           CASE WHEN automated THEN NULL ELSE {LISTING_KEY_SQL} END::BIGINT AS last_key_manual
    FROM read_parquet({{files}})
    WHERE downloads <> 0 OR downloads IS NULL
"""

_SUM = f"""
    SELECT {KEYS}, sum(downloads)::BIGINT AS downloads,
           sum(unknown_intervals)::BIGINT AS unknown_intervals,
           sum(intervals)::BIGINT AS intervals, max(last_key)::BIGINT AS last_key,
           sum(downloads_manual)::BIGINT AS downloads_manual,
           sum(intervals_manual)::BIGINT AS intervals_manual,
           max(last_key_manual)::BIGINT AS last_key_manual
    FROM ({{rows}})
    GROUP BY ALL
"""


def _inputs(store: Store, dates: list[date]) -> list[InputFile]:
    return [store.manifest_input(day, FACTS_TABLE) for day in dates]


def current_checkpoint(store: Store, as_of: date) -> date | None:
    """The latest checkpoint on or before ``as_of`` that sums the facts as they are now."""
    facts = [d for d in store.snapshot_dates(FACTS_TABLE) if d <= as_of]
    current = [(i.name, i.sha256) for i in _inputs(store, facts)]  # each manifest read once
    for day in sorted(store.snapshot_dates(TOTALS_TABLE), reverse=True):
        if day > as_of or day not in facts:
            continue
        recorded = [(i.name, i.sha256) for i in store.manifest(day, TOTALS_TABLE).inputs]
        if recorded == current[: facts.index(day) + 1]:
            return day
    return None


def save_checkpoint(store: Store, as_of: date, since: date | None) -> None:
    """Save the checkpoint of ``as_of``: the checkpoint ``since`` (current; none: start from
    nothing) plus the facts of the snapshots after it up to ``as_of``."""
    dates = [d for d in store.snapshot_dates(FACTS_TABLE) if d <= as_of]
    tail = [d for d in dates if since is None or d > since]
    parts = []
    if since is not None:
        saved = published_files(store, TOTALS_TABLE, [since])
        parts.append(f"SELECT * FROM read_parquet({sql_list(saved)})")
    if files := published_files(store, FACTS_TABLE, tail):
        parts.append(_FACT_ROWS.format(files=sql_list(files)))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        with store.writer(
            as_of,
            source="totals",
            inputs=_inputs(store, dates),
            replace=True,
            table=TOTALS_TABLE,
            schema=TOTALS_SCHEMA,
        ) as writer:
            if parts:
                rows = " UNION ALL BY NAME ".join(f"({part})" for part in parts)
                writer.copy_query(con, _SUM.format(rows=rows))
            writer.extra.update(since=str(since), snapshots=len(dates))
    finally:
        con.close()


def ensure_totals(store: Store, as_of: date) -> tuple[date, list[date]]:
    """``(C, tail)``: the checkpoint to read for ``as_of`` and the snapshots after it up to
    ``as_of`` whose facts rows are read besides; saves a checkpoint at ``as_of`` first
    when no current one is within :data:`CHECKPOINT_EVERY` snapshots (see the module
    docstring).  The facts must be up to date
    (:func:`~weightwatch.series.rollup.ensure_rollups`: a metric context has done it)."""
    since = current_checkpoint(store, as_of)
    tail = [d for d in store.snapshot_dates(FACTS_TABLE) if d <= as_of]
    if since is not None:
        tail = [d for d in tail if d > since]
    if since is None or len(tail) > CHECKPOINT_EVERY:
        save_checkpoint(store, as_of, since)
        return as_of, []
    return since, tail
