"""The ``ages`` table: each snapshot's models that are near one of the standard ages, with
their all-time counter, so that relative adoption reads a few rows a week instead of every
snapshot row.

``STORE/_tables/ages/snapshot_date=D/`` — one row per model listed in snapshot D with a
    known ``downloads_all_time`` and ``created_at`` whose age in D (``D - created`` in days,
    ``created`` being the UTC date of ``created_at``) lies in ``[t, t + AGES_MAX_LAG]`` for
    some ``t`` of :data:`AGES_STANDARD`.  Columns (:data:`AGES_SCHEMA`): ``model_key``
    (lower-cased id), ``model_id``, ``created``, ``age_days`` and ``all_time`` (the
    counter in D).

Why these rows: :mod:`~weightwatch.metrics.relative_adoption` takes ``C(x, t)`` from the
first snapshot that lists x with a counter between ``created + t`` and ``created + t +
max_lag_days``.  For ages among :data:`AGES_STANDARD` and ``max_lag_days`` up to
:data:`AGES_MAX_LAG`, every row it can take is in this table (a row of another creation
date never counts, so a row's age is its own ``age_days``); other ages and lags read the
snapshots themselves.  At Hub scale a snapshot of 2.5 M models keeps about one model in
sixteen (8 M rows for a year of weekly snapshots instead of 130 M).

Each partition is computed in DuckDB straight from the Parquet files of snapshot D
(``COPY … TO``) and published atomically with a manifest that records the checksum of the
snapshot's manifest as its input, and the ages and lag it was cut for.  A replaced
snapshot makes its partition stale (other constants here make them all stale);
:func:`ensure_ages` builds the partitions that are missing (a new or back-filled
snapshot) or stale, and only those.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa

from weightwatch.engine import published_files
from weightwatch.store import Store
from weightwatch.store.snapshots import SNAPSHOTS

AGES_TABLE = "ages"
#: The ages (days since creation) the table serves: relative adoption's default ages.
AGES_STANDARD: tuple[int, ...] = (30, 90, 180, 365)
#: The longest wait after an age the table serves (``max_lag_days``).
AGES_MAX_LAG = 14

AGES_SCHEMA = pa.schema(
    [
        ("model_key", pa.string()),
        ("model_id", pa.string()),
        ("created", pa.date32()),
        ("age_days", pa.int64()),
        ("all_time", pa.int64()),
    ]
)

_DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)


def _utc_midnight(day: date) -> str:
    return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"


def _ages_sql(snapshot_date: date) -> str:
    """The rows of ``snapshot_date`` from the view ``ww_snapshot`` (its Parquet files).

    Rows are chosen by ranges of ``created_at`` (from UTC midnight of the first creation
    day of a band to that of the day after its last), which the Parquet reader applies
    before it reads the other columns: half the time of working out every row's age.  The
    UTC creation day of a kept row is counted from microseconds since 1970 (cheaper than a
    cast of a time with a zone), rounded down, not towards zero as DuckDB's ``//`` does."""
    day = (snapshot_date - _EPOCH).days
    bands = " OR ".join(
        f"(created_at >= {_utc_midnight(snapshot_date - timedelta(days=t + AGES_MAX_LAG))}"
        f" AND created_at < {_utc_midnight(snapshot_date - timedelta(days=t - 1))})"
        for t in AGES_STANDARD
    )
    return f"""
    WITH listed AS (
        SELECT model_id, downloads_all_time AS all_time, epoch_us(created_at) AS us
        FROM ww_snapshot
        WHERE downloads_all_time IS NOT NULL AND ({bands})
    ),
    dated AS (
        SELECT model_id, all_time,
               (us - (us % {_DAY_US} + {_DAY_US}) % {_DAY_US}) // {_DAY_US} AS created_day
        FROM listed
    )
    SELECT lower(model_id) AS model_key, model_id,
           DATE '1970-01-01' + created_day::INTEGER AS created,
           ({day} - created_day)::BIGINT AS age_days, all_time::BIGINT AS all_time
    FROM dated
    """


def _cut_for() -> dict[str, object]:
    """What a partition records of the constants it was cut with."""
    return {"ages": list(AGES_STANDARD), "max_lag_days": AGES_MAX_LAG}


def stale_ages(store: Store) -> list[date]:
    """Snapshot dates whose ``ages`` partition is missing, was built from another version
    of the snapshot, or for other :data:`AGES_STANDARD` or :data:`AGES_MAX_LAG`."""
    have = set(store.snapshot_dates(AGES_TABLE))
    stale: list[date] = []
    cut = _cut_for()
    for day in store.snapshot_dates():
        if day not in have:
            stale.append(day)
            continue
        manifest = store.manifest(day, AGES_TABLE)
        recorded = {k: manifest.extra.get(k) for k in cut}
        if manifest.inputs != [store.manifest_input(day, SNAPSHOTS)] or recorded != cut:
            stale.append(day)
    return stale


def materialise_ages(con: duckdb.DuckDBPyConnection, store: Store, snapshot_date: date) -> int:
    """Compute and publish the ``ages`` partition of ``snapshot_date`` on ``con`` (a DuckDB
    connection in UTC).  Returns the rows written."""
    files = published_files(store, SNAPSHOTS, [snapshot_date])
    inputs = [store.manifest_input(snapshot_date, SNAPSHOTS)]
    with store.writer(
        snapshot_date,
        source="ages",
        inputs=inputs,
        replace=True,
        table=AGES_TABLE,
        schema=AGES_SCHEMA,
    ) as writer:
        rows = 0
        if files:
            con.read_parquet(files, hive_partitioning=False).create_view(
                "ww_snapshot", replace=True
            )
            rows = writer.copy_query(con, _ages_sql(snapshot_date))
        writer.extra.update(_cut_for())
    return rows


def ensure_ages(store: Store) -> list[date]:
    """Build the ``ages`` partitions that are missing or stale (:func:`stale_ages`); return
    their dates (empty when all were current)."""
    stale = stale_ages(store)
    if not stale:
        return stale
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET TimeZone = 'UTC'")
        for day in stale:
            materialise_ages(con, store, day)
    finally:
        con.close()
    return stale
