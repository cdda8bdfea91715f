"""The hub-stats bulk import on real-shaped data: the same canonical rows as the JSON ingest.

The fixture is the real starscreener listing (1,000 trending models of 2026-05-04) turned
into the hub-stats dump's shape (typed columns, ``cardData`` as a JSON string, the Hub's
``baseModels`` expansion derived from the ``base_model:`` tags as the Hub derives it), plus
hand-made rows for every rule: padded, invalid and repeated ids, bad values, parents named
several ways.  Every accepted row must map exactly as :func:`map_record` maps the same
record in JSON form.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from weightwatch.errors import InputError, ParseError, SnapshotExists, StoreError
from weightwatch.normalize.hub_listing import HUB_API, map_record
from weightwatch.normalize.schema import COLUMNS
from weightwatch.sources import hub_stats
from weightwatch.sources.hub_stats import (
    Resources,
    import_hub_stats,
    import_hub_stats_files,
    snapshot_date_from_path,
)
from weightwatch.store import Store
from weightwatch.synth.hub_stats import write_hub_stats

DAY = date(2026, 5, 4)
SAFETENSORS = pa.struct([("parameters", pa.struct([("BF16", pa.int64())])), ("total", pa.int64())])
GGUF = pa.struct([("total", pa.int64()), ("architecture", pa.string())])
BASE_MODELS = pa.struct(
    [("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))]
)
SCHEMA = pa.schema(
    [
        ("_id", pa.string()),
        ("id", pa.string()),
        ("author", pa.string()),
        ("createdAt", pa.timestamp("us", tz="UTC")),
        ("lastModified", pa.timestamp("us", tz="UTC")),
        ("private", pa.bool_()),
        ("gated", pa.string()),
        ("downloads", pa.int64()),
        ("downloadsAllTime", pa.int64()),
        ("likes", pa.int64()),
        ("trendingScore", pa.float64()),
        ("tags", pa.list_(pa.string())),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("cardData", pa.string()),
        ("safetensors", SAFETENSORS),
        ("gguf", GGUF),
        ("baseModels", BASE_MODELS),
        ("url", pa.string()),
    ]
)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _number(text: str, mod: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % mod


def _expansion(tags: list[str]) -> dict[str, Any] | None:
    """The Hub's ``baseModels`` for a model's tags: its parents, with the relation."""
    parents: list[str] = []
    relation = None
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, _, tail = rest.partition(":")
        if tail:
            relation = relation or head
        elif rest not in parents:
            parents.append(rest)
    if not parents:
        return None
    return {"relation": relation, "models": [{"id": p} for p in parents]}


def hub_stats_row(model: dict[str, Any], i: int) -> dict[str, Any]:
    """One starscreener model as a hub-stats row (Python values, Parquet-typed)."""
    tags = list(model.get("tags") or [])
    licence = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
    expansion = _expansion(tags)
    card: dict[str, Any] | None = None
    if i % 2 == 0:  # half the models carry a card, as on the Hub many do
        card = {"license": licence or "other", "language": ["en"]}
        if expansion:
            ids = [m["id"] for m in expansion["models"]]
            card["base_model"] = ids[0] if len(ids) == 1 else ids
    params = 1_000_000 + _number(model["id"], 70_000_000_000)
    return {
        "_id": hashlib.sha256(model["id"].encode()).hexdigest()[:24],
        "id": model["id"],
        "author": model.get("author"),
        "createdAt": _time(model["createdAt"]),
        "lastModified": _time(model["lastModified"]),
        "private": False,
        "gated": "manual" if i % 97 == 0 else "False",
        "downloads": model.get("downloads"),
        "downloadsAllTime": (model.get("downloads") or 0) * 3 + _number(model["id"], 1000),
        "likes": model.get("likes"),
        "trendingScore": model.get("trendingScore"),
        "tags": tags,
        "pipeline_tag": model.get("pipelineTag"),
        "library_name": model.get("libraryName"),
        "cardData": json.dumps(card) if card is not None else None,
        "safetensors": {"parameters": {"BF16": params}, "total": params}
        if "safetensors" in tags
        else None,
        "gguf": {"total": params, "architecture": "llama"} if "gguf" in tags else None,
        "baseModels": expansion,
        "url": model.get("url"),
    }


def edge_rows() -> list[dict[str, Any]]:
    """Hand-made rows, one per rule (appended after the real ones)."""
    base = {
        "_id": "0" * 24,
        "author": None,
        "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
        "lastModified": datetime(2025, 2, 1, tzinfo=UTC),
        "private": False,
        "gated": "False",
        "downloads": 5,
        "downloadsAllTime": 50,
        "likes": 0,
        "trendingScore": 0,
        "tags": ["transformers"],
        "pipeline_tag": None,
        "library_name": None,
        "cardData": None,
        "safetensors": None,
        "gguf": None,
        "baseModels": None,
        "url": None,
    }
    merge_tags = [
        "base_model:Qwen/Qwen2.5-7B",
        "base_model:merge:Qwen/Qwen2.5-7B",
        "base_model:meta-llama/Llama-3.1-8B",
        "base_model:merge:meta-llama/Llama-3.1-8B",
    ]
    rows = [
        {"id": "  someone/padded-model  "},
        {"id": "someone/negative", "downloads": -5},
        {"id": "someone/gated-oddly", "gated": "sometimes"},
        {"id": "someone/null-tag", "tags": ["transformers", None]},
        {
            "id": "someone/merged",
            "tags": merge_tags,
            "baseModels": {
                "relation": "merge",
                "models": [{"id": "Qwen/Qwen2.5-7B"}, {"id": "meta-llama/Llama-3.1-8B"}],
            },
        },
        {
            "id": "someone/card-parents",
            "cardData": json.dumps(
                {"base_model": ["google/gemma-3-4b-it", "N/A"], "base_model_relation": "adapter"}
            ),
        },
        {
            "id": "someone/reversed-tags",
            "tags": [
                "base_model:finetune:mistralai/Mistral-7B-v0.3",
                "base_model:mistralai/Mistral-7B-v0.3",
            ],
        },
        {
            "id": "someone/relation-from-tag",
            "tags": ["base_model:Qwen/Qwen3-8B", "base_model:quantized:Qwen/Qwen3-8B"],
            "baseModels": {"relation": None, "models": [{"id": "Qwen/Qwen3-8B"}]},
            "cardData": json.dumps(
                {"base_model": "Qwen/Qwen3-8B", "license": ["mit", "apache-2.0"]}
            ),
        },
        {"id": "nobody-legacy-id", "tags": ["license:mit", "gguf"]},
        # rejected below this line
        {"id": "bad id/with space"},
        {"id": "a/b/c"},
        {"id": None},
        {"id": "someone/negative"},  # a repeat of an earlier id
    ]
    return [{**base, **row} for row in rows]


EDGE_ACCEPTED = 9
EDGE_REJECTED = 4


def json_record(row: dict[str, Any]) -> dict[str, Any]:
    """The same record as the Hub API's JSON would carry it."""
    record = dict(row)
    for key in ("createdAt", "lastModified"):
        if isinstance(record[key], datetime):
            record[key] = record[key].isoformat().replace("+00:00", "Z")
    if record["gated"] == "False":
        record["gated"] = False
    if isinstance(record["cardData"], str):
        record["cardData"] = json.loads(record["cardData"])
    return record


@pytest.fixture(scope="module")
def rows(trending_file: Path) -> list[dict[str, Any]]:
    models = json.loads(trending_file.read_text())["models"]
    return [hub_stats_row(m, i) for i, m in enumerate(models)] + edge_rows()


@pytest.fixture(scope="module")
def dump(rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hubstats") / f"models-{DAY.isoformat()}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path, row_group_size=300)
    return path


@pytest.fixture(scope="module")
def imported(dump: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Any]:
    root = tmp_path_factory.mktemp("store") / "st"
    report = import_hub_stats([dump], root)
    return Store.open(root), report


def _published(store: Store, day: date = DAY) -> list[dict[str, Any]]:
    directory = store.root / f"snapshot_date={day.isoformat()}"
    return pq.read_table(sorted(directory.glob("*.parquet"))).to_pylist()


def test_same_canonical_rows_as_the_json_ingest(
    imported: tuple[Store, Any], rows: list[dict[str, Any]]
) -> None:
    store, report = imported
    got = {r["model_id"]: r for r in _published(store)}
    expected: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows[: len(rows) - EDGE_REJECTED]):
        mapped, _ = map_record(json_record(row), f"row {i + 1}", HUB_API, "hub-stats")
        assert mapped is not None
        expected[mapped["model_id"]] = mapped
    assert set(got) == set(expected)
    assert report.rows == len(expected) == 1000 + EDGE_ACCEPTED
    for model_id, want in expected.items():
        have = got[model_id]
        for column in COLUMNS:
            if column == "raw_json":
                continue
            assert have[column] == want[column], (model_id, column)
        # raw_json: the same object; null values are left out of the bulk one
        want_raw = {k: v for k, v in json.loads(want["raw_json"] or "{}").items() if v is not None}
        assert json.loads(have["raw_json"] or "{}") == want_raw, model_id


def test_lineage_licence_and_formats_from_the_real_rows(imported: tuple[Store, Any]) -> None:
    got = {r["model_id"]: r for r in _published(imported[0])}
    assert got["someone/padded-model"]["author"] == "someone"
    assert got["nobody-legacy-id"]["author"] is None and got["nobody-legacy-id"]["is_gguf"]
    assert got["someone/merged"]["base_models"] == [
        {"relation": "merge", "model_id": "Qwen/Qwen2.5-7B"},
        {"relation": "merge", "model_id": "meta-llama/Llama-3.1-8B"},
    ]
    assert got["someone/card-parents"]["base_models"] == [
        {"relation": "adapter", "model_id": "google/gemma-3-4b-it"}
    ]
    assert got["someone/reversed-tags"]["base_models"] == [
        {"relation": "finetune", "model_id": "mistralai/Mistral-7B-v0.3"}
    ]
    relation_from_tag = got["someone/relation-from-tag"]
    assert relation_from_tag["base_models"] == [
        {"relation": "quantized", "model_id": "Qwen/Qwen3-8B"}
    ]
    assert relation_from_tag["license"] == "mit,apache-2.0"
    real = [r for r in got.values() if r["raw_json"] and '"url"' in r["raw_json"]]
    assert sum(bool(r["base_models"]) for r in real) == 536  # as SOURCES.md counts them
    assert all(r["source"] == "hub-stats" for r in got.values())


def test_bad_values_counted_and_located(imported: tuple[Store, Any], rows: list[Any]) -> None:
    store, report = imported
    first_edge = len(rows) - len(edge_rows())
    assert report.field_issues == {"downloads": 1, "gated": 1, "tags": 1}
    located = {(p.field, p.location) for p in report.field_issue_examples}
    assert ("downloads", f"row {first_edge + 2}") in located
    assert ("gated", f"row {first_edge + 3}") in located
    assert ("tags", f"row {first_edge + 4}") in located
    negative = next(r for r in _published(store) if r["model_id"] == "someone/negative")
    assert negative["downloads_30d"] is None and json.loads(negative["raw_json"])["downloads"] == -5
    manifest = store.manifest(DAY)
    assert manifest.field_issues == 3
    assert manifest.extra["field_issues_by_field"] == {"downloads": 1, "gated": 1, "tags": 1}


def test_rejected_rows_kept_whole_with_row_and_reason(
    imported: tuple[Store, Any], rows: list[Any]
) -> None:
    store, report = imported
    n = len(rows)
    assert report.rejected == EDGE_REJECTED
    entries = [
        json.loads(line)
        for line in (store.root / f"snapshot_date={DAY}" / "_rejects.jsonl")
        .read_text()
        .splitlines()
    ]
    assert [(e["location"], e["field"]) for e in entries] == [
        (f"row {n - 3}", "id"),
        (f"row {n - 2}", "id"),
        (f"row {n - 1}", "id"),
        (f"row {n}", "id"),
    ]
    assert "not a Hub repo id" in entries[0]["reason"]
    assert "non-empty string" in entries[2]["reason"]
    first = len(rows) - len(edge_rows()) + 2
    assert (
        entries[3]["reason"].startswith("duplicate model id")
        and f"row {first}" in entries[3]["reason"]
    )
    assert entries[0]["record"]["id"] == "bad id/with space"
    assert entries[0]["record"]["tags"] == ["transformers"]
    assert store.manifest(DAY).rejected_rows == EDGE_REJECTED


def test_manifest_and_store_check_out(imported: tuple[Store, Any], dump: Path) -> None:
    store, report = imported
    assert store.verify() == []
    manifest = store.manifest(DAY)
    assert manifest.source == "hub-stats" and manifest.rows == report.rows
    assert [(i.name, i.bytes) for i in manifest.inputs] == [(dump.name, dump.stat().st_size)]
    assert (
        "url" in manifest.extra["unmapped_columns"] and "_id" in manifest.extra["unmapped_columns"]
    )
    assert report.deltas == [DAY]  # the store's first snapshot: every row first seen
    assert DAY in store.snapshot_dates("deltas")


def test_typed_differently_still_checked(tmp_path: Path) -> None:
    """Text columns where the dump has numbers and times: parsed, or nulled and counted."""
    table = pa.table(
        {
            "id": ["a/one", "a/two", "a/three"],
            "createdAt": ["2025-01-02T03:04:05.000Z", "yesterday", None],
            "downloads": ["12", "x", "7.0"],
            "tags": ['["license:mit", "base_model:finetune:b/base"]', "not json", None],
            "gated": pa.array([False, True, None]),
            "cardData": ['{"license": "apache-2.0"}', "{license: mit", None],
        }
    )
    path = tmp_path / "models-2026-01-04.parquet"
    pq.write_table(table, path)
    report = import_hub_stats([path], tmp_path / "st", deltas=False)
    got = {r["model_id"]: r for r in _published(Store.open(tmp_path / "st"), date(2026, 1, 4))}
    assert report.field_issues == {"createdAt": 1, "downloads": 1, "tags": 1, "cardData": 1}
    one, two, three = got["a/one"], got["a/two"], got["a/three"]
    assert one["created_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (one["downloads_30d"], two["downloads_30d"], three["downloads_30d"]) == (12, None, 7)
    assert one["license"] == "apache-2.0" and one["base_models"] == [
        {"relation": "finetune", "model_id": "b/base"}
    ]
    assert one["gated"] is False and two["gated"] is True
    assert json.loads(two["raw_json"]) == {
        "cardData": "{license: mit",
        "createdAt": "yesterday",
        "downloads": "x",
        "tags": "not json",
    }


def test_snapshot_date_from_the_file_name(tmp_path: Path) -> None:
    assert snapshot_date_from_path(Path("models-2026-01-04.parquet")) == date(2026, 1, 4)
    assert snapshot_date_from_path(Path("2025-12-31/models.parquet")) == date(2025, 12, 31)
    assert snapshot_date_from_path(Path("models.parquet")) is None
    path = tmp_path / "models.parquet"
    pq.write_table(pa.table({"id": ["a/b"]}), path)
    with pytest.raises(InputError, match="--snapshot-date"):
        import_hub_stats([path], tmp_path / "st")
    assert not (tmp_path / "st").exists()


def test_shards_make_one_snapshot_and_repeats_across_them_are_located(tmp_path: Path) -> None:
    first, second = tmp_path / "0000.parquet", tmp_path / "0001.parquet"
    pq.write_table(pa.table({"id": ["a/x", "a/y"], "downloads": [1, 2]}), first)
    pq.write_table(pa.table({"id": ["a/z", "a/x"], "likes": [3, 4]}), second)
    reports = import_hub_stats_files([first, second], tmp_path / "st", date(2026, 2, 1))
    (report,) = reports
    assert report.rows == 3 and report.rejected == 1
    assert report.rejected_examples[0].location == "0001.parquet row 2"
    assert "first at 0000.parquet row 1" in report.rejected_examples[0].reason
    got = {r["model_id"]: r for r in _published(Store.open(tmp_path / "st"), date(2026, 2, 1))}
    assert got["a/z"]["likes"] == 3 and got["a/x"]["downloads_30d"] == 1


@pytest.mark.parametrize("damage", ["truncated", "not-parquet", "corrupt-pages"])
def test_damaged_parquet_refused_and_store_unchanged(
    damage: str, dump: Path, imported: tuple[Store, Any], tmp_path: Path
) -> None:
    bad = tmp_path / f"models-{date(2026, 6, 1)}.parquet"
    data = dump.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "not-parquet":
        bad.write_text("id,downloads\na/b,3\n")
    else:  # footer intact, data pages overwritten
        middle = len(data) // 3
        bad.write_bytes(data[:middle] + b"\xff" * 4096 + data[middle + 4096 :])
    store = imported[0]
    before = sorted(p.name for p in store.root.iterdir())
    with pytest.raises((ParseError, InputError)) as info:
        import_hub_stats([bad], store)
    assert str(bad) in str(info.value)
    assert sorted(p.name for p in store.root.iterdir()) == before
    assert store.snapshot_dates() == [DAY] and store.verify() == []
    with pytest.raises(ParseError):
        import_hub_stats([bad], tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_taken_date_needs_replace(dump: Path, tmp_path: Path) -> None:
    root = tmp_path / "st"
    import_hub_stats([dump], root, deltas=False)
    with pytest.raises(SnapshotExists, match="--replace"):
        import_hub_stats([dump], root, deltas=False)
    report = import_hub_stats([dump], root, replace=True, deltas=False)
    assert report.rows == Store.open(root).manifest(DAY).rows


def test_streams_within_a_memory_cap_too_small_for_the_file(tmp_path: Path) -> None:
    """Bounded memory: DuckDB, capped and not allowed to spill, cannot even hold the file
    as a table, yet the import streams it through, row group by row group."""
    path = tmp_path / "models-2026-01-04.parquet"
    write_hub_stats(path, rows=600_000, seed=3, row_group_size=25_000)
    cap = Resources(threads=1, memory_limit="192MB", spill=False)
    control = duckdb.connect(config={"memory_limit": cap.memory_limit, "threads": 1})
    control.execute("SET temp_directory = ''")
    with pytest.raises(duckdb.OutOfMemoryException):
        control.execute(f"CREATE TABLE whole AS SELECT * FROM read_parquet('{path}')")
    control.close()
    report = import_hub_stats([path], tmp_path / "st", resources=cap, deltas=False)
    assert report.rows == 600_000
    written = pq.ParquetFile(sorted((tmp_path / "st").glob("snapshot_date=*/*.parquet"))[0])
    assert written.metadata.num_row_groups > 1


def test_out_of_memory_is_a_store_error_not_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "models-2026-01-04.parquet"
    write_hub_stats(path, rows=200_000, seed=4)
    with pytest.raises(StoreError, match="out of memory"):
        import_hub_stats(
            [path],
            tmp_path / "st",
            resources=Resources(threads=1, memory_limit="24MB", spill=False),
            deltas=False,
        )
    root = tmp_path / "st"
    assert not root.exists() or Store.open(root).snapshot_dates() == []


def _careful(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make imports skip the single guarded pass (always the survey and checks)."""
    monkeypatch.setattr(hub_stats, "copy_if_clean", lambda *args, **kwargs: None)


def _snapshot(root: Path, day: date = DAY) -> tuple[list[dict[str, Any]], Any, list[str]]:
    store = Store.open(root)
    directory = store.root / f"snapshot_date={day.isoformat()}"
    rejects = directory / "_rejects.jsonl"
    rows = sorted(_published(store, day), key=lambda r: str(r["model_id"]))
    lines = rejects.read_text().splitlines() if rejects.exists() else []
    return rows, store.manifest(day), lines


def test_a_clean_dump_is_read_once(
    rows: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common case: one guarded ``COPY`` and a check of the written ids, no survey;
    the same snapshot as the careful way."""
    clean = rows[: len(rows) - len(edge_rows())]
    path = tmp_path / f"models-{DAY.isoformat()}.parquet"
    pq.write_table(pa.Table.from_pylist(clean, schema=SCHEMA), path, row_group_size=300)
    report = import_hub_stats([path], tmp_path / "once", deltas=False)
    assert "survey" not in report.seconds and "copy" in report.seconds
    assert report.rows == len(clean) and report.rejected == 0 and report.field_issues == {}
    _careful(monkeypatch)
    careful = import_hub_stats([path], tmp_path / "careful", deltas=False)
    assert "survey" in careful.seconds
    (once_rows, once, _), (careful_rows, manifest, _) = (
        _snapshot(tmp_path / "once"),
        _snapshot(tmp_path / "careful"),
    )
    assert once_rows == careful_rows
    assert (once.rows, once.rejected_rows, once.field_issues, once.extra) == (
        manifest.rows,
        manifest.rejected_rows,
        manifest.field_issues,
        manifest.extra,
    )


@pytest.mark.parametrize(
    ("problem", "rejected", "nulled"),
    [
        ({"id": "  someone/padded  "}, 0, {}),  # trimmed
        ({"id": "someone\tinside/x"}, 1, {}),
        ({"id": "/leading-slash"}, 0, {}),  # accepted, but off the guard's plain shape
        ({"id": "a/b/c"}, 1, {}),
        ({"id": None}, 1, {}),
        ({"id": "someone/m0"}, 1, {}),  # a repeat: only the check of the written ids sees it
        ({"downloads": -5}, 0, {"downloads": 1}),
        ({"gated": "sometimes"}, 0, {"gated": 1}),
        ({"tags": ["transformers", None]}, 0, {"tags": 1}),
        ({"cardData": "{not json"}, 0, {"cardData": 1}),
    ],
    ids=lambda p: repr(p)[:30],
)
def test_any_problem_falls_back_to_the_checks(
    problem: dict[str, Any],
    rejected: int,
    nulled: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One problem anywhere stops the guarded pass; the import then surveys, locates and
    copies with the checks, exactly as the careful way does."""
    rows = [{**edge_rows()[0], "id": f"someone/m{i}"} for i in range(50)]
    rows[37] = {**rows[37], **problem}
    path = tmp_path / f"models-{DAY.isoformat()}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path, row_group_size=10)
    report = import_hub_stats([path], tmp_path / "once", deltas=False)
    assert "survey" in report.seconds
    assert (report.rejected, report.field_issues) == (rejected, nulled)
    _careful(monkeypatch)
    careful = import_hub_stats([path], tmp_path / "careful", deltas=False)
    assert (report.rows, report.rejected, report.field_issues) == (
        careful.rows,
        careful.rejected,
        careful.field_issues,
    )
    assert [p.location for p in report.rejected_examples + report.field_issue_examples] == [
        p.location for p in careful.rejected_examples + careful.field_issue_examples
    ]
    (once_rows, once, once_rejects), (careful_rows, manifest, careful_rejects) = (
        _snapshot(tmp_path / "once"),
        _snapshot(tmp_path / "careful"),
    )
    assert once_rows == careful_rows and once_rejects == careful_rejects
    assert (once.rows, once.rejected_rows, once.field_issues) == (
        manifest.rows,
        manifest.rejected_rows,
        manifest.field_issues,
    )
    assert not list((tmp_path / "once").parent.glob(".once.staging/*"))
