"""The query engine seam: an Ibis connection and the store's tables on it.

Metrics are Ibis expressions over the tables returned here, so the same metric code runs
on the embedded DuckDB engine (default) and on Spark.  This is the only module that knows
how a store's Parquet files become a table for a given engine:

``duckdb``  an in-memory DuckDB; tables are temp views over ``read_parquet`` of the exact
            published files (from the manifests, so stray files are never read).  Its
            memory is capped (60 % of the machine's, at most 6 GiB, or
            ``$WEIGHTWATCH_DUCKDB_MEMORY``); beyond that it spills to a temporary directory.
``spark``   a PySpark session (``local[*]`` unless a master URL is given, e.g.
            ``spark://host:7077``); the same files are read with the partition root as
            ``basePath``, so ``snapshot_date`` comes from the directory names exactly as on
            DuckDB.  One session per process, reused (starting one takes ~15 s).  Sessions
            run in UTC, so timestamps and calendar truncation agree with DuckDB.

Writing (snapshots, deltas, lineage, roll-ups) is always done by DuckDB; Spark only reads.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from weightwatch.errors import ConfigError, InputError, SnapshotNotFound
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.store import Store, partition_name
from weightwatch.store.snapshots import SNAPSHOTS

ENGINES: tuple[str, ...] = ("duckdb", "spark")
DUCKDB_MEMORY_ENV = "WEIGHTWATCH_DUCKDB_MEMORY"
#: The DuckDB engine's default memory cap: this share of the machine's memory …
DUCKDB_MEMORY_SHARE = 0.6
#: … but at most this much (bytes), so a metric leaves room for the rest of the process.
DUCKDB_MEMORY_CAP = 6 * 2**30
DEFAULT_SPARK_MASTER = "local[*]"

_spark_sessions: dict[str, Any] = {}


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session for ``master`` (created on first use)."""
    master = master or os.environ.get("WEIGHTWATCH_SPARK_MASTER") or DEFAULT_SPARK_MASTER
    if master in _spark_sessions:
        return _spark_sessions[master]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "the spark engine needs PySpark: pip install 'weightwatch[spark]' (and Java 17)"
        ) from None
    session = (
        SparkSession.builder.master(master)
        .appName("weightwatch")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("WEIGHTWATCH_SPARK_PARTITIONS", "8"))
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    _spark_sessions[master] = session
    return session


def duckdb_memory_limit() -> str:
    """The memory cap of the DuckDB engine: ``$WEIGHTWATCH_DUCKDB_MEMORY`` (a DuckDB size
    such as ``4GiB``) when set, else :data:`DUCKDB_MEMORY_SHARE` of the machine's memory,
    at most :data:`DUCKDB_MEMORY_CAP`.  Beyond it DuckDB spills to a temporary directory."""
    override = os.environ.get(DUCKDB_MEMORY_ENV, "").strip()
    if override:
        return override
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system: assume plenty
        total = DUCKDB_MEMORY_CAP
    return f"{min(int(total * DUCKDB_MEMORY_SHARE), DUCKDB_MEMORY_CAP) // 2**20}MiB"


def connect(engine: str = "duckdb", *, spark_master: str | None = None) -> Any:
    """Return an Ibis backend for ``engine`` (an embedded in-memory DuckDB by default:
    memory capped by :func:`duckdb_memory_limit`, spilling beyond it into a directory of
    its own under the system's temporary directory, removed when the connection closes)."""
    if engine == "duckdb":
        spill = Path(tempfile.gettempdir()) / f"weightwatch-duckdb-{uuid.uuid4().hex}"
        limit = duckdb_memory_limit()
        try:
            con = ibis.duckdb.connect(memory_limit=limit, temp_directory=str(spill))
        except duckdb.Error as exc:
            raise ConfigError(f"{DUCKDB_MEMORY_ENV}: memory limit {limit!r}: {exc}") from None
        con.raw_sql("SET enable_progress_bar = false")  # our own progress display, not DuckDB's
        return con
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(spark_master))
    raise InputError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


def engine_name(con: Any) -> str:
    """``duckdb`` or ``spark`` for a backend returned by :func:`connect`."""
    return "spark" if getattr(con, "name", "") == "pyspark" else "duckdb"


def sql_string(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    """``values`` as a SQL list of string literals (e.g. files for ``read_parquet``)."""
    return "[" + ", ".join(sql_string(v) for v in values) + "]"


def published_files(store: Store, table: str, dates: list[date] | None = None) -> list[str]:
    """Paths of the Parquet files published for ``table`` on ``dates`` (default: all)."""
    have = store.snapshot_dates(table)
    days = have if dates is None else [d for d in dates if d in set(have)]
    root = store.table_root(table)
    return [
        str(root / partition_name(d) / f.name) for d in days for f in store.manifest(d, table).files
    ]


def _empty(schema: pa.Schema) -> ibis.Table:
    if "snapshot_date" not in schema.names:
        schema = schema.append(pa.field("snapshot_date", pa.date32()))
    return ibis.memtable(schema.empty_table())


def read_table(
    con: Any,
    store: Store,
    table: str = SNAPSHOTS,
    *,
    dates: list[date] | None = None,
    schema: pa.Schema | None = None,
) -> ibis.Table:
    """Published partitions of ``table`` (snapshots by default) as one Ibis table with a
    ``snapshot_date`` DATE column.  With no files, an empty table of ``schema`` (required
    then; SnapshotNotFound for the snapshots table)."""
    files = published_files(store, table, dates)
    if not files:
        if table == SNAPSHOTS and not store.partition_dirs():
            raise SnapshotNotFound(
                f"{store.root}: the store has no snapshots yet; add one with `weightwatch ingest`"
            )
        if table == SNAPSHOTS:
            schema = FILE_SCHEMA  # published, but empty
        if schema is None:
            raise SnapshotNotFound(f"{store.root}: no {table} partitions for the dates asked")
        return _empty(schema)
    digest = hashlib.sha1("\n".join(files).encode()).hexdigest()[:12]
    name = f"ww_{table}_{digest}"
    if engine_name(con) == "spark":
        session = con._session
        frame = session.read.option("basePath", str(store.table_root(table))).parquet(*files)
        frame.createOrReplaceTempView(name)
        return con.table(name)
    listing = ", ".join(sql_string(f) for f in files)
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet([{listing}], "
        "hive_partitioning = true, hive_types = {'snapshot_date': DATE}, union_by_name = true)"
    )
    return con.table(name)


def snapshots_table(con: Any, store: Store) -> ibis.Table:
    """All published snapshots of ``store`` as one Ibis table (``snapshot_date`` typed DATE)."""
    if not store.partition_dirs():
        raise SnapshotNotFound(
            f"{store.root}: the store has no snapshots yet; add one with `weightwatch ingest`"
        )
    return read_table(con, store)
