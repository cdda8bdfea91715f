"""Fixtures for the report tests: a realistic ``download_share`` result and a browser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from weightwatch.metrics.result import MetricResult

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Downloads over the 30-day counter, attributed by uploader; sorted by downloads desc.
SHARE_DOWNLOADS = [
    ("CN", 41_200_000),
    ("US", 38_900_000),
    ("unattributed", 12_000_000),
    ("FR", 3_100_000),
    ("KR", 1_400_000),
]


def make_share_result(
    downloads: list[tuple[str, int]] = SHARE_DOWNLOADS,
    *,
    provenance: dict[str, Any] | None = None,
) -> MetricResult:
    total = sum(d for _, d in downloads)
    rows = pa.table(
        {
            "group": pa.array([g for g, _ in downloads], pa.string()),
            "downloads": pa.array([d for _, d in downloads], pa.int64()),
            "share": pa.array([d / total if total else None for _, d in downloads], pa.float64()),
        }
    )
    return MetricResult(
        metric="download_share",
        params={
            "by": "country",
            "counter": "30d",
            "attribution": "uploader",
            "snapshot_date": "2026-05-04",
        },
        provenance=provenance
        if provenance is not None
        else {
            "snapshots": [
                {
                    "snapshot_date": "2026-05-04",
                    "rows": 1000,
                    "source": "hub-scraper",
                    "sha256": "9f2c4e1ab07d5c3e8f61a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2",
                }
            ],
            "registry": {"version": "2026.11.23+abcd1234", "accounts": 600, "overlay": None},
            "tool_version": "0.1.0",
            "computed_at": "2026-05-05T08:12:44+00:00",
            "store": "/var/lib/weightwatch/store",
        },
        rows=rows,
        notes=["Groups are the uploader's country from the org registry."],
    )


@pytest.fixture
def share_result() -> MetricResult:
    """A ``download_share`` by country (to be replaced by the demo store's real output)."""
    return make_share_result()


@pytest.fixture
def make_share() -> Callable[..., MetricResult]:
    """Build a ``download_share`` result from other numbers (see ``make_share_result``)."""
    return make_share_result


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(scripts/test installs it with 'apt-get install -y chromium')."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
