"""Top intermediary models: fine-tunes (and other derivatives) that are themselves the
base of many derivatives.

Candidates are snapshot models that are not roots (depth ≥ 1).  ``children``: distinct
models naming it as a parent (any relation; self-loops and cycle-broken edges excluded);
``descendants``: snapshot models whose primary path passes through it.  Ordered by
``descendants`` then ``children`` (desc), then id; ``limit`` rows (default 20).
"""

from __future__ import annotations

from datetime import date

import ibis
from pydantic import BaseModel, ConfigDict, Field

from weightwatch.attribution import UNATTRIBUTED, family_label
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.derivative_counts import lineage_provenance
from weightwatch.metrics.frame import lineage_edges, lineage_nodes
from weightwatch.metrics.result import MetricResult


class TopIntermediariesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1)
    snapshot_date: date | None = None


def compute(ctx: MetricContext, params: TopIntermediariesParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)
    nodes, edges = lineage_nodes(ctx, when), lineage_edges(ctx, when)
    ok = edges.filter(edges.status == "ok")
    children = ok.group_by(ckey="parent_key").aggregate(children=ok.model_key.nunique())
    full = lineage_nodes(ctx, when, paths=True)
    models = full.filter(full.in_snapshot & full.depth.notnull())
    steps = models.select(member=models.path.unnest())
    below = steps.group_by(dkey=steps.member.lower()).aggregate(descendants=steps.count() - 1)
    labelled = family_label(nodes, ctx.registry_table())
    cands = labelled.filter(labelled.in_snapshot & (labelled.depth > 0))
    joined = cands.join(children, cands.model_key == children.ckey).left_join(
        below, cands.model_key == below.dkey
    )
    snap = ctx.snapshot(when)
    downloads = snap.select(dl_key=snap.model_id.lower(), downloads_30d=snap.downloads_30d)
    out = joined.left_join(downloads, joined.model_key == downloads.dl_key).select(
        "model_id",
        family=ibis.coalesce(joined.family_label, ibis.literal(UNATTRIBUTED)),
        relation=joined.relation,
        depth=joined.depth,
        primary_root=joined.primary_root,
        children=joined.children,
        descendants=joined.descendants.fill_null(0),
        downloads_30d=downloads.downloads_30d,
    )
    rows = out.order_by([ibis.desc("descendants"), ibis.desc("children"), "model_id"]).limit(
        params.limit
    )
    resolved = params.model_copy(update={"snapshot_date": when})
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, when),
        rows=rows.to_pyarrow().sort_by(
            [("descendants", "descending"), ("children", "descending"), ("model_id", "ascending")]
        ),
    )


METRIC = Metric(
    name="top_intermediaries",
    summary="Derivatives that are themselves the base of many derivatives",
    params=TopIntermediariesParams,
    compute=compute,
)
