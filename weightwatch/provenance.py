"""Provenance blocks: which snapshots, which registry and which tool produced a number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from weightwatch import __version__
from weightwatch.orgs import OrgRegistry
from weightwatch.store import Store


def provenance(
    store: Store, dates: Iterable[date], registry: OrgRegistry | None, engine: str
) -> dict[str, Any]:
    """Describe the inputs of a computation, for every published number to carry."""
    snapshots = []
    for when in sorted(set(dates)):
        manifest = store.manifest(when)
        snapshots.append(
            {
                "snapshot_date": when.isoformat(),
                "source": manifest.source,
                "rows": manifest.rows,
                "rejected_rows": manifest.rejected_rows,
                "inputs": [{"name": i.name, "sha256": i.sha256} for i in manifest.inputs],
                "created_at": manifest.created_at.isoformat(),
            }
        )
    return {
        "snapshots": snapshots,
        "registry": registry.provenance() if registry is not None else None,
        "store": str(store.root.resolve()),
        "engine": engine,
        "tool_version": __version__,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
