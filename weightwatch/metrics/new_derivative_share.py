"""Share of *new* derivatives per month by base family — the "Qwen vs Llama" question.

For each month m (by ``created_at``, UTC) and family f:
``share(m, f) = N(m, f) / Σ_g N(m, g)`` where ``N(m, f)`` counts the derivatives created in
m whose primary root belongs to f (see :mod:`weightwatch.metrics.derivative_counts` for what
a derivative and its family are).  Conventions (parameters, echoed in the output):

* ``relations``: count only these inferred (or declared) relations, e.g. ``finetune`` and
  ``adapter`` to leave re-uploads in other formats (``quantized``) out; default all.
* ``top``: keep the ``top`` families by derivatives over all months and pool the rest as
  ``other`` (default 10; 0 keeps every family).
* Survivorship: only repos that still exist at the snapshot are counted.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import ibis
from pydantic import BaseModel, ConfigDict, Field

from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.derivative_counts import derivatives, lineage_provenance
from weightwatch.metrics.result import MetricResult

Relation = Literal["finetune", "adapter", "quantized", "merge", "unknown"]
OTHER = "other"


class NewDerivativeShareParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relations: list[Relation] | None = None
    relation_source: Literal["inferred", "declared"] = "inferred"
    top: int = Field(default=10, ge=0)
    snapshot_date: date | None = None


def compute(ctx: MetricContext, params: NewDerivativeShareParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)
    rows = derivatives(ctx, when, params.relation_source)
    if params.relations:
        rows = rows.filter(rows.relation.isin(list(params.relations)))
    rows = rows.filter(rows.month.notnull())
    if params.top:
        totals = rows.group_by("family").aggregate(n=rows.count())
        ranked = totals.order_by([ibis.desc("n"), "family"]).limit(params.top)
        keep = ranked.select(top_family="family")
        joined = rows.left_join(keep, rows.family == keep.top_family)
        rows = joined.mutate(
            family=ibis.ifelse(joined.top_family.isnull(), ibis.literal(OTHER), joined.family)
        ).drop("top_family")
    grouped = rows.group_by(["month", "family"]).aggregate(derivatives=rows.count())
    month_total = grouped.derivatives.sum().over(ibis.window(group_by=grouped.month))
    out = grouped.mutate(
        month_total=month_total,
        share=grouped.derivatives.cast("float64") / month_total,
    ).order_by(["month", ibis.desc("derivatives"), "family"])
    resolved = params.model_copy(update={"snapshot_date": when})
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, when),
        rows=out.to_pyarrow(),
        notes=["only derivatives that still exist at the snapshot are counted"],
    )


METRIC = Metric(
    name="new_derivative_share",
    summary="Share of new derivatives per month by base family (Qwen vs Llama…)",
    params=NewDerivativeShareParams,
    compute=compute,
)
