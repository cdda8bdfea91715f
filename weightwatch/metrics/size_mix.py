"""Size mix: how a group's models and downloads split across parameter classes.

Formula: for each group g and size class c (:data:`~weightwatch.metrics.conventions.SIZE_CLASSES`:
``<1B``, ``1-7B``, ``7-30B``, ``30-100B``, ``100B+``, and ``unknown`` when the parameter
count is not known):

* ``models(g, c)``: models of the ``as_of`` snapshot in g whose parameters fall in c;
* ``downloads(g, c)``: downloads counted in the window for the models of g in c (the
  facts rows :func:`~weightwatch.metrics.frame.model_facts` counts, summed per model and
  parameter count before they are labelled: :mod:`~weightwatch.metrics.per_model`);
* ``share_models(g, c) = models(g, c) / Σ_d models(g, d)`` and
  ``share_downloads(g, c) = downloads(g, c) / Σ_d downloads(g, d)``: shares *within the
  group*, null when the group's total is 0 (undefined, not 0).

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``group_by``: ``family`` (default: the base family of the model's primary root in the
  ``as_of`` lineage), ``org``, ``country`` or ``org_type`` under ``attribution``.
* ``size_basis``: ``total`` parameters, or ``active`` ones for mixture-of-experts models
  where known (total otherwise).
* ``models`` counts the ``as_of`` snapshot by the parameters listed there; ``downloads``
  follow the window's intervals, each classed by the parameters the model had at the
  interval's end (a vanished model's last, zero, interval is ``unknown``).
* ``pipeline_tag``, ``llm_only``, ``exclude_requantized`` filter both columns;
  ``min_downloads`` keeps, in both, the models with at least that many downloads in the
  window; ``exclude_suspected_automated`` removes flagged intervals from ``downloads``
  (a model is counted whatever its downloads).
* Intervals with a missing counter count 0 and are reported in ``notes``.
* A (group, class) with no model in the ``as_of`` snapshot, no downloads and no unknown
  interval in the window is not listed (it would be a row of zeros).

Rows: ``group, size_class, models, downloads, share_models, share_downloads``: groups by
downloads (desc) then name, size classes from small to large, ``unknown`` last.
"""

from __future__ import annotations

from typing import Literal

import ibis
import pyarrow as pa

from weightwatch.attribution import UNKNOWN
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import SIZE_CLASSES, Conventions, size_class, size_params
from weightwatch.metrics.derivative_counts import lineage_provenance
from weightwatch.metrics.derivative_share import snapshot_models
from weightwatch.metrics.frame import label
from weightwatch.metrics.per_model import counted_sums, model_sums, reads_author
from weightwatch.metrics.result import MetricResult
from weightwatch.provenance import provenance

COLUMNS = ["group", "size_class", "models", "downloads", "share_models", "share_downloads"]
CLASS_ORDER: dict[str, int] = {
    name: rank for rank, name in enumerate([*(c for c, _ in SIZE_CLASSES), UNKNOWN])
}


class SizeMixParams(Conventions):
    group_by: Literal["family", "org", "country", "org_type"] = "family"


def _within_group(table: ibis.Table, value: str) -> ibis.Value:
    total = table[value].sum().over(ibis.window(group_by=table.group))
    return ibis.ifelse(total > 0, table[value].cast("float64") / total, ibis.null("float64"))


def mix_rows(ctx: MetricContext, params: SizeMixParams) -> ibis.Table:
    """The metric's rows plus ``unknown_intervals``, as an Ibis expression (``params``
    resolved), unordered."""
    rows = counted_sums(ctx, params)
    # one row per model, parameter count (each interval's) and, when the group depends on
    # it, account: only those are labelled (see :mod:`~weightwatch.metrics.per_model`)
    rows = rows.mutate(ww_params=size_params(rows, params.size_basis))
    by = ["model_id", "ww_params"] + (["author"] if reads_author(params) else [])
    per_model = model_sums(rows, params.min_downloads, by=by)
    if not reads_author(params):
        per_model = per_model.mutate(author=ibis.null("string"))
    facts = label(ctx, params, per_model)
    facts = facts.mutate(size_class=size_class(facts.ww_params))
    downloads = facts.group_by(["group", "size_class"]).aggregate(
        models=ibis.literal(0, "int64"),
        downloads=facts.downloads.sum().fill_null(0).cast("int64"),
        unknown_intervals=facts.unknown_intervals.sum().fill_null(0).cast("int64"),
    )
    models = snapshot_models(ctx, params)
    if params.min_downloads:
        keep = per_model.select(ww_keep="model_id").distinct()
        models = models.semi_join(keep, models.model_id == keep.ww_keep)
    models = label(ctx, params, models)
    models = models.mutate(size_class=size_class(size_params(models, params.size_basis)))
    counts = models.group_by(["group", "size_class"]).aggregate(
        models=models.count().cast("int64"),
        downloads=ibis.literal(0, "int64"),
        unknown_intervals=ibis.literal(0, "int64"),
    )
    both = ibis.union(counts, downloads)
    mix = both.group_by(["group", "size_class"]).aggregate(
        models=both.models.sum().cast("int64"),
        downloads=both.downloads.sum().cast("int64"),
        unknown_intervals=both.unknown_intervals.sum().cast("int64"),
    )
    # a class with no model listed, nothing downloaded and no interval unknown says nothing
    mix = mix.filter((mix.models > 0) | (mix.downloads != 0) | (mix.unknown_intervals > 0))
    return mix.mutate(
        share_models=_within_group(mix, "models"),
        share_downloads=_within_group(mix, "downloads"),
    )


def ordered(table: pa.Table) -> pa.Table:
    """Groups by downloads (desc) then name; size classes small to large, unknown last."""
    groups: dict[str, int] = {}
    for group, downloads in zip(
        table.column("group").to_pylist(), table.column("downloads").to_pylist(), strict=True
    ):
        groups[group] = groups.get(group, 0) + (downloads or 0)
    keys = [
        (-groups[g], g, CLASS_ORDER.get(c, len(CLASS_ORDER)), c)
        for g, c in zip(
            table.column("group").to_pylist(), table.column("size_class").to_pylist(), strict=True
        )
    ]
    return table.take(sorted(range(table.num_rows), key=keys.__getitem__))


def compute(ctx: MetricContext, params: SizeMixParams) -> MetricResult:
    params = params.resolved(ctx.store)
    assert params.as_of is not None
    table = mix_rows(ctx, params).to_pyarrow()
    unknown = sum(v or 0 for v in table.column("unknown_intervals").to_pylist())
    rows = ordered(table.select(COLUMNS))
    notes = []
    if unknown:
        notes.append(f"{unknown} model intervals have no download count; counted as 0")
    dates = [d for d in ctx.store.snapshot_dates() if d <= params.as_of]
    if params.needs_lineage:
        prov = lineage_provenance(ctx, params.as_of, dates)
    else:
        prov = provenance(ctx.store, dates, ctx.registry, ctx.engine)
    return MetricResult(
        metric=METRIC.name,
        params=params.model_dump(mode="json"),
        provenance=prov,
        rows=rows,
        notes=notes,
    )


METRIC = Metric(
    name="size_mix",
    summary="Models and downloads by parameter class (<1B … 100B+) within each family or "
    "organisation",
    params=SizeMixParams,
    compute=compute,
)
