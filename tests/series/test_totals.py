"""Running totals per model (``totals`` checkpoints): each checkpoint holds what summing the
facts rows gives, checkpoints are saved only when needed and go stale with the facts they
sum, and a metric reading checkpoint + recent facts counts what reading every facts row
counts, under every filter."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from weightwatch.engine import published_files
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import Conventions
from weightwatch.metrics.per_model import counted_sums, model_sums
from weightwatch.orgs import load_registry
from weightwatch.series.rollup import FACTS_TABLE, ensure_rollups, materialise_rollup
from weightwatch.series.totals import (
    CHECKPOINT_EVERY,
    LISTED,
    TOTALS_TABLE,
    current_checkpoint,
    ensure_totals,
)
from weightwatch.store import Store
from weightwatch.synth.hub import generate_store
from weightwatch.testing.stores import build, model

SNAPSHOTS = CHECKPOINT_EVERY + 4
KEYS = ("model_id", "author", "pipeline_tag", "reupload", "params_total", "params_active")


DATES = [date(2026, 1, 4) + timedelta(days=7 * i) for i in range(SNAPSHOTS)]


def _crafted(day: int) -> list[dict[str, Any]]:
    """A store with each case a checkpoint must keep apart: an unknown counter, a burst
    flagged as automated, a model that grows, one that vanishes, a GGUF re-upload."""
    rows = [
        model("Qwen/steady", 1000 * (day + 1), pipeline_tag="text-generation"),
        model("Qwen/unknown", None if day in (3, 4) else 50 * day, pipeline_tag="text-generation"),
        model("x/burst", 10 * day + (200_000 if day >= 5 else 0), pipeline_tag="text-generation"),
        model(
            "meta-llama/grows",
            300 * day,
            pipeline_tag="text-generation",
            params_total=7_000_000_000 if day < 4 else 8_000_000_000,
        ),
        model("y/embed", 40 * day, pipeline_tag="feature-extraction"),
        model("z/still", 5, pipeline_tag="text-generation"),
    ]
    if day < 3:
        rows.append(model("z/gone", 70 * (day + 1), pipeline_tag="text-generation"))
    if day >= 2:
        rows.append(model("bartowski/steady-GGUF", 20 * day, library="gguf", is_gguf=True))
    return rows


@pytest.fixture(scope="module", params=["crafted", "synthetic"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("totals") / "store"
    if request.param == "crafted":
        ensure_rollups(build(root, {day: _crafted(i) for i, day in enumerate(DATES)}))
    else:
        ensure_rollups(generate_store(root, 900, SNAPSHOTS, seed=11, start=DATES[0]))
    return root


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Store:
    """A private copy: the tests save and invalidate checkpoints."""
    shutil.copytree(built, tmp_path / "store")
    return Store.open(tmp_path / "store")


def _facts(store: Store, up_to: date) -> list[dict[str, Any]]:
    dates = [d for d in store.snapshot_dates(FACTS_TABLE) if d <= up_to]
    rows: list[dict[str, Any]] = []
    for path in published_files(store, FACTS_TABLE, dates):
        rows += pq.read_table(path).to_pylist()
    return rows


def _expected(store: Store, up_to: date) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The checkpoint of ``up_to`` summed in plain Python from the facts rows."""
    out: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, -1, 0, 0, -1])
    for row in _facts(store, up_to):
        if row["downloads"] == 0:
            continue
        key = tuple(row[k] for k in KEYS)
        listing = (0 if row["vanished"] else LISTED) + (row["interval_end"] - date(1970, 1, 1)).days
        sums = out[key]
        sums[0] += row["downloads"] or 0
        sums[1] += row["downloads"] is None
        sums[2] += 1
        sums[3] = max(sums[3], listing)
        if not row["automated"]:
            sums[4] += row["downloads"] or 0
            sums[5] += 1
            sums[6] = max(sums[6], listing)
    return {k: tuple(v) for k, v in out.items()}


def _saved(store: Store, day: date) -> dict[tuple[Any, ...], tuple[int, ...]]:
    out = {}
    for path in published_files(store, TOTALS_TABLE, [day]):
        for row in pq.read_table(path).to_pylist():
            key = tuple(row[k] for k in KEYS)
            assert key not in out, f"one row per model and attributes: {key}"
            manual = row["last_key_manual"] if row["last_key_manual"] is not None else -1
            out[key] = (
                row["downloads"],
                row["unknown_intervals"],
                row["intervals"],
                row["last_key"],
                row["downloads_manual"],
                row["intervals_manual"],
                manual,
            )
    return out


def test_checkpoint_sums_the_facts_rows(store: Store) -> None:
    dates = store.snapshot_dates()
    assert ensure_totals(store, dates[2]) == (dates[2], [])
    assert _saved(store, dates[2]) == _expected(store, dates[2])
    ensure_totals(store, dates[-1])
    saved = _saved(store, dates[-1])
    assert saved == _expected(store, dates[-1])
    if "Qwen/steady" in {k[0] for k in saved}:  # the crafted store: every case is there
        assert any(v[0] != v[4] for v in saved.values())  # the burst
        assert any(v[1] for v in saved.values())  # unknown counters
        assert len({k[0] for k in saved}) < len(saved)  # a model with two sizes


def test_recent_snapshots_are_read_until_a_new_checkpoint_is_due(store: Store) -> None:
    dates = store.snapshot_dates()
    ensure_totals(store, dates[1])
    tail = dates[2 : 2 + CHECKPOINT_EVERY]
    assert ensure_totals(store, tail[-1]) == (dates[1], tail)
    assert store.snapshot_dates(TOTALS_TABLE) == [dates[1]]
    # one snapshot further: saved at as_of, from the checkpoint and the facts since
    due = dates[2 + CHECKPOINT_EVERY]
    assert ensure_totals(store, due) == (due, [])
    assert store.manifest(due, TOTALS_TABLE).extra["since"] == str(dates[1])
    assert _saved(store, due) == _expected(store, due)


def test_replaced_facts_make_later_checkpoints_stale(store: Store) -> None:
    dates = store.snapshot_dates()
    ensure_totals(store, dates[1])
    ensure_totals(store, dates[-1])
    assert current_checkpoint(store, dates[-1]) == dates[-1]
    materialise_rollup(store, dates[3])  # a back-fill publishes the facts of dates[3] again
    assert current_checkpoint(store, dates[-1]) == dates[1]
    assert current_checkpoint(store, dates[2]) == dates[1]
    since, tail = ensure_totals(store, dates[-1])
    assert (since, tail) == (dates[-1], [])
    assert store.manifest(dates[-1], TOTALS_TABLE).extra["since"] == str(dates[1])
    assert _saved(store, dates[-1]) == _expected(store, dates[-1])


CONVENTIONS: list[dict[str, Any]] = [
    {},
    {"exclude_suspected_automated": True},
    {"llm_only": True, "exclude_requantized": True},
    {"pipeline_tag": ["text-generation"], "min_downloads": 5000},
    {"exclude_suspected_automated": True, "exclude_requantized": True, "min_downloads": 100},
]


def _per_model(ctx: MetricContext, conv: Conventions, route: str) -> list[tuple[Any, ...]]:
    rows = counted_sums(ctx, conv, route=route)
    sums = model_sums(
        rows, conv.min_downloads, by=("model_id", "author", "params_total"), key=rows.ww_key.max()
    )
    return sorted(tuple(r.values()) for r in sums.to_pyarrow().to_pylist())


@pytest.mark.parametrize("params", CONVENTIONS, ids=str)
def test_checkpoint_and_recent_facts_count_as_every_facts_row(
    store: Store, params: dict[str, Any]
) -> None:
    dates = store.snapshot_dates()
    ensure_totals(store, dates[2])  # read with the facts of the next CHECKPOINT_EVERY
    conv = Conventions(as_of=dates[2 + CHECKPOINT_EVERY], **params).resolved(store)
    ctx = MetricContext(store, load_registry())
    got = _per_model(ctx, conv, "auto")
    tail = dates[3 : 3 + CHECKPOINT_EVERY]
    assert ctx.once(f"totals {conv.as_of}", lambda: None) == (dates[2], tail)
    want = _per_model(ctx, conv, "facts")
    assert got == want
    assert want and sum(r[3] for r in want) > 0
