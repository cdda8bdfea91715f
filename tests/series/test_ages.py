"""The derived ``ages`` table: exactly the rows near the standard ages, by UTC creation
date, and only missing or stale partitions rebuilt."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pyarrow.parquet as pq
import pytest

from weightwatch.engine import published_files
from weightwatch.series import ages
from weightwatch.series.ages import AGES_SCHEMA, AGES_TABLE, ensure_ages
from weightwatch.store import Store
from weightwatch.testing.stores import Rows, model, write_snapshot

D1, D2, D3 = date(2026, 1, 4), date(2026, 1, 11), date(2026, 2, 1)
#: 01:00 at UTC+2 is 23:00 UTC the day before: the table must use the UTC date
EAST = datetime(2025, 12, 5, 1, 0, tzinfo=timezone(timedelta(hours=2)))

MakeStore = Callable[[Mapping[date, Rows]], Store]


def snapshot(day: date, thirty: int = 0) -> Rows:
    """The models listed on ``day`` (D1, D2 or D3); ``thirty`` is added to one counter."""
    k = [D1, D2, D3].index(day)
    rows = [
        model("Lab/Thirty", [100, 150, 400][k] + thirty, created="2025-12-05T23:30:00"),
        model("lab/east", [10, 20, 30][k], created=EAST),
        model("lab/young", [1, 2, 3][k], created="2025-12-06T00:00:00"),
        model("lab/edge", [5, 6, 7][k], created="2025-11-21T12:00:00"),
        model("lab/past-edge", [8, 9, 10][k], created="2025-11-20T12:00:00"),
        model("lab/no-counter", None, created="2025-12-05T00:00:00"),
        model("lab/no-date", 50, created=None),
        model("lab/ninety", [1000, 1100, 1500][k], created="2025-10-06T08:00:00"),
        model("lab/year", [7000, 7100, 7500][k], created="2025-01-04T00:00:00"),
        model("lab/old", [9, 9, 9][k], created="2020-01-01T00:00:00"),
        model("lab/half-year", [200, 210, 220][k], created="2025-08-01T00:00:00"),
    ]
    if day != D1:
        rows.append(model("lab/late", [0, 40, 90][k], created="2025-12-25T00:00:00"))
    return rows


def table_rows(store: Store, day: date) -> list[tuple[Any, ...]]:
    files = published_files(store, AGES_TABLE, [day])
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    return sorted(tuple(r[c] for c in AGES_SCHEMA.names) for r in rows)


def made_at(store: Store) -> dict[date, datetime]:
    return {d: store.manifest(d, AGES_TABLE).created_at for d in store.snapshot_dates()}


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    return make_store({day: snapshot(day) for day in (D1, D2, D3)})


def test_the_table_holds_the_models_near_a_standard_age(store: Store) -> None:
    assert ensure_ages(store) == [D1, D2, D3]
    # ages 29 and 45 are outside [30, 44]; no counter or no creation time: left out
    assert table_rows(store, D1) == [
        ("lab/east", "lab/east", date(2025, 12, 4), 31, 10),
        ("lab/edge", "lab/edge", date(2025, 11, 21), 44, 5),
        ("lab/ninety", "lab/ninety", date(2025, 10, 6), 90, 1000),
        ("lab/thirty", "Lab/Thirty", date(2025, 12, 5), 30, 100),
        ("lab/year", "lab/year", date(2025, 1, 4), 365, 7000),
    ]
    assert table_rows(store, D2) == [
        ("lab/east", "lab/east", date(2025, 12, 4), 38, 20),
        ("lab/ninety", "lab/ninety", date(2025, 10, 6), 97, 1100),
        ("lab/thirty", "Lab/Thirty", date(2025, 12, 5), 37, 150),
        ("lab/year", "lab/year", date(2025, 1, 4), 372, 7100),
        ("lab/young", "lab/young", date(2025, 12, 6), 36, 2),
    ]
    assert table_rows(store, D3) == [
        ("lab/half-year", "lab/half-year", date(2025, 8, 1), 184, 220),
        ("lab/late", "lab/late", date(2025, 12, 25), 38, 90),
    ]
    for path in published_files(store, AGES_TABLE):
        schema = pq.read_schema(path)
        assert [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in AGES_SCHEMA]


def test_a_creation_before_1970_gets_its_utc_day(make_store: MakeStore) -> None:
    """Days are rounded down: 23:00 on 1969-12-31 is that day, not 1970-01-01."""
    created = datetime(1969, 12, 31, 23, 0, tzinfo=UTC)
    store = make_store({date(1970, 2, 1): [model("old/m", 3, created=created)]})
    ensure_ages(store)
    assert table_rows(store, date(1970, 2, 1)) == [("old/m", "old/m", date(1969, 12, 31), 32, 3)]


def test_a_replaced_snapshot_rebuilds_only_its_partition(store: Store) -> None:
    ensure_ages(store)
    before = made_at(store)
    assert ensure_ages(store) == []  # nothing to do, nothing written
    assert made_at(store) == before
    write_snapshot(store, D2, snapshot(D2, thirty=5), replace=True)
    assert ensure_ages(store) == [D2]
    after = made_at(store)
    assert [d for d in after if after[d] != before[d]] == [D2]
    assert ("lab/thirty", "Lab/Thirty", date(2025, 12, 5), 37, 155) in table_rows(store, D2)
    assert ensure_ages(store) == []
    assert made_at(store) == after


def test_other_ages_make_every_partition_stale(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_ages(store)
    monkeypatch.setattr(ages, "AGES_MAX_LAG", 7)
    assert ages.stale_ages(store) == [D1, D2, D3]
