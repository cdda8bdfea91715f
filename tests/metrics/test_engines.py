"""Every registered metric gives the same rows on DuckDB and on Spark (local mode), on a
realistic synthetic store, for its defaults and for the conventions that change its route."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from weightwatch.metrics import METRICS, MetricContext
from weightwatch.orgs import load_registry
from weightwatch.store import Store
from weightwatch.synth.hub import generate_store

# conventions exercising each route of the shared frame (roll-up, model facts, lineage);
# every metric also runs with its defaults
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "download_share": [
        {"freq": "week"},
        {"attribution": "developer", "group_by": "family"},
        {"group_by": "size_class", "window": "21d", "exclude_requantized": True},
        {"window": "first-year", "min_downloads": 10, "group_by": "org"},
        {"llm_only": True, "exclude_suspected_automated": True, "attribution": "family"},
    ],
    "concentration": [{"group_by": "model", "freq": "week"}],
    "crossover": [{"freq": "week", "attribution": "developer"}],
    "release_cadence": [{"group_by": "country", "freq": "total"}],
    "size_mix": [{"size_basis": "active", "window": "21d", "group_by": "country"}],
    "derivative_share": [{"freq": "year", "relation_source": "declared", "llm_only": True}],
    "top_models": [{"window": "14d", "attribution": "family", "group_by": "family"}],
    # enough models to have values: from the ages table, then from every snapshot
    "relative_adoption": [{"n": 300}, {"ages": [0, 7, 30], "max_lag_days": 3, "n": 300}],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return generate_store(tmp_path_factory.mktemp("engines") / "store", 1500, 5, seed=3)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [(name, params) for name in METRICS for params in [{}, *VARIANTS.get(name, [])]]


def _normalise(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, datetime):  # Spark returns UTC wall time without a zone
        return value.replace(tzinfo=None)
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("name", "params"), _cases(), ids=lambda v: str(v))
def test_duckdb_and_spark_agree(store: Store, spark_con: Any, name: str, params: dict) -> None:
    registry = load_registry()
    metric = METRICS[name]
    local = metric.compute(MetricContext(store, registry), metric.params(**params))
    spark = metric.compute(
        MetricContext(store, registry, "spark", con=spark_con), metric.params(**params)
    )
    assert local.params == spark.params
    assert local.rows.column_names == spark.rows.column_names
    assert _normalise(local.to_records()) == _normalise(spark.to_records())
    assert local.notes == spark.notes
