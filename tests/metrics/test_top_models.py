"""top_models: golden cases, the ranking against a plain-Python reference (hypothesis), a
plain-SQL recomputation, and rank movers against separate rankings."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from weightwatch.errors import MetricError, SnapshotNotFound
from weightwatch.metrics import download_share, top_models
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.per_model import counting, summable
from weightwatch.metrics.top_models import (
    COLUMNS,
    TopModelsParams,
    latest_listings,
    model_rows,
    rank_models,
)
from weightwatch.series.rollup import FACTS_TABLE

GOLDEN = "top_models"
MODELS = ["Qwen/a", "Qwen/b", "meta-llama/c", "deepseek-ai/d", "x/e", "x/f", "y/g", "Z/h"]
ENDS = [date(2026, 1, 4) + timedelta(days=7 * i) for i in range(3)]
#: model index, interval index, downloads, vanished, group
Fact = tuple[int, int, int | None, bool, str]


def test_golden(golden_path: Path, check_golden: Callable[[Path], None]) -> None:
    check_golden(golden_path)


def ranked(facts: list[Fact]) -> list[dict[str, Any]]:
    table = pa.table(
        {
            "model_id": pa.array([MODELS[m] for m, *_ in facts], pa.string()),
            "author": pa.array([MODELS[m].split("/")[0] for m, *_ in facts], pa.string()),
            "interval_end": pa.array([ENDS[i] for _, i, *_ in facts], pa.date32()),
            "downloads": pa.array([f[2] for f in facts], pa.int64()),
            "vanished": pa.array([f[3] for f in facts], pa.bool_()),
            "group": pa.array([f[4] for f in facts], pa.string()),
        }
    )
    rows = ibis.memtable(table)
    top = rank_models(model_rows(summable(counting(rows))))
    latest = latest_listings(rows, top.select("model_id"), ["author", "group"])
    out = top.join(latest, "model_id")
    return out.to_pyarrow().sort_by("rank").select(COLUMNS).to_pylist()


def reference(facts: list[Fact]) -> list[dict[str, Any]]:
    totals: dict[str, int] = defaultdict(int)
    latest: dict[str, tuple[bool, int, str]] = {}
    for m, i, d, vanished, group in facts:
        model_id = MODELS[m]
        totals[model_id] += d or 0
        key = (vanished, -i, group)  # listed rows first, then the latest interval
        latest[model_id] = min(latest.get(model_id, key), key)
    order = sorted((m for m in totals if totals[m] > 0), key=lambda m: (-totals[m], m))
    everything = sum(totals.values())
    return [
        {
            "rank": rank,
            "model_id": m,
            "author": m.split("/")[0],
            "group": latest[m][2],
            "downloads": totals[m],
            "share": pytest.approx(totals[m] / everything, rel=1e-12),
        }
        for rank, m in enumerate(order, 1)
    ]


facts_strategy = st.lists(
    st.tuples(
        st.integers(0, len(MODELS) - 1),
        st.integers(0, len(ENDS) - 1),
        st.one_of(st.none(), st.integers(0, 3), st.integers(0, 10**6)),
        st.booleans(),
        st.sampled_from(["CN", "US", "FR"]),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda f: (f[0], f[1]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_strategy, st.randoms(use_true_random=False))
def test_ranking_matches_reference_in_any_order_with_zero_models(
    facts: list[Fact], rnd: random.Random
) -> None:
    want = reference(facts)
    assert ranked(facts) == want
    seen = {m for m, *_ in facts}
    zeros: list[Fact] = [(m, 0, rnd.choice([0, None]), False, "US") for m in range(8)]
    padded = facts + [z for z in zeros if z[0] not in seen]
    rnd.shuffle(padded)
    assert ranked(padded) == want


def test_ties_go_to_the_model_id_and_group_to_the_last_listing() -> None:
    facts: list[Fact] = [
        (1, 0, 5, False, "CN"),  # Qwen/b
        (0, 0, 5, False, "CN"),  # Qwen/a: same downloads, ranked first by id
        (7, 0, 5, False, "US"),  # Z/h: after both, 'Q' (0x51) < 'Z' (0x5a)
        (2, 0, 1, False, "US"),
        (2, 1, 1, False, "FR"),  # meta-llama/c moved: its latest listing says FR
        (2, 2, 0, True, "unknown"),  # ... then vanished: a vanished row has no attributes
    ]
    rows = ranked(facts)
    assert [r["model_id"] for r in rows] == ["Qwen/a", "Qwen/b", "Z/h", "meta-llama/c"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert rows[3]["group"] == "FR"


def sql_top(ctx: MetricContext, n: int) -> list[tuple[str, int]]:
    """The top ``n`` (model id, downloads) in plain DuckDB SQL over the facts files."""
    glob = f"{ctx.store.table_root(FACTS_TABLE)}/*/*.parquet"
    return duckdb.execute(
        f"""
        SELECT model_id, sum(coalesce(downloads, 0))::BIGINT AS d
        FROM read_parquet('{glob}', hive_partitioning = false)
        GROUP BY model_id HAVING d > 0
        ORDER BY d DESC, model_id LIMIT {n}
        """
    ).fetchall()


def test_synthetic_hub_matches_plain_sql(realistic_ctx: MetricContext) -> None:
    result = top_models.METRIC.compute(realistic_ctx, TopModelsParams(n=25))
    rows = result.to_records()
    assert [(r["model_id"], r["downloads"]) for r in rows] == sql_top(realistic_ctx, 25)
    assert [r["rank"] for r in rows] == list(range(1, 26))
    assert rows[0]["group"] and result.rows.column_names == COLUMNS
    assert result.params["n"] == 25 and result.params["compare_to"] is None


def test_shares_are_of_all_downloads(realistic_ctx: MetricContext) -> None:
    params = {"window": "14d", "group_by": "org", "llm_only": True}
    result = top_models.METRIC.compute(realistic_ctx, TopModelsParams(n=10**6, **params))
    share = download_share.METRIC.compute(
        realistic_ctx, download_share.DownloadShareParams(counter="deltas", **params)
    )
    rows = result.to_records()
    assert sum(r["downloads"] for r in rows) == sum(r["downloads"] for r in share.to_records())
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    org_downloads: dict[str, int] = defaultdict(int)
    for r in rows:
        org_downloads[r["group"]] += r["downloads"]
    assert org_downloads == {r["group"]: r["downloads"] for r in share.to_records()}


def test_movers_match_the_earlier_ranking(realistic_ctx: MetricContext) -> None:
    earlier = date(2026, 2, 1)
    movers = top_models.METRIC.compute(
        realistic_ctx, TopModelsParams(n=15, window="14d", compare_to=earlier)
    )
    before = top_models.METRIC.compute(
        realistic_ctx, TopModelsParams(n=10**6, window="14d", as_of=earlier)
    )
    ranks = {r["model_id"]: r["rank"] for r in before.to_records()}
    rows = movers.to_records()
    assert len(rows) == 15 and movers.rows.column_names[-3:] == top_models.MOVER_COLUMNS
    for row in rows:
        previous = ranks.get(row["model_id"])
        assert row["previous_rank"] == previous
        assert row["rank_change"] == (None if previous is None else previous - row["rank"])
        assert row["new_entry"] == (previous is None or previous > 15)
    assert any(r["rank_change"] for r in rows)
    assert movers.notes[0] == "ranks compared with window 14d as of the snapshot of 2026-02-01"


def test_mixed_store_pair_agrees(store_pair: tuple[MetricContext, MetricContext]) -> None:
    params = TopModelsParams(n=30, group_by="size_class", compare_to=date(2026, 1, 25))
    one, two = (top_models.METRIC.compute(ctx, params) for ctx in store_pair)
    assert one.rows.num_rows == 30
    assert one.to_records() == two.to_records() and one.notes == two.notes


def test_compare_to_must_be_earlier(realistic_ctx: MetricContext) -> None:
    with pytest.raises(MetricError, match="compare_to 2026-02-24 falls on the snapshot"):
        top_models.METRIC.compute(realistic_ctx, TopModelsParams(compare_to=date(2026, 2, 24)))
    with pytest.raises(SnapshotNotFound, match="no snapshot on or before 2025-12-31"):
        top_models.METRIC.compute(realistic_ctx, TopModelsParams(compare_to=date(2025, 12, 31)))


def test_params() -> None:
    assert TopModelsParams().model_dump()["n"] == 20
    with pytest.raises(ValidationError):
        TopModelsParams(n=0)
    with pytest.raises(ValidationError):
        TopModelsParams(compare_to="last week")  # type: ignore[arg-type]
