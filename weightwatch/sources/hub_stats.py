"""Import the community hub-stats dump (``models.parquet``) as one snapshot, set-based.

The dump (Hugging Face dataset ``cfahlgren1/hub-stats``, Apache-2.0, refreshed daily) is
one Parquet file of every public model's listing record, millions of rows.  Columns seen in
public code that reads it: ``id``, ``author``, ``createdAt``, ``lastModified``,
``downloads``, ``downloadsAllTime`` (all-time counters since the 2025-02-27 dumps),
``likes``, ``trendingScore``, ``tags`` (list of strings), ``pipeline_tag``,
``library_name``, ``safetensors`` (struct with ``total``), ``baseModels`` (struct
``{relation, models: [{id}]}``) and, in some versions only, ``gated``.  Nothing else is
assumed (``cardData`` as a JSON string or a struct, ``gguf``, ``_id``, ``sha``…): every
column's DuckDB type is looked up first and the SQL for it chosen accordingly.

The mapping is the one :func:`weightwatch.normalize.hub_listing.map_record` applies to one
JSON record, written as DuckDB SQL over the whole file (no Python per row):

* a row without a usable ``id`` (null, empty, whitespace inside, more than one ``/``) or
  with an id already seen in the input is rejected: it goes, whole, with its row number and
  the reason, to the snapshot's ``_rejects.jsonl``;
* a value of the wrong type or out of range (a negative count, an unparseable time, a
  ``gated`` that is neither false, ``auto`` nor ``manual``, a ``cardData`` that is not
  JSON…) is nulled, kept under its column name in ``raw_json``, and counted per column;
  the first few of each column are reported with their row numbers;
* ``base_models`` merges ``baseModels``, ``cardData.base_model`` (+
  ``base_model_relation``) and the ``base_model:[relation:]id`` tags by the rules of
  :mod:`weightwatch.normalize.base_models` (one entry per parent in first-seen order, the
  first specific relation wins).  The Hub's usual shape (one parent X, relation R:
  ``baseModels`` names X with R, the tags are ``base_model:X`` and ``base_model:R:X``) is
  recognised with plain string functions; other rows are parsed, and rows naming several
  parents merged with list lambdas, in CASE branches DuckDB evaluates only for them;
* ``license`` is ``cardData.license`` else the ``license:`` tag; ``params_total`` the
  safetensors total, else the GGUF one; ``is_gguf`` a GGUF block, library ``gguf`` or tag
  ``gguf``;
* columns we do not map go to ``raw_json`` (a JSON object, sorted keys, null values left
  out), and ``cardData`` is kept there whole, as the JSON ingest does.

Streaming, bounded memory: DuckDB reads the input row group by row group and writes the
canonical rows with one ``COPY (SELECT …) TO`` straight into the snapshot's staging
directory (zstd level 1, row order not kept); the row count comes from the written file's
footer and its checksum is computed in a second thread.  DuckDB's memory is capped
(:data:`MEMORY_LIMIT`, :class:`Resources`) and it spills into the staging area beyond it.

In the common case the input is read once, and its id column a second time: the ``COPY``
is planned without checks (as if nothing were wrong), behind a guard
(:func:`guard_where`) that raises at the first value a check would null (DuckDB filters
each chunk before projecting it, so the lean mapping never sees such a value); then one
scan of the id column (:func:`ids_need_checks`) looks for an id off the plain
``owner/name`` shape (which the checks might reject or trim) or a repeated id hash, while
the written file is checksummed.  Anything found, or the guard firing, discards the file
and the import takes the careful way: a scan of just the checked columns counts rejected
rows, repeated ids (by hash) and the values that would be nulled, the locating pass (row
numbers, reasons, rejected rows) runs, and the ``COPY`` is planned with the checks that
can fire.  A file that cannot be read leaves no snapshot, and no store (one created for
it is removed again).  After publishing, the download deltas against the previous
snapshot are materialised (:func:`weightwatch.series.deltas.refresh_deltas`); their SQL is
compiled meanwhile, in the checksum thread.

Measured with ``weightwatch bench ingest -p repeat=3`` (2.5 M synthetic rows, 247 MiB, the
previous week's snapshot in the store; 2-core machine shared with other jobs, quiet at the
time): the import with its deltas took 10.8-12.7 s wall (20-23 CPU-s) and ~790 MiB at
peak, the plain DuckDB ``COPY`` of the same file 5.3-6.5 s: 1.89-2.08 times it per repeat,
a median of 1.96, 1.99 and 1.97 in three runs (the last on a quiet machine: 11.5 s against
5.6 s, 797 MiB).  Phases: ``copy`` (the guarded ``COPY`` and the id check) 7.8-9.4 s,
``deltas`` 2.8-3.4 s.  Before (a survey scan, then the ``COPY``):
13.37 s against 5.76 s, 2.32 times, with survey 1.5 s, ``COPY`` 7.6 s, deltas 4.1 s.

The snapshot date is ``--snapshot-date``, else derived from the input's name: a
``YYYY-MM-DD`` in the file name or its directory (``models-2026-01-04.parquet``,
``2026-01-04/models.parquet``).  The dump itself records no date.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from weightwatch.errors import InputError, ParseError, SchemaError, StoreError
from weightwatch.normalize.hub_listing import Problem
from weightwatch.normalize.schema import FILE_SCHEMA, RELATIONS, SCHEMA_VERSION
from weightwatch.store import DataFile, InputFile, SnapshotWriter, Store
from weightwatch.store.manifest import REJECTS_NAME
from weightwatch.store.snapshots import MARKER_NAME

SOURCE = "hub-stats"
#: DuckDB's memory cap for an import; it spills into the staging area beyond it.
MEMORY_LIMIT = "2GB"
#: Rows per Parquet row group in the files we write.
ROW_GROUP_SIZE = 100_000
#: zstd level of the files we write: 1 compresses the canonical rows about as well as the
#: default 3 for two thirds of the time (measured on the hub-stats benchmark data).
ZSTD_LEVEL = 1
#: Examples kept (and printed) per column for nulled values, and overall for rejects.
EXAMPLES = 10
ROW = "ww_row"  # 0-based row number within its file
FILE = "ww_file"  # the file's name (multi-file inputs only)
KEY = "ww_key"  # a row's key across files: file index << 40 | row

_WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
_ID_PATTERN = "'\\s*([^\\s/]+/?[^\\s/]*|/[^\\s/]*)\\s*'"
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_INTEGERS = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_FLOATS = ("FLOAT", "DOUBLE", "DECIMAL", "REAL")
_TIMES = ("TIMESTAMP", "DATE")
_PLACEHOLDERS = ("", "N/A", "NONE", "NULL")
BASE_MODELS_SQL_TYPE = "STRUCT(relation VARCHAR, model_id VARCHAR)[]"


# -- SQL text helpers ----------------------------------------------------------------------


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_key(name: str) -> str:
    """The SQL literal of ``"name":`` (a JSON object key, escaped)."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return literal(f'"{escaped}":')


def struct_fields(type_text: str) -> dict[str, str]:
    """Top-level fields of a DuckDB ``STRUCT(a T, "b c" U, …)`` type string."""
    if not type_text.startswith("STRUCT(") or not type_text.endswith(")"):
        return {}
    body = type_text[len("STRUCT(") : -1]
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(body):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    fields: dict[str, str] = {}
    for part in (p.strip() for p in parts):
        if part.startswith('"'):
            end = part.index('"', 1)
            while part[end + 1 : end + 2] == '"':
                end = part.index('"', end + 2)
            fields[part[1:end].replace('""', '"')] = part[end + 1 :].strip()
        else:
            name, _, kind = part.partition(" ")
            fields[name] = kind.strip()
    return fields


def is_integer(kind: str) -> bool:
    return kind in _INTEGERS


def is_number(kind: str) -> bool:
    return kind in _INTEGERS or kind.startswith(_FLOATS)


def is_time(kind: str) -> bool:
    return kind.startswith(_TIMES)


def shown(sql: str, width: int = 60) -> str:
    """SQL: a value's JSON text cut to ``width`` characters, for messages."""
    return f"left(coalesce(to_json({sql})::VARCHAR, 'null'), {width})"


def one_of(sql: str, values: Sequence[str]) -> str:
    """SQL: ``sql`` equals one of ``values`` (an OR chain: DuckDB plans a long ``IN``
    list as a join)."""
    return "(" + " OR ".join(f"{sql} = {literal(v)}" for v in values) + ")"


def relation_sql(sql: str) -> str:
    """SQL: ``sql`` if it names one of the relations, else ``unknown`` (a simple CASE with
    constant results: a third of the time of testing and returning ``sql``)."""
    cases = " ".join(f"WHEN {literal(r)} THEN {literal(r)}" for r in RELATIONS)
    return f"CASE {sql} {cases} ELSE 'unknown' END"


def json_text(column: str, kind: str) -> str:
    """SQL: a column's value as JSON text (plain casts where the text is the same)."""
    c = ident(column)
    if kind == "BOOLEAN" or is_integer(kind):
        return f"{c}::VARCHAR"
    return f"to_json({c})::VARCHAR"


def raw_json_sql(entries: Sequence[tuple[str, str, str]]) -> str:
    """SQL: a JSON object of ``(key, present?, JSON text)`` entries, keys sorted, absent
    entries left out; NULL when none is present."""
    if not entries:
        return "NULL::VARCHAR"
    parts = ", ".join(
        f"CASE WHEN {present} THEN {json_key(key)} || {value} END"
        for key, present, value in sorted(entries)
    )
    return f"nullif('{{' || concat_ws(',', {parts}) || '}}', '{{}}')"


# -- one field: value, badness, reason -------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """How one source column becomes one canonical value, as SQL over the source row."""

    column: str  # source column name
    value: str  # the usable value; NULL when absent or unusable
    bad: str | None = None  # present but unusable (None: cannot happen for this type)
    reason: str = "''"  # why, for messages (evaluated only where ``bad``)
    clean: str | None = None  # a cheaper ``value`` for inputs where ``bad`` never holds

    def lean(self) -> str:
        return self.clean or self.value


def absent(sql_type: str) -> str:
    return f"NULL::{sql_type}"


def count_field(column: str, kind: str) -> Field:
    """A non-negative count (``downloads``, ``likes``…) as BIGINT."""
    c = ident(column)
    clean = None
    if is_integer(kind):
        value = f"CASE WHEN {c} >= 0 THEN TRY_CAST({c} AS BIGINT) END"
        clean = f"{c}::BIGINT"
    elif is_number(kind):
        value = f"CASE WHEN {c} >= 0 AND {c} = floor({c}) THEN TRY_CAST({c} AS BIGINT) END"
    elif kind == "VARCHAR":  # digits; "12.0" too (CSV writers print float counts so)
        value = (
            f"CASE WHEN regexp_full_match(trim({c}), '[0-9]+(\\.0*)?') "
            f"THEN TRY_CAST(split_part(trim({c}), '.', 1) AS BIGINT) END"
        )
    else:
        value = absent("BIGINT")
    return Field(
        column,
        value,
        f"({c} IS NOT NULL AND ({value}) IS NULL)",
        f"'expected a non-negative integer, got ' || {shown(c)}",
        clean,
    )


def time_field(column: str, kind: str) -> Field:
    """A point in time as TIMESTAMPTZ (naive times are UTC)."""
    c = ident(column)
    if is_time(kind):
        return Field(column, f"{c}::TIMESTAMPTZ")
    value = (
        f"TRY_CAST(nullif(trim({c}), '') AS TIMESTAMPTZ)"
        if kind == "VARCHAR"
        else absent("TIMESTAMPTZ")
    )
    return Field(
        column,
        value,
        f"({c} IS NOT NULL AND ({value}) IS NULL)",
        f"'not an ISO 8601 time: ' || {shown(c)}",
    )


def string_field(column: str, kind: str) -> Field:
    """A string; empty strings are null, other types are unusable."""
    c = ident(column)
    if kind == "VARCHAR":
        return Field(column, f"nullif({c}, '')")
    return Field(
        column, absent("VARCHAR"), f"({c} IS NOT NULL)", f"'expected a string, got ' || {shown(c)}"
    )


def tags_field(column: str, kind: str) -> Field:
    """A list of strings (a list holding nulls, or not strings, is unusable)."""
    c = ident(column)
    clean = None
    if kind == "VARCHAR[]":
        # list_position finds a null element (null when there is none): cheaper than
        # counting the non-null ones
        value = f"CASE WHEN list_position({c}, NULL) IS NULL THEN {c} END"
        clean = c
    elif kind == "VARCHAR":  # a JSON array in a string column
        value = (
            f"CASE WHEN json_valid({c}) AND json_type({c}::JSON) = 'ARRAY' "
            f"THEN from_json({c}, '[\"VARCHAR\"]') END"
        )
    else:
        value = absent("VARCHAR[]")
    return Field(
        column,
        value,
        f"({c} IS NOT NULL AND ({value}) IS NULL)",
        f"'expected a list of strings, got ' || {shown(c)}",
        clean,
    )


def gated_field(column: str, kind: str) -> Field:
    """The Hub's ``gated``: false, ``auto`` or ``manual`` (true when access is requested).
    In a text column ``true``/``false`` (any case) are read too."""
    c = ident(column)
    if kind == "BOOLEAN":
        return Field(column, c)
    if kind == "VARCHAR":  # the usual spellings first, then any case and padding
        value = (
            f"CASE {c} WHEN 'False' THEN false WHEN 'false' THEN false WHEN 'auto' THEN true "
            f"WHEN 'manual' THEN true ELSE CASE lower(trim({c})) WHEN 'auto' THEN true "
            "WHEN 'manual' THEN true WHEN 'true' THEN true WHEN 'false' THEN false END END"
        )
    else:
        value = absent("BOOLEAN")
    return Field(
        column,
        value,
        f"({c} IS NOT NULL AND ({value}) IS NULL)",
        f"'expected false, ''auto'' or ''manual'', got ' || {shown(c)}",
    )


def id_check(column: str, kind: str) -> tuple[str, str, str]:
    """``(model id, rejected?, reason)`` SQL for the id column (the row's key): trimmed,
    non-empty, no whitespace inside, at most one ``/`` (the JSON ingest's rule)."""
    c = ident(column)
    if kind != "VARCHAR":
        return (
            absent("VARCHAR"),
            "true",
            f"'model id must be a non-empty string, got ' || {shown(c)}",
        )
    # one regex: optional padding around "name", "owner/name", "owner/", "/name" or "/"
    rejected = f"({c} IS NULL OR NOT regexp_full_match({c}, {_ID_PATTERN}))"
    reason = (
        f"CASE WHEN {c} IS NULL OR trim({c}) = '' "
        f"THEN 'model id must be a non-empty string, got ' || {shown(c)} "
        f"ELSE 'not a Hub repo id: ' || {shown(c, 80)} END"
    )
    return f"trim({c}, {_WHITESPACE})", rejected, reason


def padded(column: str) -> str:
    """SQL: the value starts or ends with a space or control character (cheap test)."""
    c = ident(column)
    return f"(ascii({c}) <= 32 OR ascii(right({c}, 1)) <= 32)"


# -- reading the input --------------------------------------------------------------------


@dataclass(frozen=True)
class Resources:
    """How much of the machine an import may use: DuckDB threads (None: all cores), its
    memory cap, and whether it may spill beyond it (into the staging area) or must fail."""

    threads: int | None = None
    memory_limit: str = MEMORY_LIMIT
    spill: bool = True


def connect(resources: Resources | None = None) -> Any:
    """A DuckDB connection for an import: UTC, capped memory, no progress bar, no spilling
    until :func:`spill_into` names a directory."""
    res = resources or Resources()
    config: dict[str, Any] = {"memory_limit": res.memory_limit}
    if res.threads:
        config["threads"] = res.threads
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    # row order carries no meaning in a snapshot; keeping it costs the writer a third more
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET temp_directory = ''")
    with contextlib.suppress(duckdb.Error):  # without ICU DuckDB's times are UTC anyway
        con.execute("SET TimeZone = 'UTC'")
    return con


def spill_into(con: Any, directory: Path, resources: Resources | None) -> None:
    """Let DuckDB spill into ``directory`` (in the staging area, removed with it)."""
    if resources is None or resources.spill:
        con.execute(f"SET temp_directory = {literal(str(directory))}")


def check_parquet(paths: Sequence[Path]) -> int:
    """Refuse a missing, truncated or non-Parquet file before anything is written; return
    the files' total row count (from their footers)."""
    rows = 0
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        try:
            meta = pq.ParquetFile(path).metadata
        except (OSError, pa.ArrowException) as exc:
            raise ParseError(
                path, "the Parquet footer", f"not a readable Parquet file ({exc})"
            ) from None
        if meta.num_columns == 0:
            raise ParseError(path, "the Parquet schema", "the file has no columns")
        rows += meta.num_rows
    return rows


def parquet_source(paths: Sequence[Path]) -> str:
    """SQL: the rows of ``paths`` with their row number (``ww_row``), key (``ww_key``)
    and, for several files, file name (``ww_file``); columns matched by name."""
    branches = []
    for i, path in enumerate(paths):
        named = f", {literal(path.name)} AS {FILE}" if len(paths) > 1 else ""
        branches.append(
            f"SELECT * EXCLUDE (file_row_number), file_row_number AS {ROW}, "
            f"({i}::BIGINT << 40) + file_row_number AS {KEY}{named} "
            f"FROM read_parquet({literal(str(path))}, file_row_number = true)"
        )
    return "(" + " UNION ALL BY NAME ".join(branches) + ")"


def columns_of(con: Any, source: str) -> dict[str, str]:
    """Column name → DuckDB type of a source, without reading its rows."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows if r[0] not in (ROW, FILE, KEY)}


def location_sql(multi: bool, row: str = ROW, file: str = FILE) -> str:
    """SQL: a row's location for messages, ``row 12`` (1-based) or ``FILE row 12``."""
    text = f"'row ' || ({row} + 1)"
    return f"{file} || ' ' || {text}" if multi else text


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_date_from_path(path: Path) -> date | None:
    """A ``YYYY-MM-DD`` in the file name, else in its directory's name."""
    for name in (path.name, path.parent.name):
        for found in reversed(_DATE_IN_NAME.findall(name)):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(found)
    return None


@contextmanager
def reading(files: Sequence[Path]) -> Iterator[None]:
    """Turn DuckDB errors while reading ``files`` into an input error naming the file."""
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        raise StoreError(
            f"{', '.join(str(f) for f in files)}: DuckDB ran out of memory "
            f"({str(exc).strip().splitlines()[0]}). Nothing was written; allow more memory "
            "or spilling."
        ) from exc
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        named = next((f for f in files if str(f) in str(exc)), None)
        where = named or (files[0] if len(files) == 1 else None)
        if where is not None:
            raise ParseError(where, "its data", message) from exc
        listing = ", ".join(str(f) for f in files)
        raise InputError(f"{listing}: cannot read: {message}. Nothing was written.") from exc


@contextmanager
def new_store(store: Store | Path | str) -> Iterator[Callable[[], Store]]:
    """Give a function that opens ``store``, creating it if it is a path; a store created
    here is removed again if the import then fails before publishing anything (the JSON
    ingest creates none for a file it cannot read either)."""
    root = store.root if isinstance(store, Store) else Path(store)
    existed = isinstance(store, Store) or root.exists()
    opened: list[Store] = []

    def get() -> Store:
        if not opened:
            opened.append(store if isinstance(store, Store) else Store.create(root))
        return opened[0]

    try:
        yield get
    except BaseException:
        if not existed and opened and not opened[0].snapshot_dates() and root.is_dir():
            leftovers = {p.name for p in root.iterdir()} - {MARKER_NAME, ".lock"}
            if not leftovers:
                shutil.rmtree(root, ignore_errors=True)
        raise


# -- writing into a staging directory ---------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A Parquet file written into a staging directory, not yet listed in the manifest."""

    path: Path
    rows: int


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def copy_parquet(con: Any, query: str, path: Path, schema: pa.Schema) -> Written | None:
    """Write ``query``'s rows with ``COPY … TO`` as one zstd Parquet file of ``schema``
    (checked against the written footer, which also gives the row count).  An empty
    result leaves no file (None)."""
    kv = f"{{'weightwatch.schema': {literal(SCHEMA_VERSION)}}}"
    con.execute(
        f"COPY ({query}) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd, "
        f"COMPRESSION_LEVEL {ZSTD_LEVEL}, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, KV_METADATA {kv})"
    )
    written = pq.ParquetFile(path)
    rows = written.metadata.num_rows
    if rows == 0:
        path.unlink()
        return None
    got = written.schema_arrow
    if got.names != schema.names or any(
        not a.type.equals(b.type) for a, b in zip(got, schema, strict=True)
    ):
        raise SchemaError(f"{path.name}: written schema differs from the table's:\n{got}")
    return Written(path, rows)


def list_files(
    writer: SnapshotWriter, written: Sequence[Written], pool: ThreadPoolExecutor
) -> Future[None]:
    """Checksum and fsync ``written`` in ``pool`` and list them in ``writer``'s manifest
    (resolve the future before the writer publishes)."""

    def run() -> None:
        for w in written:
            _fsync(w.path)
            entry = DataFile(
                name=w.path.name, rows=w.rows, bytes=w.path.stat().st_size,
                sha256=sha256_file(w.path),
            )  # fmt: skip
            writer.files.append(entry)

    return pool.submit(run)


def describe_files(written: Sequence[Written], pool: ThreadPoolExecutor) -> Future[list[DataFile]]:
    """Checksum and fsync ``written`` in ``pool``: their manifest entries, for the writer's
    ``files`` (resolve the future before the writer publishes)."""

    def run() -> list[DataFile]:
        entries = []
        for w in written:
            _fsync(w.path)
            size, digest = w.path.stat().st_size, sha256_file(w.path)
            entries.append(DataFile(name=w.path.name, rows=w.rows, bytes=size, sha256=digest))
        return entries

    return pool.submit(run)


def copy_rejects(con: Any, query: str, writer: SnapshotWriter) -> int:
    """Write ``query`` (columns location, field, reason, record) as ``_rejects.jsonl``."""
    path = writer.directory / REJECTS_NAME
    con.execute(f"COPY ({query}) TO {literal(str(path))} (FORMAT json)")
    with path.open("rb") as handle:
        count = sum(1 for _ in handle)
    if count == 0:
        path.unlink()
        return 0
    _fsync(path)
    writer.rejects += count
    return count


@contextmanager
def hashing_pool() -> Iterator[ThreadPoolExecutor]:
    """One thread that checksums files (and prepares the deltas' SQL) while DuckDB keeps
    both cores busy."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ww-sha256") as pool:
        yield pool


def input_files(paths: Sequence[Path], pool: ThreadPoolExecutor) -> list[Future[InputFile]]:
    """The manifest's input entries of ``paths``, checksummed in ``pool``."""

    def one(path: Path) -> InputFile:
        kind = "parquet" if path.suffix.lower() == ".parquet" else path.suffix.lstrip(".") or None
        return InputFile(
            name=path.name, sha256=sha256_file(path), bytes=path.stat().st_size, container=kind
        )

    return [pool.submit(one, p) for p in paths]


def prepare_deltas() -> None:
    """Import the deltas module and compile its SQL (:func:`weightwatch.series.deltas.prepare`):
    run in the pool while DuckDB copies, instead of after publishing."""
    from weightwatch.series.deltas import prepare

    prepare()


def refresh_deltas(store: Store, snapshot_date: date) -> list[date]:
    """Materialise the download deltas of a newly published snapshot (and of the next
    one, for a back-fill): :func:`weightwatch.series.deltas.refresh_deltas`."""
    from weightwatch.series.deltas import refresh_deltas as refresh

    return refresh(store, snapshot_date)


# -- problems: rejected rows and nulled values, located -----------------------------------------


@dataclass
class BulkImport:
    """What a bulk import published for one snapshot: enough for the CLI and for tests."""

    source: str
    paths: list[Path]
    snapshot_date: date
    rows: int = 0
    rejected: int = 0
    rejected_examples: list[Problem] = field(default_factory=list)
    field_issues: dict[str, int] = field(default_factory=dict)  # column → values nulled
    field_issue_examples: list[Problem] = field(default_factory=list)
    deltas: list[date] = field(default_factory=list)  # deltas partitions refreshed
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase

    @property
    def field_issue_count(self) -> int:
        return sum(self.field_issues.values())

    def issues_by_field(self) -> dict[str, int]:
        return dict(sorted(self.field_issues.items(), key=lambda kv: (-kv[1], kv[0])))


class Phases:
    """Wall time per phase of an import, into a dict (for the benchmark and ``--verbose``)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(self.into.get(name, 0.0) + now - self.last, 3)
        self.last = now


@dataclass(frozen=True)
class Checks:
    """What makes a source row rejected or a value nulled, as SQL over the source row."""

    id_column: str
    key: str  # the row's model id (SQL)
    rejected: str  # the id is unusable
    reason: str  # why
    fields: Sequence[Field] = ()
    extra: Sequence[tuple[str, str, str]] = ()  # more (column, rejected?, reason) rejections
    partition: str = ""  # SQL: ids must be unique within it (e.g. the snapshot date)

    def row_rejected(self) -> str:
        return " OR ".join(f"({p})" for p in [self.rejected, *(e[1] for e in self.extra)])


@dataclass(frozen=True)
class Survey:
    """What one cheap scan of the checked columns found (counts only, no locations)."""

    rejected: int  # rows whose id (or another key field) is unusable
    repeated: int  # accepted rows whose id hash repeats (duplicates, or a hash collision)
    issues: dict[str, int]  # column → values that will be nulled
    padded: int = 0  # ids with surrounding whitespace (compared untrimmed above)

    @property
    def clean(self) -> bool:
        return not (self.rejected or self.repeated or self.issues or self.padded)


def survey(con: Any, source: str, checks: Checks) -> Survey:
    """Count rejected rows, possibly repeated ids and unusable values in one scan of just
    the columns concerned.  Ids are compared by hash, untrimmed, over all rows: cheap,
    and enough to decide whether the locating pass (which compares trimmed ids exactly)
    must run; an id with padding sends it there too."""
    checked = [f for f in checks.fields if f.bad is not None]
    raw_id = ident(checks.id_column)
    key = f"hash({raw_id}{', ' + checks.partition if checks.partition else ''})"
    counts = [
        f"count(*) FILTER ({checks.row_rejected()})",
        f"count({raw_id}) - count(DISTINCT {key})",
        f"count(*) FILTER ({padded(checks.id_column)})",
        *(f"count(*) FILTER ({f.bad})" for f in checked),
    ]
    row = con.execute(f"SELECT {', '.join(counts)} FROM {source}").fetchone() or ()
    rejected, repeated, padding, *bad = (int(n) for n in row)
    issues = {f.column: n for f, n in zip(checked, bad, strict=True) if n}
    return Survey(rejected, repeated + padding, issues, padding)


#: The message of the error a guarded ``COPY`` raises at the first row that needs checks.
NEEDS_CHECKS = "weightwatch: a row needs the full checks"


#: An id the survey can neither reject nor find padded: "name" or "owner/name" with no
#: space or control character (nor a second "/") anywhere.  Stricter than the id checks
#: (which trim, and accept "/name"), cheaper than them together; a stricter test only
#: sends more inputs the careful way.
_PLAIN_ID = "'[^\\x00-\\x20/]+/?[^\\x00-\\x20/]*'"


def guard_where(checks: Checks) -> str:
    """SQL ``WHERE`` clause that passes every row, but raises :data:`NEEDS_CHECKS` at the
    first row with a value a check would null (or that another key check rejects).
    DuckDB filters a chunk before projecting it, so a lean query (no checks) behind this
    guard never sees such a row: it stops early, before its projection could fail.  The
    ids are checked afterwards (:func:`ids_need_checks`)."""
    bad = [*(e[1] for e in checks.extra), *(f.bad for f in checks.fields if f.bad is not None)]
    if not bad:
        return "true"
    condition = " OR ".join(f"({b})" for b in bad)
    return f"CASE WHEN {condition} THEN error({literal(NEEDS_CHECKS)})::BOOLEAN ELSE true END"


def needs_checks(exc: BaseException) -> bool:
    """Was ``exc`` raised by :func:`guard_where`?"""
    return isinstance(exc, duckdb.Error) and NEEDS_CHECKS in str(exc)


def ids_need_checks(con: Any, source: str, checks: Checks) -> bool:
    """Does ``source`` hold an id the survey would count: one it would reject or find
    padded (any id off :data:`_PLAIN_ID`'s shape), or one whose hash repeats (a duplicate,
    or a hash collision)?  One scan of the narrow id column (the lean query writes the
    ids as they are, so these are the written ones)."""
    c = ident(checks.id_column)
    row = con.execute(
        f"SELECT count(*) FILTER ({c} IS NULL OR NOT regexp_full_match({c}, {_PLAIN_ID})), "
        f"count({c}) - count(DISTINCT hash({c})) FROM {source}"
    ).fetchone()
    return bool(row and (row[0] or row[1]))


@dataclass(frozen=True)
class Copied:
    """The canonical rows written (None: there were none) and their manifest entries,
    being computed in a thread."""

    written: Written | None
    entries: Future[list[DataFile]]


def copy_if_clean(
    con: Any, p: Plan, source: str, target: Path, pool: ThreadPoolExecutor
) -> Copied | None:
    """The common case in one read of the input: ``COPY`` the canonical rows planned
    without checks, behind :func:`guard_where`, then check the ids (:func:`ids_need_checks`)
    while ``pool`` checksums the written file.  None (and no file) when anything needs the
    checks: the caller then surveys, locates and copies with the checks, as if this had
    not run."""
    if p.columns[p.checks.id_column] != "VARCHAR":  # every id is rejected
        return None
    try:
        query = p.query(source, guard_where(p.checks), set(), trim_ids=False)
        out = copy_parquet(con, query, target, FILE_SCHEMA)
    except duckdb.Error as exc:
        if not needs_checks(exc):
            raise
        target.unlink(missing_ok=True)
        return None
    entries = describe_files([out] if out else [], pool)
    if out is not None and ids_need_checks(con, source, p.checks):
        entries.result()  # done reading the file
        out.path.unlink()
        return None
    return Copied(out, entries)


def locate_problems(con: Any, source: str, checks: Checks, *, multi: bool) -> None:
    """Create ``ww_problems(key, location, field, reason, rejected)``: rejected rows and
    nulled values with their location (one scan); a rejected row's values are not
    counted as nulled (the JSON ingest's rule)."""
    found = [(checks.id_column, checks.rejected, checks.reason, True)]
    found += [(c, pred, reason, True) for c, pred, reason in checks.extra]
    found += [(f.column, f.bad, f.reason, False) for f in checks.fields if f.bad is not None]
    structs = ", ".join(
        f"{{'field': {literal(name)}, 'bad': ({pred}), 'rejected': {str(rej).lower()}, "
        f"'reason': CASE WHEN {pred} THEN {reason} END}}"
        for name, pred, reason, rej in found
    )
    any_bad = " OR ".join(f"({pred})" for _, pred, _, _ in found)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ww_problems AS
        SELECT {KEY} AS key, location, p.field AS field, p.reason AS reason,
               p.rejected AS rejected
        FROM (
            SELECT {KEY}, {location_sql(multi)} AS location,
                   ({checks.row_rejected()}) AS row_rejected, unnest([{structs}]) AS p
            FROM {source} WHERE {any_bad}
        ) WHERE p.bad AND (p.rejected OR NOT row_rejected)"""
    )


def locate_duplicates(con: Any, source: str, checks: Checks, *, multi: bool) -> None:
    """Add to ``ww_problems`` every accepted row whose id was already seen earlier in the
    input (within ``checks.partition``, if any): rejected, naming the first one."""
    part = f", {checks.partition} AS d" if checks.partition else ""
    keys = "k, d" if checks.partition else "k"
    file = FILE if multi else "NULL::VARCHAR"
    accepted = f"NOT ({checks.row_rejected()})"
    con.execute(
        f"""INSERT INTO ww_problems
        SELECT {KEY}, {location_sql(multi)}, {literal(checks.id_column)},
               'duplicate model id ' || {shown("k", 80)} || ' (first at '
               || {location_sql(multi, "first_row", "first_file")} || ')', true
        FROM (
            SELECT s.*, row_number() OVER w AS nth, first_value({ROW}) OVER w AS first_row,
                   first_value({FILE}) OVER w AS first_file
            FROM (SELECT {KEY}, {ROW}, {file} AS {FILE}, {checks.key} AS k{part}
                  FROM {source} WHERE {accepted}) s
            SEMI JOIN (SELECT {checks.key} AS k{part} FROM {source} WHERE {accepted}
                       GROUP BY ALL HAVING count(*) > 1) USING ({keys})
            WINDOW w AS (PARTITION BY {keys} ORDER BY {KEY})
        ) WHERE nth > 1"""
    )


def summarise_problems(con: Any, report: BulkImport, problems: str = "ww_problems") -> None:
    """Fill ``report``'s reject and nulled-value counts and examples from ``problems``
    (``ww_problems``, or a subset of it such as one snapshot's)."""
    rejected = con.execute(f"SELECT count(DISTINCT key) FROM {problems} WHERE rejected").fetchone()
    report.rejected = int(rejected[0]) if rejected else 0
    report.rejected_examples = [
        Problem(str(loc), str(fld), str(reason), True)
        for loc, fld, reason in con.execute(
            f"SELECT location, field, reason FROM {problems} WHERE rejected "
            f"ORDER BY key LIMIT {EXAMPLES}"
        ).fetchall()
    ]
    report.field_issues = {
        str(f): int(n)
        for f, n in con.execute(
            f"SELECT field, count(*) FROM {problems} WHERE NOT rejected GROUP BY field"
        ).fetchall()
    }
    report.field_issue_examples = [
        Problem(str(loc), str(fld), str(reason), False)
        for loc, fld, reason in con.execute(
            f"""SELECT location, field, reason FROM (
                  SELECT *, row_number() OVER (PARTITION BY field ORDER BY key) AS nth
                  FROM {problems} WHERE NOT rejected)
                WHERE nth <= {EXAMPLES} ORDER BY field, key"""
        ).fetchall()
    ]


def rejected_rows_sql(source: str, columns: Sequence[str], problems: str = "ww_problems") -> str:
    """SQL: the rejected rows of ``source`` listed in ``problems`` as ``_rejects.jsonl``
    entries (``record``: the whole source row as a JSON object), in input order."""
    record = ", ".join(f"{literal(c)}: s.{ident(c)}" for c in columns)
    return f"""SELECT p.location, p.field, p.reason, to_json({{{record}}}) AS record
        FROM (SELECT DISTINCT ON (key) * FROM {problems} WHERE rejected ORDER BY key) p
        JOIN {source} s ON p.key = s.{KEY}
        ORDER BY p.key"""


def accepted_where(checks: Checks, have_rejects: bool) -> str:
    """SQL: the rows not rejected (the checks, plus the rejects located earlier)."""
    where = f"NOT ({checks.row_rejected()})"
    if have_rejects:
        where += f" AND {KEY} NOT IN (SELECT key FROM ww_problems WHERE rejected)"
    return where


# -- the hub-stats mapping ---------------------------------------------------------------------

_ID_KEYS = ("id", "modelId")
_KEYS: dict[str, tuple[str, ...]] = {
    "author": ("author",),
    "created_at": ("createdAt", "created_at"),
    "last_modified": ("lastModified", "last_modified"),
    "downloads_30d": ("downloads",),
    "downloads_all_time": ("downloadsAllTime", "downloads_all_time"),
    "likes": ("likes",),
    "pipeline_tag": ("pipeline_tag", "pipelineTag"),
    "library_name": ("library_name", "libraryName"),
    "tags": ("tags",),
    "gated": ("gated",),
    "card_data": ("cardData", "card_data"),
    "safetensors": ("safetensors",),
    "gguf": ("gguf",),
    "base_models": ("baseModels", "base_models"),
}
_BUILDERS: dict[str, tuple[Callable[[str, str], Field], str]] = {
    "author": (string_field, "VARCHAR"),
    "created_at": (time_field, "TIMESTAMPTZ"),
    "last_modified": (time_field, "TIMESTAMPTZ"),
    "downloads_30d": (count_field, "BIGINT"),
    "downloads_all_time": (count_field, "BIGINT"),
    "likes": (count_field, "BIGINT"),
    "pipeline_tag": (string_field, "VARCHAR"),
    "library_name": (string_field, "VARCHAR"),
    "tags": (tags_field, "VARCHAR[]"),
    "gated": (gated_field, "BOOLEAN"),
}


def _pick(columns: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if k in columns), None)


def _block_total(column: str | None, kind: str) -> str:
    """SQL: a structured block's ``total`` (safetensors, gguf) when a non-negative int."""
    if column is None:
        return "NULL::BIGINT"
    c = ident(column)
    if kind.startswith("STRUCT("):
        total = struct_fields(kind).get("total")
        if total is None or not is_number(total):
            return "NULL::BIGINT"
        return f"CASE WHEN {c}.total >= 0 THEN TRY_CAST({c}.total AS BIGINT) END"
    if kind in ("VARCHAR", "JSON"):
        value = f"TRY_CAST(json_extract_string({c}, '$.total') AS BIGINT)"
        return f"CASE WHEN json_valid({c}) THEN CASE WHEN {value} >= 0 THEN {value} END END"
    return "NULL::BIGINT"


def _block_present(column: str | None, kind: str) -> str:
    if column is None:
        return "false"
    c = ident(column)
    if kind in ("VARCHAR", "JSON"):
        return f"coalesce(json_valid({c}) AND {c} NOT IN ('{{}}', 'null', '[]', '\"\"'), false)"
    return f"({c} IS NOT NULL)"


@dataclass(frozen=True)
class Expansion:
    """SQL for the ``baseModels`` expansion of a listing, whatever its stored shape."""

    stored: str  # the models as stored (a list)
    relation: str
    first: str  # the first model's id (over the ``ww_exp`` column)
    ids: str  # every model's id, VARCHAR[] (over the ``ww_exp`` column)


def _expanded(column: str | None, kind: str) -> Expansion | None:
    """How to read the ``baseModels`` column, if its shape is one we know."""
    if column is None:
        return None
    c = ident(column)
    fields = struct_fields(kind)
    if fields:
        relation = f"{c}.relation" if fields.get("relation") == "VARCHAR" else "NULL::VARCHAR"
        models = fields.get("models", "")
        if models.startswith("STRUCT(") and models.endswith("[]"):
            if struct_fields(models[:-2]).get("id") != "VARCHAR":
                return None
            return Expansion(
                f"{c}.models", relation, "ww_exp[1].id", "list_transform(ww_exp, lambda m: m.id)"
            )
        if models == "VARCHAR[]":
            return Expansion(f"{c}.models", relation, "ww_exp[1]", "ww_exp")
        return None
    if kind in ("VARCHAR", "JSON"):
        ok = f"json_valid({c})"
        ids = f"CASE WHEN {ok} THEN TRY_CAST(json_extract({c}, '$.models[*].id') AS VARCHAR[]) END"
        relation = f"CASE WHEN {ok} THEN json_extract_string({c}, '$.relation') END"
        return Expansion(ids, relation, "ww_exp[1]", "ww_exp")
    return None


@dataclass
class Plan:
    """The SQL of one hub-stats import, built from the input's column types."""

    columns: dict[str, str]
    checks: Checks
    leftovers: list[str]
    picked: dict[str, str | None]
    # raw_json entries: key, present?, JSON text, and the checked column whose nulled
    # value it keeps (None: always kept)
    raw: list[tuple[str, str, str, str | None]]
    values: dict[str, Field | str]  # canonical field → Field (checked) or plain SQL
    card: str  # SQL: cardData as JSON text (NULL when absent or not JSON)
    expanded: Expansion | None

    def query(
        self, source: str, where: str, issues: set[str] | None = None, *, trim_ids: bool = True
    ) -> str:
        """SQL: the canonical rows (FILE_SCHEMA order) of ``source``'s rows matching
        ``where``, one streaming pass with no join.  ``issues``: the columns known to hold
        unusable values (None: any may); checks of the other columns are left out.
        ``trim_ids=False`` when no id has surrounding whitespace (the survey counts them)."""

        def may_be_bad(f: Field) -> bool:
            return f.bad is not None and (issues is None or f.column in issues)

        def value(name: str) -> str:
            v = self.values[name]
            if isinstance(v, str):
                return v
            return v.value if may_be_bad(v) else v.lean()

        raw = [
            (key, present, text)
            for key, present, text, nulled_from in self.raw
            if nulled_from is None or issues is None or nulled_from in issues
        ]
        card = self.card
        card_col = self.picked["card_data"]
        if (
            card_col is not None
            and issues is not None
            and card_col not in issues
            and self.columns[card_col] in ("VARCHAR", "JSON")
        ):  # valid JSON throughout: used as is
            card = ident(card_col)
            raw = [(k, p, card if k == card_col else t) for k, p, t in raw]
        exp_ids, exp_rel, exp_first = self._expansion()
        model_id = self.checks.key
        if not trim_ids and self.columns[self.checks.id_column] == "VARCHAR":
            model_id = ident(self.checks.id_column)
        layer1 = [
            f"{model_id} AS model_id",
            *(f"{value(name)} AS {name}" for name in _BUILDERS),
            f"json_extract({card}, ['$.license', '$.base_model', '$.base_model_relation']) "
            "AS ww_card",
            f"{_block_total(self.picked['safetensors'], self._kind('safetensors'))} AS ww_st_total",
            f"{_block_total(self.picked['gguf'], self._kind('gguf'))} AS ww_gguf_total",
            f"{_block_present(self.picked['gguf'], self._kind('gguf'))} AS ww_gguf",
            f"{raw_json_sql(raw)} AS raw_json",
            f"{exp_ids} AS ww_exp",  # as stored; turned into ids only where needed
            f"{exp_rel} AS ww_exp_rel",
        ]
        layer2 = [
            "*",
            "list_filter(tags, lambda t: starts_with(t, 'base_model:')) AS ww_bm",
            f"coalesce(len(ww_exp), 0) AS ww_exp_n, {exp_first} AS ww_e1",
            "json_type(ww_card[2]) AS ww_card_type",
        ]
        # Base models, cheapest first.  ``ww_path`` 0: no candidate at all; 1: the Hub's
        # usual shape, the expansion names one parent X with a specific relation R, the
        # tags are exactly base_model:X, base_model:R:X and the card names X or nothing
        # (the expansion's relation is read first, so it wins); 2: anything else, parsed
        # by an expression DuckDB evaluates only for those rows (a CASE branch).
        card_none = "(ww_card_type IS NULL OR ww_card_type = 'NULL')"
        # (X must not start or end with a space or control character: stricter than "X
        # is trimmed", and cheaper than trim() with a character set; the other rows go
        # to path 2, which trims)
        hub = (
            "(ww_exp_n = 1 AND ww_exp_rel <> 'unknown' AND len(ww_bm) = 2"
            " AND ww_bm[1] = 'base_model:' || ww_e1"
            " AND ww_bm[2] = 'base_model:' || ww_exp_rel || ':' || ww_e1"
            f" AND ({card_none} OR (ww_card_type = 'VARCHAR' AND ww_card[2]->>'$' = ww_e1))"
            " AND ascii(ww_e1) > 32 AND ascii(right(ww_e1, 1)) > 32 AND NOT "
            + one_of("upper(ww_e1)", _PLACEHOLDERS)
            + ")"
        )
        layer2b = [
            "*",
            f"CASE WHEN len(ww_bm) = 0 AND ww_exp_n = 0 AND {card_none} THEN 0 "
            f"WHEN {hub} THEN 1 ELSE 2 END AS ww_path",
        ]
        card_rel = "ww_p_card_rel"  # path 2 only (see _path_two_layers)
        card_licence = (
            "CASE json_type(ww_card[1]) WHEN 'VARCHAR' THEN nullif(ww_card[1]->>'$', '') "
            "WHEN 'ARRAY' THEN nullif(array_to_string(TRY_CAST(ww_card[1] AS VARCHAR[]), ','), '') "
            "END"
        )
        base_models = (
            "(CASE WHEN ww_path = 0 THEN []"
            " WHEN ww_path = 1 THEN [{'relation': ww_exp_rel, 'model_id': ww_e1}]"
            f" ELSE {_parsed_base_models(card_rel, self._merge(card_rel))} END)"
            f"::{BASE_MODELS_SQL_TYPE}"
        )
        canonical = [
            "model_id",
            "coalesce(author, CASE WHEN contains(model_id, '/') "
            "THEN split_part(model_id, '/', 1) END) AS author",
            "created_at",
            "last_modified",
            "downloads_30d",
            "downloads_all_time",
            "likes",
            "pipeline_tag",
            "library_name",
            "tags",
            # the tag is looked up only where the card names no licence (coalesce is lazy)
            f"coalesce({card_licence}, list_filter(tags, lambda t: starts_with(t, 'license:'))"
            "[1][9:]) AS license",
            "gated",
            f"{base_models} AS base_models",
            "coalesce(ww_st_total, ww_gguf_total) AS params_total",
            "NULL::BIGINT AS params_active",
            "(ww_gguf OR coalesce(library_name = 'gguf', false) "
            "OR coalesce(list_contains(tags, 'gguf'), false)) AS is_gguf",
            f"{literal(SOURCE)} AS source",
            "raw_json",
        ]
        sql = f"SELECT {', '.join(layer1)} FROM {source} WHERE {where}"
        for layer in (layer2, layer2b, *_path_two_layers(), canonical):
            sql = f"SELECT {', '.join(layer)} FROM ({sql})"
        return sql

    def _kind(self, name: str) -> str:
        column = self.picked[name]
        return self.columns[column] if column is not None else ""

    def _expansion(self) -> tuple[str, str, str]:
        """SQL for the ``baseModels`` expansion: (the models as stored, the relation, the
        first model's id)."""
        if self.expanded is None:
            return "[]::VARCHAR[]", "'unknown'", "NULL::VARCHAR"
        e = self.expanded
        return e.stored, relation_sql(e.relation), e.first

    def _merge(self, card_rel: str) -> str:
        """SQL: the general merge of every candidate parent, for the rows naming several
        (lambdas on their short lists: DuckDB evaluates this CASE branch only there)."""
        ids = self.expanded.ids if self.expanded is not None else "[]::VARCHAR[]"
        rel, tag_id = _tag_parts("t[12:]")
        card_ids = (
            "CASE ww_card_type WHEN 'VARCHAR' THEN [ww_card[2]->>'$'] "
            "WHEN 'ARRAY' THEN coalesce(TRY_CAST(ww_card[2] AS VARCHAR[]), []) "
            "ELSE []::VARCHAR[] END"
        )
        candidates = (
            f"list_concat(list_transform({ids}, lambda x: {{'relation': ww_exp_rel, "
            f"'model_id': x}}), list_transform({card_ids}, lambda x: {{'relation': "
            f"{card_rel}, 'model_id': x}}), list_transform(ww_bm, lambda t: {{'relation': "
            f"{rel}, 'model_id': {tag_id}}}))"
        )
        clean = (
            f"list_filter(list_transform({candidates}, lambda c, i: {{'p': i, 'relation': "
            "c.relation, 'model_id': trim(c.model_id)}), lambda c: c.model_id IS NOT NULL "
            "AND NOT " + one_of("upper(c.model_id)", _PLACEHOLDERS) + ")"
        )
        firsts = (
            f"list_filter({clean}, lambda c, i: "
            f"list_position(list_transform({clean}, lambda y: y.model_id), c.model_id) = i)"
        )
        return (
            f"list_transform({firsts}, lambda c: {{'relation': coalesce(list_filter({clean}, "
            "lambda y: y.model_id = c.model_id AND y.relation <> 'unknown')[1].relation, "
            "'unknown'), 'model_id': c.model_id})"
        )


def _path_two_layers() -> list[list[str]]:
    """Projection layers naming the parts of a row off the Hub's usual shape (``ww_path``
    2), for :func:`_parsed_base_models`: the expansion's first id and the card's id,
    trimmed, the first two ``base_model:`` tags parsed, and the least and greatest of the
    ids.  Every column is a CASE on ``ww_path = 2``, which DuckDB evaluates only for those
    rows (the others get a null almost for free); named once rather than written out
    wherever used, the SQL stays small enough to plan quickly."""

    def only(sql: str, name: str) -> str:
        return f"CASE WHEN ww_path = 2 THEN {sql} END AS {name}"

    ws = _WHITESPACE
    parts = [
        "*",
        only(f"CASE WHEN ww_exp_n = 1 THEN trim(ww_e1, {ws}) END", "ww_p_e1"),
        only(
            f"CASE WHEN ww_card_type = 'VARCHAR' THEN trim(ww_card[2]->>'$', {ws}) END", "ww_p_c1"
        ),
        only(relation_sql("(ww_card[3]->>'$')"), "ww_p_card_rel"),
        only("ww_bm[1][12:]", "ww_p_t1"),
        only("ww_bm[2][12:]", "ww_p_t2"),
    ]
    tags = ["*"]
    for i in ("1", "2"):
        rel, tag_id = _tag_parts(f"ww_p_t{i}")
        tags += [only(rel, f"ww_p_r{i}"), only(f"trim({tag_id}, {ws})", f"ww_p_i{i}")]
    ids = "ww_p_e1, ww_p_c1, ww_p_i1, ww_p_i2"
    bounds = ["*", only(f"least({ids})", "ww_p_lo"), only(f"greatest({ids})", "ww_p_hi")]
    return [parts, tags, bounds]


def _parsed_base_models(card_rel: str, general: str) -> str:
    """SQL for a row off the Hub's usual shape, over the columns of
    :func:`_path_two_layers`: one parent (however spelt) gives one entry with the first
    specific relation; several parents (or more candidates than that) go to ``general``."""
    relation = (
        f"coalesce(CASE WHEN ww_exp_n = 1 AND ww_e1 IS NOT NULL AND ww_exp_rel <> 'unknown' "
        f"THEN ww_exp_rel END, CASE WHEN ww_p_c1 IS NOT NULL AND {card_rel} <> 'unknown' "
        f"THEN {card_rel} END, CASE WHEN ww_p_r1 <> 'unknown' THEN ww_p_r1 END, "
        "CASE WHEN ww_p_r2 <> 'unknown' THEN ww_p_r2 END, 'unknown')"
    )
    many = "(ww_exp_n > 1 OR ww_card_type = 'ARRAY' OR len(ww_bm) > 2)"
    return (
        f"CASE WHEN {many} OR ww_p_lo <> ww_p_hi THEN {general}"
        f" WHEN ww_p_lo IS NULL OR {one_of('upper(ww_p_lo)', _PLACEHOLDERS)} THEN []"
        " ELSE [{'relation': " + relation + ", 'model_id': ww_p_lo}] END"
    )


def _tag_parts(rest: str) -> tuple[str, str]:
    """SQL ``(relation, id)`` of a ``base_model:`` tag given what follows the prefix:
    ``relation:id`` when it starts with a relation, ':' and a non-empty id, else
    ``('unknown', rest)`` — :func:`declared_base_models`' reading."""
    colon = f"strpos({rest}, ':')"
    head = f"{rest}[:{colon} - 1]"
    specific = f"({colon} > 0 AND {one_of(head, RELATIONS)} AND length({rest}) > {colon})"
    return (
        f"CASE WHEN {specific} THEN {head} ELSE 'unknown' END",
        f"CASE WHEN {specific} THEN {rest}[{colon} + 1:] ELSE {rest} END",
    )


def plan(columns: dict[str, str]) -> Plan:
    """Build the SQL of the import for an input with these columns (name → DuckDB type)."""
    id_column = _pick(columns, _ID_KEYS)
    if id_column is None:
        raise InputError(
            "the file has no 'id' (nor 'modelId') column: not a hub-stats models file "
            f"(columns: {', '.join(list(columns)[:12])})"
        )
    model_id, rejected, reason = id_check(id_column, columns[id_column])
    consumed = {k for k in _ID_KEYS if k in columns}
    picked: dict[str, str | None] = {}
    for name, keys in _KEYS.items():
        picked[name] = _pick(columns, keys)
        if picked[name] is not None:
            consumed.add(str(picked[name]))

    values: dict[str, Field | str] = {}
    fields: list[Field] = []
    raw: list[tuple[str, str, str, str | None]] = []  # see Plan.raw
    for name, (build, sql_type) in _BUILDERS.items():
        column = picked[name]
        if column is None:
            values[name] = absent(sql_type)
            continue
        f = build(column, columns[column])
        values[name] = f
        fields.append(f)
        if f.bad is not None:
            raw.append((column, f.bad, json_text(column, columns[column]), column))

    # cardData: a JSON string (the dump) or a struct/map (other exports); kept whole
    card_col = picked["card_data"]
    card = "NULL::VARCHAR"
    if card_col is not None:
        c = ident(card_col)
        if columns[card_col] in ("VARCHAR", "JSON"):
            fields.append(
                Field(
                    card_col,
                    c,
                    f"({c} IS NOT NULL AND NOT json_valid({c}))",
                    f"'not valid JSON: ' || {shown(c)}",
                )
            )
            card = f"CASE WHEN json_valid({c}) THEN {c} END"
            raw.append((card_col, f"{c} IS NOT NULL", f"coalesce({card}, to_json({c}))", None))
        else:
            card = f"to_json({c})"
            raw.append((card_col, f"{c} IS NOT NULL", card, None))

    bm_col = picked["base_models"]
    expanded = _expanded(bm_col, columns[bm_col] if bm_col else "")
    if bm_col is not None and expanded is None:  # a shape we cannot read: keep it
        raw.append((bm_col, f"{ident(bm_col)} IS NOT NULL", f"to_json({ident(bm_col)})", None))
    leftovers = [c for c in columns if c not in consumed]
    raw += [(c, f"{ident(c)} IS NOT NULL", json_text(c, columns[c]), None) for c in leftovers]
    return Plan(
        columns=columns,
        checks=Checks(id_column, model_id, rejected, reason, fields),
        leftovers=leftovers,
        picked=picked,
        raw=raw,
        values=values,
        card=card,
        expanded=expanded,
    )


def import_hub_stats(
    paths: Sequence[Path | str],
    store: Store | Path | str,
    snapshot_date: date | None = None,
    *,
    replace: bool = False,
    deltas: bool = True,
    resources: Resources | None = None,
) -> BulkImport:
    """Import hub-stats ``models.parquet`` file(s) as the snapshot of ``snapshot_date``.

    Several files (e.g. the shards of a converted dump) make one snapshot together; ids
    must be unique across them.  The date defaults to the one in the (first) file's name.
    ``store`` may be a path: the store is then created, and removed again if the import
    fails before publishing.  On any error nothing is published.  With ``deltas`` (the
    default) the download deltas against the previous snapshot are materialised after
    publishing.

    The common case reads the input once: a guarded ``COPY`` without checks, then one
    scan of the written ids (:func:`copy_if_clean`).  Only when something is wrong does
    the careful way run: the survey (rejected rows, repeated ids, the values each check
    would null), the locating pass (row numbers, reasons, the rejected rows themselves)
    and a ``COPY`` with the checks that can fire.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no input file given")
    check_parquet(files)
    when = snapshot_date or snapshot_date_from_path(files[0])
    if when is None:
        raise InputError(
            f"{files[0]}: a hub-stats dump does not record its date and none is in the file "
            "name (e.g. models-2026-01-04.parquet); pass --snapshot-date YYYY-MM-DD"
        )
    report = BulkImport(SOURCE, files, when)
    clock = Phases(report.seconds)
    source = parquet_source(files)
    multi = len(files) > 1
    with hashing_pool() as pool, new_store(store) as open_store:
        hashed = input_files(files, pool)
        prepared = pool.submit(prepare_deltas) if deltas else None
        con = connect(resources)
        try:
            with reading(files):
                p = plan(columns_of(con, source))
            store = open_store()
            # the input's checksums are computed meanwhile and listed before publishing
            inputs: list[InputFile] = []
            with store.writer(when, source=SOURCE, inputs=inputs, replace=replace) as writer:
                spill_into(con, writer.directory.parent, resources)
                target = writer.directory / "part-00000.parquet"
                with reading(files):
                    copied = copy_if_clean(con, p, source, target, pool)
                    clock.lap("copy")
                    found = Survey(0, 0, {})
                    if copied is None:  # something needs the checks: the careful way
                        found = survey(con, source, p.checks)
                        clock.lap("survey")
                        if not found.clean:
                            locate_problems(con, source, p.checks, multi=multi)
                            if found.repeated:
                                locate_duplicates(con, source, p.checks, multi=multi)
                            summarise_problems(con, report)
                            clock.lap("locate")
                        where = accepted_where(p.checks, True) if report.rejected else "true"
                        query = p.query(
                            source, where, set(found.issues), trim_ids=bool(found.padded)
                        )
                        out = copy_parquet(con, query, target, FILE_SCHEMA)
                        copied = Copied(out, describe_files([out] if out else [], pool))
                        clock.lap("copy")
                        if report.rejected:
                            copy_rejects(con, rejected_rows_sql(source, list(p.columns)), writer)
                            clock.lap("rejects")
                report.field_issues = report.field_issues or found.issues
                writer.field_issues = report.field_issue_count
                writer.extra = {
                    "format": "hub-stats parquet",
                    "field_issues_by_field": report.issues_by_field(),
                    "unmapped_columns": p.leftovers,
                    "columns": p.columns,
                }
                inputs += [f.result() for f in hashed]
                writer.files += copied.entries.result()
                clock.lap("hash output")
                report.rows = writer.rows
            clock.lap("publish")
        finally:
            con.close()
    if prepared is not None:
        prepared.result()
        report.deltas = refresh_deltas(store, when)
        clock.lap("deltas")
    return report


def import_hub_stats_files(
    paths: Sequence[Path | str],
    store: Store | Path | str,
    snapshot_date: date | None = None,
    *,
    replace: bool = False,
    deltas: bool = True,
    resources: Resources | None = None,
) -> list[BulkImport]:
    """Import several hub-stats files: all as one snapshot when ``snapshot_date`` is
    given, else grouped by the date in each file's name (one snapshot per date, oldest
    first).  Every date is checked before anything is imported."""
    files = [Path(p) for p in paths]
    groups: dict[date, list[Path]] = {}
    for path in files:
        when = snapshot_date or snapshot_date_from_path(path)
        if when is None:
            raise InputError(
                f"{path}: a hub-stats dump does not record its date and none is in the file "
                "name (e.g. models-2026-01-04.parquet); pass --snapshot-date YYYY-MM-DD"
            )
        groups.setdefault(when, []).append(path)
    check_parquet(files)
    return [
        import_hub_stats(
            groups[when], store, when, replace=replace, deltas=deltas, resources=resources
        )
        for when in sorted(groups)
    ]


__all__ = [
    "SOURCE",
    "BulkImport",
    "Checks",
    "Field",
    "Resources",
    "import_hub_stats",
    "import_hub_stats_files",
    "plan",
    "snapshot_date_from_path",
]
