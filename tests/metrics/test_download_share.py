"""download_share: invariants (hypothesis), an independent SQL recomputation, conventions."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.attribution import UNATTRIBUTED, UNKNOWN
from weightwatch.errors import MetricError, SnapshotNotFound
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import DownloadShareParams, share_table
from weightwatch.orgs import load_registry
from weightwatch.store import Store

REGISTRY = pa.table(
    {
        "account_key": ["qwen", "meta-llama", "mistralai", "bartowski"],
        "account": ["Qwen", "meta-llama", "mistralai", "bartowski"],
        "organisation": ["Alibaba Qwen", "Meta", "Mistral AI", "bartowski"],
        "country": ["CN", "US", "FR", None],
        "org_type": ["company", "company", "company", "individual"],
        "source": ["test"] * 4,
    }
)
AUTHORS = ["Qwen", "qwen", "meta-llama", "mistralai", "bartowski", "someone", "another", None]

models_strategy = st.lists(
    st.tuples(
        st.sampled_from(AUTHORS),
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)),
    ),
    min_size=1,
    max_size=40,
)


def _models(rows: list[tuple[str | None, int | None]]) -> ibis.Table:
    return ibis.memtable(
        pa.table(
            {
                "model_id": [f"m/{i}" for i in range(len(rows))],
                "author": pa.array([a for a, _ in rows], pa.string()),
                "downloads_30d": pa.array([d for _, d in rows], pa.int64()),
                "downloads_all_time": pa.array([None] * len(rows), pa.int64()),
            }
        )
    )


def _share(rows: list[tuple[str | None, int | None]], by: str = "country") -> dict[str, tuple]:
    out = share_table(_models(rows), ibis.memtable(REGISTRY), by, "30d").to_pyarrow().to_pylist()
    return {r["group"]: (r["downloads"], r["share"], r["models"]) for r in out}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_strategy, st.sampled_from(["country", "org", "org_type"]))
def test_shares_sum_to_one_and_nothing_is_dropped(rows, by) -> None:
    result = _share(rows, by)
    total = sum(d or 0 for _, d in rows)
    assert sum(d for d, _, _ in result.values()) == total
    assert sum(m for _, _, m in result.values()) == len(rows)
    if total > 0:
        assert sum(s for _, s, _ in result.values()) == pytest.approx(1.0, abs=1e-9)
        assert all(0.0 <= s <= 1.0 for _, s, _ in result.values())
    else:
        assert all(s is None for _, s, _ in result.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_strategy, st.randoms(use_true_random=False))
def test_independent_of_row_order(rows, rnd: random.Random) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert _share(rows) == _share(shuffled)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models_strategy)
def test_adding_zero_download_models_changes_no_share(rows) -> None:
    before = _share(rows)
    after = _share([*rows, ("brand-new-account", 0), ("mistralai", 0)])
    for group, (downloads, share, _) in before.items():
        assert after[group][0] == downloads and after[group][1] == share


def test_labels_and_case_insensitive_accounts() -> None:
    result = _share([("Qwen", 10), ("qwen", 5), ("bartowski", 3), ("someone", 2), (None, 0)])
    assert result["CN"][0] == 15  # the Hub's accounts are case-insensitive
    assert result[UNKNOWN][0] == 3  # in the registry, country not stated
    assert result[UNATTRIBUTED][0] == 2 and result[UNATTRIBUTED][2] == 2


def _sql_reference(store: Store, registry_rows: pa.Table, when: date) -> dict[str, int]:
    """Plain DuckDB SQL over the raw Parquet, written independently of the Ibis code."""
    con = duckdb.connect()
    con.register("reg", registry_rows)
    rows = con.execute(
        f"""
        SELECT CASE WHEN r.account_key IS NULL THEN 'unattributed'
                    WHEN r.country IS NULL OR r.country = '' THEN 'unknown'
                    ELSE r.country END AS grp,
               sum(coalesce(m.downloads_30d, 0))
        FROM read_parquet('{store.root}/*/*.parquet', hive_partitioning = true) m
        LEFT JOIN reg r ON lower(m.author) = r.account_key
        WHERE m.snapshot_date = DATE '{when.isoformat()}'
        GROUP BY 1
        """
    ).fetchall()
    return {group: int(total) for group, total in rows}


def test_demo_store_matches_plain_sql_and_carries_provenance(demo_store: Store) -> None:
    registry = load_registry()
    ctx = MetricContext(demo_store, registry)
    result = get_or_raise("download_share").compute(ctx, DownloadShareParams())
    got = {r["group"]: r["downloads"] for r in result.to_records()}
    assert got == _sql_reference(demo_store, registry.to_arrow(), date(2026, 5, 4))
    assert sum(got.values()) == 1_153_768_795  # every download of the real file, none dropped
    assert got["CN"] > 0 and got["US"] > 0
    assert result.params == {
        "by": "country",
        "counter": "30d",
        "attribution": "uploader",
        "snapshot_date": "2026-05-04",
    }
    snap = result.provenance["snapshots"][0]
    assert snap["snapshot_date"] == "2026-05-04" and snap["rows"] == 1000
    assert snap["inputs"][0]["name"] == "hub-trending-2026-05-04.json.gz"
    assert result.provenance["registry"]["version"] == registry.version


def test_all_time_counter_refused_when_snapshot_lacks_it(demo_store: Store) -> None:
    ctx = MetricContext(demo_store, load_registry())
    with pytest.raises(MetricError, match="no downloads_all_time"):
        get_or_raise("download_share").compute(ctx, DownloadShareParams(counter="all-time"))


def test_unknown_snapshot_and_metric(demo_store: Store) -> None:
    ctx = MetricContext(demo_store, load_registry())
    with pytest.raises(SnapshotNotFound, match="have: 2026-05-04"):
        get_or_raise("download_share").compute(
            ctx, DownloadShareParams(snapshot_date=date(2020, 1, 1))
        )
    with pytest.raises(MetricError, match=r"known metrics: .*download_share"):
        get_or_raise("downloads_share")
