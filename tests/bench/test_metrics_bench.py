"""The metrics benchmark, tiny: the three implementations of the weekly share agree and one
more snapshot materialises exactly its own partitions (times are not asserted)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from weightwatch.bench.metrics import run
from weightwatch.bench.suites import check_params, get_suite, parse_params
from weightwatch.errors import InputError
from weightwatch.orgs import load_registry
from weightwatch.series.rollup import registry_rollup_table


def test_tiny_run_agrees_and_updates_only_the_new_week(tmp_path: Path) -> None:
    figures = run(models=2000, snapshots=4, workdir=str(tmp_path), pandas_models=2000, runs=1)
    assert figures["agree"]
    share = figures["weekly_share"]
    assert share["agree"] and share["cells"] > 0 and share["differing_cells"] == 0
    assert share["weightwatch"]["warm_seconds"] > 0 and share["sql"]["seconds"] > 0
    assert figures["pandas_size"]["agree"] and figures["pandas_size"]["pandas"]["seconds"] > 0

    incremental = figures["incremental"]
    last = incremental["snapshot_date"]
    assert incremental["deltas_materialised"] == [last]
    assert incremental["facts_rollups_materialised"] == [last]
    assert incremental["earlier_partitions_rewritten"] == []
    registry_rollup = registry_rollup_table(load_registry())
    tables = ("ages", "deltas", "facts", "rollup", registry_rollup, "snapshots")
    assert incremental["partitions_added"] == [f"{t}/snapshot_date={last}" for t in tables]
    assert incremental["new_partitions_only"]
    assert figures["meets_targets"]["incremental_new_partitions_only"]

    assert figures["sizes"]["snapshots"]["partitions"] == 4
    assert set(figures["all_metrics"]["per_metric_seconds"]) >= {"download_share", "top_models"}
    # the report read the checkpoint of the week before; the next one is saved from it
    checkpoint = figures["totals_checkpoint"]
    assert checkpoint["since"] == str(date.fromisoformat(last) - timedelta(days=7))
    assert checkpoint["checkpoint_rows"] > 1000
    assert set(figures["meets_targets"]) >= set(figures["targets"])
    assert not (tmp_path / "held").exists()


def test_the_bench_command_finds_the_suite_and_its_params() -> None:
    suite = get_suite("metrics")
    assert suite.load() is run
    params = parse_params(["pandas_models=1000", "workdir=/data/bench"])
    assert params == {"pandas_models": 1000, "workdir": "/data/bench"}
    assert suite.kwargs(5000, params) == {**params, "models": 5000}
    assert get_suite("ingest").kwargs(None, params) == {"workdir": "/data/bench"}
    check_params([suite], params)
    with pytest.raises(InputError, match="pandas_modles"):
        check_params([suite], {"pandas_modles": 1})
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_params(["runs"])
