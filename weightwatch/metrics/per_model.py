"""Facts summed per model *before* labelling, for the metrics that need one figure per model
(:mod:`~weightwatch.metrics.top_models`, :mod:`~weightwatch.metrics.size_mix`,
:mod:`~weightwatch.metrics.relative_adoption`).

:func:`~weightwatch.metrics.frame.model_facts` labels every facts row (one per model per
interval: ~100 million at Hub scale) and a metric then sums them; here the counted rows
are summed per model first, and only those few million rows (or just the top n) are
labelled.  The figures are the same:

* the counted rows are those ``model_facts`` labels (:func:`counted_facts`: window,
  ``as_of``, pipeline, re-upload and automated filters, each applied per interval), and
  ``min_downloads`` keeps the models whose downloads over them reach it (:func:`model_sums`);
* :func:`~weightwatch.metrics.frame.label` reads only ``model_id``, ``author`` and
  ``params_*``, so rows summed per model and per value of those a label reads
  (size_mix: the parameter count, and the account where :func:`reads_author`) get the
  label each of their intervals would have had; top_models labels each model by its
  latest listing, as it always did;
* rows with 0 downloads change no sum (:func:`counting`): a ranking can leave them out;
  which models or groups exist at all may depend on them (size_mix keeps them).

Scanning the facts (decoding ``model_id`` of every row) is then most of a metric's time,
so over the ``all`` window :func:`counted_sums` reads a checkpoint of running totals per
model (:mod:`~weightwatch.series.totals`) plus the few snapshots since, instead of a year
of facts rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis

from weightwatch.engine import read_table
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import facts, filter_attributes
from weightwatch.series.rollup import FACTS_SCHEMA, FACTS_TABLE
from weightwatch.series.timeseries import window_filter
from weightwatch.series.totals import LISTED, TOTALS_SCHEMA, TOTALS_TABLE, ensure_totals

EPOCH = date(1970, 1, 1)


def counted_facts(ctx: MetricContext, conv: Conventions) -> ibis.Table:
    """The facts rows counted under ``conv`` (resolved): the window up to ``as_of`` and the
    pipeline, re-upload and automated filters; unlabelled, ``min_downloads`` not applied."""
    assert conv.as_of is not None, "call Conventions.resolved(store) first"
    rows = window_filter(facts(ctx), conv.parsed_window, conv.as_of)
    return filter_attributes(rows, conv)


def counting(rows: ibis.Table) -> ibis.Table:
    """The facts rows that change a model's downloads or its unknown intervals: not those
    with 0 downloads (most of a week's rows), which change no sum, only which models have
    rows at all."""
    return rows.filter((rows.downloads != 0) | rows.downloads.isnull())


def reads_author(conv: Conventions) -> bool:
    """True when :func:`~weightwatch.metrics.frame.label` needs the uploading account for
    ``group`` under ``conv`` (uploader attribution, grouped by country, org or org type);
    otherwise the group depends on the model id (lineage, family) or the parameters only."""
    return conv.attribution == "uploader" and conv.group_by in ("country", "org", "org_type")


def listing_key(rows: ibis.Table) -> ibis.Value:
    """Orders a model's facts rows by listing: the largest key is its latest interval not
    vanished, else its latest (a vanished row has no attributes).  ``key % LISTED`` is the
    interval's end in days since 1970-01-01; keys of ``LISTED`` and more are listings
    (the SQL form: :data:`~weightwatch.series.totals.LISTING_KEY_SQL`)."""
    listed = ibis.ifelse(rows.vanished.fill_null(False), 0, LISTED)
    return listed + rows.interval_end.delta(ibis.date(EPOCH), unit="day")


def summable(rows: ibis.Table) -> ibis.Table:
    """Facts rows in the shape :func:`model_sums` sums: ``downloads`` (0 when no counter
    is known), ``unknown_intervals`` (1 then) and ``ww_key`` (:func:`listing_key`)."""
    return rows.mutate(
        downloads=rows.downloads.fill_null(0),
        unknown_intervals=rows.downloads.isnull().cast("int64"),
        ww_key=listing_key(rows).cast("int64"),
    )


def counted_sums(ctx: MetricContext, conv: Conventions, *, route: str = "auto") -> ibis.Table:
    """The rows :func:`counting` keeps of :func:`counted_facts`, in :func:`summable`
    shape, with ``model_id``, ``author``, ``pipeline_tag``, ``reupload`` and ``params_*``.

    Over the ``all`` window (``route`` ``auto``), most of them come already summed per
    model and attributes from a checkpoint of running totals
    (:mod:`~weightwatch.series.totals`), and only the intervals since are read from
    ``facts``: the sums per model are the same (``route="facts"`` reads every facts row,
    for tests and benchmarks)."""
    assert conv.as_of is not None, "call Conventions.resolved(store) first"
    if route == "facts" or conv.parsed_window.kind != "all":
        return summable(counting(counted_facts(ctx, conv)))
    as_of = conv.as_of
    facts(ctx)  # facts up to date before the checkpoint is looked for
    since, tail = ctx.once(f"totals {as_of}", lambda: ensure_totals(ctx.store, as_of))
    # held by the engine: a report's per-model metrics all read them
    saved = ctx.once(
        f"totals table {since}",
        lambda: ctx.cached(
            read_table(ctx.con, ctx.store, TOTALS_TABLE, dates=[since], schema=TOTALS_SCHEMA)
        ),
    )
    saved = filter_attributes(saved, conv.model_copy(update={"exclude_suspected_automated": False}))
    manual = conv.exclude_suspected_automated
    if manual:
        saved = saved.filter(saved.intervals_manual > 0)
    saved = saved.select(
        "model_id",
        "author",
        "pipeline_tag",
        "reupload",
        "params_total",
        "params_active",
        downloads=saved.downloads_manual if manual else saved.downloads,
        unknown_intervals=saved.unknown_intervals,
        ww_key=saved.last_key_manual if manual else saved.last_key,
    )
    if not tail:
        return saved
    recent = ctx.once(
        f"recent facts {since} {as_of}", lambda: ctx.cached(_counting_facts(ctx, tail))
    )
    recent = summable(filter_attributes(recent, conv))
    return ibis.union(saved, recent.select(*saved.columns))


def _counting_facts(ctx: MetricContext, dates: list[date]) -> ibis.Table:
    """The :func:`counting` facts rows of ``dates``, with the columns filters and
    :func:`summable` read."""
    rows = read_table(ctx.con, ctx.store, FACTS_TABLE, dates=dates, schema=FACTS_SCHEMA)
    return counting(rows).select(
        "model_id",
        "author",
        "pipeline_tag",
        "reupload",
        "automated",
        "params_total",
        "params_active",
        "downloads",
        "vanished",
        "interval_end",
    )


def model_sums(
    rows: ibis.Table,
    min_downloads: int = 0,
    by: Sequence[str] = ("model_id",),
    **metrics: ibis.Value,
) -> ibis.Table:
    """``rows`` (:func:`summable` rows) summed per ``by`` (``model_id`` first, then any
    columns a label reads): ``downloads``, ``unknown_intervals`` and ``metrics``
    (aggregates of ``rows``).  With ``min_downloads``, only the
    models whose downloads over all their rows reach it."""
    sums = rows.group_by(list(by)).aggregate(
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        unknown_intervals=rows.unknown_intervals.sum().fill_null(0).cast("int64"),
        **metrics,
    )
    if not min_downloads:
        return sums
    if list(by) == ["model_id"]:
        return sums.filter(sums.downloads >= min_downloads)
    sums = sums.mutate(ww_model_total=sums.downloads.sum().over(group_by=sums.model_id))
    return sums.filter(sums.ww_model_total >= min_downloads).drop("ww_model_total")
