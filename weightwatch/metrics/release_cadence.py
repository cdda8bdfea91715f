"""Release cadence per organisation (or country): how many repos, base models and variants
each publishes per period, and how many days pass between successive releases.

Formula: for each period p (of ``created_at``, UTC) and group g, over the models of the
``as_of`` snapshot created in the window:

* ``new_repos(p, g)``: models created in p attributed to g;
* ``new_bases(p, g)``: those that are lineage roots (status ``root``: no declared parent);
* ``new_variants(p, g)``: those with a parent (status ``derived``, or ``unresolved`` when
  only unparseable parents are declared) — fine-tunes, quantizations, adapters, merges;
* ``median_days_between_repos(p, g)``: the median of the gaps, in whole UTC calendar days,
  between each of g's repos created in p and g's previous repo (by ``created_at``, ties by
  model id) created in the window; the first repo in the window has no gap.
  ``median_days_between_bases`` is the same over g's base models only.  A gap belongs to
  the period of the later release; with ``freq = total`` they are all of g's gaps in the
  window: the per-group summary, comparable across organisations and countries.

The median is exact on both engines: DuckDB's ``quantile_cont`` and Spark's ``percentile``
interpolate linearly between the two middle gaps, and gaps are whole days, so the results
are integers or halves and agree exactly.  Null when a group has no gap in the period.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``group_by``: ``org`` (default), ``country`` or ``org_type``, under ``attribution``
  (``uploader`` by default: who published the repo); outside the registry: ``unattributed``.
* ``as_of``: the snapshot whose models and lineage are counted; only repos that still exist
  then are seen (deleted or private repos are not).
* ``window`` selects creation dates (``all``, ``Nd``, a date range; ``first-year`` is
  refused); periods (``freq``: ``month``, default, ``year``, or ``total``) are clipped to
  the window and to ``as_of`` — see :func:`~weightwatch.metrics.derivative_share.creation_periods`.
* ``pipeline_tag``, ``llm_only``, ``exclude_requantized`` filter the models by their
  attributes in the ``as_of`` snapshot (before gaps are measured); ``min_downloads`` and
  ``exclude_suspected_automated`` are about downloads: refused.
* Models without ``created_at`` are in no period (counted in ``notes``).

Rows: ``period_start, period_end, group, new_repos, new_bases, new_variants,
median_days_between_repos, median_days_between_bases``, ordered by period end, new repos
(desc), group.
"""

from __future__ import annotations

from typing import Literal

import ibis

from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.derivative_share import (
    creation_count_result,
    creation_periods,
    snapshot_models,
)
from weightwatch.metrics.frame import label, lineage_nodes
from weightwatch.metrics.result import MetricResult

UNRESOLVED = "unresolved"


class ReleaseCadenceParams(Conventions):
    group_by: Literal["org", "country", "org_type"] = "org"
    freq: Literal["month", "year", "total"] = "month"


def with_gaps(rows: ibis.Table) -> ibis.Table:
    """``rows`` (``group``, ``created``, ``created_at``, ``model_id``, ``is_base``) plus
    ``gap_repo`` and ``gap_base``: whole days since the group's previous repo (base model),
    null for the first one (and ``gap_base`` for variants)."""
    # by day: repos created the same day are 0 days apart whichever comes first, so the
    # gaps of a group (and of each of its periods) are the same as by time then id
    order = [rows.created]
    by_repo = ibis.window(group_by=rows.group, order_by=order)
    by_kind = ibis.window(group_by=[rows.group, rows.is_base], order_by=order)
    previous_repo = rows.created.lag().over(by_repo)
    previous_same_kind = rows.created.lag().over(by_kind)
    gap_base = rows.created.delta(previous_same_kind, unit="day")
    return rows.mutate(
        gap_repo=rows.created.delta(previous_repo, unit="day"),
        gap_base=ibis.ifelse(rows.is_base, gap_base, ibis.null("int64")),
    )


def cadence_rows(ctx: MetricContext, params: ReleaseCadenceParams) -> ibis.Table:
    """The metric's rows as an Ibis expression (``params`` resolved), unordered."""
    assert params.as_of is not None
    models = snapshot_models(ctx, params)
    nodes = lineage_nodes(ctx, params.as_of)
    nodes = nodes.filter(nodes.in_snapshot).select(ww_id="model_id", ww_status="status")
    joined = models.left_join(nodes, models.model_id == nodes.ww_id)
    rows = label(ctx, params, joined)
    rows = creation_periods(rows, params, params.freq)
    rows = rows.select(
        "model_id",
        "created_at",
        "created",
        "period_start",
        "period_end",
        "group",
        is_base=(rows.ww_status == "root").fill_null(False),
        is_variant=rows.ww_status.isin(["derived", UNRESOLVED]).fill_null(False),
    )
    rows = with_gaps(rows)
    return rows.group_by(["period_start", "period_end", "group"]).aggregate(
        new_repos=rows.count().cast("int64"),
        new_bases=rows.is_base.cast("int64").sum().cast("int64"),
        new_variants=rows.is_variant.cast("int64").sum().cast("int64"),
        median_days_between_repos=rows.gap_repo.cast("float64").median(),
        median_days_between_bases=rows.gap_base.cast("float64").median(),
    )


def compute(ctx: MetricContext, params: ReleaseCadenceParams) -> MetricResult:
    order = [("period_end", "ascending"), ("new_repos", "descending"), ("group", "ascending")]
    return creation_count_result(ctx, params, METRIC.name, cadence_rows, order)


METRIC = Metric(
    name="release_cadence",
    summary="New repos, base models and variants per organisation or country per month, "
    "and the median days between releases",
    params=ReleaseCadenceParams,
    compute=compute,
)
