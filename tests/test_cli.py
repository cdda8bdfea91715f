"""The CLI end to end on real data: exit codes, messages, formats, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from weightwatch.cli import app
from weightwatch.store import Store

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store_dir(tmp_path: Path, trending_file: Path) -> Path:
    root = tmp_path / "st"
    code, out, err = run("ingest", str(trending_file), "--store", str(root))
    assert code == 0, err
    assert "published snapshot 2026-05-04" in out and "1,000 models" in out
    return root


def test_ingest_takes_date_from_file_and_store_info(store_dir: Path) -> None:
    code, out, _ = run("store", "info", "--store", str(store_dir), "--format", "json")
    assert code == 0
    info = json.loads(out)
    assert [(r["snapshot_date"], r["rows"], r["source"]) for r in info] == [
        ("2026-05-04", 1000, "hub-scraper")
    ]
    code, out, _ = run("store", "verify", "--store", str(store_dir))
    assert code == 0 and "1 snapshot(s)" in out


def test_reingest_same_date_needs_replace(store_dir: Path, hub_api_file: Path) -> None:
    args = ["ingest", str(hub_api_file), "--store", str(store_dir), "--snapshot-date", "2026-05-04"]
    code, _, err = run(*args)
    assert code == 1 and "--replace" in err
    code, _, _ = run(*args, "--replace")
    assert code == 0
    assert Store.open(store_dir).manifest(Store.open(store_dir).latest()).rows == 4


def test_share_formats_agree(store_dir: Path) -> None:
    code, out, _ = run("share", "--store", str(store_dir), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["metric"] == "download_share"
    assert doc["params"]["group_by"] == "country" and doc["params"]["counter"] == "30d"
    assert {"snapshots", "registry", "tool_version"} <= doc["provenance"].keys()
    rows = doc["rows"]
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert {r["group"] for r in rows} >= {"CN", "US", "unattributed"}

    code, out, _ = run("share", "--store", str(store_dir), "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [(r["group"], int(r["downloads"])) for r in parsed] == [
        (r["group"], r["downloads"]) for r in rows
    ]
    code, out, _ = run("share", "--store", str(store_dir), "--by", "org_type")
    assert code == 0 and "company" in out


def test_share_orgs_overlay_moves_downloads(store_dir: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "mine.csv"
    overlay.write_text(
        "account,organisation,country,org_type,source\nQwen,Qwen (test overlay),KR,company,test\n"
    )
    base = json.loads(run("share", "--store", str(store_dir), "-f", "json")[1])
    moved = json.loads(
        run("share", "--store", str(store_dir), "-f", "json", "--orgs", str(overlay))[1]
    )
    by_group = lambda doc: {r["group"]: r["downloads"] for r in doc["rows"]}  # noqa: E731
    qwen_downloads = 338_053_745  # Qwen's 30-day downloads in the real file
    assert by_group(moved)["KR"] == by_group(base).get("KR", 0) + qwen_downloads
    assert by_group(moved)["CN"] == by_group(base)["CN"] - qwen_downloads
    assert moved["provenance"]["registry"]["version"] != base["provenance"]["registry"]["version"]


def test_orgs_lookup_and_unknown(store_dir: Path) -> None:
    code, out, _ = run("orgs", "lookup", "deepseek-ai", "--format", "json")
    assert code == 0 and json.loads(out)[0]["country"] == "CN"
    code, _, err = run("orgs", "lookup", "no-such-org-xyz")
    assert code == 1 and "no registry row" in err
    code, out, _ = run("orgs", "unknown", "--store", str(store_dir), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    downloads = [r["downloads"] for r in doc["rows"]]
    assert downloads == sorted(downloads, reverse=True)
    assert doc["totals"]["accounts"] >= len(doc["rows"])


def test_bad_inputs_exit_nonzero_with_a_located_message(tmp_path: Path, store_dir: Path) -> None:
    truncated = tmp_path / "cut.json"
    truncated.write_text('[{"id": "a/b", "downloads": 1}, {"id": "c/d", "downl')
    code, _, err = run(
        "ingest", str(truncated), "--store", str(store_dir), "--snapshot-date", "2026-06-01"
    )
    assert code == 2 and "cut.json" in err and "line 1" in err
    assert Store.open(store_dir).snapshot_dates() == [date(2026, 5, 4)]
    code, _, err = run("ingest", str(truncated), "--store", str(tmp_path / "new"))
    assert code == 2 and not (tmp_path / "new").exists()  # no store made for a bad file
    code, _, err = run("share", "--store", str(tmp_path / "nowhere"))
    assert code == 1 and "not a weightwatch store" in err
    code, _, err = run("share", "--store", str(store_dir), "--snapshot-date", "2026-13-01")
    assert code == 2 and "not a date" in err
    bad_overlay = tmp_path / "bad.csv"
    bad_overlay.write_text("account,organisation,country,org_type,source\nx,X,USA,company,me\n")
    code, _, err = run("share", "--store", str(store_dir), "--orgs", str(bad_overlay))
    assert code == 2 and "bad.csv" in err and "country" in err


def test_rejected_rows_reported_and_kept(tmp_path: Path) -> None:
    listing = tmp_path / "mixed.jsonl"
    listing.write_text(
        '{"id": "Qwen/Qwen3-8B", "downloads": 10, "pipeline_tag": "text-generation"}\n'
        '{"downloads": 5}\n'
        '{"id": "Qwen/Qwen3-8B", "downloads": 7}\n'
        '{"id": "meta-llama/Llama-3.1-8B", "downloads": "many", "likes": 2}\n'
        "not json at all\n"
    )
    root = tmp_path / "st"
    code, out, _ = run(
        "ingest", str(listing), "--store", str(root), "--snapshot-date", "2026-01-02"
    )
    assert code == 0
    assert "3 rows rejected" in out and "line 2, field id" in out and "line 3, field id" in out
    assert "line 5" in out and "1 field values nulled" in out and "line 4, field downloads" in out
    store = Store.open(root)
    manifest = store.manifest(store.latest())
    assert (manifest.rows, manifest.rejected_rows, manifest.field_issues) == (2, 3, 1)
    rejects = (root / "snapshot_date=2026-01-02" / "_rejects.jsonl").read_text().splitlines()
    assert [json.loads(r)["location"] for r in rejects] == ["line 2", "line 3", "line 5"]


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    notjson = tmp_path / "models.csv"
    notjson.write_text("id,downloads\nQwen/Qwen3-8B,3\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "weightwatch",
            "ingest",
            str(notjson),
            "--store",
            str(tmp_path / "s"),
            "--snapshot-date",
            "2026-01-01",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "models.csv" in proc.stderr
    assert "line 1, column 1" in proc.stderr
