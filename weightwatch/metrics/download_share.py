"""Download share by group over time.

Formula: for each period p and group g, ``share(p, g) = D(p, g) / Σ_h D(p, h)`` where
``D(p, g)`` is the downloads counted in p for the models attributed to g.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``counter``: ``deltas`` — downloads per interval between successive snapshots,
  from the all-time counter (:mod:`weightwatch.series.deltas`), summed per period; or
  ``30d`` — the Hub's trailing-30-day count in the ``as_of`` snapshot alone (every listing
  has it; one period, the 30 days before ``as_of``; windows and the automated filter do not
  apply).  ``auto`` (default) picks ``deltas`` when the snapshots up to ``as_of`` have
  all-time counters and ``30d`` otherwise; the output echoes the choice.
* ``freq``: ``interval`` (each snapshot interval), ``week`` (ISO), ``month``, ``year``, or
  ``total`` (default: one period, the whole window).  An interval counts wholly in the
  period holding its end date.
* Models outside the registry form the group ``unattributed``; registry rows with a blank
  field form ``unknown``.  Both are kept, so shares sum to 1 in every period.
* Intervals whose counter is missing count 0 and are reported in ``notes``.
* A period whose total is 0 has null shares (undefined), not 0.

Rows: ``period_start, period_end, group, downloads, share``, ordered by period end,
downloads (desc), group.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import ibis
import pyarrow.parquet as pq

from weightwatch.engine import published_files
from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import filter_attributes, finish, group_downloads, label, with_share
from weightwatch.metrics.result import MetricResult
from weightwatch.store.snapshots import SNAPSHOTS

ORDER = [ibis.asc("period_end"), ibis.desc("downloads"), ibis.asc("group")]


class DownloadShareParams(Conventions):
    counter: Literal["auto", "deltas", "30d"] = "auto"
    freq: Literal["interval", "week", "month", "year", "total"] = "total"


def thirty_day_rows(ctx: MetricContext, params: DownloadShareParams) -> ibis.Table:
    """One period: the ``as_of`` snapshot's 30-day counts per group."""
    assert params.as_of is not None
    if params.window != "all" or params.exclude_suspected_automated:
        raise MetricError(
            "--counter 30d reads one snapshot's trailing-30-day counts: it takes no --window "
            "and no --exclude-suspected-automated (use --counter deltas)"
        )
    snap = ctx.snapshot(params.as_of, reupload=params.exclude_requantized)
    snap = snap.mutate(downloads=snap.downloads_30d)
    snap = filter_attributes(snap, params)
    if params.min_downloads:
        snap = snap.filter(snap.downloads.fill_null(0) >= params.min_downloads)
    rows = label(ctx, params, snap)
    start = params.as_of - timedelta(days=29)
    return rows.group_by("group").aggregate(
        period_start=ibis.literal(start, type="date"),
        period_end=ibis.literal(params.as_of, type="date"),
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        unknown_intervals=rows.downloads.isnull().sum().cast("int64"),
    )


def share_rows(ctx: MetricContext, params: DownloadShareParams) -> ibis.Table:
    """The metric's rows as an Ibis expression (``params`` resolved)."""
    if params.counter == "30d":
        grouped = thirty_day_rows(ctx, params)
    else:
        grouped = group_downloads(ctx, params, params.freq)
    return with_share(grouped)


def resolve_counter(ctx: MetricContext, params: DownloadShareParams) -> DownloadShareParams:
    """``params`` with ``auto`` replaced by the counter the snapshots up to ``as_of``
    support."""
    if params.counter != "auto":
        return params
    assert params.as_of is not None
    dates = [d for d in ctx.store.snapshot_dates() if d <= params.as_of]
    has_all_time = any_values(published_files(ctx.store, SNAPSHOTS, dates), "downloads_all_time")
    if has_all_time is None:  # a file without statistics: ask the data
        snap = ctx.snapshots()
        found = snap.filter(snap.snapshot_date <= params.as_of, snap.downloads_all_time.notnull())
        has_all_time = found.select("model_id").limit(1).to_pyarrow().num_rows > 0
    return params.model_copy(update={"counter": "deltas" if has_all_time else "30d"})


def any_values(files: list[str], column: str) -> bool | None:
    """Does ``column`` hold a non-null value in any of the Parquet ``files``?  Read from
    their footers' statistics (rows minus nulls per row group), not from the data; None
    when a row group has no null count (then only the data can tell)."""
    for path in files:
        meta = pq.ParquetFile(path).metadata
        leaves = [meta.schema.column(i).path for i in range(meta.num_columns)]
        if column not in leaves:
            continue
        index = leaves.index(column)
        for group in range(meta.num_row_groups):
            chunk = meta.row_group(group).column(index)
            stats = chunk.statistics
            if stats is None or not stats.has_null_count:
                return None
            if stats.null_count < chunk.num_values:
                return True
    return False


def compute(ctx: MetricContext, params: DownloadShareParams) -> MetricResult:
    params = resolve_counter(ctx, params.resolved(ctx.store))
    table = share_rows(ctx, params).to_pyarrow()
    unknown = sum(v or 0 for v in table.column("unknown_intervals").to_pylist())
    rows = table.select(["period_start", "period_end", "group", "downloads", "share"])
    rows = rows.sort_by(
        [("period_end", "ascending"), ("downloads", "descending"), ("group", "ascending")]
    )
    notes = []
    if unknown:
        what = "models" if params.counter == "30d" else "model intervals"
        notes.append(f"{unknown} {what} have no download count; counted as 0")
    if (
        params.counter == "deltas"
        and rows.num_rows
        and not any(rows.column("downloads").to_pylist())
    ):
        notes.append(
            "no downloads counted: does the store hold all-time counters? try --counter 30d"
        )
    return finish(ctx, METRIC.name, params, rows, notes)


METRIC = Metric(
    name="download_share",
    summary="Share of downloads by group per period (country, org, org type, family, size)",
    params=DownloadShareParams,
    compute=compute,
)
