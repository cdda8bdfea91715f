"""size_mix: golden cases worked by hand, invariants (hypothesis) and a smoke run on the
realistic store."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.metrics import size_mix
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import SIZE_CLASSES

GOLDEN = "size_mix"  # the golden files' prefix (conftest parametrizes ``golden_path``)
CASES = Path(__file__).resolve().parent / "golden"


def test_golden(golden_path: Path, check_golden) -> None:
    check_golden(golden_path)


def test_provenance_names_every_snapshot_and_the_lineage_when_used(make_store, run) -> None:
    case = json.loads((CASES / "size_mix-family-all.json").read_text(encoding="utf-8"))
    store = make_store(case["store"])
    by_family = run(size_mix, store, {}).provenance
    by_country = run(size_mix, store, {"group_by": "country"}).provenance
    days = case["store"]["snapshots"]
    for prov in (by_family, by_country):
        assert [s["snapshot_date"] for s in prov["snapshots"]] == days
    assert by_family["lineage"]["families_version"] and "lineage" not in by_country


def check_shares(rows: list[dict[str, Any]]) -> None:
    """Within each group, shares sum to 1 (or are all null when the group has none)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["group"]].append(r)
    for members in groups.values():
        for value, share in (("models", "share_models"), ("downloads", "share_downloads")):
            if sum(r[value] for r in members):
                assert sum(r[share] for r in members) == pytest.approx(1.0)
            else:
                assert all(r[share] is None for r in members)


SIZES = [None, 5 * 10**8, 10**9, 3 * 10**9, 7 * 10**9, 3 * 10**10, 7 * 10**10, 10**11, 6 * 10**11]
ACCOUNTS = ["Qwen", "meta-llama", "bartowski", "someone"]

stores = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.sampled_from(SIZES),
        st.integers(min_value=0, max_value=1000),  # first counter
        st.integers(min_value=0, max_value=1000),  # growth
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(stores)
def test_shares_sum_to_one_and_nothing_is_lost(make_store, run, models) -> None:
    counters = {f"{a}/m{i}": [first, first + grow] for i, (a, _, first, grow) in enumerate(models)}
    attributes = {f"{a}/m{i}": {"params_total": size} for i, (a, size, _, _) in enumerate(models)}
    spec = {"snapshots": ["2026-01-04", "2026-01-11"], "counters": counters,
            "attributes": attributes}  # fmt: skip
    rows = run(size_mix, make_store(spec), {"group_by": "org"}).to_records()
    check_shares(rows)
    assert sum(r["models"] for r in rows) == len(models)
    assert sum(r["downloads"] for r in rows) == sum(f + g for _, _, f, g in models)
    boundaries = dict(SIZE_CLASSES)
    for r in rows:  # 10**9 is 1-7B: upper bounds are exclusive
        assert r["size_class"] in boundaries or r["size_class"] == "unknown"


def test_smoke_on_the_realistic_store(realistic_ctx: MetricContext) -> None:
    metric = size_mix.METRIC
    family = metric.compute(realistic_ctx, metric.params()).to_records()
    country = metric.compute(
        realistic_ctx, metric.params(group_by="country", size_basis="active", window="28d")
    ).to_records()
    for rows in (family, country):
        assert rows
        check_shares(rows)
    assert sum(r["models"] for r in family) == sum(r["models"] for r in country)
