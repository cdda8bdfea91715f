"""Benchmark: a year of weekly Hub snapshots — weightwatch's metrics against the way
analysts answer the same questions (issue 7).

Data
----
A synthetic Hub store (:func:`weightwatch.synth.hub.generate_store`: ``models`` repos in
the last of ``snapshots`` weekly snapshots, deltas materialised) in ``workdir`` (default
``$TMPDIR/ww-bench-metrics-<models>x<snapshots>``, kept between runs: generating 2.5 M x 52
takes a quarter of an hour).  A store already there is reused when its manifests say it was
generated with the same models, snapshots and seed; ``reuse`` names another such store
(e.g. one made by ``weightwatch synth``) to start from: its files are hard-linked into
``workdir``, never modified.  The facts and roll-ups are then brought up to date (untimed,
reported as ``setup``), and the last snapshot is held back out of the store, to be
published again by the incremental case.  A second, smaller store (``pandas_models``, the
same number of snapshots) is made the same way for the pandas script, which could not hold
the full-size data in memory.

Cases (each in a fresh process: :func:`weightwatch.bench.runner.measure`)
------------------------------------------------------------------------
``incremental``   publish the held-back snapshot (its Parquet files copied through
                  ``Store.writer``), then bring deltas, facts and roll-ups (the roll-up by
                  the bundled registry's accounts and the ``ages`` table included) up to date
                  (:func:`~weightwatch.series.rollup.ensure_rollups`); reports which
                  partitions were materialised, and the parent checks that no earlier
                  partition's manifest changed (:func:`case_incremental`);
``lineage``       build the lineage of the latest snapshot, once per snapshot, which the
                  lineage-based metrics read (:func:`case_lineage`);
``weightwatch``   weekly download share by country over the whole store
                  (``download_share --freq week --group-by country``), a cold run then
                  ``runs`` warm runs, each with a new :class:`~weightwatch.metrics.MetricContext`
                  (:func:`case_weightwatch`);
``sql``           the same question in hand-written DuckDB SQL over the raw snapshot
                  Parquet files: ``LAG``/``LEAD`` per model, first appearances counted
                  whole, decreases clamped, the rename pairing, ``lower(author)`` joined to
                  the registry, grouped by ISO week and country (:data:`SHARE_SQL`),
                  within the memory budget of the target (``sql_memory_limit``, 8 GiB:
                  DuckDB would take 80 % of the machine, and spills beyond the budget);
                  run at both sizes;
``all_metrics``   every metric of :data:`~weightwatch.metrics.METRICS` with its default
                  parameters, one context, timed per metric (:func:`case_all_metrics`):
                  the per-model metrics read the running-totals checkpoint of the week
                  before (saved at setup, as a weekly report would have) plus the new week;
``checkpoint``    save the running-totals checkpoint of the latest week from that one
                  (:func:`case_checkpoint`): what a metric run pays every
                  :data:`~weightwatch.series.totals.CHECKPOINT_EVERY` + 1 weeks;
``pandas``        the same weekly share as a plain pandas script, on the smaller store
                  (:func:`case_pandas`), against ``weightwatch`` on that store.

The three implementations apply weightwatch's counting conventions
(:mod:`weightwatch.series.deltas`) and must give the same downloads per (week, country):
``agree``.  Every case reports ``cpu_seconds`` (all threads): wall times move with the
neighbours' load on a shared machine, CPU times much less.  Targets (2-core machine,
2.5 M models x 52 weeks): weekly share ≤ 1 s warm, ≥ 10x the SQL, ≥ 50x pandas; every
metric ≤ 30 s together; peak memory ≤ 8 GiB; one more snapshot ≤ 10 s (deltas and
roll-ups, only the new partitions).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from weightwatch.bench.runner import Measurement, measure
from weightwatch.errors import WeightwatchError
from weightwatch.orgs import OrgRegistry, load_registry
from weightwatch.series.ages import ensure_ages
from weightwatch.series.rollup import ensure_registry_rollups, ensure_rollups
from weightwatch.series.totals import ensure_totals
from weightwatch.store import Store, partition_name
from weightwatch.store.manifest import MANIFEST_NAME, Manifest
from weightwatch.store.snapshots import MARKER_NAME, SNAPSHOTS
from weightwatch.synth.hub import generate_store

TARGET_WARM_SECONDS = 1.0
TARGET_SQL_RATIO = 10.0
TARGET_PANDAS_RATIO = 50.0
TARGET_ALL_METRICS_SECONDS = 30.0
TARGET_PEAK_MIB = 8192.0
TARGET_INCREMENTAL_SECONDS = 10.0

_HERE = "weightwatch.bench.metrics"
_GENERATOR = "weightwatch.synth.hub"
_REGISTRY_FILE = "registry.parquet"
_HELD = "held"  # the held-back snapshot's partition, beside the store
_SNAPSHOT_COLUMNS = ["model_id", "author", "created_at", "downloads_all_time"]

#: The weekly download share by country, as an analyst writes it in DuckDB SQL over the raw
#: snapshots, with weightwatch's conventions: downloads = all-time counter minus the
#: model's counter in the previous snapshot, negative clamped to 0; a model absent from the
#: previous snapshot counts its whole counter (every model in the first snapshot, whose
#: rows form a period of their own); a rename (one id vanishing and one appearing in the
#: same interval with the same creation second, counter not lower) counts only the gain.
SHARE_SQL = """
WITH dates AS (
    SELECT snapshot_date,
           lag(snapshot_date) OVER (ORDER BY snapshot_date) AS prev_date,
           lead(snapshot_date) OVER (ORDER BY snapshot_date) AS next_date
    FROM (SELECT DISTINCT snapshot_date FROM {snapshots})
),
seen AS (
    SELECT s.model_id, s.author, s.created_at, s.downloads_all_time AS all_time,
           s.snapshot_date, d.prev_date, d.next_date,
           s.downloads_all_time - lag(s.downloads_all_time) OVER w AS diff,
           lag(s.snapshot_date) OVER w AS prev_seen,
           lead(s.snapshot_date) OVER w AS next_seen
    FROM {snapshots} s JOIN dates d USING (snapshot_date)
    WINDOW w AS (PARTITION BY s.model_id ORDER BY s.snapshot_date)
),
candidates AS (
    SELECT snapshot_date AS interval_end, date_trunc('second', created_at) AS created,
           model_id, all_time, true AS is_new
    FROM seen
    WHERE prev_date IS NOT NULL AND prev_seen IS DISTINCT FROM prev_date
      AND created_at IS NOT NULL
    UNION ALL
    SELECT next_date, date_trunc('second', created_at), model_id, all_time, false
    FROM seen
    WHERE next_date IS NOT NULL AND next_seen IS DISTINCT FROM next_date
      AND created_at IS NOT NULL
),
renames AS (
    SELECT interval_end, max(model_id) FILTER (WHERE is_new) AS new_id,
           max(all_time) FILTER (WHERE NOT is_new) AS old_all
    FROM candidates
    GROUP BY interval_end, created
    HAVING count(*) FILTER (WHERE is_new) = 1 AND count(*) FILTER (WHERE NOT is_new) = 1
       AND max(all_time) FILTER (WHERE is_new) >= max(all_time) FILTER (WHERE NOT is_new)
),
counted AS (
    SELECT seen.snapshot_date, seen.prev_date, seen.author,
           CASE WHEN seen.prev_date IS NULL THEN seen.all_time
                WHEN r.new_id IS NOT NULL THEN seen.all_time - r.old_all
                WHEN seen.prev_seen IS DISTINCT FROM seen.prev_date THEN seen.all_time
                ELSE greatest(seen.diff, 0) END AS downloads
    FROM seen
    LEFT JOIN renames r
      ON r.interval_end = seen.snapshot_date AND r.new_id = seen.model_id
),
labelled AS (
    SELECT CASE WHEN prev_date IS NULL THEN NULL
                ELSE date_trunc('week', snapshot_date)::DATE END AS period_start,
           CASE WHEN prev_date IS NULL THEN snapshot_date
                ELSE (date_trunc('week', snapshot_date) + INTERVAL 6 DAY)::DATE
           END AS period_end,
           CASE WHEN reg.account_key IS NULL THEN 'unattributed'
                WHEN reg.country IS NULL OR reg.country = '' THEN 'unknown'
                ELSE reg.country END AS "group",
           downloads
    FROM counted d
    LEFT JOIN read_parquet('{registry}') reg ON lower(d.author) = reg.account_key
),
grouped AS (
    SELECT period_start, period_end, "group", sum(downloads)::BIGINT AS downloads
    FROM labelled
    GROUP BY period_start, period_end, "group"
    HAVING coalesce(sum(downloads), 0) <> 0
)
SELECT *, downloads / sum(downloads) OVER (PARTITION BY period_start, period_end) AS share
FROM grouped
ORDER BY period_end, downloads DESC, "group"
"""


# -- the cases (run in fresh processes) ---------------------------------------------------


def _rows(period_start: Any, period_end: Any, group: Any, downloads: Any) -> list[list[Any]]:
    """``[period_start, period_end, group, downloads]`` rows, dates as ISO strings."""

    def iso(value: Any) -> str | None:
        return None if value is None else str(value)[:10]

    return [
        [iso(s), iso(e), str(g), int(d)]
        for s, e, g, d in zip(period_start, period_end, group, downloads, strict=True)
    ]


def _share_once(store: str, registry: OrgRegistry | None) -> tuple[float, float, Any]:
    from weightwatch.metrics import MetricContext
    from weightwatch.metrics.download_share import METRIC, DownloadShareParams

    wall, cpu = time.perf_counter(), time.process_time()
    ctx = MetricContext(Store.open(store), registry or load_registry())
    result = METRIC.compute(ctx, DownloadShareParams(freq="week", group_by="country"))
    return time.perf_counter() - wall, time.process_time() - cpu, result


def case_weightwatch(store: str, runs: int = 3) -> dict[str, Any]:
    """Weekly download share by country with weightwatch: one cold run, then ``runs`` warm
    runs (a new context each: only the process, the loaded registry and the OS caches are
    warm)."""
    cold, cold_cpu, result = _share_once(store, None)
    registry = load_registry()
    warm: list[tuple[float, float]] = []
    for _ in range(max(1, runs)):
        seconds, cpu, result = _share_once(store, registry)
        warm.append((seconds, cpu))
    best = min(warm)
    table = result.rows
    return {
        "cold_seconds": round(cold, 3),
        "cold_cpu_seconds": round(cold_cpu, 3),
        "warm_seconds": round(best[0], 3),
        "warm_cpu_seconds": round(best[1], 3),
        "warm_runs": [round(s, 3) for s, _ in warm],
        "route": "rollup",
        "rows": _rows(*(table.column(c).to_pylist() for c in ("period_start", "period_end",
                                                              "group", "downloads"))),
    }  # fmt: skip


def case_sql(store: str, registry: str, spill: str, memory_limit: str = "8GiB") -> dict[str, Any]:
    """Weekly download share by country in hand-written DuckDB SQL (:data:`SHARE_SQL`),
    within ``memory_limit`` (DuckDB spills to ``spill`` beyond it)."""
    import duckdb

    cpu = time.process_time()
    files = str(Path(store) / "snapshot_date=*" / "*.parquet").replace("'", "''")
    snapshots = (
        f"read_parquet('{files}', hive_partitioning = true, hive_types = {{'snapshot_date': DATE}})"
    )
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        # the machine is shared: the same budget as weightwatch's target, spilling beyond it
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        table = con.sql(SHARE_SQL.format(snapshots=snapshots, registry=registry)).to_arrow_table()
    finally:
        con.close()
    columns = (table.column(c).to_pylist() for c in ("period_start", "period_end", "group",
                                                     "downloads"))  # fmt: skip
    return {"cpu_seconds": round(time.process_time() - cpu, 3), "rows": _rows(*columns)}


def case_pandas(store: str, registry: str) -> dict[str, Any]:
    """Weekly download share by country as a plain pandas script: read every snapshot,
    sort, ``groupby().diff()``, pair renames, merge the registry, group by week and country."""
    import numpy as np

    pd: Any = importlib.import_module("pandas")  # no stubs; imported only by this case
    cpu = time.process_time()
    frames = []
    for part in sorted(Path(store).glob("snapshot_date=*")):
        frame = pd.read_parquet(part, columns=_SNAPSHOT_COLUMNS)
        frame["snapshot_date"] = pd.Timestamp(part.name.split("=", 1)[1])
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    del frames
    dates = pd.Series(sorted(df["snapshot_date"].unique()))
    previous = pd.Series(dates.shift(1).to_numpy(), index=dates)
    following = pd.Series(dates.shift(-1).to_numpy(), index=dates)

    df = df.sort_values(["model_id", "snapshot_date"], ignore_index=True)
    by_model = df.groupby("model_id", sort=False)
    df["diff"] = by_model["downloads_all_time"].diff()
    df["prev_seen"] = by_model["snapshot_date"].shift(1)
    df["next_seen"] = by_model["snapshot_date"].shift(-1)
    df["prev_date"] = df["snapshot_date"].map(previous)
    df["next_date"] = df["snapshot_date"].map(following)
    df["created"] = df["created_at"].dt.floor("s")

    # renames: one id appearing and one vanishing in an interval, same creation second
    known = df["created"].notna()
    appeared = df[known & df["prev_date"].notna() & (df["prev_seen"] != df["prev_date"])]
    vanished = df[known & df["next_date"].notna() & (df["next_seen"] != df["next_date"])]
    new = appeared[["snapshot_date", "created", "model_id", "downloads_all_time"]]
    old = vanished[["next_date", "created", "downloads_all_time"]].rename(
        columns={"next_date": "snapshot_date", "downloads_all_time": "old_all"}
    )
    keys = ["snapshot_date", "created"]
    n_new = new.groupby(keys).size().rename("n_new")
    n_old = old.groupby(keys).size().rename("n_old")
    counts = pd.concat([n_new, n_old], axis=1).fillna(0)
    single = counts[(counts["n_new"] == 1) & (counts["n_old"] == 1)].reset_index()[keys]
    pairs = new.merge(single, on=keys).merge(old.merge(single, on=keys), on=keys)
    pairs = pairs[pairs["downloads_all_time"] >= pairs["old_all"]]
    df = df.merge(pairs[["snapshot_date", "model_id", "old_all"]],
                  on=["snapshot_date", "model_id"], how="left")  # fmt: skip

    counter = df["downloads_all_time"]
    df["downloads"] = np.select(
        [
            df["prev_date"].isna(),
            df["old_all"].notna(),
            df["prev_seen"] != df["prev_date"],
        ],
        [counter, counter - df["old_all"], counter],
        df["diff"].clip(lower=0),
    )

    reg = pd.read_parquet(registry)
    df["account_key"] = df["author"].str.lower()
    df = df.merge(reg, on="account_key", how="left", indicator=True)
    df["group"] = np.select(
        [df["_merge"] == "left_only", df["country"].isna() | (df["country"] == "")],
        ["unattributed", "unknown"],
        df["country"],
    )
    first = df["prev_date"].isna()
    week = df["snapshot_date"] - pd.to_timedelta(df["snapshot_date"].dt.weekday, unit="D")
    df["period_start"] = week.where(~first)
    df["period_end"] = (week + pd.Timedelta(days=6)).where(~first, df["snapshot_date"])
    out = (
        df.groupby(["period_start", "period_end", "group"], dropna=False)["downloads"]
        .sum()
        .reset_index()
    )
    out = out[out["downloads"] != 0]
    out["share"] = out["downloads"] / out.groupby(["period_start", "period_end"], dropna=False)[
        "downloads"
    ].transform("sum")
    starts = [None if pd.isna(s) else s.date() for s in out["period_start"]]
    ends = [e.date() for e in out["period_end"]]
    downloads = [round(float(d)) for d in out["downloads"]]
    return {
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "rows_in_memory": len(df),
        "rows": _rows(starts, ends, out["group"].tolist(), downloads),
    }


def case_all_metrics(store: str) -> dict[str, Any]:
    """Every registered metric with its default parameters, in one context (a report run)."""
    from weightwatch.metrics import METRICS, MetricContext

    cpu = time.process_time()
    ctx = MetricContext(Store.open(store), load_registry())
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    for name, metric in METRICS.items():
        start = time.perf_counter()
        result = metric.compute(ctx, metric.params())
        seconds[name] = round(time.perf_counter() - start, 3)
        rows[name] = result.rows.num_rows
    return {
        "total_seconds": round(sum(seconds.values()), 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "per_metric_seconds": seconds,
        "per_metric_rows": rows,
    }


def case_checkpoint(store: str) -> dict[str, Any]:
    """Save the running-totals checkpoint of the latest snapshot from the current one
    before it (what a metric run does when the last checkpoint is too far back)."""
    from weightwatch.series.totals import TOTALS_TABLE, current_checkpoint, save_checkpoint

    cpu = time.process_time()
    opened = Store.open(store)
    latest = opened.latest()
    since = current_checkpoint(opened, latest)
    save_checkpoint(opened, latest, since if since != latest else None)
    manifest = opened.manifest(latest, TOTALS_TABLE)
    return {
        "since": str(manifest.extra["since"]),
        "checkpoint_rows": manifest.rows,
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def case_lineage(store: str) -> dict[str, Any]:
    """Build (or find current) the lineage of the latest snapshot."""
    from weightwatch.lineage import ensure_lineage

    cpu = time.process_time()
    day = ensure_lineage(Store.open(store))
    return {"snapshot_date": day.isoformat(), "cpu_seconds": round(time.process_time() - cpu, 3)}


def case_incremental(store: str, held: str) -> dict[str, Any]:
    """Publish the held-back snapshot ``held`` (a partition directory: its Parquet files are
    copied into the store through ``Store.writer``), then update deltas, facts and roll-ups."""
    from weightwatch.series.deltas import ensure_deltas

    cpu = time.process_time()
    opened = Store.open(store)
    source = Path(held)
    manifest = Manifest.read(source)
    start = time.perf_counter()
    with opened.writer(
        manifest.snapshot_date, source=manifest.source, inputs=manifest.inputs
    ) as writer:
        for data in manifest.files:
            target = writer.directory / data.name
            shutil.copyfile(source / data.name, target)
            with target.open("rb") as handle:
                os.fsync(handle.fileno())
            writer.files.append(data)
        writer.extra.update(manifest.extra)
    published = time.perf_counter()
    deltas = ensure_deltas(opened)
    deltas_done = time.perf_counter()
    rolled = ensure_rollups(opened)
    ensure_registry_rollups(opened, load_registry())  # what the weekly share reads
    ensure_ages(opened)  # what relative_adoption reads
    done = time.perf_counter()
    return {
        "snapshot_date": manifest.snapshot_date.isoformat(),
        "snapshot_rows": manifest.rows,
        "publish_seconds": round(published - start, 3),
        "deltas_seconds": round(deltas_done - published, 3),
        "facts_rollup_seconds": round(done - deltas_done, 3),
        "update_seconds": round(done - published, 3),
        "deltas_materialised": [d.isoformat() for d in deltas],
        "facts_rollups_materialised": [d.isoformat() for d in rolled],
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


# -- the data -------------------------------------------------------------------------------


def default_workdir(models: int, snapshots: int) -> Path:
    return Path(tempfile.gettempdir()) / f"ww-bench-metrics-{models}x{snapshots}"


def _generated_with(root: Path, models: int, snapshots: int, seed: int) -> bool:
    """True when ``root`` is a complete synthetic store of ``models`` x ``snapshots``
    (every snapshot and its deltas published; no writer at work beside it)."""
    if not (root / MARKER_NAME).is_file():
        return False
    store = Store(root)  # not Store.open: its recovery step must not touch another's store
    dates = store.snapshot_dates()
    if len(dates) != snapshots or store.snapshot_dates("deltas") != dates:
        return False
    extra = store.manifest(dates[-1]).extra
    wanted = {"generator": _GENERATOR, "models": models, "snapshots": snapshots, "seed": seed}
    staging = root.parent / f".{root.name}.staging"
    busy = staging.is_dir() and any(staging.iterdir())
    return all(extra.get(k) == v for k, v in wanted.items()) and not busy


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _restore_held(root: Path, held: Path) -> None:
    """Put back a snapshot a previous run held back and did not publish (it was stopped)."""
    if not held.is_dir():
        return
    for part in held.glob("snapshot_date=*"):
        if not (root / part.name).exists():
            os.rename(part, root / part.name)
    shutil.rmtree(held)


def prepare_store(
    base: Path, models: int, snapshots: int, seed: int = 0, reuse: str | None = None
) -> tuple[Store, dict[str, Any]]:
    """The store ``base/store``: reused, linked from ``reuse`` or generated, with every
    derived table up to date.  Returns it and what was done (seconds)."""
    base.mkdir(parents=True, exist_ok=True)
    root = base / "store"
    _restore_held(root, base / _HELD)
    setup: dict[str, Any] = {"store": str(root)}
    if _generated_with(root, models, snapshots, seed):
        setup["data"] = "reused"
    elif reuse and _generated_with(Path(reuse), models, snapshots, seed):
        if (root / MARKER_NAME).is_file():
            shutil.rmtree(root)
        start = time.perf_counter()
        shutil.copytree(
            reuse,
            root,
            copy_function=_link_or_copy,
            ignore=shutil.ignore_patterns(".*"),
        )
        setup["data"] = f"hard-linked from {reuse}"
        setup["link_seconds"] = round(time.perf_counter() - start, 2)
    else:
        if (root / MARKER_NAME).is_file():  # a store of another shape: ours, replaced
            shutil.rmtree(root)
        start = time.perf_counter()
        generate_store(root, models, snapshots, seed=seed)
        setup["data"] = "generated"
        setup["generate_seconds"] = round(time.perf_counter() - start, 2)
    store = Store.open(root)
    start = time.perf_counter()
    built = ensure_rollups(store)
    ensure_registry_rollups(store, load_registry())
    ensure_ages(store)
    dates = store.snapshot_dates()
    if len(dates) >= 2:  # what a weekly report has: a checkpoint before the latest week
        ensure_totals(store, dates[-2])  # (the incremental case publishes that again)
    setup["rollups_built"] = len(built)
    setup["rollups_seconds"] = round(time.perf_counter() - start, 2)
    return store, setup


def hold_back(store: Store, held: Path) -> date:
    """Move the latest snapshot out of ``store`` (into ``held``) and drop its derived
    partitions, so that publishing it again is a new week arriving."""
    last = store.latest()
    held.mkdir(parents=True, exist_ok=True)
    os.rename(store.root / partition_name(last), held / partition_name(last))
    for table in store.tables():
        derived = store.table_root(table) / partition_name(last)
        if derived.is_dir():
            shutil.rmtree(derived)
    return last


def _manifest_digests(store: Store) -> dict[str, str]:
    """``table/partition`` → sha256 of its manifest, for every partition of every table."""
    out: dict[str, str] = {}
    for table in [SNAPSHOTS, *store.tables()]:
        for part in store.partition_dirs(table):
            data = (part / MANIFEST_NAME).read_bytes()
            out[f"{table}/{part.name}"] = hashlib.sha256(data).hexdigest()
    return out


def _write_registry(path: Path) -> None:
    registry = load_registry().to_arrow().select(["account_key", "country"])
    pq.write_table(registry, path)


def _read_through(store: Store) -> None:
    """Read every file of the store once, so every case starts from the page cache."""
    for path in store.root.rglob("*.parquet"):
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def sizes(store: Store) -> dict[str, Any]:
    """Partitions, rows and bytes of every table of ``store`` (from the manifests)."""
    out: dict[str, Any] = {}
    for table in [SNAPSHOTS, *store.tables()]:
        manifests = store.manifests(table)
        data = sum(f.bytes for m in manifests for f in m.files)
        out[table] = {
            "partitions": len(manifests),
            "rows": sum(m.rows for m in manifests),
            "mib": round(data / 2**20, 1),
            "mib_per_partition": round(data / 2**20 / max(len(manifests), 1), 1),
        }
    return out


# -- comparing and reporting ---------------------------------------------------------------


def compare(first: list[list[Any]], second: list[list[Any]]) -> dict[str, Any]:
    """Downloads per (period, group) of two implementations: equal, or where they differ."""

    def keyed(rows: list[list[Any]]) -> dict[tuple[Any, ...], int]:
        return {(s, e, g): d for s, e, g, d in rows if d}

    a, b = keyed(first), keyed(second)
    differ = sorted((k for k in a.keys() | b.keys() if a.get(k) != b.get(k)), key=str)
    return {
        "agree": not differ,
        "cells": len(a),
        "differing_cells": len(differ),
        "examples": [[*k, a.get(k), b.get(k)] for k in differ[:5]],
    }


def _figures(m: Measurement) -> dict[str, Any]:
    """A case's figures for the report (without its result rows)."""
    return {k: v for k, v in m.to_dict().items() if k not in ("rows", "label")}


def _baseline(label: str, case: str, **kwargs: Any) -> Measurement | str:
    """A baseline case, or why it failed (e.g. out of memory): the run goes on."""
    try:
        return measure(label, f"{_HERE}:{case}", **kwargs)
    except (WeightwatchError, OSError) as exc:
        return f"failed: {exc}"


def _versus(
    ours: Measurement, base: Measurement | str, name: str, seconds_key: str = "warm_seconds"
) -> dict[str, Any]:
    """How ``base`` compares with weightwatch's warm run: time and CPU ratios, agreement."""
    if isinstance(base, str):
        return {name: base, "ratio": None, "cpu_ratio": None, "agree": None}
    fast = float(ours.result[seconds_key])
    slow_cpu, fast_cpu = base.result.get("cpu_seconds"), ours.result.get("warm_cpu_seconds")
    return {
        name: _figures(base),
        "ratio": round(base.seconds / fast, 2) if fast > 0 else None,
        "cpu_ratio": round(float(slow_cpu) / float(fast_cpu), 2) if slow_cpu and fast_cpu else None,
        **compare(ours.result["rows"], base.result["rows"]),
    }


def _incremental(store: Store, base: Path) -> tuple[Measurement, dict[str, Any]]:
    """The incremental case, and the parent's check of which partitions it wrote."""
    held = base / _HELD
    before = _manifest_digests(store)
    last = hold_back(store, held)
    kept = {k: v for k, v in _manifest_digests(store).items() if k in before}
    case = measure(
        "incremental",
        f"{_HERE}:case_incremental",
        store=str(store.root),
        held=str(held / partition_name(last)),
    )
    shutil.rmtree(held)
    after = _manifest_digests(store)
    rewritten = sorted(k for k, v in kept.items() if after.get(k) != v)
    new_only = (
        case.result["deltas_materialised"] == [last.isoformat()]
        and case.result["facts_rollups_materialised"] == [last.isoformat()]
        and not rewritten
    )
    return case, {
        "partitions_added": sorted(k for k in after if k not in kept),
        "earlier_partitions_rewritten": rewritten,
        "new_partitions_only": new_only,
    }


def run(
    models: int = 2_500_000,
    snapshots: int = 52,
    workdir: str | None = None,
    pandas_models: int = 500_000,
    reuse: str | None = None,
    runs: int = 3,
    seed: int = 0,
    sql_memory_limit: str = "8GiB",
) -> dict[str, Any]:
    """Run every case (see the module docstring) and return the figures.

    ``workdir`` keeps the stores between runs (default: :func:`default_workdir`); the
    pandas store goes to ``workdir/pandas-<n>`` when ``workdir`` is given, else to the
    default directory of its size, and is the main store when ``pandas_models ==
    models``.  ``reuse``: a ready-made synthetic store of the same shape to hard-link from.
    ``runs``: warm runs of the weightwatch weekly share (the best is kept).
    ``sql_memory_limit``: DuckDB's memory budget for the SQL baseline.  A baseline that
    fails (out of memory) is reported as such; the run goes on.
    """
    if snapshots < 2:
        raise WeightwatchError("the metrics benchmark needs at least 2 snapshots")
    base = Path(workdir) if workdir else default_workdir(models, snapshots)
    store, setup = prepare_store(base, models, snapshots, seed, reuse)
    registry = base / _REGISTRY_FILE
    _write_registry(registry)
    spill = base / "duckdb-spill"
    sql_args = {"registry": str(registry), "spill": str(spill), "memory_limit": sql_memory_limit}

    incremental, written = _incremental(store, base)
    lineage = measure("lineage", f"{_HERE}:case_lineage", store=str(store.root))
    _read_through(store)
    ours = measure("weightwatch", f"{_HERE}:case_weightwatch", store=str(store.root), runs=runs)
    sql = _baseline("sql", "case_sql", store=str(store.root), **sql_args)
    _read_through(store)  # the SQL baseline's memory may have pushed the store out of cache
    every = measure("all metrics", f"{_HERE}:case_all_metrics", store=str(store.root))
    checkpoint = measure("checkpoint", f"{_HERE}:case_checkpoint", store=str(store.root))

    if pandas_models == models:
        small, small_setup, ours_small, sql_small = store, {"data": "the main store"}, ours, sql
    else:
        small_base = (
            base / f"pandas-{pandas_models}"
            if workdir
            else default_workdir(pandas_models, snapshots)
        )
        small, small_setup = prepare_store(small_base, pandas_models, snapshots, seed, None)
        _read_through(small)
        ours_small = measure(
            "weightwatch (pandas size)",
            f"{_HERE}:case_weightwatch",
            store=str(small.root),
            runs=runs,
        )
        sql_small = _baseline("sql (pandas size)", "case_sql", store=str(small.root), **sql_args)
    plain = _baseline("pandas", "case_pandas", store=str(small.root), registry=str(registry))
    shutil.rmtree(spill, ignore_errors=True)

    vs_sql = _versus(ours, sql, "sql")
    vs_pandas = _versus(ours_small, plain, "pandas")
    vs_sql_small = _versus(ours_small, sql_small, "sql")
    warm = float(ours.result["warm_seconds"])
    peak = max(m.peak_mib for m in (incremental, lineage, ours, every, checkpoint, ours_small))
    update = float(incremental.result["update_seconds"])
    every_seconds = float(every.result["total_seconds"])
    agree = [v["agree"] for v in (vs_sql, vs_pandas, vs_sql_small)]
    return {
        "models": models,
        "snapshots": snapshots,
        "pandas_models": pandas_models,
        "sizes": sizes(store),
        "setup": setup,
        "pandas_setup": small_setup,
        "incremental": {**_figures(incremental), **written},
        "lineage_build": _figures(lineage),
        "weekly_share": {"weightwatch": _figures(ours), **vs_sql},
        "pandas_size": {
            "models": pandas_models,
            "weightwatch": _figures(ours_small),
            **vs_pandas,
            "sql_at_this_size": vs_sql_small,
        },
        "all_metrics": _figures(every),
        "totals_checkpoint": _figures(checkpoint),
        "agree": all(a is True for a in agree),
        "peak_mib_weightwatch": round(peak, 1),
        "targets": {
            "weekly_share_warm_seconds": TARGET_WARM_SECONDS,
            "sql_over_weightwatch": TARGET_SQL_RATIO,
            "pandas_over_weightwatch": TARGET_PANDAS_RATIO,
            "all_metrics_seconds": TARGET_ALL_METRICS_SECONDS,
            "peak_mib": TARGET_PEAK_MIB,
            "incremental_seconds": TARGET_INCREMENTAL_SECONDS,
        },
        "meets_targets": {
            "weekly_share_warm_seconds": warm <= TARGET_WARM_SECONDS,
            "sql_over_weightwatch": (vs_sql["ratio"] or 0) >= TARGET_SQL_RATIO,
            "pandas_over_weightwatch": (vs_pandas["ratio"] or 0) >= TARGET_PANDAS_RATIO,
            "all_metrics_seconds": every_seconds <= TARGET_ALL_METRICS_SECONDS,
            "peak_mib": peak <= TARGET_PEAK_MIB,
            "incremental_seconds": update <= TARGET_INCREMENTAL_SECONDS,
            "incremental_new_partitions_only": written["new_partitions_only"],
        },
    }
