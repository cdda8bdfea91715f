"""Crafted lineage graphs as the two Arrow tables :func:`weightwatch.lineage.resolve.resolve`
takes, for tests and examples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pyarrow as pa

#: Day 0 of the creation times given as day offsets.
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def graph_tables(
    models: Sequence[tuple[str, int | None]], edges: Sequence[tuple[str, str]]
) -> tuple[pa.Table, pa.Table]:
    """``(models, edges)``: ``models`` as (id, creation day after :data:`T0` or None),
    ``edges`` as (child id, parent id)."""
    m = pa.table(
        {
            "model_id": pa.array([i for i, _ in models], pa.string()),
            "created_at": pa.array(
                [None if t is None else T0 + timedelta(days=t) for _, t in models],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    e = pa.table(
        {
            "model_id": pa.array([c for c, _ in edges], pa.string()),
            "parent_id": pa.array([p for _, p in edges], pa.string()),
        }
    )
    return m, e
