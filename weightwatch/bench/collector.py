"""Benchmark: how close the collector gets to the rate limit it is given.

A :class:`~weightwatch.testing.FakeHub` serves a synthetic listing under a token-bucket
rate limit (bursts of one second's worth of requests, refilled at ``rate_limit_per_s``,
with the Hub's ``RateLimit``/``Retry-After`` headers) and :func:`weightwatch.collect.collect`
lists it with a realistic page size.  The fake Hub runs in its own process, as the real one
is remote: sharing the collector's interpreter (and GIL) would slow both.

Figures: ``seconds`` is the listing phase (first request to last page checkpointed),
``pages_per_s`` = pages / seconds, ``ratio_to_limit`` = pages_per_s / limit_per_s (target
≥ 0.9; on a short run the initial burst can lift it above 1).  ``ratio_to_allowed`` is the
stricter pages / (burst + limit_per_s * seconds): the share of the requests the limiter
allowed during the run that were used.  Normalising and publishing the snapshot is timed
apart (``publish_seconds``).
"""

from __future__ import annotations

import multiprocessing
import tempfile
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path

from weightwatch.collect import EXPAND, CollectQuery, collect
from weightwatch.store import Store
from weightwatch.testing import FakeHub, synthetic_models


def _serve(conn: Connection, models: int, page_size: int, burst: int, window: float) -> None:
    hub = FakeHub(
        synthetic_models(models, seed=0),
        page_size=page_size,
        max_page_size=max(page_size, 1000),
        rate_limit=(burst, window),
    )
    hub.warm(EXPAND)  # the fake's one-time JSON encoding stays out of the timing
    with hub:
        conn.send(hub.url)
        conn.recv()  # until the benchmark is done


def run(
    models: int = 50_000, page_size: int = 1000, rate_limit_per_s: float = 20.0
) -> dict[str, float]:
    """Collect ``models`` synthetic models in pages of ``page_size`` from a fake Hub that
    allows ``rate_limit_per_s`` requests per second; return the figures (module doc)."""
    burst = max(1, round(rate_limit_per_s))
    window = burst / rate_limit_per_s
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(
        target=_serve, args=(theirs, models, page_size, burst, window), daemon=True
    )
    server.start()
    try:
        url = ours.recv()
        with tempfile.TemporaryDirectory(prefix="ww-bench-") as tmp:
            store = Store.create(Path(tmp) / "store")
            report = collect(
                store,
                CollectQuery(page_size=min(page_size, 1000)),
                snapshot_date=date(2026, 1, 1),
                endpoint=url,
            )
    finally:
        ours.send("stop")
        server.join(timeout=10)
    seconds = report.fetch_seconds
    pages_per_s = report.pages / seconds if seconds > 0 else float("inf")
    return {
        "pages": float(report.pages),
        "models": float(report.rows_seen),
        "seconds": round(seconds, 3),
        "pages_per_s": round(pages_per_s, 2),
        "limit_per_s": rate_limit_per_s,
        "ratio_to_limit": round(pages_per_s / rate_limit_per_s, 3),
        "ratio_to_allowed": round(report.pages / (burst + rate_limit_per_s * seconds), 3),
        "publish_seconds": round(report.publish_seconds, 3),
        "rate_limited": float(report.rate_limited),
        "waited_s": round(report.waited, 3),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
