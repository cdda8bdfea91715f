"""Relative adoption (the ATOM project's measure): a model's cumulative downloads at a given
age, divided by a reference model's cumulative downloads at the same age.

Formula: for a model m and an age t (days),

``relative(m, t) = C(m, t) / C(ref(m, t), t)``

where ``C(x, t)``, the *cumulative downloads at age t*, is the Hub's all-time counter
(``downloads_all_time``) in the first snapshot dated on or after ``created + t`` days that
lists x with a known counter, provided that snapshot is at most ``max_lag_days`` later
(default 7: with weekly snapshots every age is observed).  ``created`` is the UTC date of
x's ``created_at`` in the ``as_of`` snapshot; snapshots after ``as_of`` are not read.
Otherwise ``C(x, t)`` is null: x was not that old by ``as_of``, or no snapshot observed it
close enough to that age (a model created before the store's first snapshot has no value
at the ages it had already passed; one absent from the snapshots around an age has none
there).

A snapshot *lists* x when it has a row with x's id (case-insensitive) *and* x's creation
date: a row with the same id and another creation date is another repository (x's id
deleted and made again, or an id that differs only in case), and its counter is not x's.
Each id listed in the ``as_of`` snapshot gets its own values, even where two differ only
in case.

Where ``C`` is read from: when every age asked is one of 30, 90, 180 and 365 days
(:data:`~weightwatch.series.ages.AGES_STANDARD`, the default ages) and ``max_lag_days`` is
at most 14 (:data:`~weightwatch.series.ages.AGES_MAX_LAG`), from the ``ages`` table
(:mod:`weightwatch.series.ages`: each snapshot's rows within 14 days after one of those
ages, built once per snapshot); otherwise from every snapshot up to ``as_of`` (about 25 s
at Hub scale, against 3 s).  Both give the same values.

The reference rule (``reference``):

* ``auto`` (default): for each size class and age, the model with the largest ``C(x, t)``
  among the *pool* of that class — the models of the ``as_of`` snapshot that pass the
  filters and have a value at age t (ties: the smaller lower-cased model id).  The size
  class is :func:`~weightwatch.metrics.conventions.size_class` of the parameters in the
  ``as_of`` snapshot under ``size_basis`` (``unknown`` is a class of its own).  So the
  leader of each class has ``relative = 1`` and every other model of the pool at most 1.
* a model id: that model is the reference for every model and age, whatever its class.

``relative`` is null when either count is null or the reference's is 0.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``ages``: the ages in days (default 30, 90, 180, 365).
* ``models``: the model ids to report (case-insensitive; ids not in the ``as_of`` snapshot
  are listed in ``notes``).  Default: the ``n`` (default 20) models of the ``as_of``
  snapshot with the most downloads in the ``window`` (ties by id) under the filters.
* ``pipeline_tag``, ``llm_only``, ``exclude_requantized``, ``min_downloads`` (downloads in
  the window) define the pool and the default models; ``window`` and
  ``exclude_suspected_automated`` only rank the default models.  Models given in
  ``models`` are reported even when the filters leave them out of the pool.
* ``group_by`` is ``size_class`` and ``attribution`` plays no part (fixed).

Rows: ``model_id, size_class, age_days, cumulative_downloads, reference_model,
reference_downloads, relative``, in the order of ``models`` (or of downloads), then age.
"""

from __future__ import annotations

import functools
import operator
from datetime import timedelta
from typing import Any, Literal

import ibis
import pyarrow as pa
from pydantic import Field, field_validator

from weightwatch.engine import read_table
from weightwatch.errors import MetricError
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions, size_class, size_params
from weightwatch.metrics.derivative_share import as_list, snapshot_models
from weightwatch.metrics.frame import finish
from weightwatch.metrics.per_model import counted_facts, counted_sums, model_sums, summable
from weightwatch.metrics.result import MetricResult
from weightwatch.series.ages import (
    AGES_MAX_LAG,
    AGES_SCHEMA,
    AGES_STANDARD,
    AGES_TABLE,
    ensure_ages,
)

AUTO = "auto"
COLUMNS = [
    "model_id",
    "size_class",
    "age_days",
    "cumulative_downloads",
    "reference_model",
    "reference_downloads",
    "relative",
]


class RelativeAdoptionParams(Conventions):
    attribution: Literal["uploader"] = "uploader"
    group_by: Literal["size_class"] = "size_class"
    ages: list[int] = Field(default_factory=lambda: list(AGES_STANDARD), min_length=1)
    models: list[str] | None = Field(default=None, min_length=1)
    n: int = Field(default=20, ge=1)
    reference: str = AUTO
    max_lag_days: int = Field(default=7, ge=0)

    @field_validator("ages", "models", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return as_list(value)

    @field_validator("ages")
    @classmethod
    def _ages(cls, value: list[int]) -> list[int]:
        if any(age < 0 for age in value):
            raise ValueError("ages are days since creation: 0 or more")
        return sorted(set(value))


def listed_models(ctx: MetricContext, params: RelativeAdoptionParams) -> ibis.Table:
    """The ``as_of`` snapshot's models: ``model_key`` (lower-cased id), ``model_id``,
    ``born`` (UTC creation date: both engines' sessions run in UTC) and ``size_class``."""
    assert params.as_of is not None
    snap = ctx.snapshot(params.as_of)
    return snap.select(
        model_key=snap.model_id.lower(),
        model_id=snap.model_id,
        born=snap.created,
        size_class=size_class(size_params(snap, params.size_basis)),
    )


#: The columns of :func:`listed_models` that :func:`cumulative_at_ages` carries along.
_MODEL_COLUMNS = ("model_key", "model_id", "size_class")

#: ``route`` values of :func:`cumulative_at_ages`.
ROUTES: tuple[str, ...] = ("auto", "snapshots")


def ages_table_serves(params: RelativeAdoptionParams) -> bool:
    """True when the ``ages`` table holds every row ``C`` can be read from for ``params``:
    its ages among :data:`~weightwatch.series.ages.AGES_STANDARD`, its lag at most
    :data:`~weightwatch.series.ages.AGES_MAX_LAG`."""
    return set(params.ages) <= set(AGES_STANDARD) and params.max_lag_days <= AGES_MAX_LAG


def rows_from_ages(
    ctx: MetricContext,
    params: RelativeAdoptionParams,
    models: ibis.Table,
    keys: list[str] | None = None,
) -> ibis.Table:
    """``model_key, model_id, size_class, snapshot_date, age_at, cumulative``: the ``ages``
    rows up to ``as_of`` within the lag of an age asked, of the same repositories as
    ``models`` (same key and creation date; only ``keys`` when given)."""
    assert params.as_of is not None
    ctx.once("ages", lambda: ensure_ages(ctx.store))
    dates = [d for d in ctx.store.snapshot_dates(AGES_TABLE) if d <= params.as_of]
    ages = read_table(ctx.con, ctx.store, AGES_TABLE, dates=dates, schema=AGES_SCHEMA)
    seen = ages.select(
        ww_key=ages.model_key,
        ww_created=ages.created,
        snapshot_date=ages.snapshot_date,
        age_at=ages.age_days,
        cumulative=ages.all_time,
    )
    # fewer rows to join: those within the lag of an age asked (and of the models asked)
    spans = [seen.age_at.between(age, age + params.max_lag_days) for age in params.ages]
    seen = seen.filter(functools.reduce(operator.or_, spans))
    if keys is not None:
        seen = seen.filter(seen.ww_key.isin(keys))
    joined = models.join(seen, [models.model_key == seen.ww_key, models.born == seen.ww_created])
    return joined.select(*_MODEL_COLUMNS, "snapshot_date", "age_at", "cumulative")


def rows_from_snapshots(
    ctx: MetricContext, params: RelativeAdoptionParams, models: ibis.Table
) -> ibis.Table:
    """``model_key, snapshot_date, age_at, cumulative``: every snapshot row up to ``as_of``
    with a counter, of the same repositories as ``models`` (same key and creation date),
    between the youngest age asked and the oldest plus the lag."""
    assert params.as_of is not None
    snaps = ctx.snapshots()
    seen = snaps.filter(
        snaps.snapshot_date <= params.as_of, snaps.downloads_all_time.notnull()
    ).select(
        ww_key=snaps.model_id.lower(),
        ww_created_at=snaps.created_at,
        snapshot_date=snaps.snapshot_date,
        cumulative=snaps.downloads_all_time,
    )
    joined = models.join(seen, models.model_key == seen.ww_key)
    joined = joined.mutate(age_at=joined.snapshot_date.delta(joined.born, unit="day"))
    # most of the Hub is older than any age asked: drop it before reading creation dates
    joined = joined.filter(
        joined.age_at.between(min(params.ages), max(params.ages) + params.max_lag_days)
    )
    joined = joined.filter(joined.ww_created_at.date() == joined.born)
    return joined.select(*_MODEL_COLUMNS, "snapshot_date", "age_at", "cumulative")


def asked_ages(params: RelativeAdoptionParams, column: str = "age_days") -> ibis.Table:
    """The ages asked, one row each, in ``column``."""
    return ibis.memtable(pa.table({column: pa.array(params.ages, pa.int64())}))


def cumulative_at_ages(
    ctx: MetricContext,
    params: RelativeAdoptionParams,
    *,
    route: str = "auto",
    keys: list[str] | None = None,
) -> ibis.Table:
    """``C(x, t)`` for every model of the ``as_of`` snapshot and every age with a value:
    ``model_key, model_id, size_class, age_days, cumulative`` (see the module docstring;
    one value per listed id, even for ids that differ only in case).  ``route``: ``auto``
    reads the ``ages`` table when it serves ``params`` (:func:`ages_table_serves`), else
    every snapshot; ``snapshots`` always reads every snapshot (the reference, for tests
    and benchmarks).  ``keys``: only the models with these lower-cased ids."""
    assert params.as_of is not None
    if route not in ROUTES:
        raise ValueError(f"route {route!r}: choose one of {', '.join(ROUTES)}")
    models = listed_models(ctx, params)
    if keys is not None:
        models = models.filter(models.model_key.isin(keys))
    # only models that were some age asked at some snapshot up to as_of can have a value
    youngest = min(params.ages)
    oldest = max(params.ages) + params.max_lag_days
    first = min(ctx.store.snapshot_dates())
    models = models.filter(
        models.born >= first - timedelta(days=oldest),
        models.born <= params.as_of - timedelta(days=youngest),
    )
    if route == "auto" and ages_table_serves(params):
        seen = rows_from_ages(ctx, params, models, keys)
    else:
        seen = rows_from_snapshots(ctx, params, models)
    ages = asked_ages(params)
    crossed = seen.cross_join(ages)
    near = crossed.filter(
        crossed.age_at >= crossed.age_days,
        crossed.age_at <= crossed.age_days + params.max_lag_days,
    )
    # the first snapshot in the age's span (an aggregate: no sort of the rows)
    return near.group_by([*_MODEL_COLUMNS, "age_days"]).aggregate(
        cumulative=near.cumulative.argmin(near.snapshot_date)
    )


def pool_keys(ctx: MetricContext, params: RelativeAdoptionParams) -> ibis.Table:
    """``ww_pool``: the lower-cased ids of the models references are chosen among."""
    pool = snapshot_models(ctx, params)
    pool = pool.select(ww_pool=pool.model_id.lower())
    if params.min_downloads:
        keep = model_sums(counted_sums(ctx, params), params.min_downloads)
        keep = keep.select(ww_keep=keep.model_id.lower()).distinct()
        pool = pool.semi_join(keep, pool.ww_pool == keep.ww_keep)
    return pool


def top_models(ctx: MetricContext, params: RelativeAdoptionParams) -> list[str]:
    """The default models: the ``n`` most downloaded in the window, among those of the
    ``as_of`` snapshot that pass the filters (ties by id).  Ranked from the rows with
    downloads (:func:`~weightwatch.metrics.per_model.counting`) unless models without
    any are needed to make up ``n``."""

    def ranked(rows: ibis.Table) -> pa.Table:
        totals = model_sums(rows, params.min_downloads)
        listed = snapshot_models(ctx, params)  # min_downloads: ``totals`` keeps only those
        listed = listed.select(ww_pool=listed.model_id.lower())
        totals = totals.semi_join(listed, totals.model_id.lower() == listed.ww_pool)
        top = totals.order_by([ibis.desc("downloads"), "model_id"]).limit(params.n)
        return top.to_pyarrow().sort_by([("downloads", "descending"), ("model_id", "ascending")])

    top = ranked(counted_sums(ctx, params))
    downloads = top["downloads"].to_pylist()
    if not params.min_downloads and (len(downloads) < params.n or 0 in downloads):
        top = ranked(summable(counted_facts(ctx, params)))
    return [str(model_id) for model_id in top["model_id"].to_pylist()]


def references(
    ctx: MetricContext, params: RelativeAdoptionParams, values: ibis.Table
) -> ibis.Table:
    """``ww_class, ww_age, reference_model, reference_downloads`` (``auto``: one row per size
    class and age with a leader; a given model: ``ww_class`` null, one row per age)."""
    rated = values
    if params.reference == AUTO:
        if params.filters_models or params.exclude_requantized:
            pool = pool_keys(ctx, params)
            rated = rated.semi_join(pool, rated.model_key == pool.ww_pool)
        # the largest value of each class and age first (no sort), then its ties by id
        best = rated.cumulative.max().over(group_by=[rated.size_class, rated.age_days])
        rated = rated.mutate(ww_best=best)
        tied = rated.filter(rated.cumulative == rated.ww_best)
        rank = ibis.row_number().over(
            ibis.window(
                group_by=[tied.size_class, tied.age_days],
                order_by=[tied.model_key, tied.model_id],
            )
        )
        tied = tied.mutate(ww_rank=rank)
        leaders = tied.filter(tied.ww_rank == 0)
        return leaders.select(
            ww_class=leaders.size_class,
            ww_age=leaders.age_days,
            reference_model=leaders.model_id,
            reference_downloads=leaders.cumulative,
        )
    key = params.reference.lower()
    models = listed_models(ctx, params)
    found = models.filter(models.model_key == key).select("model_id").to_pyarrow()
    if not found.num_rows:
        raise MetricError(
            f"relative_adoption: reference model {params.reference!r} is not in the "
            f"{params.as_of} snapshot; give a listed model id or --param reference=auto"
        )
    reference_id = found["model_id"][0].as_py()
    ages = asked_ages(params, "ww_age")
    own = values.filter(values.model_id == reference_id)
    joined = ages.left_join(own, ages.ww_age == own.age_days)
    return joined.select(
        ww_class=ibis.null("string"),
        ww_age=joined.ww_age,
        reference_model=ibis.literal(reference_id, "string"),
        reference_downloads=joined.cumulative,
    )


def adoption_rows(
    ctx: MetricContext, params: RelativeAdoptionParams, keys: list[str], *, route: str = "auto"
) -> ibis.Table:
    """The metric's rows for the lower-cased model ids ``keys``, unordered (``route``: that
    of :func:`cumulative_at_ages`)."""
    # the references need every model's values, the rows only those of ``keys``: two
    # queries, so that the values of the whole snapshot are computed once
    refs = ibis.memtable(
        references(ctx, params, cumulative_at_ages(ctx, params, route=route)).to_pyarrow()
    )
    values = cumulative_at_ages(ctx, params, route=route, keys=keys)
    models = listed_models(ctx, params)
    chosen = models.filter(models.model_key.isin(keys))
    ages = asked_ages(params)
    rows = chosen.cross_join(ages)
    own = values.select(ww_id="model_id", ww_age="age_days", cumulative="cumulative")
    rows = rows.left_join(own, [rows.model_id == own.ww_id, rows.age_days == own.ww_age])
    on = [rows.age_days == refs.ww_age]
    if params.reference == AUTO:
        on.append(rows.size_class == refs.ww_class)
    rows = rows.left_join(refs, on)
    relative = ibis.ifelse(
        rows.reference_downloads > 0,
        rows.cumulative.cast("float64") / rows.reference_downloads,
        ibis.null("float64"),
    )
    return rows.select(
        "model_key",
        "model_id",
        "size_class",
        age_days=rows.age_days.cast("int64"),
        cumulative_downloads=rows.cumulative.cast("int64"),
        reference_model=rows.reference_model,
        reference_downloads=rows.reference_downloads.cast("int64"),
        relative=relative,
    )


def compute(
    ctx: MetricContext, params: RelativeAdoptionParams, *, route: str = "auto"
) -> MetricResult:
    """The metric (``route``: that of :func:`cumulative_at_ages`, for tests)."""
    params = params.resolved(ctx.store)
    assert params.as_of is not None
    notes: list[str] = []
    wanted = params.models if params.models else top_models(ctx, params)
    keys = list(dict.fromkeys(m.lower() for m in wanted))
    table = adoption_rows(ctx, params, keys, route=route).to_pyarrow()
    rank = {key: i for i, key in enumerate(keys)}
    found = set(table.column("model_key").to_pylist())
    if missing := [m for m in wanted if m.lower() not in found]:
        notes.append(f"not in the {params.as_of} snapshot, left out: {', '.join(missing)}")
    order = sorted(
        range(table.num_rows),
        key=lambda i: (rank[table["model_key"][i].as_py()], table["age_days"][i].as_py()),
    )
    rows = table.take(order).select(COLUMNS)
    lacking = {r["model_id"] for r in rows.to_pylist() if r["cumulative_downloads"] is None}
    if lacking:
        notes.append(
            f"models without a value at some ages (younger, or not observed within "
            f"{params.max_lag_days} days after the age): {len(lacking)}"
        )
    return finish(ctx, METRIC.name, params, rows, notes)


METRIC = Metric(
    name="relative_adoption",
    summary="Cumulative downloads at ages 30…365 days relative to the size class's leader "
    "(ATOM's relative adoption)",
    params=RelativeAdoptionParams,
    compute=compute,
)
