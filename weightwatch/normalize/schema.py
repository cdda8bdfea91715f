"""The canonical model-snapshot schema: one row per model per snapshot.

Every source (Hub listings, published dumps, our own collector) is mapped onto this one
Arrow schema before it reaches the store, so metrics never see a source's quirks.

Columns
-------
snapshot_date       date     day the listing was taken (the Hive partition key; stored in
                             the directory name ``snapshot_date=YYYY-MM-DD``, not in the files)
model_id            string   repo id ``author/name`` as the Hub spells it
author              string   account (user or organisation) that owns the repo: the
                             *uploader* in attribution terms
created_at          timestamp[us, UTC]  repo creation time (null when the source lacks it)
last_modified       timestamp[us, UTC]  last commit time
downloads_30d       int64    the Hub's ``downloads`` field: downloads over the trailing 30 days
downloads_all_time  int64    the Hub's ``downloadsAllTime``; null where the source lacks it
likes               int64
pipeline_tag        string   task, e.g. ``text-generation``
library_name        string   e.g. ``transformers``, ``gguf``, ``mlx``
tags                list<string>  raw Hub tags, in the source's order
license             string   from ``cardData.license`` or the ``license:`` tag
gated               bool     access requests required (``auto`` or ``manual`` on the Hub)
base_models         list<struct<relation, model_id>>  declared parents, relation one of
                             ``finetune | adapter | quantized | merge | unknown``
params_total        int64    total parameters (safetensors total, else GGUF total)
params_active       int64    active parameters per token (MoE); null when unknown
is_gguf             bool     the repo ships GGUF files
source              string   which reader produced the row (``hub-api``, ``hub-scraper``…)
raw_json            string   JSON object of the source fields we did not map, and of mapped
                             fields whose value had the wrong type (kept, never dropped)
"""

from __future__ import annotations

import pyarrow as pa

RELATIONS: tuple[str, ...] = ("finetune", "adapter", "quantized", "merge", "unknown")

BASE_MODEL_TYPE = pa.struct([("relation", pa.string()), ("model_id", pa.string())])

TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Columns stored in each Parquet file (snapshot_date lives in the partition path).
FILE_SCHEMA = pa.schema(
    [
        pa.field("model_id", pa.string(), nullable=False),
        pa.field("author", pa.string()),
        pa.field("created_at", TIMESTAMP),
        pa.field("last_modified", TIMESTAMP),
        pa.field("downloads_30d", pa.int64()),
        pa.field("downloads_all_time", pa.int64()),
        pa.field("likes", pa.int64()),
        pa.field("pipeline_tag", pa.string()),
        pa.field("library_name", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("license", pa.string()),
        pa.field("gated", pa.bool_()),
        pa.field("base_models", pa.list_(BASE_MODEL_TYPE)),
        pa.field("params_total", pa.int64()),
        pa.field("params_active", pa.int64()),
        pa.field("is_gguf", pa.bool_()),
        pa.field("source", pa.string()),
        pa.field("raw_json", pa.string()),
    ],
    metadata={b"weightwatch.schema": b"snapshot/1"},
)

#: The schema a reader sees: the partition key first, then the file columns.
SNAPSHOT_SCHEMA = pa.schema([pa.field("snapshot_date", pa.date32(), nullable=False)]).append(
    FILE_SCHEMA.field(0)
)
for _field in list(FILE_SCHEMA)[1:]:
    SNAPSHOT_SCHEMA = SNAPSHOT_SCHEMA.append(_field)

SCHEMA_VERSION = "snapshot/1"

COLUMNS: tuple[str, ...] = tuple(FILE_SCHEMA.names)
