"""`weightwatch lineage …` / `weightwatch families` end to end, the stored tables (lazy
build, rebuild when stale, manifests), and the benchmark at toy size."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from weightwatch.bench.lineage import run as bench_run
from weightwatch.cli import app
from weightwatch.demo import build_demo_store
from weightwatch.errors import WeightwatchError
from weightwatch.lineage.build import EDGES_TABLE, NODES_TABLE, ensure_lineage, read_lineage
from weightwatch.store import Store

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_lineage_commands(crafted_store: Store) -> None:
    root = str(crafted_store.root)
    # roots: built lazily on first use, then read from the store
    code, out, err = cli("lineage", "roots", "--store", root, "--format", "json")
    assert code == 0, err
    assert crafted_store.snapshot_dates(NODES_TABLE) == crafted_store.snapshot_dates()
    rows = {r["model_id"]: r for r in json.loads(out)["rows"]}
    assert rows["u/merge"]["roots"] == ["org/base", "gone/missing"]
    assert rows["u/bad"]["status"] == "unresolved" and rows["u/bad"]["family"] is None
    assert rows["gone/missing"]["status"] == "dangling"
    code, out, _ = cli("lineage", "roots", "--store", root, "--status", "unresolved", "-f", "csv")
    assert code == 0
    assert {r["model_id"] for r in csv.DictReader(io.StringIO(out))} == {"u/bad", "u/child-of-bad"}
    code, out, _ = cli("lineage", "roots", "--store", root, "--limit", "3")
    assert code == 0 and "Lineage roots" in out

    # tree: ancestors and descendants, URL arguments accepted, ★ marks primary parents
    code, out, _ = cli("lineage", "tree", "https://hf.co/u/ft", "--store", root)
    assert code == 0
    assert "org/base (finetune) ★" in out and "u/ft-GGUF (quantized) ★" in out
    code, out, _ = cli("lineage", "tree", "u/merge", "--store", root, "--depth", "1", "-f", "json")
    doc = json.loads(out)
    assert doc["primary_root"] == "org/base"
    assert {r["model_id"] for r in doc["rows"] if r["direction"] == "ancestor"} == {
        "u/ft", "org/base", "gone/missing",
    }  # fmt: skip
    code, _, err = cli("lineage", "tree", "nobody/nothing", "--store", root)
    assert code == 2 and "not in the lineage" in err
    code, _, err = cli("lineage", "tree", "N/A", "--store", root)
    assert code == 2 and "placeholder" in err

    # stats and build
    code, out, _ = cli("lineage", "stats", "--store", root, "-f", "json")
    stats = {r["measure"]: r["value"] for r in json.loads(out)["rows"]}
    assert stats["edges.status.unparseable"] == 5 and stats["edges.status.self_loop"] == 1
    assert stats["edges.status.cycle_broken"] == 1 and stats["card_tag_conflicts"] == 1
    assert stats["unparseable_by_problem.local_path"] == 2
    code, out, _ = cli("lineage", "build", "--store", root, "--format", "csv")
    assert code == 0 and out.startswith("measure,value\n")

    # families by month
    code, out, _ = cli("families", "--store", root, "--by", "month", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["metric"] == "derivative_counts" and doc["params"]["by"] == "month"
    code, _, err = cli("families", "--store", root, "--snapshot-date", "2020-01-01")
    assert code == 1 and "2020-01-01 (have: 2026-05-04)" in err


def test_tables_are_stored_current_and_verified(tmp_path: Path) -> None:
    store = build_demo_store(tmp_path / "st")
    when = ensure_lineage(store)
    nodes = read_lineage(store, when, NODES_TABLE)
    edges = read_lineage(store, when, EDGES_TABLE)
    assert nodes.num_rows == 1130 and edges.num_rows == 561
    manifest = store.manifest(when, NODES_TABLE)
    assert manifest.extra["lineage_version"] == "lineage/1" and manifest.rows == 1130
    assert store.verify() == []
    built = manifest.created_at
    assert ensure_lineage(store) == when  # current: not rebuilt
    assert store.manifest(when, NODES_TABLE).created_at == built
    build_demo_store(tmp_path / "st")  # the snapshot is replaced: lineage is stale
    ensure_lineage(store)
    assert store.manifest(when, NODES_TABLE).created_at > built
    # rows come out sorted by key, whatever the input order
    keys = nodes.column("model_key").to_pylist()
    assert keys == sorted(keys)


def test_bench_runs_small_and_agrees_with_networkx() -> None:
    result = bench_run(models=4000, edges=2000, repeat=3)
    assert result["agree"] is True
    runs = [r["seconds"] for r in result["weightwatch_runs"]]
    assert len(runs) == 3 and runs == sorted(runs)
    assert result["weightwatch"]["seconds"] == runs[1]  # the median run is reported
    assert result["weightwatch"]["stats"]["cycles"] > 0
    assert result["speedup_vs_networkx"] > 0
    with pytest.raises(WeightwatchError, match="repeat"):
        bench_run(models=10, edges=5, repeat=0)
