"""concentration: golden cases, invariants (hypothesis), an exact recomputation from plain
SQL, both routes and the pooled buckets."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from weightwatch.metrics import concentration, download_share
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.concentration import ConcentrationParams, indices
from weightwatch.series.rollup import FACTS_TABLE
from weightwatch.store import Store

GOLDEN = "concentration"
UNITS = ["Alibaba Qwen", "Meta", "DeepSeek", "Mistral AI", "Google", "bartowski", "x", "y"]
POOLED = ["unattributed", "unknown"]
PERIODS = [(None, date(2026, 1, 4))] + [
    (date(2026, 1, 4) + timedelta(days=7 * i), date(2026, 1, 11) + timedelta(days=7 * i))
    for i in range(3)
]
Key = tuple[date | None, date]
Row = tuple[int, str, int]  # period index, unit, downloads

downloads = st.one_of(st.just(0), st.integers(1, 5), st.integers(0, 10**9))
unit_rows = st.lists(
    st.tuples(st.integers(0, len(PERIODS) - 1), st.sampled_from(UNITS + POOLED), downloads),
    min_size=1,
    max_size=30,
    unique_by=lambda r: (r[0], r[1]),
)
FLOATS = ("hhi", "gini", "top_k_share")


def test_golden(golden_path: Path, check_golden: Callable[[Path], None]) -> None:
    check_golden(golden_path)


def units_table(rows: Iterable[Row]) -> ibis.Table:
    rows = list(rows)
    return ibis.memtable(
        pa.table(
            {
                "period_start": pa.array([PERIODS[p][0] for p, _, _ in rows], pa.date32()),
                "period_end": pa.array([PERIODS[p][1] for p, _, _ in rows], pa.date32()),
                "unit": pa.array([u for _, u, _ in rows], pa.string()),
                "downloads": pa.array([d for _, _, d in rows], pa.int64()),
                "unknown_intervals": pa.array([0] * len(rows), pa.int64()),
                "pooled": pa.array([u in POOLED for _, u, _ in rows], pa.bool_()),
            }
        )
    )


def measured(
    rows: Iterable[Row], k: int = 5, drop_pooled: bool = True
) -> dict[Key, dict[str, Any]]:
    table = indices(units_table(rows), k, drop_pooled=drop_pooled, label="org").to_pyarrow()
    return {(r["period_start"], r["period_end"]): r for r in table.to_pylist()}


def reference(units: dict[Key, list[int]], k: int) -> dict[Key, dict[str, Any]]:
    """The indices computed exactly (fractions), straight from their definitions."""
    out = {}
    for key, values in units.items():
        xs = sorted(v for v in values if v > 0)
        if not xs:
            continue
        n, total = len(xs), sum(xs)
        out[key] = {
            "n": n,
            "downloads": total,
            "hhi": sum(Fraction(x, total) ** 2 for x in xs),
            "gini": Fraction(sum((2 * i - n - 1) * x for i, x in enumerate(xs, 1)), n * total),
            "top_k_share": Fraction(sum(sorted(xs, reverse=True)[:k]), total),
        }
    return out


def assert_matches(got: dict[Key, dict[str, Any]], want: dict[Key, dict[str, Any]]) -> None:
    assert set(got) == set(want)
    for key, expected in want.items():
        row = got[key]
        assert (row["n"], row["downloads"]) == (expected["n"], expected["downloads"])
        for name in FLOATS:
            assert row[name] == pytest.approx(float(expected[name]), rel=1e-9, abs=1e-12)


def padded(rows: list[Row], rnd: random.Random, extra: list[str]) -> list[Row]:
    """``rows`` shuffled, with zero-download units (some pooled) in every period."""
    seen = {(p, u) for p, u, _ in rows}
    zeros = [(p, u, 0) for p in range(len(PERIODS)) for u in ["new-org", *extra]]
    out = rows + [z for z in zeros if z[:2] not in seen]
    rnd.shuffle(out)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    unit_rows,
    st.integers(1, 6),
    st.booleans(),
    st.randoms(use_true_random=False),
    st.lists(st.sampled_from(UNITS + POOLED), max_size=4),
)
def test_indices_match_their_definitions_in_any_row_order_with_zero_units(
    rows: list[Row], k: int, drop: bool, rnd: random.Random, extra: list[str]
) -> None:
    units: dict[Key, list[int]] = defaultdict(list)
    for p, unit, d in rows:
        if not (drop and unit in POOLED):
            units[PERIODS[p]].append(d)
    got = measured(rows, k, drop)
    assert_matches(got, reference(units, k))
    for row in got.values():
        n = row["n"]
        assert 1 / n - 1e-12 <= row["hhi"] <= 1 + 1e-12
        assert 0 <= row["gini"] < 1
        assert row["gini"] <= (n - 1) / n + 1e-12
        assert 0 < row["top_k_share"] <= 1 + 1e-12
        assert row["k"] == k and row["units"] == "org"
    assert measured(padded(rows, rnd, extra), k, drop) == got


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit_rows)
def test_top_k_share_grows_with_k_up_to_one(rows: list[Row]) -> None:
    by_k = [measured(rows, k) for k in (1, 2, 4, 9)]
    for key in by_k[0]:
        shares = [result[key]["top_k_share"] for result in by_k]
        assert shares == sorted(shares)
        assert shares[-1] == pytest.approx(1.0)  # at most 8 units: k = 9 takes them all


def test_equal_units_and_a_monopoly() -> None:
    equal = measured([(1, "x", 7), (1, "y", 7), (1, "Meta", 7), (1, "Google", 7)])[PERIODS[1]]
    assert equal["hhi"] == pytest.approx(1 / 4) and equal["gini"] == pytest.approx(0, abs=1e-15)
    monopoly = measured([(2, "x", 0), (2, "y", 10), (2, "unknown", 99)])[PERIODS[2]]
    assert (monopoly["n"], monopoly["hhi"], monopoly["gini"]) == (1, 1.0, 0.0)
    assert measured([(3, "x", 0), (3, "unknown", 5)]) == {}  # nothing but zeros and a pool


# ---------------------------------------------------------------- the whole pipeline

small_models = st.lists(
    st.tuples(
        st.sampled_from(["Qwen", "meta-llama", "deepseek-ai", "bartowski", "someone", "other"]),
        st.integers(0, 1000),
        st.one_of(st.just(0), st.integers(0, 1000)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    small_models,
    st.sampled_from(["model", "org", "country", "org_type"]),
    st.randoms(use_true_random=False),
)
def test_stores_with_shuffled_rows_and_zero_models_agree(
    make_store: Callable[..., Store],
    run: Callable[..., Any],
    models: list[tuple[str, int, int]],
    group_by: str,
    rnd: random.Random,
) -> None:
    spec = {
        "snapshots": ["2026-01-04", "2026-01-11"],
        "counters": {f"{a}/m{i}": [c, c + d] for i, (a, c, d) in enumerate(models)},
    }
    zeros = {"openai/never-pulled": [0, 0], "stranger/zero": [0, 0], "Qwen/zero": [0, 0]}
    padded = {**spec, "counters": {**spec["counters"], **zeros}}
    params = {"group_by": group_by, "freq": "interval", "k": 2}
    one = run(concentration, make_store(spec), params)
    two = run(concentration, make_store(padded, shuffle=rnd), params)
    assert one.to_records() == two.to_records() and one.notes == two.notes
    for row in one.to_records():
        assert 1 / row["n"] - 1e-12 <= row["hhi"] <= 1 + 1e-12 and 0 <= row["gini"] < 1


@pytest.mark.parametrize("group_by", ["model", "org", "org_type", "country", "size_class"])
def test_mixed_store_pair_agrees(
    store_pair: tuple[MetricContext, MetricContext], group_by: str
) -> None:
    params = ConcentrationParams(group_by=group_by, freq="interval")  # type: ignore[arg-type]
    one, two = (concentration.METRIC.compute(ctx, params) for ctx in store_pair)
    assert one.rows.num_rows == 6
    assert one.to_records() == two.to_records() and one.notes == two.notes


def sql_units(ctx: MetricContext, by: str) -> dict[Key, list[int]]:
    """Downloads per interval and unit, in plain DuckDB SQL over the facts files (uploader
    attribution; pooled buckets dropped)."""
    con = duckdb.connect()
    con.register("reg", ctx.registry.to_arrow())
    if by == "model":
        unit = "f.model_id"
    else:
        unit = """CASE WHEN r.account_key IS NULL THEN 'unattributed'
                       WHEN coalesce(r.organisation, '') = '' THEN 'unknown'
                       ELSE r.organisation END"""
    rows = con.execute(
        f"""
        SELECT f.interval_start, f.interval_end, {unit} AS unit, sum(coalesce(f.downloads, 0))
        FROM read_parquet('{ctx.store.table_root(FACTS_TABLE)}/*/*.parquet',
                          hive_partitioning = false) f
        LEFT JOIN reg r ON lower(f.author) = r.account_key
        GROUP BY ALL
        """
    ).fetchall()
    out: dict[Key, list[int]] = defaultdict(list)
    for start, end, name, total in rows:
        if name not in ("unattributed", "unknown"):
            out[(start, end)].append(int(total))
    return out


@pytest.mark.parametrize("by", ["org", "model"])
def test_synthetic_hub_matches_plain_sql(realistic_ctx: MetricContext, by: str) -> None:
    result = concentration.METRIC.compute(
        realistic_ctx,
        ConcentrationParams(group_by=by, freq="interval", k=10),  # type: ignore[arg-type]
    )
    got = {(r["period_start"], r["period_end"]): r for r in result.to_records()}
    assert len(got) == 8
    assert_matches(got, reference(sql_units(realistic_ctx, by), 10))
    assert result.provenance["engine"] == "duckdb"
    assert len(result.provenance["snapshots"]) == 8


def test_routes_agree(realistic_ctx: MetricContext) -> None:
    """The roll-up route (default) and the model route (forced by min_downloads, which
    only drops models that download nothing) give the same figures."""
    by_rollup = concentration.METRIC.compute(realistic_ctx, ConcentrationParams(freq="month"))
    by_model = concentration.METRIC.compute(
        realistic_ctx, ConcentrationParams(freq="month", min_downloads=1)
    )
    assert by_rollup.rows.num_rows == 3
    for one, two in zip(by_rollup.to_records(), by_model.to_records(), strict=True):
        for name, value in one.items():
            assert two[name] == (pytest.approx(value, rel=1e-12) if name in FLOATS else value)


def test_pooled_buckets_kept_as_units(realistic_ctx: MetricContext) -> None:
    drop = concentration.METRIC.compute(realistic_ctx, ConcentrationParams(group_by="country"))
    keep = concentration.METRIC.compute(
        realistic_ctx, ConcentrationParams(group_by="country", pooled="keep")
    )
    share = download_share.METRIC.compute(
        realistic_ctx, download_share.DownloadShareParams(group_by="country", counter="deltas")
    )
    pooled = {r["group"]: r["downloads"] for r in share.to_records() if r["group"] in POOLED}
    (dropped,), (kept,) = drop.to_records(), keep.to_records()
    assert kept["downloads"] == dropped["downloads"] + sum(pooled.values())
    assert kept["n"] == dropped["n"] + sum(1 for v in pooled.values() if v > 0)
    assert f"{sum(pooled.values()):,} downloads" in drop.notes[0]
    assert not keep.notes


def test_missing_counters_and_empty_windows(make_store: Callable[..., Store], run: Any) -> None:
    store = make_store(
        {
            "snapshots": ["2026-01-04", "2026-01-11", "2026-01-18"],
            "counters": {"Qwen/a": [10, "unknown", 30], "meta-llama/b": [5, 6, 9]},
        }
    )
    result = run(concentration, store, {"group_by": "model", "freq": "interval"})
    assert any("have no download count; counted as 0" in note for note in result.notes)
    empty = run(concentration, store, {"window": "2025-01-01..2025-12-31"})
    assert empty.rows.num_rows == 0 and empty.rows.column_names == concentration.COLUMNS
    assert empty.notes == ["no downloads counted in the window: no period to measure"]


def test_params() -> None:
    assert ConcentrationParams().model_dump()["group_by"] == "org"
    assert ConcentrationParams(group_by="model").group_by == "model"
    for bad in ({"k": 0}, {"group_by": "continent"}, {"pooled": "merge"}, {"freq": "day"}):
        with pytest.raises(ValidationError):
            ConcentrationParams(**bad)
