"""The snapshot store: a directory of Hive-partitioned Parquet, one partition per date.

Layout::

    STORE/
      _weightwatch_store.json           marks the directory as a store (format version)
      snapshot_date=2026-05-04/
        _manifest.json                  source, inputs, files, row counts, checksums
        _rejects.jsonl                  rows refused at ingest, with the reason (may be absent)
        part-00000.parquet              canonical rows (weightwatch.normalize.schema)
      _tables/NAME/snapshot_date=…/     derived tables (deltas, lineage…): same layout and
                                        manifests, out of reach of STORE/*/*.parquet
    .STORE.staging/                     work in progress, one directory per writer (hidden,
                                        beside the store, on the same filesystem)
    .STORE.trash/                       a replaced snapshot, between two renames

Readers pointed at ``STORE`` see exactly the published snapshots.  Arrow datasets and Spark
skip names starting with ``.`` or ``_`` (manifests, rejects); DuckDB's globs do not — both
``STORE/**/*.parquet`` and ``STORE/*/*.parquet`` match hidden directories (checked with
DuckDB 2.0) — so work in progress is kept *beside* the store rather than inside it.  Only if
the parent directory is on another filesystem (the store is a mount point) does staging
fall back to ``STORE/.staging``, where a ``**`` glob could see it.

Publishing is a rename: a writer fills ``<staging>/<id>/snapshot_date=D/`` and, once every
file and the manifest are written and synced, renames that directory into place.  A crash
at any point before the rename leaves the store as it was (the staging directory is removed
by the next writer).  Replacing a date moves the old partition to ``.trash`` and the new one
into place; if a crash falls between those two renames, the next open moves the old one back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from weightwatch import __version__
from weightwatch.errors import (
    IntegrityError,
    SchemaError,
    SnapshotExists,
    SnapshotNotFound,
    StoreError,
)
from weightwatch.normalize.schema import FILE_SCHEMA, SCHEMA_VERSION
from weightwatch.store.manifest import (
    MANIFEST_NAME,
    REJECTS_NAME,
    DataFile,
    InputFile,
    Manifest,
)

MARKER_NAME = "_weightwatch_store.json"
STORE_FORMAT = 1
PARTITION_KEY = "snapshot_date"
SNAPSHOTS = "snapshots"  # the main table: the store root itself
TABLES_DIR = "_tables"


def partition_name(snapshot_date: date) -> str:
    return f"{PARTITION_KEY}={snapshot_date.isoformat()}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class SnapshotWriter:
    """Collects one snapshot's files in a staging directory; :meth:`Store.writer` publishes it."""

    snapshot_date: date
    directory: Path
    schema: pa.Schema | None = FILE_SCHEMA  # None: derived table, schema fixed by its first batch
    files: list[DataFile] = field(default_factory=list)
    rejects: int = 0
    field_issues: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # recorded in the manifest
    _rejects_handle: Any = None

    def write_batch(self, table: pa.Table) -> None:
        """Write one batch of canonical rows as its own Parquet file."""
        if table.num_rows == 0:
            return
        if self.schema is None:
            self.schema = table.schema
        if not table.schema.equals(self.schema, check_metadata=False):
            raise SchemaError(f"batch does not match the table's schema:\n{table.schema}")
        name = f"part-{len(self.files):05d}.parquet"
        path = self.directory / name
        pq.write_table(table, path, compression="zstd", row_group_size=256_000)
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        self.files.append(
            DataFile(
                name=name, rows=table.num_rows, bytes=path.stat().st_size, sha256=_sha256(path)
            )
        )

    def copy_query(self, con: Any, sql: str, *, level: int | None = None) -> int:
        """Write the rows of a DuckDB ``sql`` query as the next Parquet file (``COPY … TO``,
        nothing through Python); ``con`` is a DuckDB or Ibis-DuckDB connection; ``level``:
        the zstd level (DuckDB's default 3 when None; 1 costs a third less CPU for files
        ~5% larger).  Returns the rows written (an empty result writes no file)."""
        name = f"part-{len(self.files):05d}.parquet"
        path = self.directory / name
        quoted = "'" + str(path).replace("'", "''") + "'"
        result = con.raw_sql if hasattr(con, "raw_sql") else con.execute
        compression = "COMPRESSION zstd" + (f", COMPRESSION_LEVEL {level}" if level else "")
        row = result(
            f"COPY ({sql}) TO {quoted} (FORMAT parquet, {compression}, "
            "ROW_GROUP_SIZE 262144, DICTIONARY_SIZE_LIMIT 10000)"
        ).fetchone()
        rows = int(row[0]) if row else 0
        if rows == 0:
            path.unlink(missing_ok=True)
            return 0
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        self.files.append(
            DataFile(name=name, rows=rows, bytes=path.stat().st_size, sha256=_sha256(path))
        )
        return rows

    def write_reject(self, location: str, field: str, reason: str, record: Any) -> None:
        """Keep a refused row, with why, beside the snapshot (never silently dropped)."""
        if self._rejects_handle is None:
            self._rejects_handle = (self.directory / REJECTS_NAME).open("w", encoding="utf-8")
        entry = {"location": location, "field": field, "reason": reason, "record": record}
        self._rejects_handle.write(json.dumps(entry, default=str, ensure_ascii=False) + "\n")
        self.rejects += 1

    def close(self) -> None:
        if self._rejects_handle is not None:
            self._rejects_handle.flush()
            os.fsync(self._rejects_handle.fileno())
            self._rejects_handle.close()
            self._rejects_handle = None

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


class Store:
    """A snapshot store rooted at ``root``. Open it with :meth:`open` or :meth:`create`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def table_root(self, table: str = SNAPSHOTS) -> Path:
        """Directory holding ``table``'s partitions (the store root for snapshots)."""
        if table == SNAPSHOTS:
            return self.root
        if not table.replace("_", "").isalnum():
            raise StoreError(f"invalid table name {table!r}")
        return self.root / TABLES_DIR / table

    def tables(self) -> list[str]:
        """Names of the derived tables present in the store."""
        base = self.root / TABLES_DIR
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def _aside(self, kind: str) -> Path:
        """Hidden work directory for ``kind`` (staging, trash): beside the store when the
        parent is on the same filesystem (renames stay atomic), else inside it."""
        root = self.root.resolve()
        parent = root.parent
        try:
            same_device = parent.stat().st_dev == root.stat().st_dev
        except OSError:
            same_device = False
        if same_device and os.access(parent, os.W_OK):
            return parent / f".{root.name}.{kind}"
        return root / f".{kind}"

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path | str) -> Store:
        """Open an existing store; raise SnapshotNotFound if ``root`` is not one."""
        path = Path(root)
        if not (path / MARKER_NAME).is_file():
            raise SnapshotNotFound(
                f"{path}: not a weightwatch store (no {MARKER_NAME}). "
                "Create one with `weightwatch ingest FILE --store DIR`."
            )
        store = cls(path)
        store._recover()
        return store

    @classmethod
    def create(cls, root: Path | str) -> Store:
        """Open ``root`` as a store, creating it if needed (refuses a non-empty non-store)."""
        path = Path(root)
        if (path / MARKER_NAME).is_file():
            return cls.open(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise StoreError(
                f"{path}: exists and is not a weightwatch store; choose an empty or new directory"
            )
        path.mkdir(parents=True, exist_ok=True)
        marker = {"format": STORE_FORMAT, "created_at": datetime.now(UTC).isoformat()}
        tmp = path / f".{MARKER_NAME}.tmp"
        tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path / MARKER_NAME)
        return cls(path)

    def _recover(self) -> None:
        """Undo what a crashed writer left: restore a half-replaced snapshot, drop dead staging."""
        trash = self._aside("trash")
        if trash.is_dir():
            for holder in trash.iterdir():
                for table_dir in holder.iterdir():
                    for partition in table_dir.iterdir():
                        target = self.table_root(table_dir.name) / partition.name
                        if not target.exists():
                            target.parent.mkdir(parents=True, exist_ok=True)
                            os.rename(partition, target)
                shutil.rmtree(holder, ignore_errors=True)
        staging = self._aside("staging")
        if staging.is_dir():
            for work in staging.iterdir():
                pid = work.name.split("-")[0]
                if not pid.isdigit() or not _pid_alive(int(pid)):
                    shutil.rmtree(work, ignore_errors=True)

    # -- reading -------------------------------------------------------------------------
    def partition_dirs(self, table: str = SNAPSHOTS) -> list[Path]:
        root = self.table_root(table)
        return sorted(p for p in root.glob(f"{PARTITION_KEY}=*") if p.is_dir())

    def snapshot_dates(self, table: str = SNAPSHOTS) -> list[date]:
        return [date.fromisoformat(p.name.split("=", 1)[1]) for p in self.partition_dirs(table)]

    def manifests(self, table: str = SNAPSHOTS) -> list[Manifest]:
        return [Manifest.read(p) for p in self.partition_dirs(table)]

    def manifest(self, snapshot_date: date, table: str = SNAPSHOTS) -> Manifest:
        directory = self.table_root(table) / partition_name(snapshot_date)
        if not directory.is_dir():
            have = ", ".join(d.isoformat() for d in self.snapshot_dates(table)) or "none"
            what = "snapshot" if table == SNAPSHOTS else f"{table} partition"
            raise SnapshotNotFound(
                f"{self.root}: no {what} for {snapshot_date.isoformat()} (have: {have})"
            )
        return Manifest.read(directory)

    def manifest_input(
        self, snapshot_date: date, table: str = SNAPSHOTS, *, qualified: bool = True
    ) -> InputFile:
        """A partition's manifest as the input of a derived partition: its checksum changes
        whenever the partition is published again, which makes what was derived from it
        stale.  Named ``TABLE/snapshot_date=…/_manifest.json`` (without ``TABLE/`` when not
        ``qualified``: the deltas' convention for snapshots)."""
        relative = f"{partition_name(snapshot_date)}/{MANIFEST_NAME}"
        data = (self.table_root(table) / relative).read_bytes()
        name = f"{table}/{relative}" if qualified else relative
        return InputFile(name=name, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))

    def latest(self) -> date:
        dates = self.snapshot_dates()
        if not dates:
            raise SnapshotNotFound(
                f"{self.root}: the store has no snapshots yet; add one with `weightwatch ingest`"
            )
        return dates[-1]

    def parquet_glob(self, table: str = SNAPSHOTS) -> str:
        """A glob matching exactly the published data files (for DuckDB and friends)."""
        return str(self.table_root(table) / f"{PARTITION_KEY}=*" / "*.parquet")

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def writer(
        self,
        snapshot_date: date,
        *,
        source: str,
        inputs: list[InputFile] | None = None,
        replace: bool = False,
        partial: bool = False,
        table: str = SNAPSHOTS,
        schema: pa.Schema | None = None,
    ) -> Iterator[SnapshotWriter]:
        """Stage a partition of ``table`` (default: the snapshots); publish it atomically when
        the ``with`` block ends without error.  Snapshot batches must match the canonical
        schema; a derived table's batches must match ``schema`` (or the first batch).

        On any exception (or a crash) nothing is published and the store is unchanged.
        """
        if not replace and (self.table_root(table) / partition_name(snapshot_date)).exists():
            what = "a snapshot" if table == SNAPSHOTS else f"a {table} partition"
            raise SnapshotExists(
                f"{self.root}: {what} for {snapshot_date.isoformat()} is already published; "
                "pass --replace to overwrite it"
            )
        work = self._aside("staging") / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        directory = work / partition_name(snapshot_date)
        directory.mkdir(parents=True)
        expected = FILE_SCHEMA if table == SNAPSHOTS else schema
        writer = SnapshotWriter(snapshot_date, directory, expected)
        try:
            yield writer
            writer.close()
            manifest = Manifest(
                snapshot_date=snapshot_date,
                source=source,
                rows=writer.rows,
                files=writer.files,
                inputs=inputs or [],
                rejected_rows=writer.rejects,
                field_issues=writer.field_issues,
                partial=partial,
                created_at=datetime.now(UTC),
                tool_version=__version__,
                schema_version=SCHEMA_VERSION,
                extra=writer.extra,
            )
            manifest.write(directory)
            _fsync_dir(directory)
            self._publish(directory, snapshot_date, table, replace=replace)
        finally:
            writer.close()
            shutil.rmtree(work, ignore_errors=True)
            with contextlib.suppress(OSError):
                work.parent.rmdir()  # only if no other writer is using it

    def _publish(self, staged: Path, snapshot_date: date, table: str, *, replace: bool) -> None:
        target = self.table_root(table) / partition_name(snapshot_date)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if target.exists():
                if not replace:
                    raise SnapshotExists(
                        f"{self.root}: {snapshot_date.isoformat()} was published by another "
                        "run meanwhile; pass --replace to overwrite it"
                    )
                holder = self._aside("trash") / uuid.uuid4().hex[:12]
                (holder / table).mkdir(parents=True)
                os.rename(target, holder / table / target.name)
                os.rename(staged, target)
                _fsync_dir(target.parent)
                shutil.rmtree(holder, ignore_errors=True)
                with contextlib.suppress(OSError):
                    holder.parent.rmdir()
            else:
                os.rename(staged, target)
                _fsync_dir(target.parent)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- checking ------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Check every partition against its manifest; return the problems found (empty: ok)."""
        problems: list[str] = []
        directories = [d for t in [SNAPSHOTS, *self.tables()] for d in self.partition_dirs(t)]
        for directory in directories:
            try:
                manifest = Manifest.read(directory)
            except IntegrityError as exc:
                problems.append(str(exc))
                continue
            if directory.name != partition_name(manifest.snapshot_date):
                problems.append(f"{directory}: manifest is for {manifest.snapshot_date}")
            listed = {f.name for f in manifest.files}
            present = {p.name for p in directory.glob("*.parquet")}
            for name in sorted(present - listed):
                problems.append(f"{directory / name}: data file not listed in the manifest")
            for entry in manifest.files:
                path = directory / entry.name
                if not path.is_file():
                    problems.append(f"{path}: listed in the manifest but missing")
                    continue
                if _sha256(path) != entry.sha256:
                    problems.append(f"{path}: checksum differs from the manifest (file changed)")
                    continue
                rows = pq.ParquetFile(path).metadata.num_rows
                if rows != entry.rows:
                    problems.append(f"{path}: {rows} rows, manifest says {entry.rows}")
            if sum(f.rows for f in manifest.files) != manifest.rows:
                problems.append(f"{directory / MANIFEST_NAME}: file rows do not add up to 'rows'")
        for stray in self.root.iterdir():
            if stray.name.startswith((".", "_")) or stray.name.startswith(f"{PARTITION_KEY}="):
                continue
            problems.append(f"{stray}: unexpected entry in the store (readers would see it)")
        return problems
