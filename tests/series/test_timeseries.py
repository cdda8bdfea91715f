"""Download series by period and window: golden outputs, the window-edge rule, parsing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from golden_store import CASES, D1, D2, D3, D4, GOLDEN, build_golden_store, jsonable
from series_helpers import Rows, model

from weightwatch.errors import InputError
from weightwatch.series.deltas import DELTAS_TABLE
from weightwatch.series.timeseries import (
    Window,
    download_series,
    parse_window,
    window_coverage,
)
from weightwatch.store import Store

MakeStore = Callable[[Mapping[date, Rows]], Store]


@pytest.fixture(scope="module")
def golden_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_golden_store(tmp_path_factory.mktemp("golden") / "store")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(golden_store: Store, name: str) -> None:
    rows = download_series(golden_store, **CASES[name]).to_pylist()
    expected = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    assert jsonable(rows) == expected


def test_series_materialises_missing_deltas(golden_store: Store) -> None:
    download_series(golden_store)
    assert golden_store.snapshot_dates(DELTAS_TABLE) == [D1, D2, D3, D4]


def test_all_window_sums_to_counters(golden_store: Store) -> None:
    rows = download_series(golden_store, freq="year").to_pylist()
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["model_id"]] = totals.get(r["model_id"], 0) + (r["downloads"] or 0)
    # steady models: Σ over periods = last all-time counter
    assert totals["acme/base"] == 1500 and totals["acme/late"] == 800
    assert totals["acme/fresh"] == 100
    # a rename counts the difference only: old id's life + new id's life = new counter
    assert totals["old/name"] + totals["new/name"] == 300
    # a vanished model keeps what it had
    assert totals["acme/gone"] == 320
    # a decrease is clamped: 500 → 480 → 520 → 530 counts 500 + 0 + 40 + 10
    assert totals["acme/dec"] == 550


def test_bounded_window_end_date_rule(golden_store: Store) -> None:
    rows = download_series(golden_store, window="2026-01-09..2026-01-31").to_pylist()
    # only the interval (01-08, 01-29] ends inside; counted wholly though it starts before
    assert {(r["period_start"], r["period_end"]) for r in rows} == {(D2, D3)}
    base = next(r for r in rows if r["model_id"] == "acme/base")
    assert base["downloads"] == 300
    # the first snapshot's rows (no start) are in no bounded window
    rows = download_series(golden_store, window="2025-12-01..2026-01-31").to_pylist()
    assert all(r["period_start"] is not None for r in rows)
    coverage = window_coverage(golden_store, "2026-01-09..2026-01-31")
    assert coverage["counted_from"] == "2026-01-09" and coverage["counted_to"] == "2026-01-29"
    assert coverage["days_in_window"] == 23 and coverage["days_covered"] == 21
    assert coverage["coverage"] == pytest.approx(21 / 23, abs=1e-4)


def test_trailing_window_and_as_of(golden_store: Store) -> None:
    rows = download_series(golden_store, window="5d").to_pylist()
    assert {r["period_end"] for r in rows} == {D4}
    rows = download_series(golden_store, window="7d", as_of=D2).to_pylist()
    assert {r["period_end"] for r in rows} == {D2}
    rows = download_series(golden_store, as_of=D2).to_pylist()
    assert max(r["period_end"] for r in rows) == D2
    info = window_coverage(golden_store, "7d", D2)
    assert info["counted_from"] == "2026-01-02" and info["coverage"] == 1.0


def test_filters(golden_store: Store) -> None:
    rows = download_series(golden_store, model_ids=["acme/base", "nope/x"])
    assert set(rows.column("model_id").to_pylist()) == {"acme/base"}
    kept = download_series(golden_store, exclude_reuploads=True).column("model_id")
    assert "quant/base-GGUF" not in kept.to_pylist()
    everything = download_series(golden_store).column("model_id")
    assert "quant/base-GGUF" in everything.to_pylist()


def test_first_year_window_complete(make_store: MakeStore) -> None:
    store = make_store(
        {
            date(2025, 1, 1): [model("a/x", 10, created="2024-06-01T00:00:00")],
            date(2025, 5, 31): [model("a/x", 50, created="2024-06-01T00:00:00")],
            date(2025, 6, 1): [model("a/x", 55, created="2024-06-01T00:00:00")],
            date(2025, 7, 1): [model("a/x", 90, created="2024-06-01T00:00:00")],
        }
    )
    rows = download_series(store, window="first-year").to_pylist()
    # days 2024-06-01 … 2025-05-31: the interval ending 2025-06-01 is outside
    assert [r["downloads"] for r in rows] == [10, 40]
    assert all(r["window_complete"] for r in rows)
    early = download_series(store, window="first-year", as_of=date(2025, 1, 1)).to_pylist()
    assert [r["window_complete"] for r in early] == [False]


def test_window_totals_sum_over_periods(golden_store: Store) -> None:
    by_interval = download_series(golden_store, freq="interval", window="30d")
    by_week = download_series(golden_store, freq="week", window="30d")
    total = pc.sum(by_interval.column("downloads")).as_py()
    assert total == pc.sum(by_week.column("downloads")).as_py() and total > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, Window("all")),
        ("all", Window("all")),
        (" 30d ", Window("trailing", days=30)),
        ("365D", Window("trailing", days=365)),
        ("2025-01-01..2025-12-31", Window("range", start=date(2025, 1, 1), end=date(2025, 12, 31))),
        ("first-year", Window("first-year")),
    ],
)
def test_parse_window(text: str | None, expected: Window) -> None:
    window = parse_window(text)
    assert window == expected
    assert parse_window(str(window)) == window


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", "at least 1"),
        ("30", "not understood"),
        ("last-month", "not understood"),
        ("2025-02-30..2025-03-01", "day is out of range"),
        ("2025-03-01..2025-02-01", "start is after the end"),
        ("2025-01-01...2025-02-01", "not understood"),
    ],
)
def test_parse_window_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_window(text)
    assert "first-year" in str(info.value) or message != "not understood"


def test_unknown_freq(golden_store: Store) -> None:
    with pytest.raises(InputError, match="frequency"):
        download_series(golden_store, freq="day")


def test_golden_files_are_small(golden_store: Store) -> None:
    for name in CASES:
        path: Path = GOLDEN / name
        assert path.stat().st_size < 40_000
        rows: list[dict[str, Any]] = json.loads(path.read_text())
        assert rows
