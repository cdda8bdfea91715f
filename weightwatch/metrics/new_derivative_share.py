"""Share of new derivatives per month by base family: the earlier form of
:mod:`weightwatch.metrics.derivative_share`, kept for its callers.

It is ``derivative_share`` with ``freq = month``, no filters and the default window, in the
earlier row shape: ``month`` (``YYYY-MM``), ``family``, ``derivatives``, ``month_total``
(all derivatives of the month) and ``share`` (``derivative_share``'s
``share_of_derivatives``).  ``relations``, ``relation_source`` and ``top`` mean the same as
there; ``snapshot_date`` is its ``as_of`` (the snapshot must exist).  Prefer
``derivative_share``: it also gives the share of *all* new models and takes the shared
conventions.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import ibis
from pydantic import BaseModel, ConfigDict, Field

from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.derivative_counts import lineage_provenance
from weightwatch.metrics.derivative_share import DerivativeShareParams, Relation, share_rows
from weightwatch.metrics.result import MetricResult


class NewDerivativeShareParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relations: list[Relation] | None = None
    relation_source: Literal["inferred", "declared"] = "inferred"
    top: int = Field(default=10, ge=0)
    snapshot_date: date | None = None


def compute(ctx: MetricContext, params: NewDerivativeShareParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)
    shares = share_rows(
        ctx,
        DerivativeShareParams(
            relations=params.relations,
            relation_source=params.relation_source,
            top=params.top,
            as_of=when,
        ),
    )
    month = shares.period_start.strftime("%Y-%m")
    out = shares.select(
        month=month,
        family=shares.family,
        derivatives=shares.derivatives,
        month_total=shares.derivatives.sum().over(ibis.window(group_by=month)),
        share=shares.share_of_derivatives,
    )
    table = out.to_pyarrow().sort_by(
        [("month", "ascending"), ("derivatives", "descending"), ("family", "ascending")]
    )
    resolved = params.model_copy(update={"snapshot_date": when})
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, when),
        rows=table,
        notes=["only derivatives that still exist at the snapshot are counted"],
    )


METRIC = Metric(
    name="new_derivative_share",
    summary="Share of new derivatives per month by base family (earlier form of derivative_share)",
    params=NewDerivativeShareParams,
    compute=compute,
)
