"""Fixtures shared by the whole suite: the real data in ../shared/data and the demo store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from weightwatch.demo import build_demo_store
from weightwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data beside the repo; CI always has it, so there a gap fails."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing: CI must have ../shared beside the repo")
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def trending_file(shared_data: Path) -> Path:
    return shared_data / "starscreener" / "huggingface-trending.json"


@pytest.fixture(scope="session")
def hub_api_file() -> Path:
    return FIXTURES / "hub_api_models.json"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo store, built once from the bundled data exactly as `weightwatch demo` does."""
    return build_demo_store(tmp_path_factory.mktemp("demo") / "store")


@pytest.fixture(scope="session")
def spark_con():  # type: ignore[no-untyped-def]
    """An Ibis PySpark connection on one local[2] session shared by the whole run (starting
    Spark takes ~15 s).  Skipped where PySpark or Java is missing, except on CI."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PySpark is missing: CI installs weightwatch[spark]")
        pytest.skip("PySpark not installed")
    from weightwatch.engine import connect

    return connect("spark", spark_master="local[2]")
