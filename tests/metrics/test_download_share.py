"""download_share: invariants (hypothesis) on multi-snapshot stores, an independent SQL
recomputation over the raw snapshots, the two routes agreeing, the demo store."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from weightwatch.attribution import UNATTRIBUTED, UNKNOWN
from weightwatch.errors import MetricError, SnapshotNotFound
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import DownloadShareParams, any_values, resolve_counter
from weightwatch.metrics.frame import group_downloads
from weightwatch.orgs import load_registry
from weightwatch.store import Store
from weightwatch.testing.stores import build, model

REGISTRY = load_registry()
# CN, US, FR in the bundled registry; 0-hero is there with no country (unknown);
# the last two are not there at all (unattributed).
AUTHORS = ["Qwen", "qwen", "meta-llama", "mistralai", "0-hero", "someone", "another"]
START = date(2026, 1, 4)
# no shrinking: each example builds a store, and a failing one is small enough to read
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

# per model: author, and per snapshot the downloads gained (None: not listed that week)
gains = st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=3, max_size=3)
models_strategy = st.lists(st.tuples(st.sampled_from(AUTHORS), gains), min_size=1, max_size=25)


def _store(root: Path, spec, order: random.Random | None = None) -> Store:
    snapshots: dict[date, list[dict]] = {}
    for week in range(3):
        day = START + timedelta(days=7 * week)
        rows = []
        for i, (author, steps) in enumerate(spec):
            if steps[week] is None:
                continue
            total = sum(s or 0 for s in steps[: week + 1])
            # distinct creation times: no two models look like a rename of each other
            created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=i)
            rows.append(model(f"{author}/m{i}", total, created=created))
        if order is not None:
            order.shuffle(rows)
        snapshots[day] = rows
    return build(root, snapshots)


def _rows(store: Store, **params) -> list[dict]:
    ctx = MetricContext(store, REGISTRY)
    return get_or_raise("download_share").compute(ctx, DownloadShareParams(**params)).to_records()


def _sql_reference(store: Store) -> dict[tuple[date, str], int]:
    """The analysts' way, written independently: LAG over the raw snapshots, clamp at 0, a
    model's first listing counts whole; grouped by the registry's country."""
    if not list(store.root.glob("snapshot_date=*/*.parquet")):
        return {}
    con = duckdb.connect()
    con.register("reg", REGISTRY.to_arrow())
    # every published date, empty snapshots included (a model absent from one is gone)
    con.register("published", pa.table({"d": store.snapshot_dates()}))
    rows = con.execute(
        f"""
        WITH s AS (
            SELECT snapshot_date, model_id, author, downloads_all_time AS c,
                   lag(downloads_all_time) OVER (PARTITION BY model_id ORDER BY snapshot_date)
                       AS p,
                   lag(snapshot_date) OVER (PARTITION BY model_id ORDER BY snapshot_date) AS pd
            FROM read_parquet('{store.root}/snapshot_date=*/*.parquet', hive_partitioning = true)
        ), dates AS (
            SELECT d, lag(d) OVER (ORDER BY d) AS prev FROM published
        )
        SELECT s.snapshot_date,
               CASE WHEN r.account_key IS NULL THEN 'unattributed'
                    WHEN coalesce(r.country, '') = '' THEN 'unknown' ELSE r.country END,
               sum(CASE WHEN s.pd IS NOT NULL AND s.pd = dates.prev
                        THEN greatest(s.c - s.p, 0) ELSE s.c END)
        FROM s JOIN dates ON s.snapshot_date = dates.d
        LEFT JOIN reg r ON lower(s.author) = r.account_key
        GROUP BY ALL
        """
    ).fetchall()
    return {(d, g): int(v) for d, g, v in rows if v}


@SETTINGS
@given(models_strategy)
def test_weekly_shares_sum_to_one_and_match_plain_sql(tmp_path_factory, spec) -> None:
    store = _store(tmp_path_factory.mktemp("s"), spec)
    rows = _rows(store, freq="interval")
    expected = {k: v for k, v in _sql_reference(store).items()}
    got = {(r["period_end"], r["group"]): r["downloads"] for r in rows}
    assert got == expected
    for day in {r["period_end"] for r in rows}:
        period = [r for r in rows if r["period_end"] == day]
        if sum(r["downloads"] for r in period):
            assert sum(r["share"] for r in period) == pytest.approx(1.0, abs=1e-9)
            assert all(0.0 <= r["share"] <= 1.0 for r in period)
        else:
            assert all(r["share"] is None for r in period)


@SETTINGS
@given(models_strategy, st.randoms(use_true_random=False))
def test_independent_of_row_order_and_zero_groups(tmp_path_factory, spec, rnd) -> None:
    base = _rows(_store(tmp_path_factory.mktemp("a"), spec), freq="interval")
    shuffled = _rows(_store(tmp_path_factory.mktemp("b"), spec, order=rnd), freq="interval")
    assert base == shuffled
    with_zero = [*spec, ("brand-new-account", [0, 0, 0]), ("mistralai", [0, None, 0])]
    after = _rows(_store(tmp_path_factory.mktemp("c"), with_zero), freq="interval")
    key = {(r["period_end"], r["group"]): (r["downloads"], r["share"]) for r in after}
    for r in base:
        assert key[(r["period_end"], r["group"])] == (r["downloads"], r["share"])


@SETTINGS
@given(models_strategy, st.sampled_from(["country", "org", "org_type"]))
def test_rollup_route_equals_model_route(tmp_path_factory, spec, by) -> None:
    store = _store(tmp_path_factory.mktemp("r"), spec)
    ctx = MetricContext(store, REGISTRY)
    params = DownloadShareParams(group_by=by).resolved(store)
    fast = group_downloads(ctx, params, "week").to_pyarrow().to_pylist()
    slow = group_downloads(ctx, params, "week", route="model").to_pyarrow().to_pylist()

    def key(r: dict) -> tuple:
        return (str(r["period_start"]), str(r["period_end"]), r["group"])

    assert sorted(fast, key=key) == sorted(slow, key=key)


def test_labels_case_insensitive_accounts_and_windows(tmp_path) -> None:
    spec = [
        ("Qwen", [10, 1, 2]),
        ("qwen", [5, 5, 5]),
        ("0-hero", [3, 0, 0]),
        ("someone", [2, 2, 2]),
    ]
    store = _store(tmp_path / "s", spec)
    total = {r["group"]: r["downloads"] for r in _rows(store)}
    assert total == {"CN": 28, UNKNOWN: 3, UNATTRIBUTED: 6}  # accounts are case-insensitive
    last_week = {r["group"]: r["downloads"] for r in _rows(store, window="7d")}
    assert last_week == {"CN": 7, UNATTRIBUTED: 2}  # groups with nothing are left out
    monthly = _rows(store, freq="month")
    # the first snapshot's counters (before the store existed) are their own period
    assert {(r["period_start"], r["period_end"]) for r in monthly} == {
        (None, START),
        (date(2026, 1, 1), date(2026, 1, 31)),
    }


def test_demo_store_falls_back_to_30d_and_matches_plain_sql(demo_store: Store) -> None:
    ctx = MetricContext(demo_store, REGISTRY)
    result = get_or_raise("download_share").compute(ctx, DownloadShareParams())
    got = {r["group"]: r["downloads"] for r in result.to_records()}
    con = duckdb.connect()
    con.register("reg", REGISTRY.to_arrow())
    expected = dict(
        con.execute(
            f"""
            SELECT CASE WHEN r.account_key IS NULL THEN 'unattributed'
                        WHEN coalesce(r.country, '') = '' THEN 'unknown'
                        ELSE r.country END, sum(coalesce(m.downloads_30d, 0))::BIGINT
            FROM read_parquet('{demo_store.root}/*/*.parquet', hive_partitioning = true) m
            LEFT JOIN reg r ON lower(m.author) = r.account_key GROUP BY 1
            """
        ).fetchall()
    )
    assert got == expected
    assert sum(got.values()) == 1_153_768_795  # every download of the real file, none dropped
    assert result.params["counter"] == "30d" and result.params["as_of"] == "2026-05-04"
    assert result.params["attribution"] == "uploader" and result.params["group_by"] == "country"
    snap = result.provenance["snapshots"][0]
    assert snap["snapshot_date"] == "2026-05-04" and snap["rows"] == 1000
    assert snap["inputs"][0]["name"] == "hub-trending-2026-05-04.json.gz"
    assert result.provenance["registry"]["version"] == REGISTRY.version


def test_bad_conventions_are_refused(demo_store: Store) -> None:
    ctx = MetricContext(demo_store, REGISTRY)
    share = get_or_raise("download_share")
    with pytest.raises(MetricError, match="takes no --window"):
        share.compute(ctx, DownloadShareParams(counter="30d", window="30d"))
    with pytest.raises(SnapshotNotFound, match="no snapshot on or before 2020-01-01"):
        share.compute(ctx, DownloadShareParams(as_of=date(2020, 1, 1)))
    with pytest.raises(ValueError, match="window"):
        DownloadShareParams(window="last week")
    with pytest.raises(MetricError, match=r"known metrics: .*download_share"):
        get_or_raise("downloads_share")


def test_counter_check_reads_footers_and_falls_back_to_the_data(tmp_path: Path) -> None:
    nested = pa.table(
        {
            "model_id": ["a/x", "b/y", "c/z"],
            "tags": [["t"], [], None],
            "downloads_all_time": pa.array([None, None, None], pa.int64()),
        }
    )
    none = tmp_path / "none.parquet"
    pq.write_table(nested, none, row_group_size=2)
    assert any_values([str(none)], "downloads_all_time") is False
    assert any_values([str(none)], "not_a_column") is False
    some = tmp_path / "some.parquet"
    pq.write_table(nested.set_column(2, "downloads_all_time", pa.array([None, None, 5])), some,
                   row_group_size=2)  # fmt: skip
    assert any_values([str(none), str(some)], "downloads_all_time") is True
    bare = tmp_path / "bare.parquet"
    pq.write_table(nested, bare, write_statistics=False)
    assert any_values([str(bare)], "downloads_all_time") is None


def test_counter_auto_without_statistics_asks_the_data(tmp_path: Path) -> None:
    spec = [("Qwen", [10, 20, 30]), ("meta-llama", [5, None, 9])]
    with_stats = _store(tmp_path / "a", spec)
    ctx = MetricContext(with_stats, REGISTRY)
    auto = resolve_counter(ctx, DownloadShareParams().resolved(with_stats))
    assert auto.counter == "deltas"
    # rewrite every snapshot file without statistics: the same answer, from the data
    for path in (with_stats.root).glob("snapshot_date=*/*.parquet"):
        pq.write_table(pq.read_table(path), path, write_statistics=False)
    files = [str(p) for p in with_stats.root.glob("snapshot_date=*/*.parquet")]
    assert any_values(files, "downloads_all_time") is None
    again = resolve_counter(
        MetricContext(with_stats, REGISTRY), DownloadShareParams().resolved(with_stats)
    )
    assert again.counter == "deltas"


def test_ids_differing_only_in_case_count_once_under_lineage_attribution(
    tmp_path: Path,
) -> None:
    """A dump listing ``someone/Tune`` and ``someone/tune`` side by side (the Hub forbids
    it) gives two lineage nodes with one lower-cased key: each model is still counted
    once (the lineage build resolves them as one key, so both follow one of the two
    declared bases)."""
    days = [date(2026, 1, 4) + timedelta(days=7 * i) for i in range(3)]
    bases = {
        "someone/Tune": [{"relation": "finetune", "model_id": "Qwen/Qwen3-8B"}],
        "someone/tune": [{"relation": "finetune", "model_id": "meta-llama/Llama-3.1-8B"}],
    }
    counters = {
        "Qwen/Qwen3-8B": [100, 300, 600],
        "meta-llama/Llama-3.1-8B": [50, 80, 120],
        "someone/Tune": [10, 40, 90],
        "someone/tune": [5, 25, 55],
    }
    snapshots = {
        day: [
            model(mid, counts[i], base_models=bases.get(mid), created="2025-06-01T00:00:00")
            for mid, counts in counters.items()
        ]
        for i, day in enumerate(days)
    }
    store = build(tmp_path / "store", snapshots)
    everything = sum(c[-1] for c in counters.values())
    uploader = _rows(store)
    assert sum(r["downloads"] for r in uploader) == everything
    for attribution in ("developer", "family"):
        rows = {r["group"]: r["downloads"] for r in _rows(store, attribution=attribution)}
        assert sum(rows.values()) == everything, attribution
        assert rows in ({"CN": 600 + 90 + 55, "US": 120}, {"CN": 600, "US": 120 + 90 + 55})
    families = _rows(store, attribution="developer", group_by="family")
    assert sum(r["downloads"] for r in families) == everything
