"""The Economies of Open Intelligence import on real-shaped data.

The fixture is what the study's export looks like for real models: the starscreener
models (ids, authors, creation times) observed on three weekly dates, all-time downloads
growing week to week, a model appearing late and one disappearing, and attribution columns
(countries and organisation types from our bundled registry, parents from the
``base_model:`` tags) under the study's column names — the ``_single`` variants in one
file, the plain ones in another.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from weightwatch.errors import InputError, ParseError, SnapshotExists
from weightwatch.orgs import load_registry
from weightwatch.sources.eoi import ATTRIBUTION_SCHEMA, ATTRIBUTION_TABLE, import_eoi
from weightwatch.store import Store

WEEKS = [date(2025, 6, 1), date(2025, 6, 8), date(2025, 6, 15)]
MODELS = 40


def _parents(tags: list[str]) -> str | None:
    parents = [t.split(":", 1)[1] for t in tags if t.startswith("base_model:")]
    parents = [p for p in parents if ":" not in p]
    return str(parents) if parents else None  # the study prints Python lists


@pytest.fixture(scope="module")
def eoi_rows(trending_file: Path) -> list[dict[str, Any]]:
    registry = load_registry()
    models = json.loads(trending_file.read_text())["models"][:MODELS]
    rows = []
    for w, week in enumerate(WEEKS):
        for i, m in enumerate(models):
            if (i == MODELS - 1 and w == 0) or (i == 0 and w == 2):
                continue  # one model appears in week 2, one is gone in week 3
            org = registry.get(m["author"])
            rows.append(
                {
                    "_id": f"{w}-{i}",
                    "model": m["id"],
                    "author": m["author"],
                    "time": datetime(week.year, week.month, week.day),
                    "created": datetime.fromisoformat(m["createdAt"].replace("Z", "+00:00")),
                    "downloadsAllTime": 1000 * (i + 1) + 700 * w,
                    "annotator": "free",
                    "org_type": org.org_type if org else "user",
                    "org_country_single": org.country if org else None,
                    "derived_author": m["author"],
                    "derived_org_country_single": org.country if org else None,
                    "merged_derived_from": _parents(m.get("tags") or []),
                    "merged_modality": "Text → Text",
                }
            )
    return rows


def _day_rows(rows: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    return [r for r in rows if r["time"].date() == day]


@pytest.fixture(scope="module")
def eoi_parquet(eoi_rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("eoi") / "all_downloads_with_annotations.parquet"
    pq.write_table(pa.Table.from_pylist(eoi_rows), path)
    return path


@pytest.fixture(scope="module")
def imported(eoi_parquet: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Any]:
    root = tmp_path_factory.mktemp("st") / "store"
    reports = import_eoi([eoi_parquet], root)
    return Store.open(root), reports


def _snapshot(store: Store, day: date, table: str = "snapshots") -> list[dict[str, Any]]:
    directory = store.table_root(table) / f"snapshot_date={day.isoformat()}"
    files = sorted(directory.glob("*.parquet"))
    return pq.read_table(files, partitioning=None).to_pylist()


def test_one_snapshot_per_date_with_exactly_its_rows(
    imported: tuple[Store, Any], eoi_rows: list[dict[str, Any]]
) -> None:
    store, reports = imported
    assert store.snapshot_dates() == WEEKS
    assert [r.snapshot_date for r in reports] == WEEKS
    for day, report in zip(WEEKS, reports, strict=True):
        want = {(r["model"], r["downloadsAllTime"]) for r in _day_rows(eoi_rows, day)}
        rows = _snapshot(store, day)
        assert {(r["model_id"], r["downloads_all_time"]) for r in rows} == want
        assert report.rows == len(want) == store.manifest(day).rows
        assert all(r["source"] == "eoi" and r["downloads_30d"] is None for r in rows)
    assert store.verify() == []


def test_attribution_kept_as_its_own_table(
    imported: tuple[Store, Any], eoi_rows: list[dict[str, Any]]
) -> None:
    store, _ = imported
    assert store.snapshot_dates(ATTRIBUTION_TABLE) == WEEKS
    for day in WEEKS:
        rows = _snapshot(store, day, ATTRIBUTION_TABLE)
        assert list(rows[0]) == ATTRIBUTION_SCHEMA.names
        want = {
            r["model"]: (r["org_country_single"], r["org_type"], r["merged_derived_from"])
            for r in _day_rows(eoi_rows, day)
        }
        assert {
            r["model_id"]: (r["org_country"], r["org_type"], r["merged_derived_from"]) for r in rows
        } == want
    qwen = next(r for r in _snapshot(store, WEEKS[0], ATTRIBUTION_TABLE) if r["author"] == "Qwen")
    assert qwen["org_country"] == qwen["derived_org_country"] == "CN"
    manifest = store.manifest(WEEKS[0])
    assert manifest.extra["attribution_columns"]["org_country"] == "org_country_single"
    assert manifest.extra["attribution_columns"]["derived_org_country"] == (
        "derived_org_country_single"
    )


def test_lineage_and_leftovers(imported: tuple[Store, Any], eoi_rows: list[dict[str, Any]]) -> None:
    store, _ = imported
    rows = {r["model_id"]: r for r in _snapshot(store, WEEKS[1])}
    with_parents = [r for r in _day_rows(eoi_rows, WEEKS[1]) if r["merged_derived_from"]]
    assert with_parents
    for src in with_parents:
        ids = [b["model_id"] for b in rows[src["model"]]["base_models"]]
        assert ids == list(dict.fromkeys(ast.literal_eval(src["merged_derived_from"])))
        assert {b["relation"] for b in rows[src["model"]]["base_models"]} == {"unknown"}
    raw = json.loads(next(iter(rows.values()))["raw_json"])
    assert set(raw) == {"_id", "annotator", "merged_modality"}


def test_deltas_follow_each_snapshot(imported: tuple[Store, Any]) -> None:
    store, reports = imported
    assert [r.deltas for r in reports] == [[d] for d in WEEKS]
    assert store.snapshot_dates("deltas") == WEEKS


def test_plain_columns_win_and_csv_reads_like_parquet(
    eoi_rows: list[dict[str, Any]], eoi_parquet: Path, tmp_path: Path
) -> None:
    plain = [{**r, "org_country": "XX" if r["org_country_single"] else None} for r in eoi_rows]
    csv_path = tmp_path / "eoi.csv"
    pacsv.write_csv(pa.Table.from_pylist(plain), csv_path)
    reports = import_eoi([csv_path], tmp_path / "csv", deltas=False)
    from_parquet = import_eoi([eoi_parquet], tmp_path / "pq", deltas=False)
    assert [r.rows for r in reports] == [r.rows for r in from_parquet]
    csv_store, pq_store = Store.open(tmp_path / "csv"), Store.open(tmp_path / "pq")
    keep = ("model_id", "author", "created_at", "downloads_all_time", "base_models")
    for day in WEEKS:
        a = sorted((tuple(r[k] for k in keep) for r in _snapshot(csv_store, day)), key=str)
        b = sorted((tuple(r[k] for k in keep) for r in _snapshot(pq_store, day)), key=str)
        assert a == b
    attribution = _snapshot(csv_store, WEEKS[0], ATTRIBUTION_TABLE)
    assert {r["org_country"] for r in attribution} <= {"XX", None}
    assert csv_store.manifest(WEEKS[0]).extra["attribution_columns"]["org_country"] == "org_country"
    assert "org_country_single" in csv_store.manifest(WEEKS[0]).extra["unmapped_columns"]


def test_bad_values_and_rows_located_in_their_snapshot(
    eoi_rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    rows = [dict(r) for r in eoi_rows]
    n = len(rows)
    rows[3]["downloadsAllTime"] = -1  # nulled and counted, in week 1
    late = next(i for i, r in enumerate(rows) if r["time"].date() == WEEKS[2])
    rows.append({**rows[late], "model": "not a repo id"})  # rejected, week 3
    rows.append({**rows[late]})  # a repeat within week 3: rejected
    rows.append({**rows[late], "time": None})  # no date: rejected, told with week 1
    path = tmp_path / "eoi.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    reports = {r.snapshot_date: r for r in import_eoi([path], tmp_path / "st", deltas=False)}
    first, second, last = (reports[d] for d in WEEKS)
    assert first.field_issues == {"downloadsAllTime": 1}
    assert first.field_issue_examples[0].location == "row 4"
    assert [(p.location, p.field) for p in first.rejected_examples] == [(f"row {n + 3}", "time")]
    assert second.rejected == 0 and not second.field_issues
    assert last.rejected == 2
    assert [p.location for p in last.rejected_examples] == [f"row {n + 1}", f"row {n + 2}"]
    assert last.rejected_examples[0].reason.startswith("not a Hub repo id")
    assert last.rejected_examples[1].reason.startswith("duplicate model id")
    assert f"(first at row {late + 1})" in last.rejected_examples[1].reason
    store = Store.open(tmp_path / "st")
    lines = (store.root / f"snapshot_date={WEEKS[2]}" / "_rejects.jsonl").read_text()
    assert len(lines.splitlines()) == 2 and "not a repo id" in lines
    assert store.manifest(WEEKS[0]).field_issues == 1
    assert store.manifest(WEEKS[0]).rejected_rows == 1
    assert store.manifest(WEEKS[2]).rows == last.rows == MODELS - 1


def test_one_date_only_and_taken_dates(eoi_parquet: Path, tmp_path: Path) -> None:
    root = tmp_path / "st"
    (report,) = import_eoi([eoi_parquet], root, WEEKS[1], deltas=False)
    assert Store.open(root).snapshot_dates() == [WEEKS[1]] and report.rows == MODELS
    with pytest.raises(InputError, match="no rows for 2024-01-01"):
        import_eoi([eoi_parquet], root, date(2024, 1, 1))
    with pytest.raises(SnapshotExists, match="2025-06-08"):
        import_eoi([eoi_parquet], root, deltas=False)
    assert Store.open(root).snapshot_dates() == [WEEKS[1]]  # nothing else written
    reports = import_eoi([eoi_parquet], root, replace=True, deltas=False)
    assert [r.snapshot_date for r in reports] == WEEKS


def test_truncated_file_refused_and_store_unchanged(
    eoi_parquet: Path, imported: tuple[Store, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "eoi.parquet"
    data = eoi_parquet.read_bytes()
    bad.write_bytes(data[: len(data) - 100])
    store = imported[0]
    before = sorted(p.name for p in store.root.rglob("*"))
    with pytest.raises(ParseError) as info:
        import_eoi([bad], store, replace=True)
    assert str(bad) in str(info.value)
    assert sorted(p.name for p in store.root.rglob("*")) == before
    with pytest.raises(ParseError):
        import_eoi([bad], tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_missing_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"id": ["a/b"], "time": [datetime(2025, 1, 1, tzinfo=UTC)]}), path)
    with pytest.raises(InputError, match="no 'model' column"):
        import_eoi([path], tmp_path / "st")
    assert not (tmp_path / "st").exists()
