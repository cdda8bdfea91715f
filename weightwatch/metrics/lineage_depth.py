"""Depth and fan-out of the lineage graph, per base family and overall.

* ``depth``: hops from a model to its primary root along primary parents (0 for roots).
* ``fan-out`` of a node: its direct derivatives (distinct models naming it as a parent, any
  relation, cycle-broken and self-loop edges excluded); statistics over nodes with ≥ 1.

``by = family`` (default): one row per family (and ``(all)`` first) with ``models``
(snapshot models under the family), ``derivatives``, ``mean_depth``, ``p50_depth``,
``p90_depth``, ``max_depth`` (over derivatives), ``bases`` (nodes with ≥ 1 derivative),
``mean_fanout``, ``p90_fanout``, ``max_fanout``.  ``by = depth``: a histogram, one row per
depth with the number of snapshot models at it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import ibis
from pydantic import BaseModel, ConfigDict

from weightwatch.attribution import UNATTRIBUTED, family_label
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.derivative_counts import lineage_provenance
from weightwatch.metrics.frame import lineage_edges, lineage_nodes
from weightwatch.metrics.result import MetricResult

ALL = "(all)"


class LineageDepthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Literal["family", "depth"] = "family"
    snapshot_date: date | None = None


def _stats(models: ibis.Table, fanout: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    derived = models.filter(models.depth > 0)
    depth = derived.group_by("family").aggregate(
        derivatives=derived.count(),
        mean_depth=derived.depth.mean(),
        p50_depth=derived.depth.quantile(0.5),
        p90_depth=derived.depth.quantile(0.9),
        max_depth=derived.depth.max(),
    )
    fan = fanout.group_by("family").aggregate(
        bases=fanout.count(),
        mean_fanout=fanout.children.mean(),
        p90_fanout=fanout.children.quantile(0.9),
        max_fanout=fanout.children.max(),
    )
    return depth, fan


def compute(ctx: MetricContext, params: LineageDepthParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)
    nodes, edges = lineage_nodes(ctx, when), lineage_edges(ctx, when)
    resolved = params.model_copy(update={"snapshot_date": when})
    models = nodes.filter(nodes.in_snapshot & nodes.depth.notnull())
    if params.by == "depth":
        rows = models.group_by("depth").aggregate(models=models.count()).order_by("depth")
        return MetricResult(
            metric=METRIC.name,
            params=resolved.model_dump(mode="json"),
            provenance=lineage_provenance(ctx, when),
            rows=rows.to_pyarrow(),
        )
    labelled = family_label(nodes, ctx.registry_table())
    labelled = labelled.mutate(family=labelled.family_label.fill_null(UNATTRIBUTED))
    fam_models = labelled.filter(labelled.in_snapshot & labelled.depth.notnull())
    ok = edges.filter(edges.status == "ok")
    children = ok.group_by(key="parent_key").aggregate(children=ok.model_key.nunique())
    fanout = children.join(
        labelled.select("model_key", "family"), children.key == labelled.model_key
    )
    depth, fan = _stats(fam_models, fanout)
    counts = fam_models.group_by("family").aggregate(models=fam_models.count())
    per_family = (
        counts.left_join(depth, "family")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(fan, "family")
        .select(~ibis.selectors.endswith("_right"))
    )
    all_depth, all_fan = _stats(
        fam_models.mutate(family=ibis.literal(ALL)), fanout.mutate(family=ibis.literal(ALL))
    )
    overall = (
        fam_models.mutate(family=ibis.literal(ALL))
        .group_by("family")
        .aggregate(models=ibis._.count())
        .left_join(all_depth, "family")
        .select(~ibis.selectors.endswith("_right"))
        .left_join(all_fan, "family")
        .select(~ibis.selectors.endswith("_right"))
    )
    table = ibis.union(overall, per_family.order_by([ibis.desc("models"), "family"]))
    columns = [
        "family", "models", "derivatives", "mean_depth", "p50_depth", "p90_depth",
        "max_depth", "bases", "mean_fanout", "p90_fanout", "max_fanout",
    ]  # fmt: skip
    counts_int = {c: table[c].fill_null(0).cast("int64") for c in ("derivatives", "bases")}
    arrow = table.mutate(**counts_int).select(*columns).to_pyarrow()
    order = sorted(
        range(arrow.num_rows),
        key=lambda i: (
            arrow["family"][i].as_py() != ALL,
            -(arrow["models"][i].as_py() or 0),
            arrow["family"][i].as_py(),
        ),
    )
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, when),
        rows=arrow.take(order),
    )


METRIC = Metric(
    name="lineage_depth",
    summary="Lineage depth and fan-out statistics per base family",
    params=LineageDepthParams,
    compute=compute,
)
