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

Both cases are run ``repeat`` times, alternately, and the fastest run of each is kept (the
machines that run this are shared and noisy).  Targets on the 2-core reference machine:
the import within :data:`TARGET_SECONDS` and :data:`TARGET_PEAK_MIB`, and within
:data:`TARGET_RATIO` times the ``COPY``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

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


def import_case(path: str, store: str, snapshot_date: str) -> dict[str, Any]:
    """The timed case: import ``path`` as ``snapshot_date`` (replacing it if a previous
    run left it) including the deltas against the previous snapshot."""
    report = import_hub_stats(
        [Path(path)], Store.open(store), date.fromisoformat(snapshot_date), replace=True
    )
    return {
        "rows": report.rows,
        "rejected": report.rejected,
        "field_issues": report.field_issue_count,
        "deltas": [d.isoformat() for d in report.deltas],
        "phases": report.seconds,
    }


def copy_case(path: str, out: str) -> dict[str, Any]:
    """The baseline: DuckDB copies the same file to Parquet with its defaults."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"COPY (SELECT * FROM read_parquet('{path}')) TO '{out}' (FORMAT parquet)")
        row = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    finally:
        con.close()
    return {"rows": int(row[0]) if row else 0}


def generate(directory: Path, rows: int) -> tuple[Path, Path, float]:
    """The two weekly files in ``directory``; returns their paths and the seconds taken."""
    start = time.perf_counter()
    first = directory / f"models-{FIRST.isoformat()}.parquet"
    second = directory / f"models-{SECOND.isoformat()}.parquet"
    write_hub_stats(first, rows=rows, seed=0, snapshot=FIRST)
    write_hub_stats(second, seed=0, snapshot=SECOND, previous=first)
    return first, second, time.perf_counter() - start


def _best(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda m: m.seconds)


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
        ratio = imported.seconds / copied.seconds if copied.seconds > 0 else float("inf")
        return {
            "rows": rows,
            "file_rows": imported.result.get("rows"),
            "file_mib": round(second.stat().st_size / 2**20, 1),
            "generate_seconds": round(generate_seconds, 2),
            "repeat": max(1, repeat),
            "import": imported.to_dict(),
            "copy": copied.to_dict(),
            "ratio_to_copy": round(ratio, 2),
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
