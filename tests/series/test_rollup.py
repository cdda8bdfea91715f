"""The derived ``facts``/``rollup`` tables and the roll-up by registry accounts, on a
synthetic Hub store: sums kept exactly, staleness tracked per partition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from weightwatch.engine import published_files
from weightwatch.orgs import OrgRecord, OrgRegistry, load_registry
from weightwatch.series.deltas import DELTAS_TABLE
from weightwatch.series.rollup import (
    FACTS_TABLE,
    ROLLUP_TABLE,
    ensure_registry_rollups,
    ensure_rollups,
    materialise_rollup,
    registry_rollup_table,
)
from weightwatch.store import Store
from weightwatch.synth.hub import generate_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    built = generate_store(
        tmp_path_factory.mktemp("synth") / "store", 800, 4, seed=3, start=date(2026, 1, 4)
    )
    ensure_rollups(built)
    return built


def _rows(store: Store, table: str) -> list[tuple]:
    files = published_files(store, table, store.snapshot_dates(table))
    listing = ", ".join(f"'{f}'" for f in files)
    return duckdb.sql(
        "SELECT interval_end, account_key, pipeline_tag, reupload, automated, downloads, rows, "
        f"unknown_intervals FROM read_parquet([{listing}])"
    ).fetchall()


def _sums(rows: list[tuple], known: set[str]) -> dict[tuple, tuple[int, int, int]]:
    """(interval_end, account or None, pipeline, reupload, automated) → summed figures."""
    out: dict[tuple, tuple[int, int, int]] = {}
    for end, account, tag, reup, auto, downloads, n, unknown in rows:
        key = (end, account if account in known else None, tag, reup, auto)
        d, r, u = out.get(key, (0, 0, 0))
        out[key] = (d + (downloads or 0), r + n, u + unknown)
    return out


def test_facts_hold_every_deltas_row(store: Store) -> None:
    for day in store.snapshot_dates():
        facts = store.manifest(day, FACTS_TABLE)
        assert facts.rows == store.manifest(day, DELTAS_TABLE).rows > 0
        assert isinstance(facts.extra["automated"], int)


def test_registry_rollup_keeps_the_sums_of_the_full_rollup(store: Store) -> None:
    registry = load_registry()
    known = {r.key for r in registry}
    table = ensure_registry_rollups(store, registry)
    assert table == registry_rollup_table(registry)
    full, compact = _rows(store, ROLLUP_TABLE), _rows(store, table)
    assert _sums(compact, known) == _sums(full, known)
    assert len(compact) < len(full)  # the long tail of accounts is summed into one key
    assert {a for _, a, *_ in compact} - {None} <= known
    assert any(a is None for _, a, *_ in compact)


def test_another_registry_gets_its_own_table(store: Store, tmp_path: Path) -> None:
    base = load_registry()
    tail = _rows(store, ROLLUP_TABLE)
    # an account of the long tail that the bundled registry does not know
    extra = next(a for _, a, *_ in tail if a not in {r.key for r in base})
    record = OrgRecord(
        account=extra,
        organisation="Extra Lab",
        country="KR",
        org_type="company",
        aliases=(),
        source="test",
        origin="test",
    )
    bigger = OrgRegistry([*base.records(), record], data_version="test", bundled_sha256="test")
    table = ensure_registry_rollups(store, bigger)
    assert table != registry_rollup_table(base)
    rows = _rows(store, table)
    assert any(a == extra for _, a, *_ in rows)
    assert _sums(rows, {r.key for r in bigger}) == _sums(tail, {r.key for r in bigger})


def test_registry_rollup_rebuilds_only_what_went_stale(store: Store) -> None:
    registry = load_registry()
    table = ensure_registry_rollups(store, registry)
    dates = store.snapshot_dates()
    before = {d: store.manifest(d, table).created_at for d in dates}
    assert ensure_registry_rollups(store, registry) == table  # nothing to do
    assert {d: store.manifest(d, table).created_at for d in dates} == before
    materialise_rollup(store, dates[1])  # the roll-up of one week published again
    ensure_registry_rollups(store, registry)
    after = {d: store.manifest(d, table).created_at for d in dates}
    assert [d for d in dates if after[d] != before[d]] == [dates[1]]
