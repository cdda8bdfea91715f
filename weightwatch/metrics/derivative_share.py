"""Share of *new* models that are derivatives, per period of creation and base family — the
"40% of new fine-tunes are built on Qwen" question.

Formula: for each period p (of ``created_at``, UTC) and base family f,

* ``derivatives(p, f)`` = models created in p whose primary root belongs to f;
* ``new_models(p)`` = all models created in p (derivatives or not);
* ``share_of_derivatives(p, f) = derivatives(p, f) / Σ_g derivatives(p, g)``;
* ``share_of_new(p, f) = derivatives(p, f) / new_models(p)``.

A *derivative* is a model with at least one usable parent in the lineage of the ``as_of``
snapshot (status ``derived``, or ``unresolved`` when it only declares unparseable bases),
counted once, for the family of its primary root (see
:mod:`weightwatch.metrics.derivative_counts`: curated family, else the root's organisation;
``unresolved`` and ``unattributed`` are families of their own).

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``as_of``: the snapshot whose models and lineage are counted (default: the latest).
  Survivorship: only repos that still exist then are seen; deleted ones are not counted.
* ``window`` selects creation dates: ``all``, ``Nd`` (created in the N days up to
  ``as_of``) or a date range.  ``first-year`` is per model and means nothing for creation
  dates: refused.  Periods are calendar months or years (``freq``; ``total`` is one period,
  the whole window), *clipped* to the window and to ``as_of``, so ``period_start`` and
  ``period_end`` are the first and last creation days counted.  With ``total`` and the
  ``all`` window, ``period_start`` is null.
* ``pipeline_tag``, ``llm_only``, ``exclude_requantized`` filter the models — derivatives
  and ``new_models`` alike — by their attributes in the ``as_of`` snapshot.
  ``min_downloads`` and ``exclude_suspected_automated`` are about downloads: refused.
* ``relations``: count only derivatives with these relations (default: all), by the
  ``relation_source`` (``inferred``, default, or ``declared``) relation; ``new_models``
  still counts every new model, so ``share_of_new`` answers "what share of all new models
  are fine-tunes of f".
* ``top``: keep the ``top`` families by derivatives over the whole window and pool the
  rest as ``other`` (default 10; 0 keeps every family).
* ``attribution`` and ``group_by`` are fixed: groups are base families.
* Models without ``created_at`` are in no period (counted in ``notes``).  Periods with new
  models but no derivative have no row.

Rows: ``period_start, period_end, family, derivatives, new_models, share_of_derivatives,
share_of_new``, ordered by period end, derivatives (desc), family.

Shared with the other model-counting metrics: :func:`snapshot_models` (the ``as_of``
snapshot's models under the filters; also :mod:`~weightwatch.metrics.release_cadence`,
:mod:`~weightwatch.metrics.size_mix`, :mod:`~weightwatch.metrics.relative_adoption`),
:func:`creation_periods` and :func:`creation_count_result` (also ``release_cadence``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import ibis
from pydantic import Field, field_validator

from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.derivative_counts import derivatives, lineage_provenance
from weightwatch.metrics.frame import filter_attributes
from weightwatch.metrics.result import MetricResult

P = TypeVar("P", bound=Conventions)
Relation = Literal["finetune", "adapter", "quantized", "merge", "unknown"]
OTHER = "other"


def as_list(value: Any) -> Any:
    """A list parameter given as ``"a,b"`` or a single value (``-p relations=finetune``)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, int):
        return [value]
    return value


class DerivativeShareParams(Conventions):
    attribution: Literal["family"] = "family"
    group_by: Literal["family"] = "family"
    relations: list[Relation] | None = None
    relation_source: Literal["inferred", "declared"] = "inferred"
    top: int = Field(default=10, ge=0)
    freq: Literal["month", "year", "total"] = "month"

    @field_validator("relations", mode="before")
    @classmethod
    def _relations(cls, value: Any) -> Any:
        return as_list(value)


def refuse_download_conventions(params: Conventions, metric: str) -> None:
    """MetricError for conventions that only mean something for downloads, in a metric that
    counts models by creation date."""
    if params.parsed_window.kind == "first-year":
        raise MetricError(
            f"{metric} selects models by creation date: --window first-year (per model) does "
            "not apply; use all, Nd or YYYY-MM-DD..YYYY-MM-DD"
        )
    given = [
        option
        for option, used in (
            ("--min-downloads", params.min_downloads > 0),
            ("--exclude-suspected-automated", params.exclude_suspected_automated),
        )
        if used
    ]
    if given:
        raise MetricError(
            f"{metric} counts models, not downloads: {' and '.join(given)} do not apply"
        )


def snapshot_models(ctx: MetricContext, conv: Conventions) -> ibis.Table:
    """The models listed in the ``as_of`` snapshot that pass ``conv``'s pipeline and
    re-upload filters, with the columns of
    :meth:`~weightwatch.metrics.base.MetricContext.snapshot`.  The automated filter is
    about download intervals and is not applied here."""
    assert conv.as_of is not None, "call Conventions.resolved(store) first"
    snap = ctx.snapshot(conv.as_of, reupload=conv.exclude_requantized)
    return filter_attributes(snap, conv.model_copy(update={"exclude_suspected_automated": False}))


def creation_periods(rows: ibis.Table, conv: Conventions, freq: str) -> ibis.Table:
    """``rows`` (with ``created_at``) created in ``conv``'s window up to ``as_of``, plus
    ``created``, the UTC creation date, and ``period_start``/``period_end``: the calendar
    month or year of ``created`` (``total``: the window), clipped to the window and
    ``as_of``.  Rows without ``created_at`` are left out."""
    assert conv.as_of is not None, "call Conventions.resolved(store) first"
    first, last = conv.parsed_window.bounds(conv.as_of)
    last = min(last, conv.as_of) if last is not None else conv.as_of
    if "created" not in rows.columns:  # (the context's snapshot has it already)
        rows = rows.mutate(created=rows.created_at.date())
    rows = rows.filter(rows.created.notnull(), rows.created <= last)
    if first is not None:
        rows = rows.filter(rows.created >= first)
    if freq == "total":
        return rows.mutate(
            period_start=ibis.literal(first, type="date"),
            period_end=ibis.literal(last, type="date"),
        )
    if freq == "month":
        start, step = rows.created.truncate("M"), ibis.interval(months=1)
    else:
        start, step = rows.created.truncate("Y"), ibis.interval(years=1)
    end = (start + step - ibis.interval(days=1)).cast("date")
    start = start.cast("date")
    if first is not None:
        start = ibis.greatest(start, ibis.literal(first, type="date"))
    return rows.mutate(period_start=start, period_end=ibis.least(end, ibis.literal(last, "date")))


def pool_families(rows: ibis.Table, top: int) -> ibis.Table:
    """``rows`` with every ``family`` outside the ``top`` most frequent (count desc, then
    name) replaced by ``other``; ``top = 0`` keeps them all."""
    if not top:
        return rows
    totals = rows.group_by("family").aggregate(ww_n=rows.count())
    keep = totals.order_by([ibis.desc("ww_n"), "family"]).limit(top).select(ww_top="family")
    joined = rows.left_join(keep, rows.family == keep.ww_top)
    family = ibis.ifelse(joined.ww_top.isnull(), ibis.literal(OTHER), joined.family)
    return joined.mutate(family=family).drop("ww_top")


def share_rows(ctx: MetricContext, params: DerivativeShareParams) -> ibis.Table:
    """The metric's rows as an Ibis expression (``params`` resolved), unordered."""
    assert params.as_of is not None
    models = creation_periods(snapshot_models(ctx, params), params, params.freq)
    new = models.group_by("period_end").aggregate(new_models=models.count())
    derived = derivatives(ctx, params.as_of, params.relation_source)
    if params.relations:
        derived = derived.filter(derived.relation.isin(list(params.relations)))
    derived = derived.select(ww_id="model_id", family="family")
    rows = models.join(derived, models.model_id == derived.ww_id)
    rows = pool_families(rows.select("period_start", "period_end", "family"), params.top)
    grouped = rows.group_by(["period_start", "period_end", "family"]).aggregate(
        derivatives=rows.count()
    )
    grouped = grouped.join(new, "period_end")
    period_total = grouped.derivatives.sum().over(ibis.window(group_by=grouped.period_end))
    return grouped.select(
        "period_start",
        "period_end",
        "family",
        derivatives=grouped.derivatives.cast("int64"),
        new_models=grouped.new_models.cast("int64"),
        share_of_derivatives=grouped.derivatives.cast("float64") / period_total,
        share_of_new=grouped.derivatives.cast("float64") / grouped.new_models,
    )


def undated_models(ctx: MetricContext, params: Conventions) -> int:
    """How many models of the ``as_of`` snapshot passing the filters lack ``created_at``."""
    models = snapshot_models(ctx, params)
    count = models.filter(models.created_at.isnull()).count().to_pyarrow().as_py()
    return int(count or 0)


def creation_count_result(
    ctx: MetricContext,
    params: P,
    metric: str,
    rows: Callable[[MetricContext, P], ibis.Table],
    order: list[tuple[str, str]],
) -> MetricResult:
    """Run a metric that counts the ``as_of`` snapshot's models by creation date: resolve
    and check ``params``, sort ``rows(ctx, params)`` by ``order`` in Arrow, note the
    survivorship and the undated models, and carry the lineage provenance."""
    params = params.resolved(ctx.store)
    refuse_download_conventions(params, metric)
    assert params.as_of is not None
    table = rows(ctx, params).to_pyarrow().sort_by(order)
    notes = ["only models that still exist at the as_of snapshot are counted"]
    if missing := undated_models(ctx, params):
        notes.append(f"models without a creation time, in no period: {missing}")
    return MetricResult(
        metric=metric,
        params=params.model_dump(mode="json"),
        provenance=lineage_provenance(ctx, params.as_of),
        rows=table,
        notes=notes,
    )


def compute(ctx: MetricContext, params: DerivativeShareParams) -> MetricResult:
    order = [("period_end", "ascending"), ("derivatives", "descending"), ("family", "ascending")]
    return creation_count_result(ctx, params, METRIC.name, share_rows, order)


METRIC = Metric(
    name="derivative_share",
    summary="Share of new models per month that derive from each base family (Qwen, Llama…)",
    params=DerivativeShareParams,
    compute=compute,
)
