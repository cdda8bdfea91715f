"""The crafted store behind the golden files: every convention in four snapshots.

Snapshots 2026-01-01, 01-08 (a week), 01-29 (three weeks: two weekly snapshots missing),
02-03 (five days).  Regenerate the golden files with
``python tests/series/golden_store.py`` after a deliberate change, and review the diff.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from series_helpers import Rows, build, model

from weightwatch.store import Store

GOLDEN = Path(__file__).resolve().parent / "golden"
D1, D2, D3, D4 = date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 29), date(2026, 2, 3)
SAME = "2024-05-05T05:05:05"
QUANT = [{"relation": "quantized", "model_id": "acme/base"}]

SNAPSHOTS: dict[date, Rows] = {
    D1: [
        model("acme/base", 1000, created="2025-03-01T00:00:00"),
        model("acme/gone", 300),
        model("acme/dec", 500),
        model("old/name", 200, created="2024-03-03T10:00:00"),
        model("x/one", 10, created=SAME),
        model("x/two", 20, created=SAME),
        model("nocount/m", 7),
        model("acme/young", 3, created="2025-12-20T00:00:00"),
    ],
    D2: [
        model("acme/base", 1100, created="2025-03-01T00:00:00"),
        model("acme/gone", 320),
        model("acme/dec", 480),
        model("old/name", 250, created="2024-03-03T10:00:00"),
        model("x/one", 10, created=SAME),
        model("x/two", 20, created=SAME),
        model("nocount/m", None),
        model("acme/young", 50, created="2025-12-20T00:00:00"),
        model("acme/late", 700, created="2025-06-01T00:00:00"),
        model("acme/fresh", 40, created="2026-01-05T00:00:00"),
        model("quant/base-GGUF", 60, created="2026-01-02T00:00:00", base_models=QUANT),
    ],
    D3: [
        model("acme/base", 1400, created="2025-03-01T00:00:00"),
        model("acme/dec", 520),
        model("new/name", 290, created="2024-03-03T10:00:00"),
        model("x/one", 10, created=SAME),
        model("x/two", 20, created=SAME),
        model("nocount/m", 9),
        model("acme/young", 80, created="2025-12-20T00:00:00"),
        model("acme/late", 760, created="2025-06-01T00:00:00"),
        model("acme/fresh", 90, created="2026-01-05T00:00:00"),
        model("quant/base-GGUF", 100, created="2026-01-02T00:00:00", base_models=QUANT),
    ],
    D4: [
        model("acme/base", 1500, created="2025-03-01T00:00:00"),
        model("acme/dec", 530),
        model("new/name", 300, created="2024-03-03T10:00:00"),
        model("y/three", 40, created=SAME),
        model("nocount/m", 12),
        model("acme/young", 81, created="2025-12-20T00:00:00"),
        model("acme/late", 800, created="2025-06-01T00:00:00"),
        model("acme/fresh", 100, created="2026-01-05T00:00:00"),
        model("quant/base-GGUF", 110, created="2026-01-02T00:00:00", base_models=QUANT),
    ],
}

CASES: dict[str, dict[str, Any]] = {
    "series-interval.json": {"freq": "interval"},
    "series-month.json": {"freq": "month"},
    "series-week-21d.json": {"freq": "week", "window": "21d"},
    "series-first-year.json": {"freq": "interval", "window": "first-year"},
}


def build_golden_store(root: Path) -> Store:
    return build(root, SNAPSHOTS)


def jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(rows, default=str))


def main() -> None:
    from weightwatch.series.timeseries import download_series

    with tempfile.TemporaryDirectory() as tmp:
        store = build_golden_store(Path(tmp) / "store")
        for name, kwargs in CASES.items():
            rows = download_series(store, **kwargs).to_pylist()
            text = json.dumps(jsonable(rows), indent=1) + "\n"
            (GOLDEN / name).write_text(text, encoding="utf-8")
            print(f"wrote {GOLDEN / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
