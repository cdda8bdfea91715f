"""Download share by group over one snapshot.

Formula: for each group g, ``share(g) = D(g) / Σ_h D(h)`` where ``D(g)`` is the sum of the
chosen download counter over the models attributed to g in the snapshot.

Conventions (all parameters, echoed in the output):

* ``by``: ``country`` (ISO 3166-1 alpha-2 of the organisation), ``org`` or ``org_type``.
* ``attribution``: ``uploader`` — the account that uploaded the repo (see
  :mod:`weightwatch.attribution`).
* ``counter``: ``30d`` (the Hub's ``downloads``, trailing 30 days at snapshot time; every
  listing has it) or ``all-time`` (``downloadsAllTime``, only where the snapshot holds it).
* ``snapshot_date``: which snapshot; default the latest.
* Models outside the registry form the group ``unattributed``; registry rows with a blank
  field form ``unknown``.  Both are kept, so shares always sum to 1 over all downloads.
* Models whose counter is missing count 0 and are reported in ``notes``.
* If the snapshot's total is 0, shares are null (undefined), not 0.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import ibis
from pydantic import BaseModel, ConfigDict

from weightwatch.attribution import attribute_uploader, group_label
from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.result import MetricResult
from weightwatch.provenance import provenance

COUNTER_COLUMNS = {"30d": "downloads_30d", "all-time": "downloads_all_time"}


class DownloadShareParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Literal["country", "org", "org_type"] = "country"
    counter: Literal["30d", "all-time"] = "30d"
    attribution: Literal["uploader"] = "uploader"
    snapshot_date: date | None = None


def share_table(models: ibis.Table, registry: ibis.Table, by: str, counter: str) -> ibis.Table:
    """Ibis expression: one row per group with ``group, downloads, models, share``,
    ordered by downloads (desc) then group.  ``models`` holds one snapshot's rows."""
    column = COUNTER_COLUMNS[counter]
    attributed = attribute_uploader(models, registry)
    labelled = attributed.mutate(group=group_label(attributed, by))
    grouped = labelled.group_by("group").aggregate(
        downloads=labelled[column].fill_null(0).sum().cast("int64"),
        models=labelled.count(),
    )
    total = grouped.downloads.sum().over()
    share = ibis.ifelse(total > 0, grouped.downloads.cast("float64") / total, ibis.null("float64"))
    return grouped.mutate(share=share).order_by([ibis.desc("downloads"), "group"])


def compute(ctx: MetricContext, params: DownloadShareParams) -> MetricResult:
    when = params.snapshot_date or ctx.store.latest()
    ctx.store.manifest(when)  # raises SnapshotNotFound naming the dates we do have
    models = ctx.snapshots().filter(ibis._.snapshot_date == when)
    column = COUNTER_COLUMNS[params.counter]
    missing, total_rows = (
        models.aggregate(missing=models[column].isnull().sum(), n=models.count())
        .to_pyarrow()
        .to_pylist()[0]
        .values()
    )
    notes: list[str] = []
    if total_rows and missing == total_rows:
        raise MetricError(
            f"snapshot {when} has no {column} values (source: "
            f"{ctx.store.manifest(when).source}); use --counter 30d"
        )
    if missing:
        notes.append(f"{missing} of {total_rows} models have no {column}; counted as 0")
    rows = share_table(models, ctx.registry_table(), params.by, params.counter).to_pyarrow()
    resolved = params.model_copy(update={"snapshot_date": when})
    return MetricResult(
        metric=METRIC.name,
        params=resolved.model_dump(mode="json"),
        provenance=provenance(ctx.store, [when], ctx.registry, ctx.engine),
        rows=rows,
        notes=notes,
    )


METRIC = Metric(
    name="download_share",
    summary="Share of downloads by country, organisation or organisation type in one snapshot",
    params=DownloadShareParams,
    compute=compute,
)
