"""What every metric returns: its rows plus the parameters and provenance behind them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class MetricResult:
    """A metric's output.

    ``rows`` is an Arrow table (one row per group, or per period and group);
    ``params`` echoes the validated conventions the metric ran with; ``provenance`` says
    which snapshots, which org-registry version and which tool version produced it.
    """

    metric: str
    params: dict[str, Any]
    provenance: dict[str, Any]
    rows: pa.Table
    notes: list[str] = field(default_factory=list)

    def to_records(self) -> list[dict[str, Any]]:
        return list(self.rows.to_pylist())

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"metric", "params", "provenance", "rows", "notes"}``."""
        return {
            "metric": self.metric,
            "params": self.params,
            "provenance": self.provenance,
            "rows": self.to_records(),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str, ensure_ascii=False)
