"""`weightwatch lineage …` and `weightwatch families`: model lineage, roots and families."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.tree import Tree

from weightwatch.cli.app import (
    DateOpt,
    Format,
    FormatOpt,
    OrgsOpt,
    StoreOpt,
    app,
    emit_metric,
    friendly_errors,
    open_registry,
    out,
    parse_date,
)
from weightwatch.errors import InputError
from weightwatch.lineage.build import (
    EDGES_TABLE,
    NODES_TABLE,
    build_lineage,
    ensure_lineage,
    read_lineage,
)
from weightwatch.lineage.families import load_families
from weightwatch.lineage.ids import normalize_id
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.derivative_counts import DerivativeCountsParams
from weightwatch.orgs import OrgRegistry
from weightwatch.output import emit
from weightwatch.store import Store, partition_name

lineage_app = typer.Typer(
    help="Model lineage: base-model edges, roots, depth and families.", no_args_is_help=True
)
app.add_typer(lineage_app, name="lineage")


class By(StrEnum):
    total = "total"
    month = "month"


class RelationSource(StrEnum):
    inferred = "inferred"
    declared = "declared"


def _flatten(prefix: str, value: Any, into: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, into)
    else:
        into.append({"measure": prefix, "value": value})


def _open(store: Path, snapshot_date: str | None) -> tuple[Store, date]:
    opened = Store.open(store)
    when = ensure_lineage(opened, parse_date(snapshot_date))
    return opened, when


def _files(store: Store, table: str, when: date) -> str:
    directory = store.table_root(table) / partition_name(when)
    return str(directory / "*.parquet").replace("'", "''")


def _family_labels(registry: OrgRegistry) -> dict[str, str]:
    return {r.key: r.organisation for r in registry}


def _family(row: dict[str, Any], orgs: dict[str, str]) -> str | None:
    """The family label under the given registry (see attribution.family_label)."""
    if row.get("status") == "unresolved":
        return None
    if row.get("family_rule") in ("id", "account", "name"):
        return str(row["family"])
    author = row.get("root_author")
    return orgs.get(str(author).lower()) if author else None


@lineage_app.command("build")
@friendly_errors
def build(
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Compute the lineage tables of a snapshot and publish them in the store."""
    result = build_lineage(Store.open(store), parse_date(snapshot_date))
    rows: list[dict[str, Any]] = []
    _flatten("", result.stats, rows)
    document = {
        "snapshot_date": result.snapshot_date.isoformat(),
        "tables": [NODES_TABLE, EDGES_TABLE],
        **result.manifest_extra(),
    }
    emit(
        out,
        fmt.value,
        rows,
        title=f"Lineage built for {result.snapshot_date} ({result.nodes.num_rows:,} nodes, "
        f"{result.edges.num_rows:,} edges)",
        document=document,
        footer=[f"families {result.families_version}"],
    )


@lineage_app.command("stats")
@friendly_errors
def stats(
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """What the lineage of a snapshot holds: edges by source, status and problem, relations
    declared vs inferred, conflicts, cycles, dangling parents, depth."""
    opened, when = _open(store, snapshot_date)
    manifest = opened.manifest(when, NODES_TABLE)
    con = duckdb.connect()
    nodes = _files(opened, NODES_TABLE, when)
    edges = _files(opened, EDGES_TABLE, when)
    rows: list[dict[str, Any]] = []

    def grouped(prefix: str, sql: str) -> None:
        for key, value in con.sql(sql).fetchall():
            rows.append({"measure": f"{prefix}.{key}", "value": int(value)})

    grouped("nodes.status", f"SELECT status, count(*) FROM '{nodes}' GROUP BY 1 ORDER BY 1")
    grouped("edges.status", f"SELECT status, count(*) FROM '{edges}' GROUP BY 1 ORDER BY 1")
    grouped(
        "models.relation",
        f"SELECT relation, count(*) FROM '{nodes}' WHERE in_snapshot AND relation IS NOT NULL "
        "GROUP BY 1 ORDER BY 1",
    )
    grouped(
        "models.depth",
        f"SELECT depth, count(*) FROM '{nodes}' WHERE in_snapshot AND depth IS NOT NULL "
        "GROUP BY 1 ORDER BY 1",
    )
    extra = manifest.extra.get("stats", {})
    for key in ("mentions_by_source", "unparseable_by_problem", "relation_declared_vs_inferred"):
        for name, value in (extra.get(key) or {}).items():
            rows.append({"measure": f"{key}.{name}", "value": value})
    for key in ("relation_conflicts", "card_tag_conflicts"):
        rows.append({"measure": key, "value": extra.get(key, 0)})
    resolution = extra.get("resolution", {})
    for key in ("cycles", "cycle_broken_edges", "dangling", "unresolved", "max_depth", "merges"):
        rows.append({"measure": f"resolution.{key}", "value": resolution.get(key)})
    con.close()
    emit(
        out,
        fmt.value,
        rows,
        title=f"Lineage statistics — snapshot {when}",
        document={"snapshot_date": when.isoformat(), "rows": rows, **manifest.extra},
        footer=[f"families {manifest.extra.get('families_version')}"],
    )


@lineage_app.command("roots")
@friendly_errors
def roots(
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Only nodes with this status (root, derived, dangling, unresolved)."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many rows.")] = None,
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per model: primary root, all roots, depth, relation, family and status."""
    opened, when = _open(store, snapshot_date)
    labels = _family_labels(open_registry(orgs))
    table = read_lineage(opened, when, NODES_TABLE)
    rows: list[dict[str, Any]] = []
    for row in table.to_pylist():
        if not row["in_snapshot"] and row["status"] != "dangling":
            continue
        if status is not None and row["status"] != status:
            continue
        rows.append(
            {
                "model_id": row["model_id"],
                "primary_root": row["primary_root"],
                "roots": row["roots"] if fmt is Format.json else "; ".join(row["roots"] or []),
                "depth": row["depth"],
                "relation": row["relation"],
                "family": _family(row, labels),
                "status": row["status"],
                "unresolved_reason": row["unresolved_reason"],
            }
        )
        if limit is not None and len(rows) >= limit:
            break
    emit(
        out,
        fmt.value,
        rows,
        title=f"Lineage roots — snapshot {when}",
        document={"snapshot_date": when.isoformat(), "rows": rows},
    )


def _neighbours(
    con: Any, edges: str, keys: Sequence[str], up: bool
) -> list[tuple[str, str, str, str, bool]]:
    """(from_key, to_key, to_id, relation, is_primary) one step up (parents) or down."""
    if not keys:
        return []
    src, dst, dst_id = (
        ("model_key", "parent_key", "parent_id") if up else ("parent_key", "model_key", "model_id")
    )
    rows = con.execute(
        f"SELECT {src}, {dst}, {dst_id}, coalesce(relation_inferred, relation_declared), "
        f"is_primary FROM '{edges}' WHERE status = 'ok' AND {src} IN (SELECT unnest($1)) "
        f"ORDER BY {src}, {dst}",
        [list(keys)],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


@lineage_app.command("tree")
@friendly_errors
def tree(
    model_id: Annotated[str, typer.Argument(help="Repo id (case-insensitive; URLs accepted).")],
    depth: Annotated[int, typer.Option("--depth", min=1, help="Levels up and down.")] = 3,
    width: Annotated[
        int, typer.Option("--width", min=1, help="Children shown per node in the table view.")
    ] = 25,
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ancestors and descendants of a model (all parents of merges; ★ marks primary)."""
    clean, problem = normalize_id(model_id)
    if clean is None:
        raise InputError(f"{model_id!r} is not a Hub model id ({problem})")
    opened, when = _open(store, snapshot_date)
    con = duckdb.connect()
    nodes = _files(opened, NODES_TABLE, when)
    edges = _files(opened, EDGES_TABLE, when)
    found = con.execute(
        f"SELECT model_id, status, family, primary_root, depth FROM '{nodes}' WHERE model_key = $1",
        [clean.lower()],
    ).fetchall()
    if not found:
        raise InputError(f"{clean} is not in the lineage of snapshot {when} (nor a parent there)")
    me, me_status, me_family, me_root, me_depth = found[0]
    levels: dict[bool, list[list[tuple[str, str, str, str, bool]]]] = {True: [], False: []}
    for up in (True, False):
        frontier, seen = [clean.lower()], {clean.lower()}
        for _ in range(depth):
            step = _neighbours(con, edges, frontier, up)
            levels[up].append(step)
            frontier = sorted({s[1] for s in step} - seen)
            seen.update(frontier)
            if not frontier:
                break
    con.close()
    rows = [
        {
            "direction": "ancestor" if up else "descendant",
            "level": level + 1,
            "from": src,
            "model_id": dst_id,
            "relation": relation,
            "primary": primary,
        }
        for up in (True, False)
        for level, step in enumerate(levels[up])
        for src, _dst, dst_id, relation, primary in step
    ]
    if fmt is not Format.table:
        emit(
            out,
            fmt.value,
            rows,
            document={
                "model_id": me,
                "snapshot_date": when.isoformat(),
                "status": me_status,
                "family": me_family,
                "primary_root": me_root,
                "depth": me_depth,
                "rows": rows,
            },
        )
        return
    label = f"[bold]{me}[/]  ({me_status}; root {me_root}; depth {me_depth}; {me_family or '—'})"
    top = Tree(label)
    for up, title in ((True, "ancestors (parents ↑)"), (False, "descendants (children ↓)")):
        branch = top.add(title)
        children: dict[str, list[tuple[str, str, str, bool]]] = {}
        for step in levels[up]:
            for src, dst, dst_id, relation, primary in step:
                children.setdefault(src, []).append((dst, dst_id, relation, primary))
        _grow(branch, clean.lower(), children, width, set())
    out.print(top)


def _grow(
    node: Tree,
    key: str,
    children: dict[str, list[tuple[str, str, str, bool]]],
    width: int,
    path: set[str],
) -> None:
    kids = children.get(key, [])
    for dst, dst_id, relation, primary in kids[:width]:
        star = " ★" if primary else ""
        sub = node.add(f"{dst_id} [dim]({relation}){star}[/]")
        if dst not in path:
            _grow(sub, dst, children, width, path | {key})
    if len(kids) > width:
        node.add(f"[dim]… {len(kids) - width} more[/]")


@app.command("families")
@friendly_errors
def families(
    by: Annotated[By, typer.Option("--by", help="total, or by month of creation.")] = By.total,
    relation_source: Annotated[
        RelationSource,
        typer.Option("--relation-source", help="Count by inferred (default) or declared relation."),
    ] = RelationSource.inferred,
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Derivatives per base family and relation type (total or by month of creation)."""
    params = DerivativeCountsParams(
        by=by.value, relation_source=relation_source.value, snapshot_date=parse_date(snapshot_date)
    )
    ctx = MetricContext(Store.open(store), open_registry(orgs))
    result = get_or_raise("derivative_counts").compute(ctx, params)
    p = result.params
    emit_metric(
        result,
        fmt.value,
        f"Derivatives by family and {p['relation_source']} relation"
        f"{' and month' if p['by'] == 'month' else ''} — snapshot {p['snapshot_date']}",
        footer=[f"families {load_families().version}"],
    )
