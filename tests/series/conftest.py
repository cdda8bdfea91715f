"""Fixtures for the download-series tests: crafted multi-snapshot stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest
from series_helpers import Rows, build

from weightwatch.store import Store


@pytest.fixture
def make_store(tmp_path: Path) -> Callable[[Mapping[date, Rows]], Store]:
    counter = iter(range(1_000_000))

    def make(snapshots: Mapping[date, Rows]) -> Store:
        return build(tmp_path / f"store{next(counter)}", snapshots)

    return make
