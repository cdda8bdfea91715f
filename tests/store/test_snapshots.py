import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from weightwatch.errors import SnapshotExists, SnapshotNotFound, StoreError
from weightwatch.ingest import ingest_listing
from weightwatch.store import Store

D1 = date(2026, 5, 4)
D2 = date(2026, 5, 11)


def _counts_duckdb(
    store: Store, patterns: tuple[str, ...] = ("**/*.parquet", "*/*.parquet")
) -> dict[str, int]:
    """Counts per date as DuckDB sees them, with both usual globs (they must agree)."""
    seen = []
    for pattern in patterns:
        rows = duckdb.sql(
            f"SELECT snapshot_date::VARCHAR, count(*) FROM read_parquet('{store.root}/{pattern}', "
            "hive_partitioning = true) GROUP BY 1 ORDER BY 1"
        ).fetchall()
        seen.append(dict(rows))
    assert all(counts == seen[0] for counts in seen)
    return seen[0]


def _counts_arrow(store: Store) -> dict[str, int]:
    table = ds.dataset(store.root, format="parquet", partitioning="hive").to_table(
        columns=["snapshot_date"]
    )
    counts: dict[str, int] = {}
    for value in table.column("snapshot_date").to_pylist():
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


@pytest.fixture
def store(tmp_path: Path, hub_api_file: Path) -> Store:
    created = Store.create(tmp_path / "store")
    ingest_listing(hub_api_file, created, D1)
    return created


def test_readers_see_exactly_published_snapshots_even_mid_write(
    store: Store, trending_file: Path
) -> None:
    assert _counts_duckdb(store) == {"2026-05-04": 4}
    with store.writer(D2, source="test") as writer:
        # a second snapshot is half-written in .staging: no reader may see it yet
        ingest_table = ds.dataset(store.root / "snapshot_date=2026-05-04").to_table()
        writer.write_batch(ingest_table)
        assert _counts_duckdb(store) == {"2026-05-04": 4}
        assert _counts_arrow(store) == {"2026-05-04": 4}
        assert any(store._aside("staging").iterdir())
    assert _counts_duckdb(store) == {"2026-05-04": 4, "2026-05-11": 4}
    assert _counts_arrow(store) == {"2026-05-04": 4, "2026-05-11": 4}
    assert not store._aside("staging").exists()  # removed once empty
    assert store.verify() == []


def test_failure_mid_write_leaves_store_unchanged(store: Store, trending_file: Path) -> None:
    before = sorted(
        p.relative_to(store.root) for p in store.root.rglob("*") if ".lock" not in str(p)
    )
    with pytest.raises(RuntimeError), store.writer(D1, source="test", replace=True) as writer:
        writer.write_batch(ds.dataset(store.root / "snapshot_date=2026-05-04").to_table())
        raise RuntimeError("disk full")
    after = sorted(
        p.relative_to(store.root) for p in store.root.rglob("*") if ".lock" not in str(p)
    )
    assert after == before
    assert _counts_duckdb(store) == {"2026-05-04": 4}
    assert store.verify() == []


def test_same_date_needs_replace(store: Store, trending_file: Path) -> None:
    with pytest.raises(SnapshotExists, match="--replace"):
        ingest_listing(trending_file, store, D1)
    assert _counts_duckdb(store) == {"2026-05-04": 4}
    ingest_listing(trending_file, store, D1, replace=True)
    assert _counts_duckdb(store) == {"2026-05-04": 1000}
    assert store.manifest(D1).source == "hub-scraper"


_CRASH_AT_PUBLISH = """
import os, sys
from datetime import date
from pathlib import Path
from weightwatch.ingest import ingest_listing
from weightwatch.store import Store

real_rename = os.rename
calls = []

def dying_rename(src, dst):
    calls.append((src, dst))
    if len(calls) == int(sys.argv[3]):
        os._exit(9)          # the process dies here: no cleanup, no finally blocks
    return real_rename(src, dst)

os.rename = dying_rename
ingest_listing(Path(sys.argv[2]), Store.open(sys.argv[1]), date(2026, 5, 4), replace=True)
"""


@pytest.mark.parametrize("die_at_rename", [1, 2], ids=["before-old-moved", "between-renames"])
def test_hard_crash_during_replace_is_recovered(
    store: Store, trending_file: Path, die_at_rename: int
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASH_AT_PUBLISH,
            str(store.root),
            str(trending_file),
            str(die_at_rename),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 9, proc.stderr
    reopened = Store.open(store.root)  # recovery runs on open
    assert _counts_duckdb(reopened) == {"2026-05-04": 4}
    assert reopened.verify() == []
    staging = reopened._aside("staging")
    assert not staging.exists() or not any(staging.iterdir())
    leftovers = reopened._aside("trash")
    assert not leftovers.exists() or not any(leftovers.iterdir())


def test_verify_detects_tampering_and_strays(store: Store) -> None:
    part = next((store.root / "snapshot_date=2026-05-04").glob("*.parquet"))
    with part.open("ab") as handle:
        handle.write(b"x")
    (store.root / "snapshot_date=2026-05-04" / "extra.parquet").write_bytes(b"PAR1")
    (store.root / "notes.txt").write_text("hi")
    problems = store.verify()
    assert any("checksum differs" in p for p in problems)
    assert any("extra.parquet: data file not listed" in p for p in problems)
    assert any("notes.txt: unexpected entry" in p for p in problems)


def test_verify_detects_missing_manifest(store: Store) -> None:
    os.remove(store.root / "snapshot_date=2026-05-04" / "_manifest.json")
    assert any("no _manifest.json" in p for p in store.verify())


def test_open_refuses_non_store_and_create_refuses_non_empty(tmp_path: Path) -> None:
    with pytest.raises(SnapshotNotFound, match="not a weightwatch store"):
        Store.open(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(StoreError, match="not a weightwatch store"):
        Store.create(tmp_path)


def test_missing_snapshot_names_the_dates_we_have(store: Store) -> None:
    with pytest.raises(SnapshotNotFound, match="have: 2026-05-04"):
        store.manifest(D2)


def test_derived_tables_are_published_apart_and_verified(store: Store) -> None:
    import pyarrow as pa

    deltas = pa.table({"model_id": ["Qwen/Qwen3-8B"], "downloads": pa.array([5], pa.int64())})
    with store.writer(D1, source="deltas", table="deltas") as writer:
        writer.write_batch(deltas)
    assert store.tables() == ["deltas"]
    assert store.snapshot_dates("deltas") == [D1]
    assert (store.root / "_tables" / "deltas" / "snapshot_date=2026-05-04").is_dir()
    # snapshot readers don't see it (a DuckDB `**` glob would: documented in the README)
    assert _counts_duckdb(store, ("*/*.parquet", "snapshot_date=*/*.parquet")) == {"2026-05-04": 4}
    assert _counts_arrow(store) == {"2026-05-04": 4}
    assert store.verify() == []
    with (
        pytest.raises(SnapshotExists, match="deltas partition"),
        store.writer(D1, source="deltas", table="deltas"),
    ):
        pass
    part = next((store.table_root("deltas") / "snapshot_date=2026-05-04").glob("*.parquet"))
    part.write_bytes(part.read_bytes() + b"x")
    assert any("checksum differs" in p for p in store.verify())
