"""Benchmark: importing a hub-stats-sized Parquet snapshot, against a plain DuckDB ``COPY``.

Two consecutive weekly files are generated (:func:`weightwatch.synth.hub_stats.write_hub_stats`,
2.5 M models by default); the first is imported untimed, so that the second import has a
previous snapshot to compute download deltas against.  Then, each in a fresh process
(:func:`weightwatch.bench.runner.measure`):

``import``
    ``weightwatch ingest --format hub-stats`` of the second file, as the CLI runs it:
    checks, canonical rows, rejects, manifest, atomic publish **and** the deltas against
    the previous snapshot (:func:`import_case`);
``copy``
    the baseline: ``COPY (SELECT * FROM read_parquet(file)) TO 'x.parquet' (FORMAT
    parquet)`` of the same file with DuckDB's defaults (:func:`copy_case`).

Both cases are run ``repeat`` times, alternately (a ``COPY`` then an import, back to back),
since the machines that run this are shared and noisy: ``ratio_to_copy`` is the median of
the ratios of those pairs, ``import`` and ``copy`` report the fastest run of each, and
``runs`` every pair (wall and CPU seconds, peak memory, the import's phases).  Each case
also reports the CPU seconds it used (all threads), a second view that the other
processes on the machine disturb less.  Targets on the 2-core reference machine: the
import within :data:`TARGET_SECONDS` and :data:`TARGET_PEAK_MIB`, and within
:data:`TARGET_RATIO` times the ``COPY``.

Given a ``workdir`` that already holds the two files for ``rows`` models (from an earlier
run), they are reused rather than generated again.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

import weightwatch.series.deltas  # noqa: F401  (imported here, not inside the timed call)
from weightwatch.bench.runner import Measurement, measure
from weightwatch.sources.hub_stats import import_hub_stats
from weightwatch.store import Store
from weightwatch.synth.hub_stats import write_hub_stats

FIRST = date(2026, 1, 4)
SECOND = date(2026, 1, 11)
TARGET_SECONDS = 15.0
TARGET_PEAK_MIB = 4096.0
TARGET_RATIO = 2.0


def cpu_seconds() -> float:
    """CPU seconds this process has used so far, all threads, user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def import_case(path: str, store: str, snapshot_date: str) -> dict[str, Any]:
    """The timed case: import ``path`` as ``snapshot_date`` (replacing it if a previous
    run left it) including the deltas against the previous snapshot."""
    start = cpu_seconds()
    report = import_hub_stats(
        [Path(path)], Store.open(store), date.fromisoformat(snapshot_date), replace=True
    )
    return {
        "rows": report.rows,
        "rejected": report.rejected,
        "field_issues": report.field_issue_count,
        "deltas": [d.isoformat() for d in report.deltas],
        "phases": report.seconds,
        "cpu_seconds": round(cpu_seconds() - start, 2),
    }


def copy_case(path: str, out: str) -> dict[str, Any]:
    """The baseline: DuckDB copies the same file to Parquet with its defaults."""
    start = cpu_seconds()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"COPY (SELECT * FROM read_parquet('{path}')) TO '{out}' (FORMAT parquet)")
        row = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    finally:
        con.close()
    return {"rows": int(row[0]) if row else 0, "cpu_seconds": round(cpu_seconds() - start, 2)}


def generate(directory: Path, rows: int) -> tuple[Path, Path, float]:
    """The two weekly files in ``directory`` (kept if an earlier run left them for the
    same ``rows``); returns their paths and the seconds taken."""
    start = time.perf_counter()
    first = directory / f"models-{FIRST.isoformat()}.parquet"
    second = directory / f"models-{SECOND.isoformat()}.parquet"
    if not (_rows(first) == rows and _rows(second)):
        write_hub_stats(first, rows=rows, seed=0, snapshot=FIRST)
        write_hub_stats(second, seed=0, snapshot=SECOND, previous=first)
    return first, second, time.perf_counter() - start


def _rows(path: Path) -> int | None:
    """The row count in a Parquet file's footer; None if there is no readable file."""
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, ValueError):
        return None


def _best(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda m: m.seconds)


def _ratio(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


def _pair(imported: Measurement, copied: Measurement) -> dict[str, Any]:
    """One repeat: an import and the ``COPY`` run just before it."""
    cpu_import = float(imported.result.get("cpu_seconds", 0.0))
    cpu_copy = float(copied.result.get("cpu_seconds", 0.0))
    return {
        "import_seconds": round(imported.seconds, 2),
        "copy_seconds": round(copied.seconds, 2),
        "ratio": round(_ratio(imported.seconds, copied.seconds), 2),
        "import_cpu_seconds": cpu_import,
        "copy_cpu_seconds": cpu_copy,
        "cpu_ratio": round(_ratio(cpu_import, cpu_copy), 2),
        "import_peak_mib": round(imported.peak_mib, 1),
        "copy_peak_mib": round(copied.peak_mib, 1),
        "phases": imported.result.get("phases", {}),
    }


def run(rows: int = 2_500_000, workdir: str | None = None, repeat: int = 1) -> dict[str, Any]:
    """Run the benchmark on ``rows`` models (see the module doc); files go to ``workdir``
    (default: a temporary directory, removed afterwards).  Returns the figures."""
    owned = workdir is None
    base = Path(tempfile.mkdtemp(prefix="ww-bench-ingest-") if owned else str(workdir))
    try:
        base.mkdir(parents=True, exist_ok=True)
        first, second, generate_seconds = generate(base, rows)
        store_dir = base / "store"
        if store_dir.exists():
            shutil.rmtree(store_dir)
        import_hub_stats([first], store_dir, FIRST)  # untimed: the previous snapshot
        imports: list[Measurement] = []
        copies: list[Measurement] = []
        for _ in range(max(1, repeat)):
            copies.append(
                measure(
                    "duckdb COPY",
                    "weightwatch.bench.ingest:copy_case",
                    path=str(second),
                    out=str(base / "copy.parquet"),
                )
            )
            imports.append(
                measure(
                    "weightwatch import + deltas",
                    "weightwatch.bench.ingest:import_case",
                    path=str(second),
                    store=str(store_dir),
                    snapshot_date=SECOND.isoformat(),
                )
            )
        imported, copied = _best(imports), _best(copies)
        pairs = [_pair(i, c) for i, c in zip(imports, copies, strict=True)]
        ratio = statistics.median(p["ratio"] for p in pairs)
        return {
            "rows": rows,
            "file_rows": imported.result.get("rows"),
            "file_mib": round(second.stat().st_size / 2**20, 1),
            "generate_seconds": round(generate_seconds, 2),
            "repeat": max(1, repeat),
            "import": imported.to_dict(),
            "copy": copied.to_dict(),
            "ratio_to_copy": round(ratio, 2),
            "cpu_ratio_to_copy": round(statistics.median(p["cpu_ratio"] for p in pairs), 2),
            "runs": pairs,
            "targets": {
                "seconds": TARGET_SECONDS,
                "peak_mib": TARGET_PEAK_MIB,
                "ratio_to_copy": TARGET_RATIO,
            },
            "meets_targets": {
                "seconds": imported.seconds <= TARGET_SECONDS,
                "peak_mib": imported.peak_mib <= TARGET_PEAK_MIB,
                "ratio_to_copy": ratio <= TARGET_RATIO,
            },
        }
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)
