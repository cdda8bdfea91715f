"""relative_adoption: golden cases worked by hand, the reference rule's invariants
(hypothesis), parameter checks and a smoke run on the realistic store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.engine import published_files
from weightwatch.errors import MetricError
from weightwatch.metrics import relative_adoption
from weightwatch.metrics.base import MetricContext
from weightwatch.orgs import load_registry
from weightwatch.series.ages import AGES_TABLE
from weightwatch.testing.stores import build, model

GOLDEN = Path(__file__).resolve().parent / "golden"
Params = relative_adoption.RelativeAdoptionParams


def dated(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with its ISO ``created_at`` texts as datetimes (JSON has no timestamps)."""
    attributes = {
        model: {
            k: datetime.fromisoformat(v).astimezone(UTC) if k == "created_at" and v else v
            for k, v in attrs.items()
        }
        for model, attrs in spec.get("attributes", {}).items()
    }
    return {**spec, "attributes": attributes}


def expected(value: Any) -> Any:
    if isinstance(value, str) and "/" in value and value.replace("/", "").isdigit():
        return pytest.approx(float(Fraction(value)), rel=1e-12)
    return value


def load(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return case


@pytest.fixture(scope="module")
def golden_store(make_store):
    return make_store(dated(load("relative_adoption-top-auto")["store"]))


@pytest.mark.parametrize(
    "path", sorted(GOLDEN.glob("relative_adoption-*.json")), ids=lambda p: p.stem
)
def test_golden(path: Path, golden_store, run) -> None:
    case = load(path.stem)
    assert case["store"] == load("relative_adoption-top-auto")["store"]  # one store for all
    result = run(relative_adoption, golden_store, case["params"])
    assert result.to_records() == [{k: expected(v) for k, v in row.items()} for row in case["rows"]]
    assert result.notes == case["notes"]
    for key, value in case["params"].items():
        assert result.params[key] == value
    assert len(result.provenance["snapshots"]) == len(case["store"]["snapshots"])


def test_parameters() -> None:
    assert Params(ages="90,30,30").ages == [30, 90]  # as `-p ages=90,30` gives it
    assert Params(models="Qwen/A").models == ["Qwen/A"]
    assert Params().ages == [30, 90, 180, 365] and Params().max_lag_days == 7
    with pytest.raises(ValueError, match="0 or more"):
        Params(ages=[-1])
    with pytest.raises(ValueError, match="size_class"):
        Params(group_by="country")


def test_unknown_reference_is_refused(golden_store, run) -> None:
    with pytest.raises(MetricError, match="nobody/there"):
        run(relative_adoption, golden_store, {"reference": "nobody/there"})


def test_as_of_hides_later_snapshots(golden_store, run) -> None:
    """At as_of 2026-01-15 C is 7 days old: its age-14 value does not exist yet, so the
    age-14 leader is A (300), and nothing after 01-15 is read."""
    rows = run(
        relative_adoption,
        golden_store,
        {"ages": [14], "models": ["google/C", "Qwen/A"], "as_of": "2026-01-15"},
    ).to_records()
    assert [(r["model_id"], r["cumulative_downloads"], r["reference_model"]) for r in rows] == [
        ("google/C", None, "Qwen/A"),
        ("Qwen/A", 300, "Qwen/A"),
    ]
    assert rows[1]["relative"] == 1.0


# ----------------------------------------------------------------------- invariants

DAYS = [date(2026, 1, 1) + timedelta(days=7 * k) for k in range(5)]
SIZES = [5 * 10**8, 8 * 10**9, None]

histories = st.lists(
    st.tuples(
        st.integers(min_value=-20, max_value=28),  # creation day: listed on 01-29
        st.sampled_from(SIZES),
        st.lists(st.integers(min_value=0, max_value=500), min_size=5, max_size=5),  # growth
    ),
    min_size=1,
    max_size=10,
)


def history_spec(models: list[tuple[int, int | None, list[int]]]) -> dict[str, Any]:
    counters: dict[str, list[int | None]] = {}
    attributes: dict[str, dict[str, Any]] = {}
    for i, (born, size, growth) in enumerate(models):
        created = datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=born)
        total, series = 0, []
        for day, step in zip(DAYS, growth, strict=True):
            total += step
            series.append(total if day >= created.date() else None)
        counters[f"u{i}/m{i}"] = series
        attributes[f"u{i}/m{i}"] = {"created_at": created, "params_total": size}
    snapshots = [d.isoformat() for d in DAYS]
    return {"snapshots": snapshots, "counters": counters, "attributes": attributes}


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(histories)
def test_the_reference_is_the_leader_of_its_class(make_store, run, models) -> None:
    spec = history_spec(models)
    ids = list(spec["counters"])
    result = run(relative_adoption, make_store(spec), {"ages": [0, 7, 14], "models": ids})
    rows = result.to_records()
    assert len(rows) == 3 * len(ids)
    leaders: dict[tuple[str, int], int] = {}
    for r in rows:
        if r["cumulative_downloads"] is not None:
            key = (r["size_class"], r["age_days"])
            leaders[key] = max(leaders.get(key, 0), r["cumulative_downloads"])
    for r in rows:
        key = (r["size_class"], r["age_days"])
        assert r["reference_downloads"] == leaders.get(key)
        if r["model_id"] == r["reference_model"] and r["reference_downloads"]:
            assert r["relative"] == 1.0  # exactly
        if r["relative"] is not None:
            assert 0.0 <= r["relative"] <= 1.0


def test_smoke_on_the_realistic_store(realistic_ctx: MetricContext) -> None:
    metric = relative_adoption.METRIC
    result = metric.compute(realistic_ctx, metric.params(ages=[0, 7, 28], n=10))
    rows = result.to_records()
    assert len(rows) == 30
    for r in rows:
        if r["reference_model"] == r["model_id"] and r["reference_downloads"]:
            assert r["relative"] == 1.0
        if r["relative"] is not None:
            assert r["relative"] <= 1.0


# ------------------------------------------------------------ the two routes agree

TOP = "the most downloaded model"  # stands for a model id of the realistic store

ROUTE_CASES: list[dict[str, Any]] = [
    {},
    {"reference": TOP},
    {"min_downloads": 1000},
    {"max_lag_days": 0},
    {"ages": [30, 180], "max_lag_days": 14, "as_of": "2026-02-08"},
]


@pytest.mark.parametrize("case", ROUTE_CASES, ids=str)
def test_the_ages_table_gives_what_every_snapshot_gives(
    realistic_ctx: MetricContext, case: dict[str, Any]
) -> None:
    metric = relative_adoption.METRIC
    if case.get("reference") == TOP:
        first = metric.compute(realistic_ctx, Params()).to_records()[0]
        case = {**case, "reference": first["model_id"]}
    params = Params(**case).resolved(realistic_ctx.store)
    assert relative_adoption.ages_table_serves(params)
    order = [("model_key", "ascending"), ("age_days", "ascending")]
    fast = relative_adoption.cumulative_at_ages(realistic_ctx, params).to_pyarrow()
    full = relative_adoption.cumulative_at_ages(realistic_ctx, params, route="snapshots")
    assert fast.num_rows > 100  # every age asked has values
    assert set(fast["age_days"].to_pylist()) == set(params.ages)
    assert fast.sort_by(order).equals(full.to_pyarrow().sort_by(order))
    quick = relative_adoption.compute(realistic_ctx, params)
    slow = relative_adoption.compute(realistic_ctx, params, route="snapshots")
    assert quick.to_records() == slow.to_records()
    assert quick.notes == slow.notes


@pytest.mark.parametrize("route", relative_adoption.ROUTES)
def test_a_remade_repository_is_not_observed(tmp_path: Path, route: str) -> None:
    """acme/model was made again on 2025-12-02; the 01-01 snapshot (age 30 of the new repo)
    still lists the older repo of that id, made 2025-10-03 (age 90 there, so the ages table
    holds that row).  Its counter (9000) is not the new repo's: C at age 30 is read from
    01-08 (age 37), 200."""
    new = "2025-12-02T10:00:00"
    store = build(
        tmp_path / "store",
        {
            date(2026, 1, 1): [
                model("acme/model", 9000, created="2025-10-03T00:00:00"),
                model("other/m", 50, created=new),
            ],
            date(2026, 1, 8): [
                model("acme/model", 200, created=new),
                model("other/m", 60, created=new),
            ],
            date(2026, 1, 15): [
                model("acme/model", 300, created=new),
                model("other/m", 70, created=new),
            ],
        },
    )
    ctx = MetricContext(store, load_registry())
    params = Params(ages=[30], models=["acme/model", "other/m"])
    rows = relative_adoption.compute(ctx, params, route=route).to_records()
    assert [(r["model_id"], r["cumulative_downloads"], r["relative"]) for r in rows] == [
        ("acme/model", 200, 1.0),
        ("other/m", 50, 0.25),
    ]
    if route == "auto":
        older = pq.read_table(published_files(store, AGES_TABLE, [date(2026, 1, 1)])[0])
        assert ("acme/model", 90, 9000) in zip(
            *(older[c].to_pylist() for c in ("model_key", "age_days", "all_time")), strict=True
        )
