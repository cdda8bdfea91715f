"""Metric-ready tables, materialised once per snapshot: ``facts`` and ``rollup``.

Metrics over time read these two derived tables, never the raw snapshots, so a year of
weekly full-Hub snapshots answers in about a second and one more snapshot costs one more
partition (nothing is recomputed for earlier weeks).

``STORE/_tables/facts/snapshot_date=D/`` — one row per model per interval (P, D]: the
    :mod:`deltas <weightwatch.series.deltas>` row plus the model's attributes *as of D*
    (``pipeline_tag``, ``library_name``, ``params_total``, ``params_active``), and
    ``automated`` (see below).  A vanished row has no attributes (the model is not in D).
``STORE/_tables/rollup/snapshot_date=D/`` — the facts of D summed by (interval,
    ``account_key`` = lower-cased author, ``pipeline_tag``, ``reupload``, ``automated``):
    ``downloads`` (null when no row had a known counter), ``rows`` and
    ``unknown_intervals``; groups whose downloads are all 0 are left out (they change no
    sum, and most accounts download nothing in a given week).  Download share by
    country/org/org type under uploader attribution, with or without the pipeline,
    re-upload and automated filters, reads its version for one org registry instead
    (``STORE/_tables/rollup_registry_<digest>/``, :func:`ensure_registry_rollups`): the
    registry's accounts kept, every other account summed into one null key, a few
    thousand rows a week instead of ~640k at Hub scale.

Suspected automated downloads (``automated``; issue 7's ``exclude_suspected_automated``)
---------------------------------------------------------------------------------------
A model's interval is flagged when its downloads jump by orders of magnitude: at least
:data:`AUTOMATED_MIN_DOWNLOADS` downloads in (P, D] *and* at least
:data:`AUTOMATED_FACTOR` times its previous interval's downloads scaled to the same length
(``previous * days(P, D] / days(previous interval)``, with a floor of 1).  Only models
present in both intervals can be flagged (a first appearance has nothing to jump from).
The heuristic targets CI pipelines and mirrors that pull one repo in a loop; the flag
excludes that interval's downloads only, not the model.

Materialisation runs in DuckDB straight from the Parquet files of the deltas and the
snapshot (``COPY … TO``), publishing each partition atomically with a manifest that
records the checksums of its inputs' manifests; :func:`stale_rollups` compares them, so a
re-materialised deltas partition (a replaced or back-filled snapshot) makes the facts and
roll-up of that date stale and :func:`ensure_rollups` rebuilds just those.
"""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pyarrow as pa

from weightwatch.engine import published_files, sql_list
from weightwatch.errors import SnapshotNotFound
from weightwatch.orgs import OrgRegistry
from weightwatch.series.deltas import DELTAS_TABLE, ensure_deltas
from weightwatch.store import Store
from weightwatch.store.manifest import InputFile
from weightwatch.store.snapshots import SNAPSHOTS

FACTS_TABLE = "facts"
ROLLUP_TABLE = "rollup"
AUTOMATED_MIN_DOWNLOADS = 10_000
AUTOMATED_FACTOR = 100

_TS = pa.timestamp("us", tz="UTC")
FACTS_SCHEMA = pa.schema(
    [
        ("model_id", pa.string()),
        ("author", pa.string()),
        ("interval_start", pa.date32()),
        ("interval_end", pa.date32()),
        ("downloads", pa.int64()),
        ("all_time", pa.int64()),
        ("first_seen", pa.bool_()),
        ("vanished", pa.bool_()),
        ("counter_decreased", pa.bool_()),
        ("renamed_from", pa.string()),
        ("reupload", pa.bool_()),
        ("automated", pa.bool_()),
        ("created_at", _TS),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("params_total", pa.int64()),
        ("params_active", pa.int64()),
    ]
)
ROLLUP_SCHEMA = pa.schema(
    [
        ("interval_start", pa.date32()),
        ("interval_end", pa.date32()),
        ("account_key", pa.string()),
        ("pipeline_tag", pa.string()),
        ("reupload", pa.bool_()),
        ("automated", pa.bool_()),
        ("downloads", pa.int64()),
        ("rows", pa.int64()),
        ("unknown_intervals", pa.int64()),
    ]
)


def _previous(store: Store, day: date, dates: list[date] | None = None) -> date | None:
    earlier = [d for d in (dates or store.snapshot_dates()) if d < day]
    return earlier[-1] if earlier else None


def _inputs(store: Store, day: date, dates: list[date] | None = None) -> list[InputFile]:
    previous = _previous(store, day, dates)
    inputs = [store.manifest_input(day, SNAPSHOTS), store.manifest_input(day, DELTAS_TABLE)]
    if previous is not None:
        inputs.append(store.manifest_input(previous, DELTAS_TABLE))
    return inputs


def _facts_sql(current: list[str], previous: list[str], snapshot: list[str]) -> str:
    prev = (
        f"""SELECT model_id, downloads AS p_downloads,
                   date_diff('day', interval_start, interval_end) AS p_days
            FROM read_parquet({sql_list(previous)})
            WHERE interval_start IS NOT NULL AND NOT vanished"""
        if previous
        else "SELECT NULL::VARCHAR AS model_id, NULL::BIGINT AS p_downloads, "
        "NULL::BIGINT AS p_days WHERE false"
    )
    attrs = (
        f"""SELECT model_id, pipeline_tag, library_name, params_total, params_active
            FROM read_parquet({sql_list(snapshot)}, hive_partitioning = false)"""
        if snapshot
        else "SELECT NULL::VARCHAR AS model_id, NULL::VARCHAR AS pipeline_tag, "
        "NULL::VARCHAR AS library_name, NULL::BIGINT AS params_total, "
        "NULL::BIGINT AS params_active WHERE false"
    )
    return f"""
    WITH cur AS (SELECT * FROM read_parquet({sql_list(current)})),
    prev AS ({prev}),
    attrs AS ({attrs})
    SELECT cur.model_id, cur.author, cur.interval_start, cur.interval_end, cur.downloads,
           cur.all_time, cur.first_seen, cur.vanished, cur.counter_decreased,
           cur.renamed_from, coalesce(cur.suspected_reupload, false) AS reupload,
           coalesce(
               cur.interval_start IS NOT NULL AND NOT cur.first_seen
               AND cur.renamed_from IS NULL
               AND cur.downloads >= {AUTOMATED_MIN_DOWNLOADS}
               AND prev.p_days > 0
               AND cur.downloads >= {AUTOMATED_FACTOR} * greatest(
                   1.0,
                   prev.p_downloads * date_diff('day', cur.interval_start, cur.interval_end)
                       / prev.p_days
               ),
               false
           ) AS automated,
           cur.created_at, attrs.pipeline_tag, attrs.library_name, attrs.params_total,
           attrs.params_active
    FROM cur
    LEFT JOIN prev ON cur.model_id = prev.model_id
    LEFT JOIN attrs ON cur.model_id = attrs.model_id AND NOT cur.vanished
    """


_ROLLUP_SQL = """
    SELECT interval_start, interval_end, lower(author) AS account_key, pipeline_tag,
           reupload, automated, sum(downloads)::BIGINT AS downloads, count(*)::BIGINT AS rows,
           (count(*) - count(downloads))::BIGINT AS unknown_intervals
    FROM ww_facts
    GROUP BY ALL
    HAVING coalesce(sum(downloads), 0) <> 0 OR count(downloads) < count(*)
"""


def materialise_rollup(store: Store, snapshot_date: date) -> int:
    """Compute and publish the facts and the roll-up of the interval ending at
    ``snapshot_date`` (its deltas must be materialised).  Returns the facts rows."""
    if snapshot_date not in store.snapshot_dates(DELTAS_TABLE):
        raise SnapshotNotFound(
            f"{store.root}: no deltas for {snapshot_date.isoformat()}; materialise them first"
        )
    previous = _previous(store, snapshot_date)
    inputs = _inputs(store, snapshot_date)
    current = published_files(store, DELTAS_TABLE, [snapshot_date])
    before = published_files(store, DELTAS_TABLE, [previous]) if previous else []
    snapshot = published_files(store, SNAPSHOTS, [snapshot_date])
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        extra = {"interval_end": snapshot_date.isoformat(), "previous": str(previous)}
        with store.writer(
            snapshot_date,
            source="facts",
            inputs=inputs,
            replace=True,
            table=FACTS_TABLE,
            schema=FACTS_SCHEMA,
        ) as writer:
            # straight from the joins to the file (no temp table: half the time), then read
            # back for the counts and the roll-up
            sql = _facts_sql(current, before, snapshot) if current else None
            rows = writer.copy_query(con, sql, level=1) if sql else 0
            _facts_view(con, [str(writer.directory / f.name) for f in writer.files])
            flagged = con.execute("SELECT count(*) FROM ww_facts WHERE automated").fetchone()
            writer.extra.update(extra, automated=int(flagged[0]) if flagged else 0)
            with store.writer(
                snapshot_date,
                source="rollup",
                inputs=inputs,
                replace=True,
                table=ROLLUP_TABLE,
                schema=ROLLUP_SCHEMA,
            ) as rolled:
                rolled.copy_query(con, _ROLLUP_SQL)
                rolled.extra.update(extra)
    finally:
        con.close()
    return rows


def _facts_view(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """``ww_facts``: the rows of ``files`` (facts Parquet files), or none."""
    if files:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW ww_facts AS SELECT * FROM read_parquet({sql_list(files)})"
        )
    else:
        con.register("ww_facts", FACTS_SCHEMA.empty_table())


def stale_rollups(store: Store) -> list[date]:
    """Snapshot dates whose facts or roll-up are missing or were built from other inputs."""
    stale: list[date] = []
    dates = store.snapshot_dates()
    for table in (FACTS_TABLE, ROLLUP_TABLE):
        have = set(store.snapshot_dates(table))
        for day in dates:
            if day in stale:
                continue
            if day not in have:
                stale.append(day)
                continue
            recorded = [(i.name, i.sha256) for i in store.manifest(day, table).inputs]
            expected = [(i.name, i.sha256) for i in _inputs(store, day, dates)]
            if recorded != expected:
                stale.append(day)
    return sorted(stale)


def ensure_rollups(store: Store) -> list[date]:
    """Bring deltas, facts and roll-ups up to date (only what is missing or stale)."""
    ensure_deltas(store)
    stale = stale_rollups(store)
    for day in stale:
        materialise_rollup(store, day)
    return stale


# -- the roll-up by registry accounts ------------------------------------------------------

#: Prefix of the registry roll-up tables; the rest of the name is the registry's digest.
REGISTRY_ROLLUP_PREFIX = "rollup_registry_"

_REGISTRY_ROLLUP_SQL = """
    SELECT r.interval_start, r.interval_end,
           CASE WHEN a.account_key IS NOT NULL THEN r.account_key END AS account_key,
           r.pipeline_tag, r.reupload, r.automated, sum(r.downloads)::BIGINT AS downloads,
           sum(r.rows)::BIGINT AS rows, sum(r.unknown_intervals)::BIGINT AS unknown_intervals
    FROM read_parquet({files}) r LEFT JOIN ww_accounts a ON r.account_key = a.account_key
    GROUP BY ALL
"""


def _account_keys(registry: OrgRegistry) -> list[str]:
    return sorted(set(registry.to_arrow().column("account_key").to_pylist()))


def _digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def registry_digest(registry: OrgRegistry) -> str:
    """sha256 of the registry's account keys (sorted): what a registry roll-up depends on
    (organisations and countries are joined at query time)."""
    return _digest(_account_keys(registry))


def registry_rollup_table(registry: OrgRegistry) -> str:
    """The name of ``registry``'s roll-up table."""
    return REGISTRY_ROLLUP_PREFIX + registry_digest(registry)[:16]


def ensure_registry_rollups(store: Store, registry: OrgRegistry) -> str:
    """Bring the roll-up by ``registry``'s accounts up to date; return its table name.

    The ``rollup`` table keeps every account (about half a million a week at Hub scale);
    its version for one registry keeps the accounts the registry knows, and sums all the
    others into one row per key with a null ``account_key`` (they can only be
    ``unattributed``): a few thousand rows a week, which answer a share by country, org
    or org type in milliseconds.  Same columns as ``rollup``; one table per registry
    (named by the digest of its account keys, :func:`registry_rollup_table`), each
    partition built from the ``rollup`` partition of its date and stale when that is.
    """
    ensure_rollups(store)
    keys = _account_keys(registry)
    digest = _digest(keys)
    table = REGISTRY_ROLLUP_PREFIX + digest[:16]
    have = set(store.snapshot_dates(table))
    stale = []
    for day in store.snapshot_dates(ROLLUP_TABLE):
        expected = [store.manifest_input(day, ROLLUP_TABLE)]
        if day not in have or store.manifest(day, table).inputs != expected:
            stale.append((day, expected))
    if not stale:
        return table
    accounts = pa.table({"account_key": pa.array(keys, pa.string())})
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("ww_accounts", accounts)
        for day, inputs in stale:
            files = published_files(store, ROLLUP_TABLE, [day])
            with store.writer(
                day, source="rollup", inputs=inputs, replace=True, table=table, schema=ROLLUP_SCHEMA
            ) as writer:
                if files:
                    writer.copy_query(con, _REGISTRY_ROLLUP_SQL.format(files=sql_list(files)))
                writer.extra.update(
                    registry_accounts=accounts.num_rows,
                    registry_digest=digest,
                    registry_version=registry.version,
                )
    finally:
        con.close()
    return table
