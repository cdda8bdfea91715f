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
  that vanished keeps those of its last listing).  ``author`` is the uploading account.
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

from datetime import date

import ibis
from pydantic import Field

from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import finish, model_facts
from weightwatch.metrics.result import MetricResult
from weightwatch.series.timeseries import Window

COLUMNS = ["rank", "model_id", "author", "group", "downloads", "share"]
MOVER_COLUMNS = ["previous_rank", "rank_change", "new_entry"]


class TopModelsParams(Conventions):
    n: int = Field(default=20, ge=1)
    compare_to: date | None = None


def ranking(ctx: MetricContext, conv: Conventions) -> ibis.Table:
    """Every model with downloads under ``conv`` (resolved), ranked; see :func:`rank_models`."""
    return rank_models(model_facts(ctx, conv))


def rank_models(rows: ibis.Table) -> ibis.Table:
    """The models of ``rows`` (facts rows with ``group``, as from ``model_facts``) that
    have downloads, ranked: ``rank, model_id, author, group, downloads, share`` plus
    ``ww_unknown`` (intervals without a counter, over all the models)."""
    latest = ibis.window(
        group_by=rows.model_id,
        order_by=[rows.vanished.fill_null(False), ibis.desc(rows.interval_end)],
    )
    rows = rows.mutate(ww_latest=ibis.row_number().over(latest))
    models = rows.group_by("model_id").aggregate(
        author=rows.author.max(),
        group=ibis.ifelse(rows.ww_latest == 0, rows.group, ibis.null("string")).max(),
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        ww_unknown=rows.downloads.isnull().sum().cast("int64"),
    )
    everything = ibis.window()
    models = models.mutate(ww_unknown=models.ww_unknown.sum().over(everything))
    ranked = models.filter(models.downloads > 0)
    by_downloads = ibis.window(order_by=[ibis.desc(ranked.downloads), ranked.model_id])
    total = ranked.downloads.sum().over(everything).cast("float64")
    return ranked.mutate(
        rank=(ibis.row_number().over(by_downloads) + 1).cast("int64"),
        share=ranked.downloads.cast("float64") / total,
    )


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
    """The metric's rows as an Ibis expression (``params`` resolved), plus ``ww_unknown``;
    with the rank movers against the ranking under ``previous`` when given."""
    current = ranking(ctx, params)
    top = current.filter(current.rank <= params.n)
    if previous is None:
        return top.select(*COLUMNS, "ww_unknown")
    before = ranking(ctx, previous)
    before = before.select(ww_previous_id=before.model_id, previous_rank=before.rank)
    joined = top.left_join(before, top.model_id == before.ww_previous_id)
    return joined.select(
        *COLUMNS,
        "previous_rank",
        rank_change=joined.previous_rank - joined.rank,
        new_entry=(joined.previous_rank > params.n).fill_null(True),
        ww_unknown=joined.ww_unknown,
    )


def compute(ctx: MetricContext, params: TopModelsParams) -> MetricResult:
    params = params.resolved(ctx.store)
    previous = None if params.compare_to is None else previous_conventions(ctx, params)
    table = top_rows(ctx, params, previous).to_pyarrow().sort_by([("rank", "ascending")])
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
