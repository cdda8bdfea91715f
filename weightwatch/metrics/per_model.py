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

Scanning the facts (decoding ``model_id`` of every row) is then most of a metric's time.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import facts, filter_attributes
from weightwatch.series.timeseries import window_filter


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


def model_sums(
    rows: ibis.Table,
    min_downloads: int = 0,
    by: Sequence[str] = ("model_id",),
    **metrics: ibis.Value,
) -> ibis.Table:
    """``rows`` (facts rows) summed per ``by`` (``model_id`` first, then any columns a label
    reads): ``downloads`` (0 when no counter is known), ``unknown_intervals`` (rows without
    a counter) and ``metrics`` (aggregates of ``rows``).  With ``min_downloads``, only the
    models whose downloads over all their rows reach it."""
    sums = rows.group_by(list(by)).aggregate(
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        unknown_intervals=rows.downloads.isnull().cast("int64").sum().cast("int64"),
        **metrics,
    )
    if not min_downloads:
        return sums
    if list(by) == ["model_id"]:
        return sums.filter(sums.downloads >= min_downloads)
    sums = sums.mutate(ww_model_total=sums.downloads.sum().over(group_by=sums.model_id))
    return sums.filter(sums.ww_model_total >= min_downloads).drop("ww_model_total")
