"""Import the weekly model snapshots of the "Economies of Open Intelligence" study.

Hugging Face and MIT released, with the paper *Economies of Open Intelligence: Tracing
Power & Participation in the Model Ecosystem* (arXiv 2512.03073), the data behind it
(dataset ``mmpr/open_model_evolution_data``, e.g. ``all_downloads_with_annotations.parquet``),
compiled from weekly Hub snapshots.  Its documented columns: ``model`` (repo id),
``author``, ``time`` (the snapshot date of the row), ``created``, ``downloadsAllTime``,
``org_type``, ``org_country``, ``derived_author``, ``derived_org_country``,
``merged_derived_from`` (parent models), and ``_single`` variants of some
(``org_country_single``, ``derived_org_country_single``…), plus ``_id``, ``annotator``,
``org_model``, ``merged_languages``, ``merged_modality``, country groups….  Parquet and CSV
are read alike (CSV as text, every value checked like a JSON listing's).

One file holds many snapshot dates, so one import publishes **one snapshot per date**
(``time``), each with exactly that date's rows (source ``eoi``).  The study's own
attribution of every model (its uploader's country, the derived developer and its
country, the parents, the organisation type) is kept as a separate source of attribution
that can be compared with ours: the derived table ``eoi_attribution`` (one partition per
snapshot date, published with it) — :data:`ATTRIBUTION_SCHEMA`.  For each attribute the
plain column is used when present, else its ``_single`` variant; the manifest names the
columns used.

The mapping into the canonical rows follows the hub-stats import's rules (set-based in
DuckDB, see :mod:`weightwatch.sources.hub_stats`): a row without a usable ``model`` or
``time``, or repeating a model within its date, is rejected (``_rejects.jsonl`` of its
date's snapshot; a row without a usable date goes to the first snapshot's); a bad value
is nulled, kept in ``raw_json`` and counted.  The study has no 30-day counter: snapshots
from it carry ``downloads_all_time`` only (``share --counter all-time``); ``base_models``
are its ``merged_derived_from`` ids with relation ``unknown``.  Columns not mapped go to
``raw_json``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from weightwatch.errors import InputError, SnapshotExists
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.sources.hub_stats import (
    BASE_MODELS_SQL_TYPE,
    FILE,
    KEY,
    ROW,
    BulkImport,
    Checks,
    Field,
    Resources,
    absent,
    check_parquet,
    columns_of,
    connect,
    copy_parquet,
    copy_rejects,
    count_field,
    hashing_pool,
    id_check,
    ident,
    input_files,
    json_text,
    list_files,
    literal,
    locate_duplicates,
    locate_problems,
    new_store,
    one_of,
    raw_json_sql,
    reading,
    refresh_deltas,
    rejected_rows_sql,
    shown,
    spill_into,
    string_field,
    summarise_problems,
    time_field,
)
from weightwatch.store import InputFile, Store, partition_name

SOURCE = "eoi"
ATTRIBUTION_TABLE = "eoi_attribution"
#: The study's attribution of each model, per snapshot date (derived table).
ATTRIBUTION_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string()),
        pa.field("author", pa.string()),
        pa.field("org_country", pa.string()),
        pa.field("derived_author", pa.string()),
        pa.field("derived_org_country", pa.string()),
        pa.field("merged_derived_from", pa.string()),
        pa.field("org_type", pa.string()),
    ]
)
ATTRIBUTES = (
    "org_country",
    "derived_author",
    "derived_org_country",
    "merged_derived_from",
    "org_type",
)
_MAPPED = ("model", "author", "time", "created", "downloadsAllTime")
_PLACEHOLDERS = ("", "N/A", "NONE", "NULL", "NAN", "[]")
_TYPES = {"author": "VARCHAR", "created_at": "TIMESTAMPTZ", "downloads_all_time": "BIGINT"}


def is_parquet(path: Path) -> bool:
    """Parquet files start with ``PAR1`` (anything else is read as CSV)."""
    with path.open("rb") as handle:
        return handle.read(4) == b"PAR1"


def eoi_source(paths: Sequence[Path]) -> str:
    """SQL: the rows of ``paths`` (Parquet or CSV) with ``ww_row``, ``ww_key`` and, for
    several files, ``ww_file``; columns matched by name.  CSV is read as text."""
    branches = []
    for i, path in enumerate(paths):
        named = f", {literal(path.name)} AS {FILE}" if len(paths) > 1 else ""
        key = f"({i}::BIGINT << 40) + {ROW}"
        if is_parquet(path):
            check_parquet([path])
            reader = (
                f"SELECT * EXCLUDE (file_row_number), file_row_number AS {ROW} "
                f"FROM read_parquet({literal(str(path))}, file_row_number = true)"
            )
        else:  # read in one thread, so that row_number() follows the file's order
            reader = (
                f"SELECT *, row_number() OVER () - 1 AS {ROW} FROM read_csv("
                f"{literal(str(path))}, header = true, all_varchar = true, parallel = false)"
            )
        branches.append(f"SELECT *, {key} AS {KEY}{named} FROM ({reader})")
    return "(" + " UNION ALL BY NAME ".join(branches) + ")"


def _pick(columns: dict[str, str], name: str) -> str | None:
    for candidate in (name, f"{name}_single"):
        if candidate in columns:
            return candidate
    return None


def _text(column: str | None, columns: dict[str, str]) -> str:
    """SQL: an attribute as text (lists and other types as their JSON text)."""
    if column is None:
        return "NULL::VARCHAR"
    c = ident(column)
    if columns[column] == "VARCHAR":
        return f"nullif(trim({c}), '')"
    return f"to_json({c})::VARCHAR"


def _parents(column: str | None, columns: dict[str, str]) -> str:
    """SQL: ``merged_derived_from`` as declared parents (relation ``unknown``): a list, a
    JSON or Python-style list in a string, or comma-separated ids."""
    if column is None:
        return f"[]::{BASE_MODELS_SQL_TYPE}"
    c = ident(column)
    kind = columns[column]
    if kind == "VARCHAR[]":
        ids = c
    elif kind == "VARCHAR":
        text = f"trim({c})"
        listed = f"TRY_CAST(replace({text}, '''', '\"') AS JSON)"
        ids = (
            f"CASE WHEN starts_with({text}, '[') THEN "
            f"coalesce(TRY_CAST({listed} AS VARCHAR[]), []) "
            f"ELSE string_split({text}, ',') END"
        )
    else:
        return f"[]::{BASE_MODELS_SQL_TYPE}"
    # first occurrences, in order (list_distinct does not keep the order)
    ordered = (
        f"list_filter(list_transform({ids}, lambda x: trim(x)), lambda x, i: x IS NOT NULL "
        f"AND NOT {one_of('upper(x)', _PLACEHOLDERS)} AND list_position(list_transform("
        f"{ids}, lambda y: trim(y)), x) = i)"
    )
    return (
        f"coalesce(list_transform({ordered}, lambda x: {{'relation': 'unknown', "
        f"'model_id': x}}), [])::{BASE_MODELS_SQL_TYPE}"
    )


@dataclass
class EoiPlan:
    """The SQL of one EOI import, built from the input's column types."""

    columns: dict[str, str]
    checks: Checks
    date: str  # SQL: the row's snapshot date
    snapshot: str  # SQL select list: snapshot_date + canonical columns
    attribution: str  # SQL select list: snapshot_date + ATTRIBUTION_SCHEMA columns
    used: dict[str, str]  # attribute → the column it was read from
    leftovers: list[str]


def plan(columns: dict[str, str]) -> EoiPlan:
    """Build the SQL of an EOI import for an input with these columns."""
    if "model" not in columns:
        raise InputError(
            "the file has no 'model' column: not an Economies of Open Intelligence export "
            f"(columns: {', '.join(list(columns)[:12])})"
        )
    if "time" not in columns:
        raise InputError("the file has no 'time' column (the snapshot date of each row)")
    model_id, rejected, reason = id_check("model", columns["model"])
    t = ident("time")
    when = f"TRY_CAST({t} AS DATE)"
    time_rejected = f"({when} IS NULL)"
    time_reason = f"'no usable snapshot date in time: ' || {shown(t)}"
    fields: list[Field] = []
    values: dict[str, str] = {}
    raw: list[tuple[str, str, str]] = []
    for name, column, build in (
        ("author", "author", string_field),
        ("created_at", "created", time_field),
        ("downloads_all_time", "downloadsAllTime", count_field),
    ):
        if column not in columns:
            values[name] = absent(_TYPES[name])
            continue
        f = build(column, columns[column])
        fields.append(f)
        values[name] = f.value
        if f.bad is not None:
            raw.append((column, f.bad, json_text(column, columns[column])))
    used = {a: c for a in ATTRIBUTES if (c := _pick(columns, a)) is not None}
    consumed = set(_MAPPED) | set(used.values())
    leftovers = [c for c in columns if c not in consumed]
    raw += [(c, f"{ident(c)} IS NOT NULL", json_text(c, columns[c])) for c in leftovers]
    author = (
        f"coalesce({values['author']}, CASE WHEN contains({model_id}, '/') "
        f"THEN split_part({model_id}, '/', 1) END)"
    )
    snapshot = [
        f"{when} AS snapshot_date",
        f"{model_id} AS model_id",
        f"{author} AS author",
        f"{values['created_at']} AS created_at",
        "NULL::TIMESTAMPTZ AS last_modified",
        "NULL::BIGINT AS downloads_30d",
        f"{values['downloads_all_time']} AS downloads_all_time",
        "NULL::BIGINT AS likes",
        "NULL::VARCHAR AS pipeline_tag",
        "NULL::VARCHAR AS library_name",
        "NULL::VARCHAR[] AS tags",
        "NULL::VARCHAR AS license",
        "NULL::BOOLEAN AS gated",
        f"{_parents(used.get('merged_derived_from'), columns)} AS base_models",
        "NULL::BIGINT AS params_total",
        "NULL::BIGINT AS params_active",
        "NULL::BOOLEAN AS is_gguf",
        f"{literal(SOURCE)} AS source",
        f"{raw_json_sql(raw)} AS raw_json",
    ]
    eoi_author = _text("author" if "author" in columns else None, columns)
    attribution = [
        f"{when} AS snapshot_date",
        f"{model_id} AS model_id",
        f"{eoi_author} AS author",
        *(f"{_text(used.get(a), columns)} AS {a}" for a in ATTRIBUTES),
    ]
    checks = Checks(
        "model",
        model_id,
        rejected,
        reason,
        fields,
        extra=[("time", time_rejected, time_reason)],
        partition=when,
    )
    return EoiPlan(
        columns=columns,
        checks=checks,
        date=when,
        snapshot=", ".join(snapshot),
        attribution=", ".join(attribution),
        used=used,
        leftovers=leftovers,
    )


def import_eoi(
    paths: Sequence[Path | str],
    store: Store | Path | str,
    snapshot_date: date | None = None,
    *,
    replace: bool = False,
    deltas: bool = True,
    resources: Resources | None = None,
) -> list[BulkImport]:
    """Import EOI snapshot file(s): one snapshot (and one ``eoi_attribution`` partition)
    per date in ``time``, oldest first; returns one report per snapshot.

    ``snapshot_date`` imports that date's rows only.  Every date must be free unless
    ``replace`` (checked before anything is written).  Each snapshot is published
    atomically; with ``deltas`` its download deltas are materialised right after.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no input file given")
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    multi = len(files) > 1
    reports: list[BulkImport] = []
    with (
        hashing_pool() as pool,
        tempfile.TemporaryDirectory(prefix="ww-eoi-") as spill,
        new_store(store) as open_store,
    ):
        hashed = input_files(files, pool)
        con = connect(resources)
        spill_into(con, Path(spill), resources)  # the rows are staged in DuckDB first
        try:
            source = eoi_source(files)
            with reading(files):
                p = plan(columns_of(con, source))
                locate_problems(con, source, p.checks, multi=multi)
                locate_duplicates(con, source, p.checks, multi=multi)
                con.execute(
                    f"""CREATE TEMP TABLE ww_dated AS
                    SELECT p.*, s.d FROM ww_problems p
                    LEFT JOIN (SELECT {KEY}, {p.date} AS d FROM {source}) s ON p.key = s.{KEY}"""
                )
                con.execute(
                    f"""CREATE TEMP TABLE ww_rows AS
                    SELECT {KEY}, {p.snapshot} FROM {source}
                    WHERE NOT ({p.checks.row_rejected()})
                      AND {KEY} NOT IN (SELECT key FROM ww_problems WHERE rejected)"""
                )
                con.execute(
                    f"""CREATE TEMP TABLE ww_attribution AS
                    SELECT {p.attribution} FROM {source}
                    WHERE {KEY} IN (SELECT {KEY} FROM ww_rows)"""
                )
            dates = [
                d
                for (d,) in con.execute(
                    "SELECT DISTINCT snapshot_date FROM ww_rows ORDER BY 1"
                ).fetchall()
            ]
            if snapshot_date is not None:
                if snapshot_date not in dates:
                    have = ", ".join(d.isoformat() for d in dates[:8]) or "none"
                    raise InputError(
                        f"{files[0]}: no rows for {snapshot_date.isoformat()} (dates: {have}"
                        f"{'…' if len(dates) > 8 else ''})"
                    )
                dates = [snapshot_date]
            if not dates:
                raise InputError(f"{files[0]}: no usable rows (every row was rejected)")
            store = open_store()
            if not replace:
                taken = [
                    d
                    for d in dates
                    if (store.table_root() / partition_name(d)).exists()
                    or (store.table_root(ATTRIBUTION_TABLE) / partition_name(d)).exists()
                ]
                if taken:
                    raise SnapshotExists(
                        f"{store.root}: snapshots for {', '.join(d.isoformat() for d in taken)}"
                        " are already published; pass --replace to overwrite them"
                    )
            inputs = [f.result() for f in hashed]
            for i, day in enumerate(dates):
                report = _publish_date(
                    con, store, p, source, files, inputs, day, i == 0, replace, pool
                )
                reports.append(report)
                if deltas:
                    report.deltas = refresh_deltas(store, day)
        finally:
            con.close()
    return reports


def _publish_date(
    con: Any,
    store: Store,
    p: EoiPlan,
    source: str,
    files: list[Path],
    inputs: list[InputFile],
    day: date,
    first: bool,
    replace: bool,
    pool: ThreadPoolExecutor,
) -> BulkImport:
    """Publish one date's snapshot, then its attribution partition, each atomically (the
    attribution is published inside the snapshot's writer, so a failure in either leaves
    the snapshot unpublished)."""
    report = BulkImport(SOURCE, files, day)
    mine = f"d = DATE '{day.isoformat()}'" + (" OR d IS NULL" if first else "")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW ww_day_problems AS SELECT * FROM ww_dated WHERE {mine}"
    )
    summarise_problems(con, report, "ww_day_problems")
    on_day = f"snapshot_date = DATE '{day.isoformat()}'"
    with store.writer(day, source=SOURCE, inputs=inputs, replace=replace) as writer:
        with reading(files):
            out = copy_parquet(
                con,
                f"SELECT {', '.join(FILE_SCHEMA.names)} FROM ww_rows WHERE {on_day}",
                writer.directory / "part-00000.parquet",
                FILE_SCHEMA,
            )
            if report.rejected:
                copy_rejects(
                    con, rejected_rows_sql(source, list(p.columns), "ww_day_problems"), writer
                )
        listed = list_files(writer, [out] if out else [], pool)
        writer.field_issues = report.field_issue_count
        writer.extra = {
            "format": "Economies of Open Intelligence weekly snapshots",
            "attribution_columns": p.used,
            "unmapped_columns": p.leftovers,
            "field_issues_by_field": report.issues_by_field(),
            "counters": "downloads_all_time only (the study has no 30-day counts)",
        }
        with store.writer(
            day,
            source=SOURCE,
            inputs=inputs,
            replace=replace,
            table=ATTRIBUTION_TABLE,
            schema=ATTRIBUTION_SCHEMA,
        ) as attribution:
            written = copy_parquet(
                con,
                f"SELECT {', '.join(ATTRIBUTION_SCHEMA.names)} FROM ww_attribution WHERE {on_day}",
                attribution.directory / "part-00000.parquet",
                ATTRIBUTION_SCHEMA,
            )
            list_files(attribution, [written] if written else [], pool).result()
            attribution.extra = {"attribution_columns": p.used}
        listed.result()
        report.rows = writer.rows
    return report
