"""A synthetic ``models.parquet`` in the shape of the community hub-stats dump.

The columns and types follow the real dump as far as we could check them (see
:mod:`weightwatch.sources.hub_stats`): ``id``, ``author``, ``createdAt``/``lastModified``
(timestamps, UTC), ``downloads``, ``downloadsAllTime``, ``likes``, ``trendingScore``,
``tags`` (list of strings), ``pipeline_tag``, ``library_name``, ``cardData`` (a JSON
string), ``safetensors`` and ``gguf`` (structs with a ``total``), ``baseModels`` (a struct
of ``relation`` and ``models: [{id}]``), ``gated`` (``"False"``/``"auto"``/``"manual"``),
plus columns weightwatch does not map (``_id``, ``private``) that must end up in
``raw_json``.

The values are made up but shaped like the Hub: a mix of big labs (Qwen, meta-llama,
google, deepseek-ai, mistralai…), quantizers that upload thousands of repos (unsloth,
bartowski, mradermacher…) and a long tail of individuals; heavy-tailed downloads with
many zeros; ``base_model:`` and ``license:`` tags; creation times over five years,
denser recently.  Everything is generated with numpy and Arrow compute (no Python loop
per row), deterministically for a seed: 2.5 M rows take a few seconds.

``previous=`` turns a file into *next week's*: the same models (a few deleted), all-time
counters grown by about a week of downloads, 30-day counts drifted, ~1 % new repos.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TIMESTAMP = pa.timestamp("us", tz="UTC")
SAFETENSORS_TYPE = pa.struct(
    [("parameters", pa.struct([("BF16", pa.int64())])), ("total", pa.int64())]
)
GGUF_TYPE = pa.struct(
    [("total", pa.int64()), ("architecture", pa.string()), ("context_length", pa.int64())]
)
BASE_MODELS_TYPE = pa.struct(
    [("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))]
)

#: The generated file's schema (column order as in the dump's listing records).
HUB_STATS_SCHEMA = pa.schema(
    [
        ("_id", pa.string()),
        ("id", pa.string()),
        ("author", pa.string()),
        ("createdAt", TIMESTAMP),
        ("lastModified", TIMESTAMP),
        ("private", pa.bool_()),
        ("gated", pa.string()),
        ("downloads", pa.int64()),
        ("downloadsAllTime", pa.int64()),
        ("likes", pa.int64()),
        ("trendingScore", pa.int64()),
        ("tags", pa.list_(pa.string())),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("cardData", pa.string()),
        ("safetensors", SAFETENSORS_TYPE),
        ("gguf", GGUF_TYPE),
        ("baseModels", BASE_MODELS_TYPE),
    ]
)

# account, share of all repos, download multiplier, kind
_ORGS: tuple[tuple[str, float, float, str], ...] = (
    ("Qwen", 0.0003, 60.0, "lab"),
    ("meta-llama", 0.0002, 80.0, "lab"),
    ("google", 0.0006, 30.0, "lab"),
    ("deepseek-ai", 0.0001, 50.0, "lab"),
    ("mistralai", 0.0001, 40.0, "lab"),
    ("microsoft", 0.0006, 15.0, "lab"),
    ("nvidia", 0.0006, 8.0, "lab"),
    ("openai", 0.00003, 120.0, "lab"),
    ("facebook", 0.0008, 12.0, "lab"),
    ("BAAI", 0.0003, 25.0, "lab"),
    ("sentence-transformers", 0.0001, 200.0, "lab"),
    ("zai-org", 0.0001, 20.0, "lab"),
    ("moonshotai", 0.00003, 20.0, "lab"),
    ("ibm-granite", 0.0001, 8.0, "lab"),
    ("allenai", 0.0003, 5.0, "lab"),
    ("HuggingFaceTB", 0.0001, 10.0, "lab"),
    ("stabilityai", 0.0001, 10.0, "lab"),
    ("black-forest-labs", 0.00002, 30.0, "lab"),
    ("unsloth", 0.002, 8.0, "quantizer"),
    ("bartowski", 0.004, 3.0, "quantizer"),
    ("mradermacher", 0.02, 1.0, "quantizer"),
    ("lmstudio-community", 0.0008, 5.0, "quantizer"),
    ("mlx-community", 0.004, 2.0, "quantizer"),
    ("TheBloke", 0.002, 3.0, "quantizer"),
    ("QuantFactory", 0.001, 1.0, "quantizer"),
    ("Helsinki-NLP", 0.0006, 4.0, "community"),
    ("timm", 0.0006, 5.0, "community"),
    ("LoneStriker", 0.001, 1.0, "community"),
)
_HANDLES = (
    "alex", "maria", "kenji", "li", "sara", "omar", "nina", "david", "yuki", "chen",
    "ivan", "lucas", "emma", "raj", "fatima", "jonas", "mei", "pablo", "anna", "wei",
    "hassan", "julia", "tom", "aisha", "leo", "olga", "sam", "zhang", "marco", "ines",
)  # fmt: skip
# family, arch tag, pipeline, licence, typical size in billions
_FAMILIES: tuple[tuple[str, str, str, str, float], ...] = (
    ("Qwen3", "qwen3", "text-generation", "apache-2.0", 8.0),
    ("Qwen2.5", "qwen2", "text-generation", "apache-2.0", 7.0),
    ("Llama-3.1", "llama", "text-generation", "llama3.1", 8.0),
    ("Llama-3.2", "llama", "text-generation", "llama3.2", 3.0),
    ("gemma-3", "gemma3", "image-text-to-text", "gemma", 4.0),
    ("DeepSeek-R1-Distill", "qwen2", "text-generation", "mit", 7.0),
    ("Mistral", "mistral", "text-generation", "apache-2.0", 7.0),
    ("phi-4", "phi3", "text-generation", "mit", 14.0),
    ("bert-base", "bert", "fill-mask", "apache-2.0", 0.11),
    ("roberta", "roberta", "text-classification", "mit", 0.125),
    ("whisper", "whisper", "automatic-speech-recognition", "apache-2.0", 0.8),
    ("all-MiniLM", "bert", "sentence-similarity", "apache-2.0", 0.022),
    ("stable-diffusion", "diffusers", "text-to-image", "openrail", 1.0),
    ("vit", "vit", "image-classification", "apache-2.0", 0.086),
    ("t5", "t5", "text2text-generation", "apache-2.0", 0.25),
    ("SmolLM2", "llama", "text-generation", "apache-2.0", 1.7),
    ("granite-3.3", "granite", "text-generation", "apache-2.0", 8.0),
    ("GLM-4", "glm4", "text-generation", "mit", 9.0),
)
_SIZES = ("0.5B", "1.5B", "3B", "7B", "8B", "14B", "32B", "70B", "base", "small", "large")
_SIZE_FACTOR = np.array([0.07, 0.2, 0.4, 0.9, 1.0, 1.8, 4.0, 9.0, 1.0, 0.5, 2.5])
_VARIANTS = (
    "Instruct", "GGUF", "finetuned", "lora", "AWQ", "4bit", "merged", "v2", "sft", "dpo",
    "it", "chat", "exl2", "Q4_K_M", "distilled", "ft",
)  # fmt: skip
_FAMOUS_BASES = (
    "Qwen/Qwen3-8B",
    "Qwen/Qwen2.5-7B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "google/gemma-3-4b-it",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "microsoft/phi-4",
    "google-bert/bert-base-uncased",
    "openai/whisper-large-v3",
    "sentence-transformers/all-MiniLM-L6-v2",
)
_LICENSES = ("apache-2.0", "mit", "cc-by-nc-4.0", "other", "llama3.1", "gemma", "openrail")
_RELATIONS = ("finetune", "adapter", "merge", "quantized")
_START = datetime(2021, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEP = "\x1f"  # joins a row's tags before they are split into a list
_KIND = {"lab": 0, "quantizer": 1, "community": 2}  # 3: an individual


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _strings(values: tuple[str, ...] | list[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def _take(vocab: pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(vocab, pa.array(index))


def _join(*parts: pa.Array | str, nulls: str = "emit_null") -> pa.Array:
    """Element-wise concatenation; ``nulls="replace"`` treats null parts as ''."""
    return pc.binary_join_element_wise(*parts, "", null_handling=nulls)


class _Vocab:
    """The fixed vocabularies, as Arrow arrays, built once per file."""

    def __init__(self) -> None:
        self.orgs = _strings([o[0] for o in _ORGS])
        self.org_kind = np.array([_KIND[o[3]] for o in _ORGS] + [3], dtype=np.int8)
        self.org_share = np.cumsum([o[1] for o in _ORGS])
        self.org_multiplier = np.array([o[2] for o in _ORGS] + [1.0], dtype=np.float32)
        self.mlx = [o[0] for o in _ORGS].index("mlx-community")
        # model name stems: every family x size x variant
        stems = [f"{f[0]}-{s}-{v}-" for f in _FAMILIES for s in _SIZES for v in _VARIANTS]
        self.stems = _strings(stems)
        self.n_sizes, self.n_variants = len(_SIZES), len(_VARIANTS)
        self.family_size = np.array([f[4] for f in _FAMILIES], dtype=np.float32)
        self.pipelines = _strings([f[2] for f in _FAMILIES])
        self.arches = _strings([f[1] for f in _FAMILIES])
        licences = sorted({*_LICENSES, *(f[3] for f in _FAMILIES)})
        self.licences = _strings(licences)
        self.licence_tags = _strings([f"license:{x}" for x in licences])
        self.licence_cards = _strings(['{"license": "' + x + '"' for x in licences])
        self.family_licence = np.array([licences.index(f[3]) for f in _FAMILIES])
        self.random_licence = np.array([licences.index(x) for x in _LICENSES])
        self.no_licence = len(licences)  # index past the end: null
        libraries = ["gguf", "mlx", "transformers", "diffusers", "sentence-transformers", "peft"]
        self.libraries = _strings(libraries)
        self.library_cards = _strings([f', "library_name": "{x}"' for x in libraries])
        self.relations = _strings(list(_RELATIONS))
        self.relation_cards = _strings([f'", "base_model_relation": "{r}"' for r in _RELATIONS])
        self.famous = _strings(_FAMOUS_BASES)
        self.gated = _strings(["False", "auto", "manual"])
        self.hex = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def _people(n_people: int) -> pa.Array:
    """Handles of the individuals uploading models: ``<name>-<number>``."""
    k = np.arange(n_people, dtype=np.int64)
    names = _take(_strings(_HANDLES), k % len(_HANDLES))
    return _join(names, "-", pc.cast(pa.array(k), pa.string()))


def _generate(
    rng: np.random.Generator,
    vocab: _Vocab,
    people: pa.Array,
    n: int,
    snapshot: date,
    *,
    serial_start: int,
    name_tag: str,
    created_from: datetime,
) -> pa.Table:
    """``n`` fresh rows created between ``created_from`` and the snapshot day."""
    end = datetime(snapshot.year, snapshot.month, snapshot.day, tzinfo=UTC)
    # -- authors: organisations by share, then a long tail of individuals ----------------
    org = np.searchsorted(vocab.org_share, rng.random(n, dtype=np.float32), side="right")
    is_org = org < len(_ORGS)
    person = (len(people) * rng.random(n, dtype=np.float32) ** 1.6).astype(np.int64)
    who = np.where(is_org, org, len(_ORGS) + np.minimum(person, len(people) - 1))
    author = pc.take(pa.concat_arrays([vocab.orgs, people]), pa.array(who))
    kind = vocab.org_kind[org]
    multiplier = vocab.org_multiplier[org]

    # -- names and ids ------------------------------------------------------------------
    stem = rng.integers(0, len(vocab.stems), n)
    family = stem // (vocab.n_sizes * vocab.n_variants)
    size = (stem // vocab.n_variants) % vocab.n_sizes
    serial = pc.cast(pa.array(np.arange(serial_start, serial_start + n)), pa.string())
    model_id = _join(author, "/", _take(vocab.stems, stem), name_tag, serial)

    # -- times --------------------------------------------------------------------------
    span = _us(end) - _us(created_from)
    created = _us(created_from) + (span * rng.random(n) ** 0.45).astype(np.int64)
    created -= created % 1000  # the Hub reports milliseconds
    age = _us(end) - created
    modified = created + (age * rng.random(n, dtype=np.float32) ** 3).astype(np.int64)
    modified -= modified % 1000
    months = (age / (30 * 86_400e6)).astype(np.float32)

    # -- popularity: heavy tails and many zeros -------------------------------------------
    zero = rng.random(n, dtype=np.float32) < np.where(kind == 3, 0.5, 0.3)
    base = np.exp(rng.normal(1.5, 2.4, n).astype(np.float32)) * multiplier
    downloads = np.where(zero, 0, base).astype(np.int64)
    history = 1.0 + months * 0.6 * np.exp(rng.normal(0.0, 0.5, n).astype(np.float32))
    downloads_all = (downloads * history).astype(np.int64) + rng.integers(0, 40, n)
    likes = (downloads**0.45 * rng.random(n, dtype=np.float32) ** 3).astype(np.int64)
    trending = (likes * rng.random(n, dtype=np.float32) * 0.1).astype(np.int64)

    # -- library, formats, lineage --------------------------------------------------------
    quantizer = kind == 1
    mlx = org == vocab.mlx
    roll = rng.random(n, dtype=np.float32)
    is_gguf = quantizer & ~mlx & (roll < 0.85)
    lib = np.select(
        [is_gguf & (roll < 0.5), mlx, is_gguf, roll < 0.45, roll < 0.55, roll < 0.62, roll < 0.68],
        [0, 1, -1, 2, 3, 4, 5],
        default=-1,
    )  # -1: no library_name
    has_lib = lib >= 0
    library_name = pc.take(vocab.libraries, pa.array(lib, mask=~has_lib))
    params = (
        vocab.family_size[family]
        * _SIZE_FACTOR[size].astype(np.float32)
        * np.float32(1e9)
        * np.exp(rng.normal(0, 0.1, n).astype(np.float32))
    ).astype(np.int64)
    has_safetensors = ~is_gguf & has_lib & (lib != 5) & (rng.random(n, dtype=np.float32) < 0.8)

    derived = rng.random(n, dtype=np.float32) < np.array([0.15, 0.98, 0.5, 0.45])[kind]
    lab_base = np.flatnonzero((kind == 0) & ~derived)
    famous = rng.integers(0, len(_FAMOUS_BASES), n)
    if len(lab_base):
        # half the parents are well-known bases, half the popular lab models in this file
        local = lab_base[(len(lab_base) * rng.random(n, dtype=np.float32) ** 4).astype(np.int64)]
        local = np.minimum(local, n - 1)
        use_local = rng.random(n, dtype=np.float32) < 0.5
        pool = pa.concat_arrays([vocab.famous, model_id])
        which = np.where(use_local, len(_FAMOUS_BASES) + local, famous)
    else:
        pool, which = vocab.famous, famous
    parent = pc.take(pool, pa.array(which, mask=~derived))
    relation = np.where(quantizer, 3, rng.choice(4, size=n, p=[0.55, 0.2, 0.1, 0.15]))
    relation = np.where(kind == 0, 0, relation)

    licence = np.where(
        rng.random(n, dtype=np.float32) < 0.6,
        vocab.family_licence[family],
        vocab.random_licence[rng.choice(len(_LICENSES), size=n, p=[0.4, 0.2, 0.08, 0.12, 0.08,
                                                                  0.06, 0.06])],
    )  # fmt: skip
    no_licence = rng.random(n, dtype=np.float32) >= 0.8
    pipeline = pc.take(
        vocab.pipelines, pa.array(family, mask=rng.random(n, dtype=np.float32) >= 0.75)
    )

    # -- tags: joined with a separator, then split into lists ------------------------------
    fmt = np.where(is_gguf, 0, np.where(has_safetensors, 1, -1))
    lineage = _join(
        "base_model:",
        parent,
        _SEP + "base_model:",
        pc.take(vocab.relations, pa.array(relation, mask=~derived)),
        ":",
        parent,
    )
    conversational = (family <= 7) & (rng.random(n, dtype=np.float32) < 0.5)
    tags_text = pc.binary_join_element_wise(
        library_name,
        pc.take(_strings(["gguf", "safetensors"]), pa.array(fmt, mask=fmt < 0)),
        _take(vocab.arches, family),
        pipeline,
        pc.take(_strings(["conversational"]), pa.array(np.zeros(n, np.int8), mask=~conversational)),
        lineage,
        pc.take(vocab.licence_tags, pa.array(licence, mask=no_licence)),
        pc.take(
            _strings(["endpoints_compatible"]),
            pa.array(np.zeros(n, np.int8), mask=rng.random(n, dtype=np.float32) >= 0.4),
        ),
        _take(_strings(["region:us", "region:eu"]), (rng.random(n) < 0.03).astype(np.int8)),
        _SEP,
        null_handling="skip",
    )
    tags = pc.split_pattern(tags_text, _SEP)

    # -- cardData: a JSON string, as in the dump -----------------------------------------
    card_licence = np.where(no_licence, vocab.random_licence[3], licence)  # "other"
    card = _join(
        _take(vocab.licence_cards, card_licence),
        pc.take(vocab.library_cards, pa.array(lib, mask=~has_lib)),
        _join(
            ', "base_model": "',
            parent,
            pc.take(vocab.relation_cards, pa.array(relation, mask=~derived)),
        ),
        ', "language": ["en"]}',
        nulls="replace",
    )
    card_data = pc.if_else(
        pa.array(rng.random(n, dtype=np.float32) < 0.65), card, pa.scalar(None, pa.string())
    )

    # -- structured blocks -----------------------------------------------------------------
    params_array = pa.array(params)
    safetensors = pa.StructArray.from_arrays(
        [pa.StructArray.from_arrays([params_array], names=["BF16"]), params_array],
        names=["parameters", "total"],
        mask=pa.array(~has_safetensors),
    )
    contexts = np.array([4096, 8192, 32768, 131072], dtype=np.int64)
    gguf = pa.StructArray.from_arrays(
        [params_array, _take(vocab.arches, family), pa.array(contexts[rng.integers(0, 4, n)])],
        names=["total", "architecture", "context_length"],
        mask=pa.array(~is_gguf),
    )
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(derived, out=offsets[1:])
    models = pa.ListArray.from_arrays(
        pa.array(offsets),
        pa.StructArray.from_arrays([pc.drop_null(parent)], names=["id"]),
    )
    base_models = pa.StructArray.from_arrays(
        [pc.take(vocab.relations, pa.array(relation, mask=~derived)), models],
        names=["relation", "models"],
        mask=pa.array(~derived),
    )
    gate = rng.random(n, dtype=np.float32)
    gated = _take(
        vocab.gated, np.where((kind == 0) & (gate < 0.25), np.where(gate < 0.18, 1, 2), 0)
    )
    hex_ids = np.ascontiguousarray(vocab.hex[rng.integers(0, 256, size=(n, 12), dtype=np.uint8)])
    object_id = pc.cast(pa.array(hex_ids.view("S24").ravel(), pa.binary(24)), pa.string())

    columns: dict[str, Any] = {
        "_id": object_id,
        "id": model_id,
        "author": author,
        "createdAt": pa.array(created).cast(TIMESTAMP),
        "lastModified": pa.array(modified).cast(TIMESTAMP),
        "private": pa.array(np.zeros(n, dtype=bool)),
        "gated": gated,
        "downloads": pa.array(downloads),
        "downloadsAllTime": pa.array(downloads_all),
        "likes": pa.array(likes),
        "trendingScore": pa.array(trending),
        "tags": tags,
        "pipeline_tag": pipeline,
        "library_name": library_name,
        "cardData": card_data,
        "safetensors": safetensors,
        "gguf": gguf,
        "baseModels": base_models,
    }
    return pa.Table.from_pydict(columns, schema=HUB_STATS_SCHEMA)


def _seed_for(seed: int, snapshot: date) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{snapshot.isoformat()}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _next_week(batch: pa.RecordBatch, rng: np.random.Generator, snapshot: date) -> pa.Table:
    """One batch of last week's rows, a week on: a few deleted, counters grown."""
    keep = rng.random(batch.num_rows, dtype=np.float32) >= 0.0005
    kept = pa.Table.from_batches([batch]).filter(pa.array(keep))
    m = kept.num_rows
    downloads = kept.column("downloads").fill_null(0).to_numpy().astype(np.float32)
    weekly = downloads * (7 / 30) * np.exp(rng.normal(0.0, 0.3, m).astype(np.float32))
    all_time = kept.column("downloadsAllTime").fill_null(0).to_numpy()
    drifted = (downloads * np.exp(rng.normal(0.0, 0.15, m).astype(np.float32))).astype(np.int64)
    likes = kept.column("likes").fill_null(0).to_numpy()
    likes = likes + rng.poisson(likes * 0.01 + 0.001)
    end = datetime(snapshot.year, snapshot.month, snapshot.day, tzinfo=UTC)
    touched = rng.random(m, dtype=np.float32) < 0.02
    when = _us(end) - (rng.random(m) * 7 * 86_400e6).astype(np.int64)
    when -= when % 1000
    modified = kept.column("lastModified").cast(pa.int64()).fill_null(0).to_numpy()
    modified = np.where(touched, np.maximum(when, modified), modified)
    names = kept.schema.names
    kept = kept.set_column(names.index("downloads"), "downloads", pa.array(drifted))
    kept = kept.set_column(
        names.index("downloadsAllTime"),
        "downloadsAllTime",
        pa.array(all_time + weekly.astype(np.int64)),
    )
    kept = kept.set_column(names.index("likes"), "likes", pa.array(likes))
    kept = kept.set_column(
        names.index("lastModified"), "lastModified", pa.array(modified).cast(TIMESTAMP)
    )
    return kept


def write_hub_stats(
    path: Path | str,
    rows: int = 2_500_000,
    seed: int = 0,
    snapshot: str | date = "2026-01-04",
    previous: Path | str | None = None,
    *,
    row_group_size: int = 131_072,
    compression: str = "snappy",
) -> dict[str, Any]:
    """Write a hub-stats-shaped Parquet file of the Hub as of ``snapshot``; return a summary.

    With ``previous`` (a file written by this function for an earlier date), write that
    file's next state instead: ``rows`` is then ignored (the size follows from the previous
    file: the same models less a few deleted, plus ~1 % new ones created that week).
    Rows are generated and written one row group at a time, so memory stays small.
    """
    when = snapshot if isinstance(snapshot, date) else date.fromisoformat(snapshot)
    rng = _seed_for(seed, when)
    vocab = _Vocab()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    end = datetime(when.year, when.month, when.day, tzinfo=UTC)
    written = 0
    options: dict[str, Any] = {
        "compression": compression,
        # only the columns with few distinct values are worth a dictionary
        "use_dictionary": ["author", "gated", "pipeline_tag", "library_name", "tags.list.element"],
    }

    def chunks() -> Iterator[pa.Table]:
        if previous is None:
            people = _people(max(50, rows // 6))
            for start in range(0, rows, row_group_size):
                yield _generate(
                    rng, vocab, people, min(row_group_size, rows - start), when,
                    serial_start=start, name_tag="", created_from=_START,
                )  # fmt: skip
            return
        source = pq.ParquetFile(previous)
        for batch in source.iter_batches(batch_size=row_group_size):
            yield _next_week(batch, rng, when).cast(HUB_STATS_SCHEMA)
        fresh = max(1, round(source.metadata.num_rows * 0.01))
        people = _people(max(50, fresh // 6))
        for start in range(0, fresh, row_group_size):
            yield _generate(
                rng, vocab, people, min(row_group_size, fresh - start), when,
                serial_start=start, name_tag=when.strftime("%Y%m%d") + "-",
                created_from=end - timedelta(days=7),
            )  # fmt: skip

    # generate the next row group while a second thread compresses and writes this one
    with (
        pq.ParquetWriter(target, HUB_STATS_SCHEMA, **options) as out,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending: Future[None] | None = None
        for chunk in chunks():
            if pending is not None:
                pending.result()
            pending = pool.submit(out.write_table, chunk, row_group_size)
            written += chunk.num_rows
        if pending is not None:
            pending.result()
    return {"path": str(target), "rows": written, "snapshot": when.isoformat()}
