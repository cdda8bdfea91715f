"""The query engine seam: an Ibis connection and the store's tables on it.

Metrics are Ibis expressions over the tables returned here, so the same metric code runs
on the embedded DuckDB engine (default) and, later, on Spark.  This is the only module that
knows how a store's files become a table for a given engine.
"""

from __future__ import annotations

from typing import Any

import ibis

from weightwatch.errors import InputError, SnapshotNotFound
from weightwatch.store import Store

ENGINES: tuple[str, ...] = ("duckdb",)


def connect(engine: str = "duckdb") -> Any:
    """Return an Ibis backend for ``engine`` (an embedded in-memory DuckDB by default)."""
    if engine == "duckdb":
        return ibis.duckdb.connect()
    raise InputError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def snapshots_table(con: Any, store: Store) -> ibis.Table:
    """All published snapshots of ``store`` as one Ibis table (``snapshot_date`` typed DATE)."""
    if not store.partition_dirs():
        raise SnapshotNotFound(
            f"{store.root}: the store has no snapshots yet; add one with `weightwatch ingest`"
        )
    name = "ww_snapshots"
    con.raw_sql(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet("
        f"{_sql_string(store.parquet_glob())}, hive_partitioning = true, "
        "hive_types = {'snapshot_date': DATE}, union_by_name = true)"
    )
    return con.table(name)
