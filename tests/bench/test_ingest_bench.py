"""The ingest benchmark, tiny: both cases run in fresh processes and report their figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from weightwatch.bench.ingest import run
from weightwatch.bench.suites import get_suite


def test_tiny_run_reports_both_cases_and_the_ratio(tmp_path: Path) -> None:
    figures = run(rows=20_000, workdir=str(tmp_path))
    imported, copied = figures["import"], figures["copy"]
    assert imported["rows"] == copied["rows"] == figures["file_rows"]
    assert 20_000 < figures["file_rows"] < 20_400  # next week: ~1 % new, a few deleted
    assert imported["deltas"] == ["2026-01-11"]
    assert imported["seconds"] > 0 and copied["seconds"] > 0
    assert imported["peak_mib"] > 0 and copied["peak_mib"] > 0
    assert figures["ratio_to_copy"] > 0
    assert set(figures["meets_targets"]) == {"seconds", "peak_mib", "ratio_to_copy"}
    # a clean file is read once: no survey before the guarded COPY
    assert {"copy", "deltas"} <= set(imported["phases"]) and "survey" not in imported["phases"]
    assert imported["cpu_seconds"] > 0 and copied["cpu_seconds"] > 0
    assert (tmp_path / "store" / "_tables" / "deltas" / "snapshot_date=2026-01-11").is_dir()


def test_repeats_report_every_pair_and_the_median_ratio(tmp_path: Path) -> None:
    figures = run(rows=5_000, workdir=str(tmp_path), repeat=3)
    runs = figures["runs"]
    assert len(runs) == 3 and figures["repeat"] == 3
    ratios = sorted(r["ratio"] for r in runs)
    assert figures["ratio_to_copy"] == ratios[1]
    assert all(r["import_seconds"] > 0 and r["copy_seconds"] > 0 for r in runs)
    fastest = min(r["import_seconds"] for r in runs)
    assert figures["import"]["seconds"] == pytest.approx(fastest, abs=0.01)
    generated = (tmp_path / "models-2026-01-11.parquet").stat().st_mtime_ns
    again = run(rows=5_000, workdir=str(tmp_path))  # the files are reused
    assert (tmp_path / "models-2026-01-11.parquet").stat().st_mtime_ns == generated
    assert again["file_rows"] == figures["file_rows"]


def test_the_bench_command_finds_the_suite() -> None:
    assert get_suite("ingest").load() is run
