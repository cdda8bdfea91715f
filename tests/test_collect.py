"""The Hub collector end to end against the fake Hub: exactness, resume, faults, publish."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.collect import (
    EXPAND,
    CollectProgress,
    CollectQuery,
    collect,
)
from weightwatch.errors import InputError, SnapshotExists, SourceError
from weightwatch.http import RetryPolicy
from weightwatch.ingest import rows_to_table
from weightwatch.normalize.hub_listing import HUB_API, map_record
from weightwatch.store import Store, partition_name
from weightwatch.testing import FakeClock, FakeHub, Fault, Faults, project, synthetic_models

DAY = date(2026, 5, 4)
REPO = Path(__file__).resolve().parents[1]
FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retries=4)


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return synthetic_models(1_000, seed=11)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.create(tmp_path / "store")


def no_sleep(seconds: float) -> None:
    pass


def expected_rows(served: list[dict[str, Any]], fields: tuple[str, ...] = EXPAND) -> list[Any]:
    """What the snapshot must hold: each served model as the listing returns it, mapped."""
    rows = [map_record(project(m, list(fields)), "x", HUB_API, HUB_API)[0] for m in served]
    return rows_to_table(rows).to_pylist()  # type: ignore[arg-type]


def snapshot_rows(store: Store, day: date = DAY) -> list[dict[str, Any]]:
    table = pq.read_table(store.root / partition_name(day))
    return sorted(table.to_pylist(), key=lambda r: r["model_id"])


def assert_exact(store: Store, served: list[dict[str, Any]], day: date = DAY) -> None:
    got = snapshot_rows(store, day)
    want = sorted(expected_rows(served), key=lambda r: r["model_id"])
    assert [r["model_id"] for r in got] == [r["model_id"] for r in want]  # no loss, no dupes
    by_id = {m["id"]: m for m in served}
    for row in got:  # the figures that matter, spelled out
        model = by_id[row["model_id"]]
        assert row["downloads_30d"] == model["downloads"]
        assert row["downloads_all_time"] == model["downloadsAllTime"]
        assert row["pipeline_tag"] == model.get("pipeline_tag")
    assert got == want  # and every parsed field
    assert store.verify() == []


def listing_paths(hub: FakeHub) -> list[str]:
    return [r.path for r in hub.listing_requests() if r.status == 200]


def cursor_of(path: str) -> str | None:
    values = parse_qs(urlsplit(path).query).get("cursor")
    return values[0] if values else None


def test_full_collection_equals_served_set(store: Store, models: list[dict[str, Any]]) -> None:
    events: list[CollectProgress] = []
    with FakeHub(models) as hub:
        report = collect(
            store,
            CollectQuery(page_size=150),
            snapshot_date=DAY,
            endpoint=hub.url,
            progress=events.append,
            sleep=no_sleep,
        )
    assert_exact(store, models)
    assert (report.pages, report.rows_seen, report.rows) == (7, 1000, 1000)
    assert report.complete and report.published and not report.partial and not report.resumed
    # paging followed the Link header: first page without cursor, then one new cursor each
    paths = listing_paths(hub)
    assert len(paths) == 7 and cursor_of(paths[0]) is None
    assert len({cursor_of(p) for p in paths[1:]}) == 6
    assert all("limit=150" in p and "expand%5B%5D=safetensors" in p for p in paths)
    # raw pages kept byte for byte, indexed by checksum in the manifest
    raw = report.raw_dir
    pages = sorted(raw.glob("page-*.json.gz"))
    assert [p.name for p in pages] == [f"page-{n:06d}.json.gz" for n in range(1, 8)]
    first = json.loads(gzip.decompress(pages[0].read_bytes()))
    assert first == [project(m, list(EXPAND)) for m in models[:150]]
    manifest = store.manifest(DAY)
    assert manifest.source == HUB_API and manifest.rows == 1000 and not manifest.partial
    (source,) = manifest.inputs
    index = (raw / "pages.sha256").read_bytes()
    assert source.sha256 == hashlib.sha256(index).hexdigest()
    assert index.decode().splitlines()[0].endswith("  page-000001.json.gz")
    assert manifest.extra["collect"]["pages"] == 7 and manifest.extra["collect"]["duplicates"] == 0
    checkpoint = json.loads((raw / "checkpoint.json").read_text())
    assert checkpoint["complete"] and checkpoint["published_at"] and checkpoint["next_url"] is None
    listing = [e for e in events if e.phase == "listing"]
    assert [e.pages for e in listing] == list(range(8)) and listing[-1].total == 1000
    assert events[-1].phase == "publish" and events[-1].models == 1000
    # a rerun does not collect the date again unless asked to
    with pytest.raises(SnapshotExists, match="--replace"):
        collect(store, CollectQuery(page_size=150), snapshot_date=DAY, endpoint=hub.url)


def test_authors_pipeline_and_limit(store: Store, models: list[dict[str, Any]]) -> None:
    with FakeHub(models) as hub:
        query = CollectQuery(authors=("Qwen", "bartowski"), page_size=40)
        report = collect(store, query, snapshot_date=DAY, endpoint=hub.url, sleep=no_sleep)
        assert_exact(store, [m for m in models if m["author"] in ("Qwen", "bartowski")])
        assert report.pages > 2
        tag = "automatic-speech-recognition"
        limited = CollectQuery(pipeline_tag=tag, limit=30, page_size=20)
        other = date(2026, 5, 5)
        collect(store, limited, snapshot_date=other, endpoint=hub.url, sleep=no_sleep)
    assert_exact(store, [m for m in models if m.get("pipeline_tag") == tag][:30], other)


def test_full_field_set(store: Store, models: list[dict[str, Any]]) -> None:
    with FakeHub(models[:50]) as hub:
        collect(store, CollectQuery(full=True), snapshot_date=DAY, endpoint=hub.url)
    (path,) = listing_paths(hub)
    assert "full=true" in path and "expand" not in path
    rows = snapshot_rows(store)
    assert len(rows) == 50 and all(r["downloads_all_time"] is None for r in rows)
    assert sum(r["downloads_30d"] for r in rows) == sum(m["downloads"] for m in models[:50])


def test_429_retry_after_is_honoured(store: Store, models: list[dict[str, Any]]) -> None:
    clock = FakeClock()
    with FakeHub(
        models[:500], rate_limit=(3, 30.0), ratelimit_headers=False, clock=clock.now
    ) as hub:
        report = collect(
            store,
            CollectQuery(page_size=100),
            snapshot_date=DAY,
            endpoint=hub.url,
            sleep=clock.sleep,
        )
    assert_exact(store, models[:500])
    assert [r.status for r in hub.requests] == [200, 200, 200, 429, 200, 429, 200]
    assert len(clock.sleeps) == 2 and all(10 <= w <= 10.5 for w in clock.sleeps)
    assert report.rate_limited == 2 and report.waited == pytest.approx(sum(clock.sleeps))


def test_ratelimit_headers_pace_the_run_without_429(
    store: Store, models: list[dict[str, Any]]
) -> None:
    clock = FakeClock()
    with FakeHub(models[:500], rate_limit=(3, 30.0), clock=clock.now) as hub:
        collect(
            store,
            CollectQuery(page_size=100),
            snapshot_date=DAY,
            endpoint=hub.url,
            sleep=clock.sleep,
        )
    assert_exact(store, models[:500])
    assert all(r.status == 200 for r in hub.requests)
    assert len(clock.sleeps) == 1 and 30 <= clock.sleeps[0] <= 31  # "t=30": until refilled


def test_5xx_truncated_and_dropped_pages_are_retried(
    store: Store, models: list[dict[str, Any]]
) -> None:
    faults = Faults(
        seed=3,
        error_rate=0.15,
        truncate_rate=0.1,
        drop_rate=0.05,
        pages={2: Fault(status=502, times=2), 4: Fault(truncate=True, times=2)},
    )
    with FakeHub(models, faults=faults) as hub:
        report = collect(
            store,
            CollectQuery(page_size=50),
            snapshot_date=DAY,
            endpoint=hub.url,
            sleep=no_sleep,
            retry=FAST,
        )
    assert_exact(store, models)
    assert report.pages == 20 and report.retries >= 6
    assert report.requests == report.pages + report.retries


def test_retries_exhausted_keep_checkpoint_and_rerun_resumes(
    store: Store, models: list[dict[str, Any]]
) -> None:
    faults = Faults(pages={4: Fault(status=503, times=99)})
    query = CollectQuery(page_size=100)
    with FakeHub(models, faults=faults) as hub:
        with pytest.raises(SourceError, match=r"HTTP 503.*3 page\(s\) kept") as info:
            collect(store, query, snapshot_date=DAY, endpoint=hub.url, sleep=no_sleep, retry=FAST)
        assert "cursor=" in str(info.value) and "rerun the same command" in str(info.value)
        raw = store.root / "_raw" / "collect" / DAY.isoformat()
        checkpoint = json.loads((raw / "checkpoint.json").read_text())
        assert checkpoint["pages_done"] == 3 and checkpoint["rows_seen"] == 300
        assert not checkpoint["complete"] and DAY not in store.snapshot_dates()
        before = len(hub.requests)
        faults.pages.clear()  # the Hub recovers
        report = collect(store, query, snapshot_date=DAY, endpoint=hub.url, sleep=no_sleep)
    assert report.resumed and report.pages_fetched == 7 and report.pages == 10
    resumed = [r.path for r in hub.requests[before:]]
    assert resumed[0] == urlsplit(checkpoint["next_url"])._replace(scheme="", netloc="").geturl()
    assert_exact(store, models)


def _checkpoint(raw: Path) -> dict[str, Any]:
    try:
        return json.loads((raw / "checkpoint.json").read_text())  # type: ignore[no-any-return]
    except (FileNotFoundError, ValueError):
        return {}


def test_killed_run_resumes_with_nothing_lost_or_duplicated(
    tmp_path: Path, models: list[dict[str, Any]]
) -> None:
    root = tmp_path / "store"
    raw = root / "_raw" / "collect" / DAY.isoformat()
    args = [
        sys.executable, "-m", "weightwatch", "collect", "--store", str(root),
        "--snapshot-date", DAY.isoformat(), "--page-size", "40",
    ]  # fmt: skip
    faults = Faults(delay=0.1)  # slow enough to be caught mid-run
    with FakeHub(models, faults=faults) as hub:
        env = {**os.environ, "HF_ENDPOINT": hub.url, "COLUMNS": "200"}
        proc = subprocess.Popen(
            args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while _checkpoint(raw).get("pages_done", 0) < 3:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the collector made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        killed = _checkpoint(raw)
        assert 3 <= killed["pages_done"] < 25 and not killed["complete"]
        assert not (root / partition_name(DAY)).exists()
        first_run = len(hub.requests)
        faults.delay = 0.0
        done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "published snapshot 2026-05-04" in done.stdout and "resumed" in done.stdout
    store = Store.open(root)
    assert_exact(store, models)
    manifest = store.manifest(DAY)
    assert manifest.rows == 1000 and manifest.extra["collect"]["duplicates"] == 0
    # the rerun started at the checkpoint's cursor: the first page was fetched once in all
    firsts = [p for p in listing_paths(hub) if cursor_of(p) is None]
    assert len(firsts) == 1
    assert cursor_of(hub.requests[first_run].path) == cursor_of(killed["next_url"])
    assert _checkpoint(raw)["pages_done"] == 25


def test_partial_publishes_what_is_there_and_resume_completes(
    store: Store, models: list[dict[str, Any]]
) -> None:
    faults = Faults(pages={3: Fault(status=500, times=99)})
    query = CollectQuery(page_size=100)
    with FakeHub(models, faults=faults) as hub:
        report = collect(
            store,
            query,
            snapshot_date=DAY,
            endpoint=hub.url,
            partial=True,
            sleep=no_sleep,
            retry=FAST,
        )
        assert report.partial and report.published and not report.complete
        assert report.rows == 200 and report.error is not None and "HTTP 500" in report.error
        manifest = store.manifest(DAY)
        assert manifest.partial and manifest.rows == 200
        assert "HTTP 500" in manifest.extra["collect"]["error"]
        assert_exact(store, models[:200])
        faults.pages.clear()
        # resuming replaces the partial snapshot this run published, without --replace
        final = collect(store, query, snapshot_date=DAY, endpoint=hub.url, sleep=no_sleep)
    assert final.complete and not final.partial and final.pages_fetched == 8
    assert not store.manifest(DAY).partial
    assert_exact(store, models)


def test_checkpoint_with_other_arguments_is_refused_until_restart(
    store: Store, models: list[dict[str, Any]]
) -> None:
    faults = Faults(pages={2: Fault(status=503, times=99)})
    with FakeHub(models, faults=faults) as hub:
        with pytest.raises(SourceError):
            collect(store, CollectQuery(page_size=100), snapshot_date=DAY, endpoint=hub.url,
                    sleep=no_sleep, retry=FAST)  # fmt: skip
        faults.pages.clear()
        with pytest.raises(
            InputError, match=r"checkpoint\.json.*page_size: 100 there, 50 now.*--restart"
        ):
            collect(store, CollectQuery(page_size=50), snapshot_date=DAY, endpoint=hub.url)
        report = collect(store, CollectQuery(page_size=50), snapshot_date=DAY, endpoint=hub.url,
                         restart=True)  # fmt: skip
    assert not report.resumed and report.pages == 20
    assert_exact(store, models)


def test_duplicates_across_pages_first_wins(store: Store, models: list[dict[str, Any]]) -> None:
    again = {**models[5], "downloads": 123_456_789}
    served = [*models[:300], again]
    with FakeHub(served) as hub:
        report = collect(store, CollectQuery(page_size=100), snapshot_date=DAY, endpoint=hub.url)
    assert report.rows_seen == 301 and report.rows == 300 and report.duplicates == 1
    assert_exact(store, models[:300])
    manifest = store.manifest(DAY)
    assert manifest.rejected_rows == 1 and manifest.extra["collect"]["duplicates"] == 1
    reject = json.loads((store.root / partition_name(DAY) / "_rejects.jsonl").read_text())
    assert reject["location"] == "page-000004.json.gz item 1"
    assert "first at page-000001.json.gz" in reject["reason"]


def test_details_fill_base_models_within_budget(store: Store, models: list[dict[str, Any]]) -> None:
    with FakeHub(models) as hub:
        query = CollectQuery(page_size=250, details=True, details_budget=25)
        report = collect(store, query, snapshot_date=DAY, endpoint=hub.url)
        details = [r for r in hub.requests if r.path.startswith("/api/models/")]
        assert len(details) == 25 and report.details_requests == 25
        assert all("expand%5B%5D=baseModels" in r.path for r in details)
        # republishing reuses the answers held: no new details requests
        collect(store, query, snapshot_date=DAY, endpoint=hub.url, replace=True)
        assert len([r for r in hub.requests if r.path.startswith("/api/models/")]) == 25
    rows = {r["model_id"]: r for r in snapshot_rows(store)}
    asked = [r.path.split("?")[0][len("/api/models/") :] for r in details]
    by_id = {m["id"]: m for m in models}
    downloads = sorted((m["downloads"] for m in models), reverse=True)
    assert by_id[asked[0]]["downloads"] == max(by_id[i]["downloads"] for i in asked)
    assert by_id[asked[0]]["downloads"] <= downloads[0]
    enriched = [i for i in asked if "baseModels" in by_id[i]]
    assert enriched and report.details_merged >= len(enriched)
    for model_id in enriched:
        parent = by_id[model_id]["baseModels"]["models"][0]["id"]
        assert parent in [b["model_id"] for b in rows[model_id]["base_models"]]
    assert store.manifest(DAY).extra["collect"]["details_requests"] == 25


def test_cli_collect_honours_hf_endpoint_and_token(
    tmp_path: Path, models: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    with FakeHub(models[:120]) as hub:
        result = CliRunner().invoke(
            app,
            ["collect", "--store", str(root), "--snapshot-date", "2026-05-04",
             "--page-size", "50", "--author", "mradermacher", "--author", "Qwen"],
            env={"HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_cli"},
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "published snapshot 2026-05-04" in result.stdout
    served = [m for m in models[:120] if m["author"] in ("mradermacher", "Qwen")]
    assert_exact(Store.open(root), served)
    assert all(r.authorization == "Bearer hf_cli" for r in hub.requests)
    assert all((r.user_agent or "").startswith("weightwatch/") for r in hub.requests)
    assert Store.open(root).manifest(DAY).extra["collect"]["query"]["endpoint"] == hub.url


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{port}", "COLUMNS": "5000"}
    args = [sys.executable, "-m", "weightwatch", "collect", "--store", str(tmp_path / "s"),
            "--retries", "0"]  # fmt: skip
    proc = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("error: GET http://127.0.0.1:")
    assert "Connection refused" in lines[0] and "rerun the same command" in lines[0]
    bad = CliRunner().invoke(
        app, ["collect", "--store", str(tmp_path / "s")], env={"HF_ENDPOINT": "not a url"}
    )
    assert bad.exit_code == 1 and "invalid Hub endpoint" in bad.stderr
    assert len([x for x in bad.stderr.splitlines() if x.strip()]) == 1
