"""The most downloaded models in the window, and how their ranks moved.

Formula: per model m, ``D(m)`` = the downloads counted in the window for m;
``share(m) = D(m) / Σ_m' D(m')`` over every model counted (not only the top n); models
are ranked by D descending, ``rank`` 1 … n.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``n`` (default 20): how many models to list.  Models with no downloads in the window are
  not ranked, so fewer rows come back when fewer models downloaded anything.
* Ties: equal downloads are ranked by ``model_id`` (ascending, as listed): ranks are
  always 1, 2, 3 …, never shared.
* ``group`` is the model's group under ``attribution`` and ``group_by``, as of its last
  interval in the window (attributes such as size are the latest the model had; a model
  that vanished keeps those of its last listing).  ``author`` is the uploading account,
  as of that listing too.
* ``compare_to`` (a date, default none): also rank the models over a window of the same
  length ending there (``as_of = compare_to``, snapped back to the latest snapshot on or
  before it, which must be before ``as_of``; a date range is shifted to end at
  ``compare_to``; ``all`` and ``first-year`` keep their meaning up to it), and add
  ``previous_rank`` (the model's rank there, among all models, null when it downloaded
  nothing), ``rank_change = previous_rank - rank`` (positive: moved up; null when new) and
  ``new_entry`` (not in that ranking's top n).
* Intervals whose counter is missing count 0 and are reported in ``notes``.

Rows: ``rank, model_id, author, group, downloads, share`` and, with ``compare_to``,
``previous_rank, rank_change, new_entry``; ordered by rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import ibis
import pyarrow as pa
from pydantic import Field

from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import finish, label
from weightwatch.metrics.per_model import (
    EPOCH,
    counted_facts,
    counted_sums,
    listing_key,
    model_sums,
)
from weightwatch.metrics.result import MetricResult
from weightwatch.series.timeseries import Window
from weightwatch.series.totals import LISTED

COLUMNS = ["rank", "model_id", "author", "group", "downloads", "share"]
MOVER_COLUMNS = ["previous_rank", "rank_change", "new_entry"]


class TopModelsParams(Conventions):
    n: int = Field(default=20, ge=1)
    compare_to: date | None = None


#: The columns :func:`~weightwatch.metrics.frame.label` reads besides ``model_id``.
LABEL_INPUTS: tuple[str, ...] = ("author", "params_total", "params_active")


def model_rows(rows: ibis.Table, min_downloads: int = 0) -> ibis.Table:
    """One row per model of ``rows`` (:func:`~weightwatch.metrics.per_model.summable`
    rows): ``model_id``, ``downloads``, ``unknown_intervals`` and ``ww_key``, the largest
    :func:`~weightwatch.metrics.per_model.listing_key` of its rows; with
    ``min_downloads``, only the models whose downloads reach it."""
    return model_sums(rows, min_downloads, ww_key=rows.ww_key.max())


def latest_listings(rows: ibis.Table, models: ibis.Table, columns: Sequence[str]) -> ibis.Table:
    """``model_id, ww_key`` and ``columns`` of the latest listing (:func:`listing_key`)
    among ``rows`` (facts rows) of each model of ``models`` (with ``model_id``)."""
    rows = rows.semi_join(models, "model_id")
    keyed = rows.mutate(ww_key=listing_key(rows))
    latest = keyed.group_by("model_id").aggregate(ww_key=keyed.ww_key.max())
    return latest.join(keyed.select("model_id", "ww_key", *columns), ["model_id", "ww_key"])


def rank_models(models: ibis.Table, n: int | None = None) -> ibis.Table:
    """The models of ``models`` (one row per model, with ``downloads`` and
    ``unknown_intervals``) that have downloads, ranked (only the top ``n`` when given),
    plus ``rank``, ``share`` and ``ww_unknown`` (intervals without a counter, over all the
    models)."""
    everything = ibis.window()
    models = models.mutate(
        ww_unknown=models.unknown_intervals.sum().over(everything).cast("int64"),
        ww_total=models.downloads.sum().over(everything).cast("float64"),
    )
    ranked = models.filter(models.downloads > 0)
    if n is not None:
        ranked = ranked.order_by([ibis.desc(ranked.downloads), ranked.model_id]).limit(n)
    by_downloads = ibis.window(order_by=[ibis.desc(ranked.downloads), ranked.model_id])
    return ranked.mutate(
        rank=(ibis.row_number().over(by_downloads) + 1).cast("int64"),
        share=ranked.downloads.cast("float64") / ranked.ww_total,
    ).drop("ww_total")


def shifted_window(window: Window, end: date) -> str:
    """``window`` moved to end at ``end``: a date range keeps its length; ``Nd``, ``all``
    and ``first-year`` are anchored by ``as_of`` already."""
    if window.kind == "range" and window.start is not None and window.end is not None:
        start = end - (window.end - window.start)
        return f"{start.isoformat()}..{end.isoformat()}"
    return str(window)


def previous_conventions(ctx: MetricContext, params: TopModelsParams) -> Conventions:
    """The conventions of the ranking compared to (``params`` resolved, ``compare_to``
    set); MetricError unless it ends before ``as_of``."""
    assert params.as_of is not None and params.compare_to is not None
    fields = params.model_dump(include=set(Conventions.model_fields))
    fields.update(
        as_of=params.compare_to, window=shifted_window(params.parsed_window, params.compare_to)
    )
    previous: Conventions = Conventions(**fields).resolved(ctx.store)
    if previous.as_of is None or previous.as_of >= params.as_of:
        raise MetricError(
            f"compare_to {params.compare_to.isoformat()} falls on the snapshot of "
            f"{params.as_of.isoformat()} (as_of) or later: give an earlier date"
        )
    return previous


def top_rows(
    ctx: MetricContext, params: TopModelsParams, previous: Conventions | None = None
) -> ibis.Table:
    """The top models under ``params`` (resolved), ranked from the rows that count
    (:func:`counting`): ``rank, model_id, downloads, share, ww_unknown, ww_key`` (see
    :func:`model_rows`) and, against the ranking under ``previous`` when given, the rank
    movers; no ``author`` nor ``group`` yet (:func:`latest_groups`)."""
    rows = counted_sums(ctx, params)
    top = rank_models(model_rows(rows, params.min_downloads), params.n)
    columns = ["rank", "model_id", "downloads", "share", "ww_unknown", "ww_key"]
    if previous is None:
        return top.select(*columns)
    rows = counted_sums(ctx, previous)
    before = rank_models(model_sums(rows, previous.min_downloads))
    before = before.select(ww_previous_id=before.model_id, previous_rank=before.rank)
    joined = top.left_join(before, top.model_id == before.ww_previous_id)
    return joined.select(
        *columns,
        "previous_rank",
        rank_change=joined.previous_rank - joined.rank,
        new_entry=(joined.previous_rank > params.n).fill_null(True),
    )


def latest_groups(ctx: MetricContext, params: TopModelsParams, top: pa.Table) -> ibis.Table:
    """``model_id, author, group`` of the models of ``top`` (computed :func:`top_rows`):
    the uploading account and the group as of each model's latest listing.

    ``ww_key`` in ``top`` is the latest listing among the rows with downloads; a later
    one can only be a listing with none, after that one's interval, so only the intervals
    since the earliest of them are read (usually just the last)."""
    keys = top.column("ww_key").to_pylist()
    rows = counted_facts(ctx, params)
    if all(key >= LISTED for key in keys):
        since = EPOCH + timedelta(days=min(key % LISTED for key in keys))
        rows = rows.filter(rows.interval_end >= since)
    models = ibis.memtable(top.select(["model_id"]))
    latest = latest_listings(rows, models, LABEL_INPUTS)
    return label(ctx, params, latest).select("model_id", "author", "group")


def compute(ctx: MetricContext, params: TopModelsParams) -> MetricResult:
    params = params.resolved(ctx.store)
    previous = None if params.compare_to is None else previous_conventions(ctx, params)
    table = top_rows(ctx, params, previous).to_pyarrow().sort_by([("rank", "ascending")])
    ids = table.column("model_id").to_pylist()
    latest: dict[str, tuple[str, str]] = {}
    if table.num_rows:
        labels = latest_groups(ctx, params, table).to_pyarrow().to_pylist()
        latest = {r["model_id"]: (r["author"], r["group"]) for r in labels}
    for i, name in enumerate(("author", "group")):
        column = pa.array([latest[m][i] for m in ids], pa.string())
        table = table.add_column(2 + i, name, column)
    notes = []
    if previous is not None:
        assert previous.as_of is not None
        notes.append(
            f"ranks compared with window {previous.window} as of the snapshot of "
            f"{previous.as_of.isoformat()}"
        )
    unknown = table.column("ww_unknown")[0].as_py() if table.num_rows else 0
    if unknown:
        notes.append(f"{unknown} model intervals have no download count; counted as 0")
    if table.num_rows < params.n:
        notes.append(f"only {table.num_rows} models have downloads in the window (n = {params.n})")
    columns = COLUMNS + (MOVER_COLUMNS if previous is not None else [])
    return finish(ctx, METRIC.name, params, table.select(columns), notes)


METRIC = Metric(
    name="top_models",
    summary="Top-N models by downloads in the window, with their share and rank movers",
    params=TopModelsParams,
    compute=compute,
)
