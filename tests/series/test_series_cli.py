"""`weightwatch series` end to end: shapes, formats, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from golden_store import build_golden_store
from typer.testing import CliRunner

from weightwatch.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "store"
    build_golden_store(root)
    return root


def test_json_shape_and_top(store_dir: Path) -> None:
    code, out, err = run(
        "series", "--store", str(store_dir), "--freq", "month", "--top", "2", "-f", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {"params", "provenance", "rows"} <= doc.keys()
    assert doc["params"]["freq"] == "month" and doc["params"]["window"] == "all"
    assert doc["provenance"]["registry"] is None
    assert [s["snapshot_date"] for s in doc["provenance"]["snapshots"]] == [
        "2026-01-01",
        "2026-01-08",
        "2026-01-29",
        "2026-02-03",
    ]
    assert {r["model_id"] for r in doc["rows"]} == {"acme/base", "acme/late"}
    assert any(r["period_start"] is None for r in doc["rows"])  # before the first snapshot


def test_window_model_and_csv(store_dir: Path) -> None:
    args = ["series", "--store", str(store_dir), "--window", "21d", "--model", "acme/base"]
    code, out, _ = run(*args, "--model", "acme/dec", "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["model_id"], r["period_end"], r["downloads"]) for r in rows} == {
        ("acme/base", "2026-01-29", "300"),
        ("acme/base", "2026-02-03", "100"),
        ("acme/dec", "2026-01-29", "40"),
        ("acme/dec", "2026-02-03", "10"),
    }
    code, out, _ = run(*args, "-f", "json")
    doc = json.loads(out)
    assert doc["coverage"]["counted_from"] == "2026-01-09"
    assert any("coverage" in n for n in doc["notes"])


def test_exclude_reuploads_and_table_format(store_dir: Path) -> None:
    args = ["series", "--store", str(store_dir), "--top", "0"]
    code, out, _ = run(*args, "--exclude-reuploads", "-f", "csv")
    assert code == 0 and "quant/base-GGUF" not in out and "acme/base" in out
    code, out, _ = run(*args)
    assert code == 0 and "Downloads per interval" in out and "lack an all-time counter" in out


def test_bad_input(store_dir: Path, tmp_path: Path) -> None:
    code, _, err = run("series", "--store", str(store_dir), "--window", "lastweek")
    assert code == 2 and "not understood" in err and "Traceback" not in err
    code, _, err = run("series", "--store", str(tmp_path / "none"))
    assert code == 1 and "not a weightwatch" in err


def test_from_30d_csv(shared_data: Path) -> None:
    meta = shared_data / "hf-downloads-forecast" / "download" / "Meta.csv"
    code, out, err = run("series", "--from-30d-csv", str(meta), "--top", "1", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["provenance"]["inputs"][0]["name"] == "Meta.csv"
    assert [r["model"] for r in doc["rows"]] == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert doc["rows"][0]["windows"] == 5
    code, out, _ = run(
        "series", "--from-30d-csv", str(meta), "--freq", "month", "--window",
        "2024-11-01..2024-12-31", "--model", "meta-llama/Llama-3.1-8B", "-f", "csv",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["span_start"], r["days_observed"], r["days_in_span"]) for r in rows] == [
        ("2024-11-01", "30", "30"),
        ("2024-12-01", "30", "31"),
    ]
    code, _, err = run("series", "--from-30d-csv", str(meta), "--freq", "week")
    assert code == 2 and "cannot resolve" in err
