"""Fixtures for the lineage tests: a crafted Hub listing with every lineage quirk."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from weightwatch.ingest import ingest_listing
from weightwatch.store import Store

DAY = date(2026, 5, 4)


def record(model_id: str, created: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "author": model_id.split("/")[0],
        "downloads": extra.pop("downloads", 10),
        "likes": 1,
        "pipeline_tag": "text-generation",
        "library_name": extra.pop("library_name", "transformers"),
        "tags": extra.pop("tags", []),
        "createdAt": f"{created}T00:00:00.000Z",
        **extra,
    }


CRAFTED = [
    record("org/base", "2024-01-01", downloads=1000),
    record(
        "u/ft",
        "2024-02-01",
        cardData={
            "base_model": "https://huggingface.co/org/base/tree/main",
            "base_model_relation": "finetune",
        },
        tags=["base_model:org/base", "base_model:finetune:org/base"],
        downloads=500,
    ),
    record(
        "u/ft-GGUF",
        "2024-03-01",
        library_name=None,
        cardData={"base_model": "u/ft", "base_model_relation": "finetune"},
        tags=["gguf", "base_model:quantized:u/ft"],
        gguf={"total": 8, "architecture": "qwen3"},
    ),
    record(
        "u/conflict",
        "2024-03-02",
        cardData={"base_model": "org/base"},
        tags=["base_model:finetune:other/model"],
    ),
    record(
        "u/bad",
        "2024-03-03",
        cardData={"base_model": ["N/A", "", "./ckpt", 42, "/home/x/model"]},
    ),
    record("u/self", "2024-03-04", cardData={"base_model": "u/self"}),
    record(
        "u/merge",
        "2024-04-01",
        cardData={
            "base_model": ["u/ft", "org/base", "gone/missing"],
            "base_model_relation": "merge",
        },
        tags=["merge", "mergekit"],
    ),
    record("u/lora", "2024-04-02", library_name="peft", cardData={"base_model": "org/base"}),
    record(
        "mlx-community/ft-4bit",
        "2024-04-03",
        library_name="mlx",
        tags=["mlx", "base_model:quantized:u/ft"],
    ),
    record(
        "u/api-only",
        "2024-04-04",
        baseModels={"relation": "finetune", "models": [{"id": "org/base"}]},
    ),
    record("u/Upper", "2024-04-05", cardData={"base_model": "ORG/BASE  "}),
    record("u/child-of-bad", "2024-04-06", cardData={"base_model": "u/bad"}),
    record("u/ft-AWQ", "2024-04-07", cardData={"base_model": "org/base"}, tags=["safetensors"]),
    record("u/cyc-a", "2024-05-01", cardData={"base_model": "u/cyc-b"}),
    record("u/cyc-b", "2024-05-02", cardData={"base_model": "u/cyc-a"}),
]


@pytest.fixture
def crafted_store(tmp_path: Path) -> Store:
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(CRAFTED), encoding="utf-8")
    store = Store.create(tmp_path / "store")
    ingest_listing(path, store, DAY)
    return store
