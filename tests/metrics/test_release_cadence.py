"""release_cadence: golden cases worked by hand, an independent recomputation of the gaps and
medians (hypothesis), refusals and a smoke run on the realistic store."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.errors import MetricError
from weightwatch.metrics import release_cadence
from weightwatch.metrics.base import MetricContext

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN = "release_cadence"  # the golden files' prefix (conftest parametrizes ``golden_path``)


def test_golden(golden_path: Path, check_golden) -> None:
    check_golden(golden_path)


def test_provenance_names_the_lineage(golden_path: Path, make_store, run) -> None:
    case = json.loads(golden_path.read_text(encoding="utf-8"))
    result = run(release_cadence, make_store(case["store"]), case["params"])
    assert result.provenance["lineage"]["lineage_version"]
    assert result.params["as_of"] == case["store"]["snapshots"][-1]


def test_conventions_that_do_not_apply_are_refused(make_store, run) -> None:
    case = json.loads((GOLDEN_DIR / "release_cadence-org-monthly.json").read_text(encoding="utf-8"))
    store = make_store(case["store"])
    with pytest.raises(MetricError, match="first-year"):
        run(release_cadence, store, {"window": "first-year"})
    with pytest.raises(MetricError, match="--min-downloads"):
        run(release_cadence, store, {"min_downloads": 1})
    with pytest.raises(ValueError, match="org"):
        release_cadence.ReleaseCadenceParams(group_by="family")


# ----------------------------------------------------------------------- invariants

ACCOUNTS = ["Qwen", "meta-llama", "mistralai", "someone"]  # CN, US, FR, unattributed
ORGS = {"Qwen": "Alibaba Qwen", "meta-llama": "Meta", "mistralai": "Mistral AI"}
START = datetime(2025, 1, 1, 6, tzinfo=UTC)

releases = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.integers(min_value=0, max_value=100),  # creation day
        st.booleans(),  # a variant of the account's first model?
    ),
    min_size=1,
    max_size=16,
)


def release_spec(rows: list[tuple[str, int, bool]]) -> dict[str, Any]:
    attributes: dict[str, dict[str, Any]] = {}
    for i, (account, day, variant) in enumerate(rows):
        attrs: dict[str, Any] = {"created_at": START + timedelta(days=day, minutes=i)}
        if variant:
            attrs["base_models"] = [{"relation": "finetune", "model_id": "x/root"}]
        attributes[f"{account}/m{i}"] = attrs
    attributes["x/root"] = {"created_at": START - timedelta(days=400)}
    counters = {m: [1] for m in attributes}
    return {"snapshots": ["2025-06-01"], "counters": counters, "attributes": attributes}


def median_gap(days: list[int]) -> float | None:
    gaps = [b - a for a, b in itertools.pairwise(sorted(days))]
    return float(statistics.median(gaps)) if gaps else None


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(releases)
def test_counts_add_up_and_medians_match_a_plain_recomputation(make_store, run, rows) -> None:
    store = make_store(release_spec(rows))
    total = run(release_cadence, store, {"freq": "total"}).to_records()
    monthly = run(release_cadence, store, {}).to_records()
    by_group: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for account, day, variant in rows:
        by_group[ORGS.get(account, "unattributed")].append((day, not variant))
    by_group["unattributed"].append((-400, True))  # x/root
    got = {r["group"]: r for r in total}
    assert set(got) == set(by_group)
    for group, items in by_group.items():
        r = got[group]
        assert r["new_repos"] == len(items) == r["new_bases"] + r["new_variants"]
        assert r["new_bases"] == sum(1 for _, is_base in items if is_base)
        assert r["median_days_between_repos"] == median_gap([d for d, _ in items])
        bases = [d for d, is_base in items if is_base]
        assert r["median_days_between_bases"] == median_gap(bases)
    for column in ("new_repos", "new_bases", "new_variants"):
        assert sum(r[column] for r in monthly) == sum(r[column] for r in total)


def test_smoke_on_the_realistic_store(realistic_ctx: MetricContext) -> None:
    metric = release_cadence.METRIC
    total = metric.compute(realistic_ctx, metric.params(freq="total", group_by="country"))
    monthly = metric.compute(realistic_ctx, metric.params(group_by="country", window="90d"))
    rows = total.to_records()
    assert rows and all(r["new_repos"] == r["new_bases"] + r["new_variants"] for r in rows)
    assert all(r["period_start"] is None for r in rows)
    assert monthly.rows.num_rows and all(
        r["period_end"] <= realistic_ctx.store.latest() for r in monthly.to_records()
    )
