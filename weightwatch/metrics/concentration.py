"""How concentrated downloads are: HHI, Gini coefficient and top-k share per period.

Units are the groups of ``group_by`` (``org`` by default, or ``country``, ``org_type``,
``family``, ``size_class``) or single models (``group_by = model``).  For each period p,
over the n units u with downloads ``D(p, u) > 0`` and ``T = Σ_u D(p, u)``:

* ``hhi = Σ_u s_u²`` with ``s_u = D(p, u) / T`` (Herfindahl-Hirschman index, on the 0-1
  scale: 1 is one unit holding everything, 1/n is n equal units);
* ``gini = Σ_i (2i - n - 1) · x_i / (n · T)`` with ``x_1 ≤ … ≤ x_n`` the downloads sorted
  ascending (0 for equal units; at most (n - 1)/n, so always below 1);
* ``top_k_share = (sum of the k largest D(p, u)) / T`` (1 when k ≥ n);
* ``n`` and ``downloads = T``.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* Units with no downloads in a period are left out, so adding a unit that downloads nothing
  changes no figure and ``hhi`` ∈ [1/n, 1], ``gini`` ∈ [0, 1).  The Gini coefficient is
  thus the inequality *among units that download at all*, not across everything listed.
* ``pooled``: ``drop`` (default) leaves out the pooled buckets ``unattributed`` (accounts
  outside the registry), ``unknown`` (registry field blank, or size unknown) and
  ``unresolved`` (lineage unresolved): each pools many actors, so counting it as one unit
  would overstate concentration.  ``keep`` counts each as one unit.  ``notes`` state the
  downloads left out.  Models are always single units, so ``pooled`` and ``attribution``
  do not apply to ``group_by = model``.
* ``freq``: ``interval``, ``week`` (ISO), ``month``, ``year`` or ``total`` (default: one
  period, the whole window); an interval counts wholly in the period holding its end date.
  A period with no downloads has no row (the indices are undefined).
* ``k``: the number of largest units in ``top_k_share`` (default 5); ties at the k-th place
  do not matter (equal units add the same downloads).
* Intervals whose counter is missing count 0 and are reported in ``notes``.

Rows: ``period_start, period_end, units, n, downloads, hhi, gini, top_k_share, k``
(``units`` names the unit, e.g. ``org``), ordered by period end.
"""

from __future__ import annotations

from typing import Literal

import ibis
from pydantic import Field

from weightwatch.attribution import UNATTRIBUTED, UNKNOWN
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import UNRESOLVED, finish, group_downloads, model_facts, with_periods
from weightwatch.metrics.result import MetricResult

#: Group labels that pool many actors (see the module docstring, ``pooled``).
POOLED: tuple[str, ...] = (UNATTRIBUTED, UNKNOWN, UNRESOLVED)
COLUMNS = [
    "period_start",
    "period_end",
    "units",
    "n",
    "downloads",
    "hhi",
    "gini",
    "top_k_share",
    "k",
]


class ConcentrationParams(Conventions):
    group_by: Literal["model", "country", "org", "org_type", "family", "size_class"] = "org"  # type: ignore[assignment]
    freq: Literal["interval", "week", "month", "year", "total"] = "total"
    k: int = Field(default=5, ge=1)
    pooled: Literal["keep", "drop"] = "drop"


def unit_downloads(ctx: MetricContext, params: ConcentrationParams) -> ibis.Table:
    """Downloads per (period, unit): ``period_start, period_end, unit, downloads,
    unknown_intervals, pooled`` (``pooled``: the unit is a pooled bucket)."""
    if params.group_by == "model":
        # The group column is not used: any cheap grouping that needs no lineage will do.
        conv = params.model_copy(update={"group_by": "country", "attribution": "uploader"})
        rows = with_periods(model_facts(ctx, conv), params.freq, conv)
        units = rows.group_by(["period_start", "period_end", rows.model_id.name("unit")]).aggregate(
            downloads=rows.downloads.sum().fill_null(0).cast("int64"),
            unknown_intervals=rows.downloads.isnull().sum().cast("int64"),
        )
        return units.mutate(pooled=ibis.literal(False))
    grouped = group_downloads(ctx, params, params.freq)
    return grouped.select(
        "period_start",
        "period_end",
        "downloads",
        "unknown_intervals",
        unit=grouped.group,
        pooled=grouped.group.isin(list(POOLED)),
    )


def concentration_rows(ctx: MetricContext, params: ConcentrationParams) -> ibis.Table:
    """The metric's rows as an Ibis expression (``params`` resolved); see :func:`indices`."""
    units = unit_downloads(ctx, params)
    return indices(units, params.k, drop_pooled=params.pooled == "drop", label=params.group_by)


def indices(units: ibis.Table, k: int, *, drop_pooled: bool, label: str) -> ibis.Table:
    """The concentration rows of ``units`` (as from :func:`unit_downloads`; ``label``
    names them in the ``units`` column), plus ``ww_all`` (all downloads), ``ww_pooled``
    (downloads of the pooled buckets left out) and ``ww_unknown`` (intervals without a
    counter), each constant over the rows."""
    everything = ibis.window()
    dropped = units.pooled if drop_pooled else ibis.literal(False)
    units = units.mutate(
        ww_all=units.downloads.sum().over(everything),
        ww_pooled=ibis.ifelse(dropped, units.downloads, 0).sum().over(everything),
        ww_unknown=units.unknown_intervals.sum().over(everything),
        ww_dropped=dropped,
    )
    counted = units.filter(units.downloads > 0, ~units.ww_dropped)
    keys = [counted.period_start, counted.period_end]
    period = ibis.window(group_by=keys)
    total = counted.downloads.sum().over(period)
    ranked = counted.mutate(
        ww_share=counted.downloads.cast("float64") / total.cast("float64"),
        ww_n=counted.downloads.count().over(period),
        # 0-based positions; ties are ordered by unit, which changes none of the sums.
        ww_asc=ibis.row_number().over(
            ibis.window(group_by=keys, order_by=[counted.downloads, counted.unit])
        ),
        ww_desc=ibis.row_number().over(
            ibis.window(group_by=keys, order_by=[ibis.desc(counted.downloads), counted.unit])
        ),
    )
    weight = (2 * (ranked.ww_asc + 1) - ranked.ww_n - 1).cast("float64")
    out = ranked.group_by(["period_start", "period_end"]).aggregate(
        n=ranked.count().cast("int64"),
        downloads=ranked.downloads.sum().cast("int64"),
        hhi=(ranked.ww_share * ranked.ww_share).sum(),
        ww_gini=(weight * ranked.downloads.cast("float64")).sum(),
        ww_top=ibis.ifelse(ranked.ww_desc < k, ranked.downloads, 0).sum(),
        ww_all=ranked.ww_all.max(),
        ww_pooled=ranked.ww_pooled.max(),
        ww_unknown=ranked.ww_unknown.max(),
    )
    denominator = out.downloads.cast("float64")
    return out.select(
        "period_start",
        "period_end",
        units=ibis.literal(label),
        n=out.n,
        downloads=out.downloads,
        hhi=out.hhi,
        gini=out.ww_gini / (out.n.cast("float64") * denominator),
        top_k_share=out.ww_top.cast("float64") / denominator,
        k=ibis.literal(k, type="int64"),
        ww_all=out.ww_all,
        ww_pooled=out.ww_pooled,
        ww_unknown=out.ww_unknown,
    )


def _percent(fraction: float) -> str:
    return "under 0.1%" if 0 < fraction < 0.001 else f"{fraction:.1%}"


def compute(ctx: MetricContext, params: ConcentrationParams) -> MetricResult:
    params = params.resolved(ctx.store)
    table = concentration_rows(ctx, params).to_pyarrow()
    table = table.sort_by([("period_end", "ascending"), ("period_start", "ascending")])
    notes = []
    if table.num_rows:
        everything = table.column("ww_all")[0].as_py() or 0
        pooled = table.column("ww_pooled")[0].as_py() or 0
        unknown = table.column("ww_unknown")[0].as_py() or 0
        if params.group_by != "model" and params.pooled == "drop":
            share = f" ({_percent(pooled / everything)} of the window's)" if everything else ""
            notes.append(
                f"pooled buckets ({', '.join(POOLED)}) left out as they are not single actors: "
                f"{pooled:,} downloads{share}; pooled=keep counts each as one unit"
            )
        if unknown:
            notes.append(f"{unknown} model intervals have no download count; counted as 0")
    else:
        notes.append("no downloads counted in the window: no period to measure")
    return finish(ctx, METRIC.name, params, table.select(COLUMNS), notes)


METRIC = Metric(
    name="concentration",
    summary="Concentration of downloads per period: HHI, Gini and top-k share of units",
    params=ConcentrationParams,
    compute=compute,
)
