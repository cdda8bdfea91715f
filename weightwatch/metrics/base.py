"""What a metric is, and the context it runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from weightwatch.engine import connect, snapshots_table
from weightwatch.metrics.result import MetricResult
from weightwatch.orgs import OrgRegistry
from weightwatch.series.deltas import reupload_flag
from weightwatch.store import Store

T = TypeVar("T")

#: The snapshot columns metrics read (:meth:`MetricContext.snapshot`).
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "model_id",
    "author",
    "created_at",
    "downloads_30d",
    "downloads_all_time",
    "pipeline_tag",
    "library_name",
    "params_total",
    "params_active",
    "is_gguf",
    "snapshot_date",
)


@dataclass
class MetricContext:
    """A store opened on an engine, with the org registry a metric attributes with."""

    store: Store
    registry: OrgRegistry
    engine: str = "duckdb"
    con: Any = None
    _snapshots: ibis.Table | None = field(default=None, repr=False)
    _done: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.con is None:
            self.con = connect(self.engine)

    def snapshots(self) -> ibis.Table:
        if self._snapshots is None:
            self._snapshots = snapshots_table(self.con, self.store)
        return self._snapshots

    def snapshot(self, day: date, *, reupload: bool = False) -> ibis.Table:
        """The :data:`SNAPSHOT_COLUMNS` of the snapshot ``day`` and ``created``, the UTC date
        of ``created_at``, held by the engine after the first use (a report reads the
        ``as_of`` snapshot in most of its metrics).  With ``reupload``, read afresh with
        ``base_models`` and the deltas' ``reupload`` flag
        (:func:`~weightwatch.series.deltas.reupload_flag`), for the re-upload filter."""
        snap = self.snapshots()
        snap = snap.filter(snap.snapshot_date == day)
        created = snap.created_at.date()
        if reupload:
            flag = reupload_flag(snap.model_id, snap.library_name, snap.is_gguf, snap.base_models)
            return snap.select(*SNAPSHOT_COLUMNS, "base_models", created=created, reupload=flag)
        return self.once(
            f"snapshot {day}",
            lambda: self.cached(snap.select(*SNAPSHOT_COLUMNS, created=created)),
        )

    def cached(self, table: ibis.Table) -> ibis.Table:
        """``table`` computed once and held by the engine (a temporary table in DuckDB, a
        cached frame in Spark) for the metrics run after.  On the context's engine even for
        a table that only holds in-memory data (``Table.cache`` would pick Ibis's default
        backend for one, and it could not be joined with the store's tables)."""
        cached: ibis.Table = self.con._cached_table(table)
        return cached

    def once(self, key: str, make: Callable[[], T]) -> T:
        """``make()`` the first time ``key`` is asked for, its result after that: derived
        tables are brought up to date once per context (a context sees the store as it
        was when a metric first read it)."""
        if key not in self._done:
            self._done[key] = make()
        done: T = self._done[key]
        return done

    def registry_table(self) -> ibis.Table:
        """The org registry as a table; blank fields as "" (Spark would turn a null string
        of an in-memory table into "NaN"); :func:`~weightwatch.attribution.group_label`
        treats "" as unknown."""
        table = self.registry.to_arrow()
        columns = [
            pc.fill_null(col, "") if pa.types.is_string(col.type) else col for col in table.columns
        ]
        return ibis.memtable(pa.table(columns, names=table.column_names))


@dataclass(frozen=True)
class Metric:
    """A named metric: its parameter model (conventions, validated) and its computation."""

    name: str
    summary: str
    params: type[BaseModel]
    compute: Callable[[MetricContext, Any], MetricResult]
