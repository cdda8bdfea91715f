"""Build the lineage tables of one snapshot and publish them in the store.

``STORE/_tables/lineage_edges/snapshot_date=D/`` — one row per (model, declared parent):
    model_id, model_key, parent_id, parent_key (null when unparseable), raw_parent (as
    written), sources, relation_declared, relation_inferred, status (ok | self_loop |
    cycle_broken | unparseable), problem, is_primary, parent_in_snapshot.
``STORE/_tables/lineage/snapshot_date=D/`` — one row per node (every model of the snapshot,
    and every parent missing from it, ``status = dangling``): see :data:`LINEAGE_SCHEMA`.

Both are published atomically like snapshots, with a manifest recording the lineage rules
version, the families file version and the resolution statistics.  Readers call
:func:`ensure_lineage` (or :func:`lineage_tables` for Ibis tables): it builds the tables
when they are missing or were built by other rules, so metrics never recompute them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from weightwatch.errors import SnapshotNotFound, StoreError
from weightwatch.lineage.extract import extract
from weightwatch.lineage.families import FamilyRules, load_families
from weightwatch.lineage.resolve import resolve
from weightwatch.orgs import OrgRegistry, load_registry
from weightwatch.store import Store, partition_name

LINEAGE_VERSION = "lineage/1"
NODES_TABLE = "lineage"
EDGES_TABLE = "lineage_edges"

_S, _I, _B = pa.string(), pa.int32(), pa.bool_()
LINEAGE_SCHEMA = pa.schema(
    [
        pa.field("model_id", _S, nullable=False),
        pa.field("model_key", _S, nullable=False),
        pa.field("in_snapshot", _B),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
        pa.field("status", _S),  # root | derived | dangling | unresolved
        pa.field("unresolved_reason", _S),
        pa.field("n_parents", _I),
        pa.field("primary_parent", _S),
        pa.field("relation_declared", _S),
        pa.field("relation_inferred", _S),
        pa.field("relation_evidence", _S),
        pa.field("relation", _S),  # the inferred one: what derivative metrics count by
        pa.field("depth", _I),
        pa.field("primary_root", _S),
        pa.field("root_author", _S),
        pa.field("root_in_snapshot", _B),
        pa.field("roots", pa.list_(_S)),
        pa.field("n_roots", _I),
        pa.field("path", pa.list_(_S)),  # the model, its primary parent, … the primary root
        pa.field("family", _S),
        pa.field("family_rule", _S),  # id | account | name | org
        pa.field("cycle_broken", _B),
        pa.field("conflict", _S),
        pa.field("unparseable_bases", _I),
    ],
    metadata={b"weightwatch.schema": LINEAGE_VERSION.encode()},
)
EDGES_SCHEMA = pa.schema(
    [
        pa.field("model_id", _S, nullable=False),
        pa.field("model_key", _S, nullable=False),
        pa.field("parent_id", _S),
        pa.field("parent_key", _S),
        pa.field("raw_parent", _S),
        pa.field("sources", pa.list_(_S)),
        pa.field("relation_declared", _S),
        pa.field("relation_inferred", _S),
        pa.field("status", _S),
        pa.field("problem", _S),
        pa.field("is_primary", _B),
        pa.field("parent_in_snapshot", _B),
    ],
    metadata={b"weightwatch.schema": f"{LINEAGE_VERSION}-edges".encode()},
)


@dataclass
class LineageBuild:
    """The two tables of one snapshot and what the build found."""

    snapshot_date: date
    nodes: pa.Table
    edges: pa.Table
    stats: dict[str, Any] = field(default_factory=dict)
    families_version: str = ""

    def manifest_extra(self) -> dict[str, Any]:
        return {
            "lineage_version": LINEAGE_VERSION,
            "families_version": self.families_version,
            "stats": self.stats,
        }


def _snapshot_files(store: Store, when: date) -> list[str]:
    store.manifest(when)  # SnapshotNotFound naming the dates we have
    directory = store.table_root() / partition_name(when)
    return sorted(str(p) for p in directory.glob("*.parquet"))


def compute_lineage(
    store: Store,
    snapshot_date: date | None = None,
    *,
    families: FamilyRules | None = None,
    registry: OrgRegistry | None = None,
) -> LineageBuild:
    """Extract, resolve and assemble the lineage tables of one snapshot (nothing written)."""
    started = time.perf_counter()
    when = snapshot_date or store.latest()
    files = _snapshot_files(store, when)
    rules = families or load_families()
    reg = registry or load_registry()
    con = duckdb.connect()
    if files:
        listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
        con.execute(
            "CREATE VIEW ww_snap AS SELECT model_id, created_at, library_name, tags, is_gguf, "
            f"base_models, raw_json FROM read_parquet({listing}, union_by_name = true)"
        )
    else:
        con.execute(
            "CREATE VIEW ww_snap AS SELECT NULL::VARCHAR AS model_id, NULL::TIMESTAMPTZ AS "
            "created_at, NULL::VARCHAR AS library_name, NULL::VARCHAR[] AS tags, NULL::BOOLEAN "
            "AS is_gguf, NULL::STRUCT(relation VARCHAR, model_id VARCHAR)[] AS base_models, "
            "NULL::VARCHAR AS raw_json WHERE false"
        )
    extract(con)
    models = con.sql("SELECT model_id, created_at FROM ww_snap").to_arrow_table()
    edges = con.sql(
        "SELECT model_id, parent_id FROM ww_edges WHERE NOT self_loop ORDER BY model_key, "
        "parent_key"
    ).to_arrow_table()
    blocked = [
        r[0]
        for r in con.sql(
            "SELECT min(u.model_id) FROM ww_unparsed u WHERE NOT EXISTS (SELECT 1 FROM ww_edges "
            "e WHERE e.model_key = u.model_key AND NOT e.self_loop) GROUP BY u.model_key"
        ).fetchall()
    ]
    res = resolve(
        models,
        edges,
        families=rules,
        organisations=reg.to_arrow().select(["account_key", "organisation"]),
        blocked=blocked,
    )
    res.stats["self_loops"] = int(
        con.sql("SELECT count(*) FROM ww_edges WHERE self_loop").fetchall()[0][0]
    )
    plain = pa.table(
        {
            name: (
                pc.cast(col, pa.list_(pa.string()))
                if pa.types.is_list(col.type)
                else pc.cast(col, pa.string())
                if pa.types.is_dictionary(col.type)
                else col
            )
            for name, col in zip(res.nodes.column_names, res.nodes.columns, strict=True)
        }
    )
    con.register("ww_nodes", plain)
    con.register(
        "ww_edge_res",
        pa.table(
            {
                "model_key": pc.utf8_lower(edges.column("model_id")),
                "parent_key": pc.utf8_lower(edges.column("parent_id")),
                "status": pc.cast(res.edge_status, pa.string()),
                "is_primary": res.edge_primary,
            }
        ),
    )
    nodes = con.sql(
        """
        SELECT n.model_id, lower(n.model_id) AS model_key, n.in_snapshot, n.created_at,
               n.status, n.unresolved_reason, n.n_parents, n.primary_parent,
               i.relation_declared, i.relation_inferred, i.relation_evidence,
               i.relation_inferred AS relation, n.depth, n.primary_root,
               CASE WHEN contains(n.primary_root, '/') THEN split_part(n.primary_root, '/', 1)
               END AS root_author,
               n.root_in_snapshot, n.roots, n.n_roots, n.path, n.family, n.family_rule,
               n.cycle_broken, i.conflict, coalesce(i.n_unparsed, 0)::INTEGER AS
               unparseable_bases
        FROM ww_nodes n LEFT JOIN ww_model_info i ON i.model_key = lower(n.model_id)
        ORDER BY model_key
        """
    ).to_arrow_table()
    edges_out = con.sql(
        """
        SELECT e.model_id, e.model_key, coalesce(n.model_id, e.parent_id) AS parent_id,
               e.parent_key, e.raw_parent, e.sources, e.relation_declared,
               i.relation_inferred,
               CASE WHEN e.self_loop THEN 'self_loop' ELSE coalesce(r.status, 'ok') END
                   AS status,
               e.problem, coalesce(r.is_primary, false) AS is_primary,
               coalesce(n.in_snapshot, false) AS parent_in_snapshot
        FROM ww_edges e
        LEFT JOIN ww_edge_res r ON r.model_key = e.model_key AND r.parent_key = e.parent_key
        LEFT JOIN ww_nodes n ON lower(n.model_id) = e.parent_key
        LEFT JOIN ww_model_info i ON i.model_key = e.model_key
        UNION ALL
        SELECT u.model_id, u.model_key, NULL, NULL, u.raw_parent, u.sources,
               u.relation_declared, i.relation_inferred, 'unparseable', u.problem, false, false
        FROM ww_unparsed u LEFT JOIN ww_model_info i ON i.model_key = u.model_key
        ORDER BY model_key, parent_key NULLS LAST, raw_parent
        """
    ).to_arrow_table()
    stats = _stats(con, res.stats)
    con.close()
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return LineageBuild(
        snapshot_date=when,
        nodes=nodes.cast(LINEAGE_SCHEMA),
        edges=edges_out.cast(EDGES_SCHEMA),
        stats=stats,
        families_version=rules.version,
    )


def _stats(con: Any, resolution: dict[str, int]) -> dict[str, Any]:
    """What was found: counts by source, problem, status, relation; conflicts."""

    def pairs(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in con.sql(sql).fetchall()}

    def count(sql: str) -> int:
        return int(con.sql(sql).fetchall()[0][0])

    return {
        "resolution": resolution,
        "mentions_by_source": pairs(
            "SELECT source, count(*) FROM ww_norm GROUP BY source ORDER BY source"
        ),
        "unparseable_by_problem": pairs(
            "SELECT problem, count(*) FROM ww_unparsed GROUP BY problem ORDER BY problem"
        ),
        "relation_conflicts": count("SELECT count(*) FROM ww_edges WHERE problem IS NOT NULL"),
        "card_tag_conflicts": count(
            "SELECT count(*) FROM ww_model_info WHERE conflict IS NOT NULL"
        ),
        "relation_declared_vs_inferred": pairs(
            "SELECT relation_declared || ' -> ' || relation_inferred, count(*) FROM ww_model_info "
            "WHERE relation_inferred IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
    }


def publish(store: Store, build: LineageBuild) -> None:
    """Write both tables for the build's snapshot date (replacing older ones)."""
    for table, data, schema in (
        (EDGES_TABLE, build.edges, EDGES_SCHEMA),
        (NODES_TABLE, build.nodes, LINEAGE_SCHEMA),
    ):
        with store.writer(
            build.snapshot_date, source="lineage", table=table, schema=schema, replace=True
        ) as writer:
            writer.extra.update(build.manifest_extra())
            for batch in data.to_batches(max_chunksize=500_000):
                writer.write_batch(pa.Table.from_batches([batch], schema=schema))


def build_lineage(
    store: Store,
    snapshot_date: date | None = None,
    *,
    families: FamilyRules | None = None,
    registry: OrgRegistry | None = None,
) -> LineageBuild:
    """Compute and publish the lineage tables of one snapshot (default: the latest)."""
    build = compute_lineage(store, snapshot_date, families=families, registry=registry)
    publish(store, build)
    return build


def _current(store: Store, when: date, rules: FamilyRules) -> bool:
    for table in (NODES_TABLE, EDGES_TABLE):
        try:
            extra = store.manifest(when, table).extra
        except (SnapshotNotFound, StoreError):
            return False
        if extra.get("lineage_version") != LINEAGE_VERSION:
            return False
        if extra.get("families_version") != rules.version:
            return False
    # the snapshot may have been replaced after the lineage was built
    snap = store.manifest(when).created_at
    return store.manifest(when, NODES_TABLE).created_at >= snap


def ensure_lineage(
    store: Store,
    snapshot_date: date | None = None,
    *,
    families: FamilyRules | None = None,
) -> date:
    """Make sure the lineage tables of ``snapshot_date`` (default latest) exist and are
    current (same rules, families file and snapshot); build them if not.  Returns the date."""
    when = snapshot_date or store.latest()
    store.manifest(when)
    rules = families or load_families()
    if not _current(store, when, rules):
        build_lineage(store, when, families=rules)
    return when


def read_lineage(store: Store, when: date, table: str = NODES_TABLE) -> pa.Table:
    """One published lineage table as Arrow (call :func:`ensure_lineage` first)."""
    directory = store.table_root(table) / partition_name(when)
    files = sorted(directory.glob("*.parquet"))
    schema = LINEAGE_SCHEMA if table == NODES_TABLE else EDGES_SCHEMA
    if not files:
        return schema.empty_table()
    return pa.concat_tables(pq.read_table(f, schema=schema) for f in files)


def lineage_tables(
    con: Any, store: Store, when: date | None = None
) -> tuple[ibis.Table, ibis.Table]:
    """``(nodes, edges)`` of one snapshot as Ibis tables on ``con`` (built lazily)."""
    day = ensure_lineage(store, when)
    out = []
    for table in (NODES_TABLE, EDGES_TABLE):
        directory = store.table_root(table) / partition_name(day)
        glob = str(directory / "*.parquet").replace("'", "''")
        name = f"ww_{table}_{day.strftime('%Y%m%d')}"
        if any(directory.glob("*.parquet")):
            con.raw_sql(
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{glob}')"
            )
            out.append(con.table(name))
        else:
            schema = LINEAGE_SCHEMA if table == NODES_TABLE else EDGES_SCHEMA
            out.append(ibis.memtable(schema.empty_table()))
    return out[0], out[1]
