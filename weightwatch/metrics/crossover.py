"""When group A's share of downloads overtook group B's, for good.

Formula: per period p, ``share_a(p) = D(p, A) / Σ_g D(p, g)`` and ``share_b(p)`` likewise —
exactly :mod:`download_share <weightwatch.metrics.download_share>`'s shares under the same
conventions (``counter = deltas``).  ``a_ahead(p) = share_a(p) > share_b(p)``;
``run_length(p)`` is the number of consecutive periods up to and including p in which A
is ahead (0 when it is not).  The crossover is the first period of the first run of at
least ``periods`` (N) periods with A ahead: the period p with ``run_length(p) = 1`` where
``run_length`` first reaches N, N - 1 periods later.

Conventions (parameters, echoed in the output; the shared ones in
:mod:`weightwatch.metrics.conventions`):

* ``group_a``, ``group_b``: two labels of ``group_by`` (default ``CN`` over ``US`` by
  country); they must differ.  A group with no downloads in a period has share 0 there
  (a label that never occurs is reported in ``notes``: a typo, or the wrong ``group_by``).
* Ties: equal shares are not ahead, so a tie ends a run.  A period whose total is 0 has
  null shares and A is not ahead.
* ``periods`` (N, default 3): how many consecutive periods the lead must last.  Periods are
  those of the series (``freq``: ``interval``, ``week``, ``month`` (default), ``year``;
  an interval counts wholly in the period holding its end date); a calendar period without
  a snapshot has no row and does not break a run.
* With ``window = all`` the first period holds the counters from before the store's first
  snapshot (``period_start`` null), like download_share's; a lead that starts there
  predates the series, and ``notes`` say so.

Rows: ``period_start, period_end, share_a, share_b, a_ahead, run_length, crossover``
(``crossover`` true on the crossover period only), ordered by period end.  The first note
states the result: "A overtook B in period …: ahead for M consecutive periods, …" or "no
sustained crossover: … (longest lead: L)".
"""

from __future__ import annotations

from typing import Literal

import ibis
import pyarrow as pa
from pydantic import Field, model_validator

from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.frame import finish, group_downloads, with_share
from weightwatch.metrics.result import MetricResult

COLUMNS = ["period_start", "period_end", "share_a", "share_b", "a_ahead", "run_length", "crossover"]


class CrossoverParams(Conventions):
    group_a: str = "CN"
    group_b: str = "US"
    periods: int = Field(default=3, ge=1)
    freq: Literal["interval", "week", "month", "year"] = "month"

    @model_validator(mode="after")
    def _distinct(self) -> CrossoverParams:
        if self.group_a == self.group_b:
            raise ValueError(f"group_a and group_b are both {self.group_a!r}: name two groups")
        return self


def crossover_rows(ctx: MetricContext, params: CrossoverParams) -> ibis.Table:
    """The metric's rows as an Ibis expression (``params`` resolved); see :func:`runs`."""
    shares = with_share(group_downloads(ctx, params, params.freq))
    return runs(shares, params.group_a, params.group_b, params.periods)


def runs(shares: ibis.Table, group_a: str, group_b: str, periods: int) -> ibis.Table:
    """The crossover rows of ``shares`` (download_share's rows: ``period_start,
    period_end, group, downloads, share``), plus ``ww_seen_a`` and ``ww_seen_b`` (the
    group has a row in the period)."""
    is_a = shares.group == group_a
    is_b = shares.group == group_b
    # One row per group and period, so these sums pick the group's share (0 when absent).
    per = shares.group_by(["period_start", "period_end"]).aggregate(
        ww_total=shares.downloads.sum(),
        ww_share_a=ibis.ifelse(is_a, shares.share, 0.0).sum(),
        ww_share_b=ibis.ifelse(is_b, shares.share, 0.0).sum(),
        ww_seen_a=is_a.any(),
        ww_seen_b=is_b.any(),
    )
    undefined = ibis.null("float64")
    per = per.mutate(
        share_a=ibis.ifelse(per.ww_total > 0, per.ww_share_a, undefined),
        share_b=ibis.ifelse(per.ww_total > 0, per.ww_share_b, undefined),
    )
    per = per.mutate(a_ahead=(per.share_a > per.share_b).fill_null(False))
    # Period ends are distinct (the baseline period ends at the first snapshot, before any
    # calendar period's end that holds a later interval), so they order the series.
    order = per.period_end
    out = per.mutate(
        ww_run=(~per.a_ahead).cast("int64").sum().over(ibis.cumulative_window(order_by=order)),
        ww_index=ibis.row_number().over(ibis.window(order_by=order)),
    )
    out = out.mutate(
        run_length=ibis.ifelse(
            out.a_ahead,
            out.a_ahead.cast("int64")
            .sum()
            .over(ibis.cumulative_window(group_by=out.ww_run, order_by=out.period_end)),
            0,
        ).cast("int64")
    )
    reached = ibis.ifelse(out.run_length >= periods, out.ww_index, ibis.null("int64"))
    out = out.mutate(ww_reached=reached.min().over(ibis.window()))
    first = out.ww_reached - (periods - 1)
    return out.select(
        "period_start",
        "period_end",
        "share_a",
        "share_b",
        "a_ahead",
        "run_length",
        crossover=(out.ww_index == first).fill_null(False),
        ww_seen_a=out.ww_seen_a,
        ww_seen_b=out.ww_seen_b,
    )


def _period(row: dict[str, object]) -> str:
    start, end = row["period_start"], row["period_end"]
    if start is None:
        return f"up to {end} (before the store's first snapshot)"
    return f"{start}..{end}"


def _count(periods: int) -> str:
    return "1 period" if periods == 1 else f"{periods} consecutive periods"


def result_notes(rows: pa.Table, params: CrossoverParams) -> list[str]:
    """The crossover stated in words, and the group labels that never occur."""
    a, b, n = params.group_a, params.group_b, params.periods
    records = rows.to_pylist()
    notes = []
    first = next((i for i, r in enumerate(records) if r["crossover"]), None)
    if first is not None:
        last = first
        while last + 1 < len(records) and records[last + 1]["a_ahead"]:
            last += 1
        lead = records[last]["run_length"]
        until = "still ahead in the last period" if last == len(records) - 1 else "then not"
        notes.append(
            f"{a} overtook {b} in period {_period(records[first])}: ahead for {_count(lead)}, "
            f"{until} ({n} required)"
        )
        if first == 0:
            notes.append(f"{a} was already ahead in the first period: the lead predates the series")
    else:
        longest = max((r["run_length"] for r in records), default=0)
        notes.append(
            f"no sustained crossover: {a} was never ahead of {b} for {_count(n)} "
            f"(longest lead: {longest})"
        )
    for label, column in ((a, "ww_seen_a"), (b, "ww_seen_b")):
        if records and not any(r[column] for r in records):
            notes.append(
                f"group {label!r} has no downloads in any period (share 0): "
                f"is it a {params.group_by} label?"
            )
    return notes


def compute(ctx: MetricContext, params: CrossoverParams) -> MetricResult:
    params = params.resolved(ctx.store)
    table = crossover_rows(ctx, params).to_pyarrow().sort_by([("period_end", "ascending")])
    return finish(ctx, METRIC.name, params, table.select(COLUMNS), result_notes(table, params))


METRIC = Metric(
    name="crossover",
    summary="First period where group A's download share overtakes group B's for good",
    params=CrossoverParams,
    compute=compute,
)
