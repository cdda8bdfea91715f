"""Property: whatever mix of expansion, card and tags names a model's parents and licence,
the set-based SQL reads them exactly as :func:`map_record` reads the same JSON record."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.normalize.hub_listing import HUB_API, map_record
from weightwatch.sources.hub_stats import import_hub_stats

PARENTS = ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B", " Qwen/Qwen3-8B ", "N/A", "", "x/y:z"]
RELATIONS = ["finetune", "adapter", "quantized", "merge", "unknown", "weird"]
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("cardData", pa.string()),
        (
            "baseModels",
            pa.struct(
                [
                    ("relation", pa.string()),
                    ("models", pa.list_(pa.struct([("id", pa.string())]))),
                ]
            ),
        ),
    ]
)

parent = st.sampled_from(PARENTS)
relation = st.sampled_from(RELATIONS)
tag = st.one_of(
    parent.map(lambda p: f"base_model:{p}"),
    st.tuples(relation, parent).map(lambda rp: f"base_model:{rp[0]}:{rp[1]}"),
    st.sampled_from(["license:mit", "license:apache-2.0", "gguf", "transformers", "base_model:"]),
)
card = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "license": st.one_of(
                st.sampled_from(["mit", "", "other"]), st.lists(st.sampled_from(["mit", "gpl"]))
            ),
            "base_model": st.one_of(st.none(), parent, st.lists(parent, max_size=3)),
            "base_model_relation": relation,
        },
    ),
)
expansion = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "relation": st.one_of(st.none(), relation),
            "models": st.lists(parent.map(lambda p: {"id": p}), max_size=3),
        }
    ),
)
record = st.fixed_dictionaries(
    {"tags": st.lists(tag, max_size=5), "cardData": card, "baseModels": expansion}
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(record, min_size=1, max_size=40))
def test_parents_and_licence_as_the_json_ingest(tmp_path: Path, records: list[Any]) -> None:
    rows = [
        {
            "id": f"someone/model-{i}",
            "tags": r["tags"],
            "cardData": None if r["cardData"] is None else json.dumps(r["cardData"]),
            "baseModels": r["baseModels"],
        }
        for i, r in enumerate(records)
    ]
    work = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example (examples replay)
    path = work / "models-2026-01-04.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    import_hub_stats([path], work / "st", deltas=False)
    published = pq.read_table(sorted((work / "st").glob("snapshot_date=*/*.parquet")))
    got = {r["model_id"]: r for r in published.to_pylist()}
    for i, row in enumerate(rows):
        source = {**row, "cardData": records[i]["cardData"]}
        want, _ = map_record(source, f"row {i + 1}", HUB_API, "hub-stats")
        assert want is not None
        have = got[want["model_id"]]
        assert have["base_models"] == want["base_models"], (row, have["base_models"])
        assert have["license"] == want["license"], row
        assert have["is_gguf"] == want["is_gguf"], row
