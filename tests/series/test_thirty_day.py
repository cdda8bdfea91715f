"""30-day counts: the forecast-CSV reader on the real data, and the non-overlapping estimate."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from series_helpers import Rows, model

from weightwatch.errors import InputError, ParseError
from weightwatch.series.thirty_day import (
    SERIES_SCHEMA,
    WINDOW_DAYS,
    estimate_first_year,
    estimate_from_snapshots,
    estimate_window,
    plan_window_ends,
    read_cumulative_30d_csv,
)
from weightwatch.store import Store

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
MakeStore = Callable[[Mapping[date, Rows]], Store]


@pytest.fixture(scope="module")
def forecast_dir(shared_data: Path) -> Path:
    return shared_data / "hf-downloads-forecast" / "download"


@pytest.fixture(scope="module")
def meta(forecast_dir: Path) -> pa.Table:
    return read_cumulative_30d_csv(forecast_dir / "Meta.csv")


def counts(table: pa.Table, name: str) -> dict[date, int | None]:
    rows = table.filter(pc.equal(table.column("model"), name)).to_pylist()
    return {r["day"]: r["downloads_30d"] for r in rows}


def test_llama_30_day_series_recovered(meta: pa.Table) -> None:
    assert meta.schema.equals(SERIES_SCHEMA)
    series = counts(meta, LLAMA)
    assert len(series) == 232 and min(series) == date(2024, 7, 2)
    assert max(series) == date(2025, 2, 18)
    # leading zeros are fill values, not zeros: tracking starts on 2024-09-26
    assert all(v is None for d, v in series.items() if d < date(2024, 9, 26))
    assert series[date(2024, 9, 26)] == 3_144_344  # the first cell itself
    february = [v for d, v in series.items() if d >= date(2025, 2, 1)]
    assert all(v is not None and 5_500_000 < v < 6_500_000 for v in february)
    assert series[date(2025, 2, 18)] == 6_044_506
    # the cumulative cell was Σ of these counts: 709,848,441 on the last day
    assert sum(v for v in series.values() if v is not None) == 709_848_441


def test_doubled_first_day_and_skipped_days(meta: pa.Table, forecast_dir: Path) -> None:
    small = counts(meta, "meta-llama/Llama-3.2-1B")  # cells 204, 408, 11533: 204 doubled
    assert small[date(2024, 9, 26)] == 204
    assert small[date(2024, 9, 27)] is None
    assert small[date(2024, 9, 28)] == 11_125
    baai = read_cumulative_30d_csv(forecast_dir / "BAAI.csv")
    skipped = counts(baai, "BAAI/Infinity-Instruct-3M-0625-Llama3-8B")
    assert skipped[date(2024, 10, 11)] is None  # zero step between positive ones
    assert skipped[date(2024, 10, 10)] == 4515 and skipped[date(2024, 10, 12)] == 4716


def test_all_files_read(forecast_dir: Path) -> None:
    tables = [read_cumulative_30d_csv(p) for p in sorted(forecast_dir.glob("*.csv"))]
    combined = pa.concat_tables(tables)
    assert pc.count_distinct(combined.column("model")).as_py() == 115
    assert pc.min(combined.column("downloads_30d")).as_py() >= 0


def test_estimate_never_sums_overlapping_windows(meta: pa.Table) -> None:
    start, end = date(2024, 7, 2), date(2025, 2, 18)
    ends = plan_window_ends(start, end)
    assert ends[0] == end and all(a - b == timedelta(days=30) for a, b in itertools.pairwise(ends))
    assert ends[-1] - timedelta(days=WINDOW_DAYS - 1) >= start
    rows = {r["model"]: r for r in estimate_window(meta, start, end).to_pylist()}
    llama = rows[LLAMA]
    series = counts(meta, LLAMA)
    expected = [series[e] for e in ends if series[e] is not None]
    assert llama["estimate"] == sum(expected) and llama["windows"] == len(expected) == 5
    # the naive sum of daily 30-day counts counts each download ~30 times
    naive = sum(v for v in series.values() if v is not None)
    assert naive > 25 * llama["estimate"]
    # coverage: 5 windows of 30 days over the days since creation (2024-07-18)
    assert llama["days_observed"] == 150 and llama["days_in_span"] == 216
    assert llama["coverage"] == pytest.approx(150 / 216, abs=1e-4)
    assert all(0 <= r["coverage"] <= 1 for r in rows.values())


def test_estimate_creation_inside_window() -> None:
    series = pa.Table.from_pylist(
        [
            {"model": "a/x", "day": date(2025, 1, 1) + timedelta(days=i), "downloads_30d": 100}
            for i in range(90)
        ],
        schema=SERIES_SCHEMA,
    )
    series = series.set_column(
        3, "created_at", pa.array([None] * 90, SERIES_SCHEMA.field("created_at").type)
    )
    row = estimate_window(series, date(2025, 1, 1), date(2025, 3, 31)).to_pylist()[0]
    assert (row["estimate"], row["windows"], row["days_observed"]) == (300, 3, 90)
    assert row["coverage"] == 1.0
    # a span not a multiple of 30 days leaves its first days unobserved
    row = estimate_window(series, date(2025, 1, 1), date(2025, 3, 25)).to_pylist()[0]
    assert (row["windows"], row["days_observed"], row["days_in_span"]) == (2, 60, 84)


def test_first_year_estimate(meta: pa.Table) -> None:
    rows = {r["model"]: r for r in estimate_first_year(meta).to_pylist()}
    llama = rows[LLAMA]
    assert llama["span_start"] == date(2024, 7, 18) and llama["span_end"] == date(2025, 7, 17)
    assert llama["days_in_span"] == 365 and llama["coverage"] < 0.5  # the file ends in Feb


def test_estimate_from_sparse_snapshots(make_store: MakeStore) -> None:
    days = [date(2026, 1, 1), date(2026, 1, 20), date(2026, 2, 15), date(2026, 3, 31)]
    store = make_store(
        {
            d: [model("a/x", None, d30=100 * (k + 1)), model("b/y", None, d30=None)]
            for k, d in enumerate(days)
        }
    )
    rows = {r["model"]: r for r in estimate_from_snapshots(store, days[0], days[-1]).to_pylist()}
    # windows end 03-31 (back to 03-02), then the latest snapshot ≤ 03-01: 02-15
    # (back to 01-17); 01-20 would overlap it and 01-01 starts before the span
    assert rows["a/x"]["estimate"] == 400 + 300 and rows["a/x"]["windows"] == 2
    assert rows["a/x"]["days_observed"] == 60 and rows["a/x"]["days_in_span"] == 90
    assert rows["b/y"]["estimate"] is None and rows["b/y"]["coverage"] == 0.0
    with pytest.raises(InputError):
        estimate_from_snapshots(store, days[-1], days[0])


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 1, 1)),
    st.integers(min_value=0, max_value=400),
    st.one_of(st.none(), st.lists(st.integers(min_value=-40, max_value=440), max_size=30)),
)
def test_plan_windows_never_overlap(start: date, length: int, offsets: list[int] | None) -> None:
    end = start + timedelta(days=length)
    available = None if offsets is None else [start + timedelta(days=o) for o in offsets]
    ends = plan_window_ends(start, end, available)
    spans = [(e - timedelta(days=WINDOW_DAYS - 1), e) for e in ends]
    assert all(start <= a and b <= end for a, b in spans)
    assert all(later[0] > earlier[1] for later, earlier in itertools.pairwise(spans))
    if available is None:
        assert len(ends) == (length + 1) // WINDOW_DAYS
    else:
        assert set(ends) <= set(available)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty file"),
        ("id,2024-01-01,created_at\n", "expected columns"),
        ("model,day-one,created_at\n", "not a date"),
        ("model,2024-01-01 00:00:00,created_at\na/x,1.0\n", "2 fields"),
        ("model,2024-01-01 00:00:00,created_at\na/x,lots,2024-01-01\n", "not a number"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ParseError, match=error):
        read_cumulative_30d_csv(path)
    with pytest.raises(InputError, match="no such file"):
        read_cumulative_30d_csv(tmp_path / "missing.csv")
