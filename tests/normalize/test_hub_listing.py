import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from weightwatch.normalize.hub_listing import HUB_API, HUB_SCRAPER, detect_dialect, map_record
from weightwatch.normalize.schema import FILE_SCHEMA
from weightwatch.sources.listing_file import Record, read_listing_file


def _values(path: Path) -> list[dict]:
    return [r.value for r in read_listing_file(path).records if isinstance(r, Record)]


def test_dialects_detected_from_keys(trending_file: Path, hub_api_file: Path) -> None:
    assert detect_dialect(_values(trending_file)) == HUB_SCRAPER
    assert detect_dialect(_values(hub_api_file)) == HUB_API
    assert detect_dialect([{"id": "a/b", "downloads": 1}]) == HUB_API


def test_hub_api_record_maps_every_field(hub_api_file: Path) -> None:
    qwen, llama, gguf, gpt2 = _values(hub_api_file)
    row, problems = map_record(qwen, "item 1", HUB_API, HUB_API)
    assert problems == []
    assert row is not None
    assert row["model_id"] == "Qwen/Qwen3-8B" and row["author"] == "Qwen"
    assert row["downloads_30d"] == 1843211 and row["downloads_all_time"] == 21933457
    assert row["created_at"] == datetime(2025, 4, 27, 3, 42, 21, tzinfo=UTC)
    assert row["params_total"] == 8190735360
    assert row["license"] == "apache-2.0" and row["gated"] is False and row["is_gguf"] is False
    assert row["base_models"] == [{"relation": "finetune", "model_id": "Qwen/Qwen3-8B-Base"}]
    raw = json.loads(row["raw_json"])
    assert raw["sha"].startswith("b968826d") and raw["trendingScore"] == 14  # unknown kept
    assert "downloads" not in raw  # mapped fields are not duplicated

    row, _ = map_record(llama, "item 2", HUB_API, HUB_API)
    assert row is not None and row["gated"] is True and row["license"] == "llama3.1"

    row, _ = map_record(gguf, "item 3", HUB_API, HUB_API)
    assert row is not None and row["is_gguf"] and row["params_total"] == 8190735360
    assert row["base_models"] == [{"relation": "quantized", "model_id": "Qwen/Qwen3-8B"}]

    row, _ = map_record(gpt2, "item 4", HUB_API, HUB_API)
    assert row is not None
    assert row["author"] is None  # legacy id without namespace: no uploader to attribute
    assert row["downloads_all_time"] is None and row["license"] == "mit"


def test_real_scraper_rows_fit_schema_and_keep_lineage(trending_file: Path) -> None:
    values = _values(trending_file)
    rows = []
    for i, value in enumerate(values):
        row, problems = map_record(value, f"item {i + 1}", HUB_SCRAPER, HUB_SCRAPER)
        assert problems == [] and row is not None
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=FILE_SCHEMA)
    assert table.num_rows == 1000
    # SOURCES.md: 536 of 1,000 models carry at least one base_model: tag
    with_parents = sum(1 for r in rows if r["base_models"])
    assert with_parents == 536
    # pipelineTag is null for 225 models in the real file
    assert sum(1 for r in rows if r["pipeline_tag"] is None) == 225
    assert all(json.loads(r["raw_json"]).keys() >= {"rank", "url"} for r in rows)


def test_wrong_types_null_the_field_and_keep_the_value() -> None:
    record = {
        "id": "someone/model",
        "downloads": "lots",
        "likes": -3,
        "tags": "text-generation",
        "createdAt": "yesterday",
        "gated": "sometimes",
        "pipeline_tag": 7,
    }
    row, problems = map_record(record, "line 9", HUB_API, HUB_API)
    assert row is not None
    assert {p.field for p in problems} == {
        "downloads",
        "likes",
        "tags",
        "createdAt",
        "gated",
        "pipeline_tag",
    }
    assert all(p.location == "line 9" and not p.rejected for p in problems)
    assert row["downloads_30d"] is None and row["likes"] is None and row["tags"] is None
    raw = json.loads(row["raw_json"])
    assert raw["downloads"] == "lots" and raw["likes"] == -3 and raw["createdAt"] == "yesterday"


def test_rows_without_usable_id_are_rejected() -> None:
    for record, field in [
        ({"downloads": 3}, "id"),
        ({"id": ""}, "id"),
        ({"id": 42}, "id"),
        ({"id": "has space/x"}, "id"),
        (["not", "an", "object"], "(record)"),
    ]:
        row, problems = map_record(record, "line 1", HUB_API, HUB_API)
        assert row is None
        assert len(problems) == 1 and problems[0].rejected and problems[0].field == field


def test_base_models_from_card_tags_and_expansion_merge() -> None:
    record = {
        "id": "x/merged",
        "cardData": {"base_model": ["a/one", " a/two ", "N/A", ""], "base_model_relation": "merge"},
        "tags": ["base_model:a/three", "base_model:adapter:a/one"],
        "baseModels": {"relation": "merge", "models": [{"id": "a/one"}]},
    }
    row, _ = map_record(record, "line 1", HUB_API, HUB_API)
    assert row is not None
    assert row["base_models"] == [
        {"relation": "merge", "model_id": "a/one"},
        {"relation": "merge", "model_id": "a/two"},
        {"relation": "unknown", "model_id": "a/three"},
    ]
