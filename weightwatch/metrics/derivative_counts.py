"""Derivative counts per base family and relation type (cumulative, or by month of creation).

A *derivative* is a model of the snapshot with at least one usable parent (lineage status
``derived``, or ``unresolved`` when it only declares unparseable bases).  Each counts once,
for the family of its primary root (:func:`weightwatch.attribution.family_label`: curated
family, else the root's organisation) and for its relation — the *inferred* relation by
default (``relation_source = declared`` for what the repos declare).

Groups: ``unresolved`` (no known root), ``unattributed`` (a root with no family and no
registry organisation).  ``by = month`` counts by the month the derivative was created
(``created_at``, UTC) with a running ``cumulative`` per family and relation; models with no
creation time are reported in ``notes``.  Only repos that still exist at snapshot time are
seen: deleted derivatives are not counted.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import ibis
from pydantic import BaseModel, ConfigDict

from weightwatch.attribution import UNATTRIBUTED, family_label
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.frame import lineage_nodes
from weightwatch.metrics.result import MetricResult
from weightwatch.provenance import provenance

UNRESOLVED = "unresolved"


class DerivativeCountsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Literal["total", "month"] = "total"
    relation_source: Literal["inferred", "declared"] = "inferred"
    snapshot_date: date | None = None


def derivatives(ctx: MetricContext, when: date, relation_source: str) -> ibis.Table:
    """One row per derivative of the snapshot: ``model_id, created_at, month, family,
    relation, depth, primary_root`` (shared by the lineage metrics)."""
    labelled = family_label(lineage_nodes(ctx, when), ctx.registry_table())
    derived = labelled.filter(labelled.in_snapshot & labelled.status.isin(["derived", UNRESOLVED]))
    column = "relation_inferred" if relation_source == "inferred" else "relation_declared"
    family = ibis.cases(
        (derived.status == UNRESOLVED, ibis.literal(UNRESOLVED)),
        (derived.family_label.isnull(), ibis.literal(UNATTRIBUTED)),
        else_=derived.family_label,
    )
    return derived.select(
        "model_id",
        "created_at",
        "depth",
        "primary_root",
        month=derived.created_at.truncate("M").strftime("%Y-%m"),
        family=family,
        relation=derived[column].fill_null("unknown"),
    )


def lineage_provenance(
    ctx: MetricContext, when: date, dates: list[date] | None = None
) -> dict[str, Any]:
    """Provenance of the snapshots ``dates`` (default: just ``when``) plus the manifest of
    ``when``'s lineage table (rules and families versions)."""
    prov = provenance(ctx.store, dates or [when], ctx.registry, ctx.engine)
    manifest = ctx.store.manifest(when, "lineage")
    prov["lineage"] = {
        "lineage_version": manifest.extra.get("lineage_version"),
        "families_version": manifest.extra.get("families_version"),
        "built_at": manifest.created_at.isoformat(),
    }
    return prov


def compute(ctx: MetricContext, params: DerivativeCountsParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)
    rows_expr = derivatives(ctx, when, params.relation_source)
    notes: list[str] = []
    if params.by == "total":
        grouped = rows_expr.group_by(["family", "relation"]).aggregate(
            derivatives=rows_expr.count()
        )
        total = grouped.derivatives.sum().over(ibis.window(group_by=grouped.family))
        out = grouped.mutate(family_total=total)
        order = [("family_total", "descending"), ("family", "ascending")]
        order += [("derivatives", "descending"), ("relation", "ascending")]
    else:
        missing = rows_expr.filter(rows_expr.month.isnull()).count().to_pyarrow().as_py()
        if missing:
            notes.append(f"{missing} derivatives have no creation time: not in any month")
        dated = rows_expr.filter(rows_expr.month.notnull())
        grouped = dated.group_by(["month", "family", "relation"]).aggregate(
            derivatives=dated.count()
        )
        window = ibis.cumulative_window(
            group_by=[grouped.family, grouped.relation], order_by=grouped.month
        )
        out = grouped.mutate(cumulative=grouped.derivatives.sum().over(window))
        order = [("month", "ascending"), ("derivatives", "descending")]
        order += [("family", "ascending"), ("relation", "ascending")]
    table = out.to_pyarrow().sort_by(order)
    if "family_total" in table.column_names:
        table = table.drop_columns(["family_total"])
    resolved = params.model_copy(update={"snapshot_date": when})
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, when),
        rows=table,
        notes=notes,
    )


METRIC = Metric(
    name="derivative_counts",
    summary="Derivatives per base family and relation type, in total or by month of creation",
    params=DerivativeCountsParams,
    compute=compute,
)
