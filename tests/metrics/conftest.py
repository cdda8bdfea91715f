"""Fixtures for the adoption-metric tests: a small test registry, crafted stores written
from compact specs, golden cases, and realistic multi-snapshot stores.

A store spec maps each model id to its all-time counter per snapshot (``None``: not
listed in that snapshot; ``"unknown"``: listed without a counter), with optional
per-model attributes::

    {"snapshots": ["2026-01-04", "2026-01-11"],
     "counters": {"Qwen/Qwen3-8B": [100, 160], "someone/new": [None, 5]},
     "attributes": {"Qwen/Qwen3-8B": {"params_total": 8000000000,
                                      "created_at": "2025-04-29T00:00:00+00:00"}}}

Golden files (``golden/<metric>-<case>.json``) hold a spec under ``store``, the
``params``, the expected ``rows`` and ``notes``, and an ``explain`` list working the
numbers out by hand.  An expected float may be written as a fraction string (``"29/49"``).
A test module with ``GOLDEN = "<metric>"`` gets its ``golden_path`` parameter
from those files; ``check_golden(golden_path)`` runs one.
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pytest

from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.result import MetricResult
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.orgs import OrgRecord, OrgRegistry, load_registry
from weightwatch.store import Store
from weightwatch.synth.hub import generate_store

GOLDEN = Path(__file__).resolve().parent / "golden"
Spec = Mapping[str, Any]

#: account, organisation, country, org type
TEST_ACCOUNTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("Qwen", "Alibaba Qwen", "CN", "company"),
    ("deepseek-ai", "DeepSeek", "CN", "company"),
    ("meta-llama", "Meta", "US", "company"),
    ("google", "Google", "US", "company"),
    ("unsloth", "Unsloth AI", "US", "company"),
    ("mistralai", "Mistral AI", "FR", "company"),
    ("bartowski", "bartowski", None, "individual"),
    ("openai", "OpenAI", "US", "company"),
)


def registry_for_tests() -> OrgRegistry:
    records = [
        OrgRecord(account, org, country, org_type, (), "test", "test")
        for account, org, country, org_type in TEST_ACCOUNTS
    ]
    return OrgRegistry(records, data_version="test", bundled_sha256="test")


def hub_row(model_id: str, all_time: int | None, **attributes: Any) -> dict[str, Any]:
    """One canonical snapshot row (the fields the deltas and facts read)."""
    row: dict[str, Any] = {
        "model_id": model_id,
        "author": model_id.split("/")[0],
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        "downloads_all_time": all_time,
        "library_name": "transformers",
        "pipeline_tag": "text-generation",
        "tags": [],
        "base_models": [],
        "is_gguf": False,
        "source": "test",
    }
    row.update(attributes)
    if isinstance(row["created_at"], str):  # JSON specs write timestamps as ISO text
        row["created_at"] = datetime.fromisoformat(row["created_at"]).astimezone(UTC)
    return row


def snapshot_rows(spec: Spec) -> dict[date, list[dict[str, Any]]]:
    """The rows of each snapshot of ``spec``, in the spec's model order."""
    attributes = spec.get("attributes", {})
    out: dict[date, list[dict[str, Any]]] = {}
    for i, day in enumerate(spec["snapshots"]):
        rows = [
            hub_row(
                model_id,
                None if counters[i] == "unknown" else counters[i],
                **attributes.get(model_id, {}),
            )
            for model_id, counters in spec["counters"].items()
            if counters[i] is not None
        ]
        out[date.fromisoformat(day)] = rows
    return out


def write_store(root: Path, snapshots: Mapping[date, list[dict[str, Any]]]) -> Store:
    store = Store.create(root)
    for day in sorted(snapshots):
        with store.writer(day, source="test") as writer:
            writer.write_batch(pa.Table.from_pylist(snapshots[day], schema=FILE_SCHEMA))
    return store


StoreFactory = Callable[..., Store]


@pytest.fixture(scope="session")
def make_store(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    """``make_store(spec, shuffle=None)``: a new store from ``spec``; with a
    ``random.Random``, each snapshot's rows are written in a shuffled order."""

    def make(spec: Spec, shuffle: random.Random | None = None) -> Store:
        snapshots = snapshot_rows(spec)
        if shuffle is not None:
            for rows in snapshots.values():
                shuffle.shuffle(rows)
        return write_store(tmp_path_factory.mktemp("store") / "store", snapshots)

    return make


Run = Callable[[ModuleType, Store, Mapping[str, Any]], MetricResult]


@pytest.fixture(scope="session")
def run() -> Run:
    """``run(module, store, params)``: the module's metric on DuckDB with the test registry."""
    registry = registry_for_tests()

    def compute(module: ModuleType, store: Store, params: Mapping[str, Any]) -> MetricResult:
        ctx = MetricContext(store, registry)
        result: MetricResult = module.METRIC.compute(ctx, module.METRIC.params(**params))
        return result

    return compute


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``golden_path`` with the golden files of the test module's metric
    (its ``GOLDEN`` constant: the metric's name, a string)."""
    if "golden_path" in metafunc.fixturenames:
        paths = sorted(GOLDEN.glob(f"{metafunc.module.GOLDEN}-*.json"))
        metafunc.parametrize("golden_path", paths, ids=[p.stem for p in paths])


def _expected(value: Any) -> Any:
    if isinstance(value, str) and "/" in value and value.replace("/", "").isdigit():
        return pytest.approx(float(Fraction(value)), rel=1e-12)
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-12)
    return value


def jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, date) else v for k, v in r.items()} for r in rows]


@pytest.fixture(scope="session")
def check_golden(make_store: StoreFactory, run: Run) -> Callable[[Path], None]:
    """``check_golden(path)``: compute the golden case at ``path`` (its metric is the file
    name's prefix) and compare rows, notes and the echoed params."""

    def check(path: Path) -> None:
        case = json.loads(path.read_text(encoding="utf-8"))
        module = importlib.import_module(f"weightwatch.metrics.{path.stem.split('-')[0]}")
        result = run(module, make_store(case["store"]), case["params"])
        got = jsonable(result.to_records())
        want = [{k: _expected(v) for k, v in row.items()} for row in case["rows"]]
        assert [list(r) for r in got] == [list(r) for r in want], "columns differ"
        assert got == want
        assert result.notes == case["notes"]
        assert result.metric == module.METRIC.name
        assert {k: result.params[k] for k in case["params"]} == case["params"]

    return check


# ----------------------------------------------------------------- realistic stores


@pytest.fixture(scope="session")
def realistic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The synthetic Hub: ~3000 models over 8 weekly snapshots (labs, quantizers, a long
    tail of individuals; renames, deletions, bursts), attributed with the real registry."""
    return generate_store(
        tmp_path_factory.mktemp("synth") / "store", 3000, 8, seed=0, start=date(2026, 1, 4)
    )


@pytest.fixture(scope="session")
def realistic_ctx(realistic_store: Store) -> MetricContext:
    return MetricContext(realistic_store, load_registry())


#: A Hub-like mix for :func:`mixed_spec`: (author, models, weekly downloads scale).
_AUTHORS: tuple[tuple[str, int, int], ...] = (
    ("Qwen", 12, 40_000),
    ("deepseek-ai", 6, 30_000),
    ("meta-llama", 10, 35_000),
    ("google", 8, 15_000),
    ("mistralai", 6, 10_000),
    ("unsloth", 15, 3_000),
    ("bartowski", 25, 2_000),
    *((f"user-{i}", 4, 300) for i in range(30)),
)
_SIZES = (5 * 10**8, 3 * 10**9, 8 * 10**9, 32 * 10**9, 70 * 10**9, 671 * 10**9, None)


def mixed_spec(seed: int = 7, snapshots: int = 6) -> dict[str, Any]:
    """A store spec of ~200 models of the test registry's accounts and individuals over
    weekly snapshots: heavy-tailed downloads, 30 % of models at zero, late arrivals and a
    few deletions."""
    rnd = random.Random(seed)
    days = [date(2026, 1, 4) + timedelta(days=7 * k) for k in range(snapshots)]
    counters: dict[str, list[int | None]] = {}
    attributes: dict[str, dict[str, Any]] = {}
    for author, count, scale in _AUTHORS:
        for j in range(count):
            appeal = scale * rnd.paretovariate(1.5) if rnd.random() > 0.3 else 0.0
            born = rnd.choice([0, 0, 0, 1, 3])
            gone = rnd.random() < 0.05
            total = int(appeal * rnd.uniform(1, 20))
            series: list[int | None] = []
            for k in range(snapshots):
                if k < born or (gone and k == snapshots - 1):
                    series.append(None)
                    continue
                if k > born:
                    total += int(appeal * rnd.lognormvariate(0, 0.6))
                series.append(total)
            counters[f"{author}/model-{j}"] = series
            attributes[f"{author}/model-{j}"] = {"params_total": rnd.choice(_SIZES)}
    return {
        "snapshots": [d.isoformat() for d in days],
        "counters": counters,
        "attributes": attributes,
    }


def with_zero_models(spec: Spec) -> dict[str, Any]:
    """``spec`` plus models that never download anything: one of a registry account with
    no other model (a group of its own: org, org type), one outside the registry, one of
    an account that has models."""
    zeros = {
        "openai/never-pulled": {"params_total": 20 * 10**9},
        "stranger/zero": {},
        "Qwen/zero-downloads": {"params_total": 10**6},
    }
    width = len(spec["snapshots"])
    return {
        "snapshots": list(spec["snapshots"]),
        "counters": {**spec["counters"], **{m: [0] * width for m in zeros}},
        "attributes": {**spec.get("attributes", {}), **zeros},
    }


@pytest.fixture(scope="session")
def store_pair(make_store: StoreFactory) -> tuple[MetricContext, MetricContext]:
    """Two contexts over the same data: :func:`mixed_spec` as generated, and its rows
    written in another order with zero-download models added."""
    registry = registry_for_tests()
    spec = mixed_spec()
    plain = make_store(spec)
    shuffled = make_store(with_zero_models(spec), shuffle=random.Random(3))
    return MetricContext(plain, registry), MetricContext(shuffled, registry)
