"""derivative_share: golden cases worked by hand, invariants (hypothesis), refusals, the
new_derivative_share alias and a smoke run on the realistic store."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.errors import MetricError
from weightwatch.metrics import derivative_share, new_derivative_share
from weightwatch.metrics.base import MetricContext

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN = "derivative_share"  # the golden files' prefix (conftest parametrizes ``golden_path``)


def test_golden(golden_path: Path, check_golden) -> None:
    check_golden(golden_path)


def test_provenance_names_the_lineage(golden_path: Path, make_store, run) -> None:
    case = json.loads(golden_path.read_text(encoding="utf-8"))
    result = run(derivative_share, make_store(case["store"]), case["params"])
    assert result.provenance["lineage"]["families_version"]
    assert result.params["as_of"] == case["store"]["snapshots"][-1]


@pytest.fixture(scope="module")
def monthly_store(make_store):
    case = json.loads((GOLDEN_DIR / "derivative_share-monthly.json").read_text(encoding="utf-8"))
    return make_store(case["store"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window": "first-year"}, "first-year"),
        ({"min_downloads": 10}, "--min-downloads"),
        ({"exclude_suspected_automated": True}, "--exclude-suspected-automated"),
    ],
)
def test_download_conventions_are_refused(monthly_store, run, params, message) -> None:
    with pytest.raises(MetricError, match=message):
        run(derivative_share, monthly_store, params)


def test_groups_are_families_only() -> None:
    with pytest.raises(ValueError, match="family"):
        derivative_share.DerivativeShareParams(group_by="country")
    with pytest.raises(ValueError, match="not understood"):
        derivative_share.DerivativeShareParams(window="soon")


def test_alias_keeps_its_shape_and_agrees(monthly_store, run) -> None:
    new = run(derivative_share, monthly_store, {"top": 1}).to_records()
    old = run(new_derivative_share, monthly_store, {"top": 1}).to_records()
    assert list(old[0]) == ["month", "family", "derivatives", "month_total", "share"]
    assert [(r["month"], r["family"], r["derivatives"], r["share"]) for r in old] == [
        (r["period_start"].strftime("%Y-%m"), r["family"], r["derivatives"],
         r["share_of_derivatives"]) for r in new
    ]  # fmt: skip
    assert [r["month_total"] for r in old] == [1, 5, 5, 1]


# ----------------------------------------------------------------------- invariants

ROOTS = ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B", "someone/base"]
RELATIONS = ["finetune", "adapter", "quantized", "merge"]
START = datetime(2025, 1, 1, 12, tzinfo=UTC)

forests = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),  # parent index; none when not yet made
        st.sampled_from(RELATIONS),
        st.integers(min_value=0, max_value=120),  # creation day offset
        st.booleans(),  # LLM?
    ),
    min_size=1,
    max_size=14,
)


def forest_spec(rows: list[tuple[int, str, int, bool]]) -> dict[str, Any]:
    """Roots plus one model per row, whose parent is a root or an earlier model (or none)."""
    ids = list(ROOTS)
    attributes: dict[str, dict[str, Any]] = {r: {"created_at": START} for r in ROOTS}
    for i, (parent, relation, day, llm) in enumerate(rows):
        model_id = f"u{i}/m{i}"
        attrs: dict[str, Any] = {
            "created_at": START + timedelta(days=day),
            "pipeline_tag": "text-generation" if llm else "text-to-image",
        }
        if parent < len(ids):
            attrs["base_models"] = [{"relation": relation, "model_id": ids[parent]}]
        attributes[model_id] = attrs
        ids.append(model_id)
    return {
        "snapshots": ["2025-06-01"],
        "counters": {m: [1] for m in ids},
        "attributes": attributes,
    }


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(forests)
def test_shares_sum_to_one_and_every_derivative_counts_once(make_store, run, rows) -> None:
    result = run(derivative_share, make_store(forest_spec(rows)), {"top": 0}).to_records()
    periods: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in result:
        periods[r["period_end"]].append(r)
    for members in periods.values():
        assert sum(r["share_of_derivatives"] for r in members) == pytest.approx(1.0)
        assert {r["new_models"] for r in members} == {members[0]["new_models"]}
        assert sum(r["derivatives"] for r in members) <= members[0]["new_models"]
    with_parent = sum(1 for i, (parent, *_) in enumerate(rows) if parent < len(ROOTS) + i)
    assert sum(r["derivatives"] for r in result) == with_parent


def test_row_order_in_the_store_changes_nothing(make_store, run) -> None:
    case = json.loads((GOLDEN_DIR / "derivative_share-monthly.json").read_text(encoding="utf-8"))
    store = make_store(case["store"], shuffle=random.Random(3))
    plain = make_store(case["store"])
    assert (
        run(derivative_share, store, {}).to_records()
        == run(derivative_share, plain, {}).to_records()
    )


def test_smoke_on_the_realistic_store(realistic_ctx: MetricContext) -> None:
    params = derivative_share.DerivativeShareParams(freq="year", top=5)
    result = derivative_share.METRIC.compute(realistic_ctx, params)
    rows = result.to_records()
    assert rows and result.params["as_of"] == realistic_ctx.store.latest().isoformat()
    by_year: dict[Any, float] = defaultdict(float)
    for r in rows:
        by_year[r["period_end"]] += r["share_of_derivatives"]
        assert 0 < r["share_of_new"] <= 1
    assert all(v == pytest.approx(1.0) for v in by_year.values())
    assert len({r["family"] for r in rows} - {"other"}) <= 5
