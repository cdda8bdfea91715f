"""crossover: golden cases, hand-made share sequences against a plain-Python reference
(hypothesis), and agreement with download_share."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from weightwatch.metrics import crossover, download_share
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.crossover import COLUMNS, CrossoverParams, runs
from weightwatch.metrics.frame import with_share
from weightwatch.store import Store

GOLDEN = "crossover"
START = date(2025, 1, 6)
#: One period's downloads for A, B and a third group; None: the group has no row.
Period = tuple[int | None, int | None, int | None]


def test_golden(golden_path: Path, check_golden: Callable[[Path], None]) -> None:
    check_golden(golden_path)


def shares_table(periods: list[Period], baseline: bool = False) -> ibis.Table:
    """download_share-like rows for weekly periods (the first one the store's baseline,
    with no start, when ``baseline``)."""
    rows = []
    for i, downloads in enumerate(periods):
        start = START + timedelta(days=7 * i)
        for group, value in zip(("CN", "US", "FR"), downloads, strict=True):
            if value is not None:
                first = None if baseline and i == 0 else start
                rows.append((first, start + timedelta(days=6), group, value))
    table = pa.table(
        {
            "period_start": pa.array([r[0] for r in rows], pa.date32()),
            "period_end": pa.array([r[1] for r in rows], pa.date32()),
            "group": pa.array([r[2] for r in rows], pa.string()),
            "downloads": pa.array([r[3] for r in rows], pa.int64()),
        }
    )
    return with_share(ibis.memtable(table))


def crossed(periods: list[Period], n: int, *, baseline: bool = False) -> list[dict[str, Any]]:
    table = runs(shares_table(periods, baseline), "CN", "US", n).to_pyarrow()
    return table.sort_by("period_end").select(COLUMNS).to_pylist()


def reference(periods: list[Period], n: int) -> list[tuple[bool, int, bool]]:
    """(a_ahead, run_length, crossover) per period, from integer downloads."""
    ahead = [(a or 0) > (b or 0) and (a or 0) + (b or 0) + (c or 0) > 0 for a, b, c in periods]
    lengths: list[int] = []
    for flag in ahead:
        lengths.append(lengths[-1] + 1 if flag and lengths else int(flag))
    reached = next((i for i, length in enumerate(lengths) if length >= n), None)
    start = None if reached is None else reached - n + 1
    return [(ahead[i], lengths[i], i == start) for i in range(len(periods))]


def test_hand_made_sequence() -> None:
    periods: list[Period] = [
        (1, 2, 1),  # behind
        (3, 1, None),  # ahead (run 1)
        (2, 2, 0),  # tie: not ahead
        (0, 0, 0),  # nothing downloaded: shares undefined, not ahead
        (5, 1, 4),  # ahead: run 1 ...
        (4, None, 1),  # ... US has no row: share 0 (run 2)
        (2, 1, 9),  # run 3: the crossover is the period of run 1 two back
        (None, 3, 1),  # CN has no row
    ]
    rows = crossed(periods, 3)
    assert [r["run_length"] for r in rows] == [0, 1, 0, 0, 1, 2, 3, 0]
    assert [r["crossover"] for r in rows] == [i == 4 for i in range(8)]
    assert rows[2]["share_a"] == rows[2]["share_b"] == pytest.approx(0.5)
    assert rows[3]["share_a"] is None and rows[3]["share_b"] is None
    assert (rows[5]["share_a"], rows[5]["share_b"]) == (pytest.approx(0.8), 0.0)
    assert (rows[7]["share_a"], rows[7]["share_b"]) == (0.0, pytest.approx(0.75))
    assert not any(r["crossover"] for r in crossed(periods, 4))
    assert [r["crossover"] for r in crossed(periods, 1)] == [i == 1 for i in range(8)]


def test_lead_from_the_baseline_period() -> None:
    rows = crossed([(9, 1, 0), (5, 4, 0), (1, 2, 0)], 2, baseline=True)
    assert rows[0]["period_start"] is None
    assert [(r["run_length"], r["crossover"]) for r in rows] == [(1, True), (2, False), (0, False)]


sequences = st.lists(
    st.tuples(
        *(st.one_of(st.none(), st.integers(0, 4)) for _ in range(3)),
    ).filter(lambda p: any(v is not None for v in p)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences, st.integers(1, 4), st.booleans())
def test_runs_match_reference(periods: list[Period], n: int, baseline: bool) -> None:
    rows = crossed(periods, n, baseline=baseline)
    assert [(r["a_ahead"], r["run_length"], r["crossover"]) for r in rows] == reference(periods, n)
    assert sum(r["crossover"] for r in rows) <= 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences, st.randoms(use_true_random=False))
def test_independent_of_row_order(periods: list[Period], rnd: random.Random) -> None:
    table = shares_table(periods).to_pyarrow()
    order = list(range(table.num_rows))
    rnd.shuffle(order)
    shuffled = ibis.memtable(table.take(order))
    got = runs(shuffled, "CN", "US", 2).to_pyarrow().sort_by("period_end").select(COLUMNS)
    assert got.to_pylist() == crossed(periods, 2)


def test_shares_are_download_shares(realistic_ctx: MetricContext) -> None:
    result = crossover.METRIC.compute(realistic_ctx, CrossoverParams(periods=1))
    share = download_share.METRIC.compute(
        realistic_ctx, download_share.DownloadShareParams(freq="month", counter="deltas")
    )
    by_group = {(r["period_end"], r["group"]): r["share"] for r in share.to_records()}
    rows = result.to_records()
    assert [r["period_end"] for r in rows] == sorted({end for end, _ in by_group})
    for row in rows:
        assert row["share_a"] == pytest.approx(by_group.get((row["period_end"], "CN"), 0.0))
        assert row["share_b"] == pytest.approx(by_group.get((row["period_end"], "US"), 0.0))
        assert row["a_ahead"] == (row["share_a"] > row["share_b"])
    assert result.params["group_a"] == "CN" and result.params["freq"] == "month"
    assert result.params["as_of"] == "2026-02-22"


def test_mixed_store_pair_agrees(store_pair: tuple[MetricContext, MetricContext]) -> None:
    params = CrossoverParams(group_a="FR", group_b="CN", freq="interval", periods=1)
    one, two = (crossover.METRIC.compute(ctx, params) for ctx in store_pair)
    assert one.rows.num_rows == 6
    assert one.to_records() == two.to_records() and one.notes == two.notes


def test_unknown_label_is_reported(make_store: Callable[..., Store], run: Any) -> None:
    store = make_store({"snapshots": ["2026-01-04", "2026-02-08"], "counters": {"Qwen/a": [1, 5]}})
    result = run(crossover, store, {"group_a": "China", "periods": 1})
    assert result.notes == [
        "no sustained crossover: China was never ahead of US for 1 period (longest lead: 0)",
        "group 'China' has no downloads in any period (share 0): is it a country label?",
        "group 'US' has no downloads in any period (share 0): is it a country label?",
    ]
    assert [r["share_a"] for r in result.to_records()] == [0.0, 0.0]


def test_params() -> None:
    assert CrossoverParams().model_dump()["periods"] == 3
    for bad in (
        {"group_a": "US"},  # the same as group_b
        {"periods": 0},
        {"freq": "total"},  # a single period cannot be overtaken in
    ):
        with pytest.raises(ValidationError):
            CrossoverParams(**bad)
