"""Crafted multi-snapshot stores, for tests and examples: one canonical row per call of
:func:`model`, one published snapshot per date with :func:`build`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.store import Store

Rows = Sequence[Mapping[str, Any]]


def model(
    model_id: str,
    all_time: int | None,
    *,
    created: str | datetime | None = "2025-01-01T00:00:00",
    d30: int | None = None,
    library: str | None = "transformers",
    is_gguf: bool = False,
    base_models: list[dict[str, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One canonical snapshot row with the fields the deltas use; ``fields`` sets any other
    column of the schema (``pipeline_tag``, ``params_total``…)."""
    if isinstance(created, str):
        created = datetime.fromisoformat(created).replace(tzinfo=UTC)
    return {
        "model_id": model_id,
        "author": model_id.split("/")[0] if "/" in model_id else None,
        "created_at": created,
        "downloads_30d": d30,
        "downloads_all_time": all_time,
        "library_name": library,
        "tags": [],
        "base_models": base_models or [],
        "is_gguf": is_gguf,
        "source": "test",
        **fields,
    }


def write_snapshot(store: Store, day: date, rows: Rows, *, replace: bool = False) -> None:
    with store.writer(day, source="test", replace=replace) as writer:
        writer.write_batch(pa.Table.from_pylist([dict(r) for r in rows], schema=FILE_SCHEMA))


def build(root: Path, snapshots: Mapping[date, Rows]) -> Store:
    store = Store.create(root)
    for day in sorted(snapshots):
        write_snapshot(store, day, snapshots[day])
    return store
