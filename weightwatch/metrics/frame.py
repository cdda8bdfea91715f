"""The tables adoption metrics are built from, with the conventions applied.

Every metric asks this module for its rows, so a convention means the same thing in all of
them.  Two routes give the same numbers:

* the **roll-up route** (:func:`group_downloads` when :func:`rollup_ok`): the roll-up by
  registry accounts (downloads per interval and account, every account outside the
  registry summed into one null key; see
  :func:`~weightwatch.series.rollup.ensure_registry_rollups`), joined to the org registry
  — used for uploader attribution grouped by country, org or org type, with any of the
  pipeline, re-upload and automated filters;
* the **model route**: the ``facts`` table (one row per model per interval), joined to the
  registry and, for developer/family attribution or family groups, to the lineage of the
  ``as_of`` snapshot.

Tests assert that both routes agree (``tests/metrics/test_frame.py``).
"""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa

from weightwatch.attribution import (
    UNATTRIBUTED,
    attribute,
    attribute_uploader,
    family_label,
    group_label,
)
from weightwatch.engine import read_table
from weightwatch.lineage.build import (
    EDGES_SCHEMA,
    EDGES_TABLE,
    LINEAGE_SCHEMA,
    NODES_TABLE,
    ensure_lineage,
)
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import LLM_TAGS, Conventions, size_class, size_params
from weightwatch.metrics.result import MetricResult
from weightwatch.provenance import provenance
from weightwatch.series.rollup import (
    FACTS_SCHEMA,
    FACTS_TABLE,
    ROLLUP_SCHEMA,
    ensure_registry_rollups,
    ensure_rollups,
)
from weightwatch.series.timeseries import period_bounds, window_filter

UNRESOLVED = "unresolved"
FREQS: tuple[str, ...] = ("interval", "week", "month", "year", "total")


def facts(ctx: MetricContext) -> ibis.Table:
    """All materialised facts (built first where missing or stale)."""
    ctx.once("rollups", lambda: ensure_rollups(ctx.store))
    return read_table(ctx.con, ctx.store, FACTS_TABLE, schema=FACTS_SCHEMA)


def rollup(ctx: MetricContext) -> ibis.Table:
    """The roll-up by the accounts of the context's registry (the others summed under a
    null ``account_key``; built first where missing or stale): the same sums per
    registry group as the full ``rollup`` table, from a few thousand rows a week."""
    table = ctx.once("registry_rollups", lambda: ensure_registry_rollups(ctx.store, ctx.registry))
    return read_table(ctx.con, ctx.store, table, schema=ROLLUP_SCHEMA)


#: The lineage node columns held by the engine for a context (not the lists nor the
#: free-text evidence: :func:`lineage_nodes` with ``paths=True`` reads those).
NODE_COLUMNS: tuple[str, ...] = tuple(
    name
    for name in LINEAGE_SCHEMA.names
    if name not in ("roots", "path", "relation_evidence", "unresolved_reason", "conflict")
)


def lineage_nodes(ctx: MetricContext, when: date, *, paths: bool = False) -> ibis.Table:
    """The lineage nodes of the snapshot ``when`` (built first where missing or stale):
    the :data:`NODE_COLUMNS`, held by the engine after the first use, or every column
    (``path`` and ``roots`` too) with ``paths``."""
    day = ctx.once(f"lineage {when}", lambda: ensure_lineage(ctx.store, when))
    nodes = read_table(ctx.con, ctx.store, NODES_TABLE, dates=[day], schema=LINEAGE_SCHEMA)
    if paths:
        return nodes
    return ctx.once(f"lineage nodes {day}", lambda: ctx.cached(nodes.select(*NODE_COLUMNS)))


def keyed_nodes(ctx: MetricContext, when: date) -> ibis.Table:
    """:func:`lineage_nodes` with one node per lower-cased id (``model_key``), for the
    joins on the lower-cased id (attribution, family labels).  A snapshot that lists two
    ids differing only in case (the Hub does not allow it; a merged dump may) has two nodes
    with one key (the build resolves them as one: same id, same lineage), and a join on
    the key would count each of their rows twice.  Kept: the node listed in the snapshot,
    then the smallest id, primary parent and root (the same one on every run)."""
    nodes = lineage_nodes(ctx, when)
    first = ibis.row_number().over(
        ibis.window(
            group_by=nodes.model_key,
            order_by=[
                ibis.desc(nodes.in_snapshot.fill_null(False)),
                nodes.model_id,
                nodes.primary_parent,
                nodes.primary_root,
            ],
        )
    )
    return ctx.once(
        f"keyed nodes {when}",
        lambda: ctx.cached(
            nodes.mutate(ww_first=first).filter(ibis._.ww_first == 0).drop("ww_first")
        ),
    )


def lineage_edges(ctx: MetricContext, when: date) -> ibis.Table:
    """The lineage edges of the snapshot ``when`` (built first where missing or stale)."""
    day = ctx.once(f"lineage {when}", lambda: ensure_lineage(ctx.store, when))
    return read_table(ctx.con, ctx.store, EDGES_TABLE, dates=[day], schema=EDGES_SCHEMA)


def model_families(ctx: MetricContext, when: date) -> ibis.Table:
    """``ww_family_key`` (lower-cased model id) → ``family`` for the snapshot ``when``:
    the curated family of the primary root, else its organisation, else ``unattributed``;
    ``unresolved`` for models whose lineage could not be resolved."""
    nodes = family_label(keyed_nodes(ctx, when), ctx.registry_table())
    family = ibis.cases(
        (nodes.status == UNRESOLVED, ibis.literal(UNRESOLVED)),
        (nodes.family_label.isnull(), ibis.literal(UNATTRIBUTED)),
        else_=nodes.family_label,
    )
    return nodes.select(ww_family_key=nodes.model_key, family=family)


def filter_attributes(table: ibis.Table, conv: Conventions) -> ibis.Table:
    """Apply the pipeline and re-upload filters (and automated, where the column exists)."""
    if conv.pipeline_tag:
        table = table.filter(table.pipeline_tag.isin(list(conv.pipeline_tag)))
    if conv.llm_only:
        table = table.filter(table.pipeline_tag.isin(list(LLM_TAGS)))
    if conv.exclude_requantized:
        table = table.filter(~table.reupload.fill_null(False))
    if conv.exclude_suspected_automated:
        table = table.filter(~table.automated.fill_null(False))
    return table


def model_facts(ctx: MetricContext, conv: Conventions) -> ibis.Table:
    """Facts rows counted under ``conv`` (window, as_of, filters), with ``group``."""
    assert conv.as_of is not None, "call Conventions.resolved(store) first"
    rows = window_filter(facts(ctx), conv.parsed_window, conv.as_of)
    rows = filter_attributes(rows, conv)
    if conv.min_downloads:
        totals = rows.group_by(ww_min_id="model_id").aggregate(
            ww_total=rows.downloads.sum().fill_null(0)
        )
        keep = totals.filter(totals.ww_total >= conv.min_downloads).select("ww_min_id")
        rows = rows.semi_join(keep, rows.model_id == keep.ww_min_id)
    return label(ctx, conv, rows)


def label(ctx: MetricContext, conv: Conventions, rows: ibis.Table) -> ibis.Table:
    """``rows`` (with ``model_id``, ``author`` and, for size, ``params_*``) plus the
    attribution columns and ``group`` under ``conv``."""
    assert conv.as_of is not None
    registry = ctx.registry_table()
    if conv.attribution == "uploader":
        out = attribute_uploader(rows, registry)
    else:
        out = attribute(rows, registry, conv.attribution, keyed_nodes(ctx, conv.as_of))
        out = out.drop("root_model", "family")
    if conv.group_by == "family":
        fams = model_families(ctx, conv.as_of)
        joined = out.left_join(fams, out.model_id.lower() == fams.ww_family_key)
        return joined.mutate(group=joined.family.fill_null(UNATTRIBUTED)).drop(
            "ww_family_key", "family"
        )
    if conv.group_by == "size_class":
        return out.mutate(group=size_class(size_params(out, conv.size_basis)))
    return out.mutate(group=group_label(out, conv.group_by))


def rollup_ok(conv: Conventions) -> bool:
    """True when the roll-up table answers ``conv`` (see the module docstring)."""
    return (
        conv.attribution == "uploader"
        and conv.group_by in ("country", "org", "org_type")
        and conv.parsed_window.kind != "first-year"
        and conv.min_downloads == 0
    )


def with_periods(rows: ibis.Table, freq: str, conv: Conventions) -> ibis.Table:
    """``rows`` plus ``period_start``/``period_end`` for ``freq`` (``total``: the whole
    window, ending at ``as_of``; its start is the window's first day, null if unbounded)."""
    if freq == "total":
        assert conv.as_of is not None
        start, _ = conv.parsed_window.bounds(conv.as_of)
        return rows.mutate(
            period_start=ibis.literal(start, type="date"),
            period_end=ibis.literal(conv.as_of, type="date"),
        )
    period_start, period_end = period_bounds(rows, freq)
    return rows.mutate(period_start=period_start, period_end=period_end)


def group_downloads(
    ctx: MetricContext, conv: Conventions, freq: str, *, route: str = "auto"
) -> ibis.Table:
    """Downloads per (period, group): ``period_start, period_end, group, downloads,
    unknown_intervals`` (groups with no downloads and no unknown counter in a period are
    left out: they change no share), by the roll-up route when it can answer, else the model route
    (``route``: ``auto``, or ``model`` to force it, for tests and benchmarks)."""
    assert conv.as_of is not None
    if route == "auto" and rollup_ok(conv):
        rows = filter_attributes(
            window_filter(rollup(ctx), conv.parsed_window, conv.as_of),
            conv,
        )
        reg = ctx.registry_table().select("account_key", "organisation", "country", "org_type")
        joined = rows.left_join(reg, rows.account_key == reg.account_key)
        rows = joined.mutate(attributed=joined.account_key_right.notnull())
        rows = rows.mutate(group=group_label(rows, conv.group_by))
        unknown = rows.unknown_intervals
    else:
        rows = model_facts(ctx, conv)
        unknown = rows.downloads.isnull().cast("int64")
    rows = with_periods(rows.mutate(ww_unknown=unknown), freq, conv)
    grouped = rows.group_by(["period_start", "period_end", "group"]).aggregate(
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        unknown_intervals=rows.ww_unknown.sum().fill_null(0).cast("int64"),
    )
    # groups with nothing counted are left out (the roll-up never holds them)
    return grouped.filter((grouped.downloads != 0) | (grouped.unknown_intervals != 0))


def with_share(grouped: ibis.Table, value: str = "downloads") -> ibis.Table:
    """``grouped`` plus ``share``: ``value`` over its period's total (null when that total
    is 0: a share of nothing is undefined, not 0)."""
    period = ibis.window(group_by=[grouped.period_start, grouped.period_end])
    total = grouped[value].sum().over(period)
    share = ibis.ifelse(total > 0, grouped[value].cast("float64") / total, ibis.null("float64"))
    return grouped.mutate(share=share)


def finish(
    ctx: MetricContext,
    metric: str,
    params: Conventions,
    rows: pa.Table,
    notes: list[str] | None = None,
) -> MetricResult:
    """The result of a conventions metric: ``params`` echoed (resolved) and the provenance
    of every snapshot up to ``as_of``."""
    assert params.as_of is not None
    dates = [d for d in ctx.store.snapshot_dates() if d <= params.as_of]
    return MetricResult(
        metric=metric,
        params=params.model_dump(mode="json"),
        provenance=provenance(ctx.store, dates, ctx.registry, ctx.engine),
        rows=rows,
        notes=notes or [],
    )
