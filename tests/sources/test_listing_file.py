import gzip
import json
from pathlib import Path

import pytest

from weightwatch.errors import ParseError
from weightwatch.sources.listing_file import BadRecord, Record, read_listing_file


def test_reads_real_scraper_wrapper_with_line_numbers(trending_file: Path) -> None:
    listing = read_listing_file(trending_file)
    assert listing.container == "wrapper:models"
    assert len(listing.records) == 1000
    assert listing.meta["fetchedAt"] == "2026-05-04T04:10:37.776Z"
    first = listing.records[0]
    assert isinstance(first, Record)
    assert first.value["id"] == "deepseek-ai/DeepSeek-V4-Pro"
    # the file is pretty-printed: the first model object opens on line 6
    assert first.location == "item 1 (line 6)"


def test_reads_hub_array_and_jsonl_alike(hub_api_file: Path, tmp_path: Path) -> None:
    array = read_listing_file(hub_api_file)
    assert array.container == "array"
    items = json.loads(hub_api_file.read_text())
    jsonl = tmp_path / "models.jsonl"
    jsonl.write_text("".join(json.dumps(item) + "\n" for item in items))
    lines = read_listing_file(jsonl)
    assert lines.container == "jsonl"
    assert [r.value for r in lines.records] == [r.value for r in array.records]
    assert lines.records[2].location == "line 3"


def test_gzip_detected_by_content_not_name(hub_api_file: Path, tmp_path: Path) -> None:
    packed = tmp_path / "listing.json"  # no .gz suffix on purpose
    packed.write_bytes(gzip.compress(hub_api_file.read_bytes()))
    assert len(read_listing_file(packed).records) == 4


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('[{"id": "a/b"}, {"id": "c/d", "likes": 3', "line 1"),
        ('{\n  "models": [\n    {"id": "a/b"},\n', "line 4"),
        ("id,downloads\na/b,3\n", "line 1, column 1"),
        ("", "start"),
        ('[{"id": "a/b"}] trailing', "line 1, column 17"),
    ],
    ids=["truncated-array", "truncated-wrapper", "csv-not-json", "empty", "trailing-garbage"],
)
def test_unparseable_file_names_file_and_position(tmp_path: Path, content: str, where: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ParseError) as info:
        read_listing_file(bad)
    message = str(info.value)
    assert str(bad) in message
    assert where in message


def test_jsonl_bad_middle_line_is_a_bad_record_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a/b"}\n{"id": "c/d",,}\n{"id": "e/f"}\n')
    records = read_listing_file(path).records
    assert [type(r) for r in records] == [Record, BadRecord, Record]
    assert records[1].location == "line 2"


def test_jsonl_truncated_last_line_rejects_file(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a/b"}\n{"id": "c/d", "downl')
    with pytest.raises(ParseError, match="line 2"):
        read_listing_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        read_listing_file(tmp_path / "nope.json")
