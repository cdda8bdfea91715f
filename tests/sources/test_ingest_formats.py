"""`weightwatch ingest --format hub-stats|eoi` end to end, next to the unchanged default."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.store import Store
from weightwatch.synth.hub_stats import write_hub_stats

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_hub_stats_files_one_snapshot_per_date_in_their_names(tmp_path: Path) -> None:
    first, second = tmp_path / "models-2026-01-04.parquet", tmp_path / "models-2026-01-11.parquet"
    write_hub_stats(first, rows=3_000, seed=1, snapshot="2026-01-04")
    write_hub_stats(second, seed=1, snapshot="2026-01-11", previous=first)
    root = tmp_path / "st"
    code, out, err = run(
        "ingest", "--format", "hub-stats", str(second), str(first), "--store", str(root)
    )
    assert code == 0, err
    assert out.index("published snapshot 2026-01-04") < out.index("published snapshot 2026-01-11")
    assert "3,000 models (hub-stats, models-2026-01-04.parquet)" in out
    assert "deltas refreshed for 2026-01-11" in out
    store = Store.open(root)
    assert store.snapshot_dates() == store.snapshot_dates("deltas")
    code, _, err = run("ingest", "--format", "hub-stats", str(first), "--store", str(root))
    assert code == 1 and "--replace" in err


def test_hub_stats_without_a_date_says_how_to_give_one(tmp_path: Path) -> None:
    path = tmp_path / "models.parquet"
    pq.write_table(pa.table({"id": ["a/b"]}), path)
    code, _, err = run("ingest", "--format", "hub-stats", str(path), "--store", str(tmp_path / "s"))
    assert code == 2 and "--snapshot-date" in err and "models.parquet" in err
    code, out, err = run(
        "ingest", "--format", "hub-stats", str(path), "--store", str(tmp_path / "s"),
        "--snapshot-date", "2026-03-01",
    )  # fmt: skip
    assert code == 0, err
    assert "1 models" in out


def test_eoi_reports_every_snapshot_and_its_problems(tmp_path: Path) -> None:
    rows = [
        {"model": m, "author": m.split("/")[0], "time": datetime(2025, 6, d), "downloadsAllTime": n}
        for d in (1, 8)
        for m, n in (("Qwen/Qwen3-8B", 10 * d), ("google/gemma-3-4b-it", 20 * d))
    ]
    rows.append(
        {"model": "no good", "author": "x", "time": datetime(2025, 6, 8), "downloadsAllTime": 1}
    )
    path = tmp_path / "eoi.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    code, out, err = run("ingest", "--format", "eoi", str(path), "--store", str(tmp_path / "st"))
    assert code == 0, err
    assert "published snapshot 2025-06-01" in out and "published snapshot 2025-06-08" in out
    assert "1 rows rejected" in out and "row 5, field model: not a Hub repo id" in out


def test_truncated_dump_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "models-2026-01-04.parquet"
    write_hub_stats(path, rows=2_000, seed=2)
    path.write_bytes(path.read_bytes()[:5_000])
    code, _, err = run(
        "ingest", "--format", "hub-stats", str(path), "--store", str(tmp_path / "st")
    )
    flat = "".join(err.split())  # the console wraps long lines
    assert code == 2 and path.name in flat and "Nothingwaswritten" in flat
    assert not (tmp_path / "st").exists()


def test_default_format_still_reads_listings(hub_api_file: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "ingest",
        str(hub_api_file),
        "--store",
        str(tmp_path / "st"),
        "--snapshot-date",
        "2026-05-04",
    )
    assert code == 0, err
    assert "4 models" in out
    code, _, err = run(
        "ingest", str(hub_api_file), str(hub_api_file), "--store", str(tmp_path / "st2"),
        "--snapshot-date", "2026-05-04",
    )  # fmt: skip
    assert code == 2 and "one at a time" in err
    assert json.loads((tmp_path / "st" / "_weightwatch_store.json").read_text())["format"] == 1
