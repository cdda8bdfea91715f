"""The synthetic Hub store: deterministic, a real store with deltas, and Hub-shaped."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.errors import InputError, StoreError
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.orgs import load_registry
from weightwatch.series.deltas import DELTAS_TABLE
from weightwatch.store import Store, partition_name
from weightwatch.synth.hub import generate_store

MODELS = 30_000
SNAPSHOTS = 5
START = date(2025, 3, 2)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    steps: list[tuple[int, int]] = []
    root = tmp_path_factory.mktemp("synth-hub") / "store"
    made = generate_store(
        root, MODELS, SNAPSHOTS, seed=11, start=START, progress=lambda d, t: steps.append((d, t))
    )
    assert steps[-1] == (SNAPSHOTS, SNAPSHOTS)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    return made


def _table(store: Store, day: date, table: str = "snapshots") -> pa.Table:
    directory = store.table_root(table) / partition_name(day)
    files = [directory / f.name for f in store.manifest(day, table).files]
    return pa.concat_tables([pq.read_table(f) for f in files])


def _last(store: Store) -> pa.Table:
    return _table(store, store.latest())


def _deltas(store: Store) -> pa.Table:
    parts = [_table(store, d, DELTAS_TABLE) for d in store.snapshot_dates()]
    return pa.concat_tables(parts, promote_options="permissive")


def _checksums(root: Path) -> list[tuple[str, str]]:
    store = Store.open(root)
    return [(f"{m.snapshot_date}/{f.name}", f.sha256) for m in store.manifests() for f in m.files]


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_store(tmp_path / name, 4_000, 2, seed=seed)
    same = _checksums(tmp_path / "a")
    assert len(same) >= 2
    assert same == _checksums(tmp_path / "b")  # byte-identical snapshot files
    assert same != _checksums(tmp_path / "c")


def test_a_store_of_weekly_snapshots(store: Store) -> None:
    reopened = Store.open(store.root)
    days = reopened.snapshot_dates()
    assert days == [START + timedelta(days=7 * k) for k in range(SNAPSHOTS)]
    assert reopened.verify() == []
    rows = [m.rows for m in reopened.manifests()]
    assert rows == sorted(rows)  # the Hub grows
    assert abs(rows[-1] - MODELS) < 0.05 * MODELS
    last = _last(reopened)
    assert last.schema.equals(FILE_SCHEMA, check_metadata=False)
    assert pc.count_distinct(last["model_id"]).as_py() == last.num_rows
    assert set(last["source"].to_pylist()) == {"synth"}


def test_deltas_for_every_snapshot(store: Store) -> None:
    assert store.snapshot_dates(DELTAS_TABLE) == store.snapshot_dates()
    deltas = _deltas(store)
    downloads = deltas["downloads"]
    assert downloads.null_count == 0
    assert pc.min(downloads).as_py() >= 0
    later = deltas.filter(pc.is_valid(deltas["interval_start"]))
    flags = {
        name: pc.sum(later[name].cast(pa.int64())).as_py()
        for name in ("first_seen", "vanished", "counter_decreased", "created_before_interval")
    }
    assert all(count > 0 for count in flags.values()), flags
    renamed = pc.drop_null(later["renamed_from"])
    assert len(renamed) > 0  # paired renames: same created_at, counter carried over
    # a few bots: one interval's downloads far above the model's 30-day level
    assert pc.max(later["downloads"]).as_py() > 1_000_000


def test_counters_grow_consistently(store: Store) -> None:
    days = store.snapshot_dates()
    before, after = _table(store, days[-2]), _table(store, days[-1])
    for table in (before, after):
        assert pc.all(pc.greater_equal(table["downloads_all_time"], table["downloads_30d"])).as_py()
    joined = before.select(["model_id", "downloads_all_time"]).join(
        after.select(["model_id", "downloads_all_time"]),
        "model_id",
        right_suffix="_after",
        join_type="inner",
    )
    gained = pc.subtract(joined["downloads_all_time_after"], joined["downloads_all_time"])
    gained_np = gained.to_numpy()
    assert (gained_np < 0).mean() < 0.001  # an occasional counter decrease
    assert (gained_np > 0).mean() > 0.2
    # a week's gain is about a quarter of the 30-day counter, in total
    ratio = gained_np.sum() / pc.sum(after["downloads_30d"]).as_py()
    assert 0.1 < ratio < 0.5


def test_heavy_tailed_downloads(store: Store) -> None:
    downloads = np.sort(_last(store)["downloads_30d"].to_numpy())[::-1]
    assert (downloads == 0).mean() > 0.3  # many models nobody downloads
    assert downloads[: len(downloads) // 100].sum() > 0.5 * downloads.sum()
    assert downloads[0] > 4_000_000  # millions a week at the top


def test_authors_mix_labs_quantizers_and_individuals(store: Store) -> None:
    last = _last(store)
    authors = Counter(last["author"].to_pylist())
    registry = load_registry()
    known = {a: registry.get(a) for a in authors}
    resolved = sum(n for a, n in authors.items() if known[a] is not None)
    assert 0.02 < resolved / last.num_rows < 0.3  # the rest: individuals not in the registry
    countries = {r.country for r in known.values() if r is not None}
    assert {"CN", "US", "KR"} <= countries
    for account in ("Qwen", "deepseek-ai", "meta-llama", "mradermacher", "bartowski", "unsloth"):
        assert authors[account] > 0, account
    assert authors.most_common(1)[0][0] == "mradermacher"
    assert len(authors) > last.num_rows // 20


def test_lineage_forest(store: Store) -> None:
    last = _last(store)
    ids = last["model_id"].to_pylist()
    parents = last["base_models"].to_pylist()
    relations = Counter(p["relation"] for row in parents for p in row)
    assert set(relations) == {"finetune", "adapter", "quantized", "merge"}
    merges = [row for row in parents if any(p["relation"] == "merge" for p in row)]
    assert merges and all(len(row) == 2 for row in merges)
    assert all(len(row) <= 1 for row in parents if row not in merges)
    first = {m: row[0]["model_id"] for m, row in zip(ids, parents, strict=True) if row}

    def depth(model: str) -> int:
        steps = 0
        while model in first and steps < 50:
            model, steps = first[model], steps + 1
        return steps

    depths = Counter(depth(m) for m in first)
    assert depths[1] + depths[2] > 0.6 * len(first)  # mostly 1-2
    assert max(depths) >= 4
    fan_out = Counter(first.values()).most_common(1)[0][1]
    assert fan_out > 0.01 * len(first)  # a few bases with very many derivatives
    gguf = last.filter(last["is_gguf"])
    assert gguf.num_rows > 0.02 * last.num_rows
    assert set(gguf["library_name"].drop_null().to_pylist()) == {"gguf"}
    assert gguf["library_name"].null_count < 0.2 * gguf.num_rows
    assert pc.any(pc.ends_with(gguf["model_id"], "GGUF")).as_py()


def test_hub_like_columns(store: Store) -> None:
    last = _last(store)
    pipelines = Counter(last["pipeline_tag"].drop_null().to_pylist())
    assert pipelines.most_common(1)[0][0] == "text-generation"
    assert len(pipelines) > 10
    params = last["params_total"].drop_null().to_numpy()
    assert params.min() < 1e8 and params.max() > 3e11
    moe = last.filter(pc.is_valid(last["params_active"]))
    assert moe.num_rows > 0
    assert pc.all(pc.less(moe["params_active"], moe["params_total"])).as_py()
    assert last["license"].null_count < 0.3 * last.num_rows
    tags = [t for row in last["tags"].to_pylist() for t in row]
    assert any(t.startswith("base_model:quantized:") for t in tags)
    assert sum(t.startswith("license:") for t in tags) > last.num_rows // 2


def test_models_appear_over_time(store: Store) -> None:
    days = store.snapshot_dates()
    first = set(_table(store, days[0])["model_id"].to_pylist())
    last = _last(store)
    created = last["created_at"].cast(pa.int64()).to_numpy()
    new = np.array([m not in first for m in last["model_id"].to_pylist()])
    start = (np.datetime64(days[0], "us") - np.datetime64(0, "us")).astype(np.int64)
    assert (created[new] > start).mean() > 0.9  # mostly created during the series
    assert (created[~new] <= start).all()


def test_refuses_bad_arguments_and_other_directories(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        generate_store(tmp_path / "x", 0, 3)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a weightwatch store"):
        generate_store(other, 1_000, 2, force=True)
    assert (other / "notes.txt").read_text() == "mine"


def test_cli_writes_and_refuses_an_existing_store(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-store"
    args = ["synth", "--models", "2000", "--snapshots", "2", "--out", str(out), "--seed", "1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "wrote 2 snapshots" in first.output
    assert len(Store.open(out).snapshot_dates()) == 2
    again = runner.invoke(app, args)
    assert again.exit_code != 0
    assert "already holds a weightwatch store" in again.output
    assert "--force" in again.output
    forced = runner.invoke(app, [*args, "--force", "--every", "14"])
    assert forced.exit_code == 0, forced.output
    days = Store.open(out).snapshot_dates()
    assert days[1] - days[0] == timedelta(days=14)
