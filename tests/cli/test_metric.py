"""`weightwatch metric`: the registry listing, options validated per metric, formats."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.metrics import METRICS
from weightwatch.store import Store
from weightwatch.testing.stores import build, model

RUNNER = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, " ".join(result.stderr.split())  # unwrapped


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Four weekly snapshots: Qwen (CN) grows fast, meta-llama (US) slowly, one GGUF copy."""
    created = datetime(2025, 6, 1, tzinfo=UTC)
    snapshots = {}
    for week in range(4):
        day = date(2026, 3, 1) + timedelta(days=7 * week)
        snapshots[day] = [
            model(
                "Qwen/Qwen3-8B", 1000 + 500 * week, created=created, pipeline_tag="text-generation"
            ),
            model("meta-llama/Llama-3.1-8B", 3000 + 100 * week, created=created + timedelta(1)),
            model(
                "bartowski/Qwen3-8B-GGUF",
                10 + 50 * week,
                created=created + timedelta(2),
                library="gguf",
                is_gguf=True,
            ),
        ]
    return build(tmp_path_factory.mktemp("cli") / "store", snapshots)


def test_list_names_every_metric() -> None:
    code, out, _ = run("metric", "list", "--format", "json")
    assert code == 0
    assert [r["metric"] for r in json.loads(out)] == list(METRICS)


def test_weekly_share_json_and_parquet_agree(store: Store, tmp_path: Path) -> None:
    args = ["metric", "download_share", "--store", str(store.root), "--freq", "interval"]
    code, out, err = run(*args, "--window", "14d", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["params"]["window"] == "14d" and doc["params"]["as_of"] == "2026-03-22"
    got = {(r["period_end"], r["group"]): r["downloads"] for r in doc["rows"]}
    # two intervals in the last 14 days; bartowski (the GGUF copy) states no country
    assert got == {
        ("2026-03-15", "CN"): 500,
        ("2026-03-15", "US"): 100,
        ("2026-03-15", "unknown"): 50,
        ("2026-03-22", "CN"): 500,
        ("2026-03-22", "US"): 100,
        ("2026-03-22", "unknown"): 50,
    }
    code, _, err = run(
        *args, "--window", "14d", "--format", "parquet", "-o", str(tmp_path / "x.pq")
    )
    assert code == 0, err
    table = pq.read_table(tmp_path / "x.pq")
    assert table.column_names == ["period_start", "period_end", "group", "downloads", "share"]
    assert sorted(table.column("downloads").to_pylist()) == sorted(got.values())

    code, out, _ = run(
        *args, "--window", "14d", "--exclude-requantized", "--llm-only", "-f", "json"
    )
    groups = {r["group"] for r in json.loads(out)["rows"]}
    assert code == 0 and groups == {"CN"}  # Llama has no pipeline tag here; the copy is out


def test_options_are_checked_against_the_metric(store: Store) -> None:
    base = ["metric", "download_share", "--store", str(store.root)]
    code, _, err = run(*base, "-p", "k=5")
    assert code == 2 and "--k does not apply to metric download_share" in err
    code, _, err = run(*base, "--group-by", "planet")
    assert code == 2 and "--group-by" in err and "Traceback" not in err
    code, _, err = run(*base, "--window", "yesterday")
    assert code == 2 and "window 'yesterday' not understood" in err
    code, _, err = run(*base, "--engine", "oracle")
    assert code == 2 and "unknown engine" in err
    code, _, err = run(*base, "--format", "parquet")
    assert code == 2 and "--output" in err
    code, _, err = run("metric", "no_such_metric", "--store", str(store.root))
    assert code == 2 and "known metrics" in err
