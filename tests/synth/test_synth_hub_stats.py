"""The synthetic hub-stats generator: deterministic, Hub-shaped, and a believable next week."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from weightwatch.synth.hub_stats import HUB_STATS_SCHEMA, write_hub_stats

ROWS = 60_000


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("synth")
    first = base / "models-2026-01-04.parquet"
    second = base / "models-2026-01-11.parquet"
    write_hub_stats(first, rows=ROWS, seed=7, snapshot="2026-01-04", row_group_size=16_384)
    write_hub_stats(second, seed=7, snapshot="2026-01-11", previous=first, row_group_size=16_384)
    return first, second


def test_deterministic_for_a_seed(weeks: tuple[Path, Path], tmp_path: Path) -> None:
    again = tmp_path / "again.parquet"
    other = tmp_path / "other.parquet"
    write_hub_stats(again, rows=ROWS, seed=7, snapshot="2026-01-04", row_group_size=16_384)
    write_hub_stats(other, rows=ROWS, seed=8, snapshot="2026-01-04", row_group_size=16_384)
    assert pq.read_table(again).equals(pq.read_table(weeks[0]))
    assert not pq.read_table(other).equals(pq.read_table(weeks[0]))


def test_shaped_like_the_hub(weeks: tuple[Path, Path]) -> None:
    file = pq.ParquetFile(weeks[0])
    assert file.schema_arrow.equals(HUB_STATS_SCHEMA)
    assert file.metadata.num_row_groups == 4  # written (and readable) in batches
    table = file.read()
    assert table.num_rows == ROWS
    assert pc.count_distinct(table["id"]).as_py() == ROWS
    downloads = np.sort(table["downloads"].to_numpy())[::-1]
    assert (downloads == 0).mean() > 0.25  # many models nobody downloads
    assert downloads[: ROWS // 100].sum() > 0.5 * downloads.sum()  # a heavy tail
    assert (table["downloadsAllTime"].to_numpy() >= table["downloads"].to_numpy()).all()
    authors = Counter(table["author"].to_pylist())
    for org in ("Qwen", "meta-llama", "google", "deepseek-ai", "mistralai", "unsloth"):
        assert authors[org] > 0, org
    assert authors.most_common(1)[0][0] == "mradermacher"  # quantizers upload the most
    assert len(authors) > ROWS // 20  # and a long tail of individuals
    tags = [t for row in table["tags"].to_pylist() for t in row]
    assert sum(t.startswith("base_model:") for t in tags) > ROWS // 4
    assert any(t.startswith("base_model:quantized:") for t in tags)
    assert sum(t.startswith("license:") for t in tags) > ROWS // 2
    created = table["createdAt"].to_pylist()
    assert min(created).year == 2021
    assert max(created) <= datetime(2026, 1, 4, tzinfo=UTC)
    assert Counter(c.year for c in created).most_common(1)[0][0] >= 2024  # growth
    assert table["cardData"].null_count < ROWS
    assert 0 < table["baseModels"].null_count < ROWS


def test_next_week_grows_from_the_previous(weeks: tuple[Path, Path]) -> None:
    before = pq.read_table(weeks[0], columns=["id", "downloadsAllTime", "createdAt"])
    after = pq.read_table(weeks[1], columns=["id", "downloadsAllTime", "createdAt"])
    old = dict(zip(before["id"].to_pylist(), before["downloadsAllTime"].to_pylist(), strict=True))
    new = dict(zip(after["id"].to_pylist(), after["downloadsAllTime"].to_pylist(), strict=True))
    kept, gone, fresh = old.keys() & new.keys(), old.keys() - new.keys(), new.keys() - old.keys()
    assert 0 < len(gone) < ROWS * 0.005  # a few deleted
    assert ROWS * 0.008 < len(fresh) < ROWS * 0.012  # ~1 % new
    assert all(new[k] >= old[k] for k in kept)  # all-time counters only grow
    assert sum(new[k] > old[k] for k in kept) > len(kept) // 5  # many get none in a week
    week_start = datetime(2026, 1, 4, tzinfo=UTC)
    created = dict(zip(after["id"].to_pylist(), after["createdAt"].to_pylist(), strict=True))
    assert all(created[k] >= week_start for k in fresh)
