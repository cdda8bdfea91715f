"""A synthetic Hub *store*: K weekly snapshots of a believable Hub, with their deltas.

:func:`generate_store` writes a weightwatch store (``Store.writer``, rows of
:data:`~weightwatch.normalize.schema.FILE_SCHEMA`, ``source = "synth"``) holding one snapshot
every ``every`` days from ``start``, and materialises the ``deltas`` table of every
snapshot, so metrics and benchmarks read it exactly like ingested data.  ``models`` is
about the number of repos in the *last* snapshot: the first holds fewer, and repos appear
week after week.  ``weightwatch synth`` is the command line over it.

The world (the realism knobs are :class:`HubShape`; the vocabularies are the tables below)
-------------------------------------------------------------------------------------------
* **Authors.**  Labs from the org registry publish a *catalogue* of real-looking releases
  (``Qwen/Qwen3-8B-Base`` and ``Qwen/Qwen3-8B``, ``deepseek-ai/DeepSeek-V3``, …), each on
  its family's real release date (so some appear during the series), plus variants of
  their own (FP8, AWQ, ``-2507``…).  Quantizers (mradermacher, bartowski, unsloth,
  mlx-community, TheBloke until 2024…) upload ~3.5 % of repos, nearly all copies; other
  registry organisations a fraction of a percent; the rest comes from a long tail of
  individuals (``<name>-<n>``, not in the registry) whose activity is Zipf-like.
* **Lineage.**  A repo is a root (catalogue bases, most individuals' own models) or derives
  from one parent (finetune, adapter, quantized) or two of one family (merge).  A derived
  repo draws a target depth (mostly 1-2, up to 5, :attr:`HubShape.depth`) and picks its
  parent among the repos one level up that exist before it, with probability proportional
  to the parent's *pull*: catalogue models pull hardest (a few bases get tens of thousands
  of derivatives), community finetunes follow a log-normal, copies barely pull; after the
  first snapshot a pull fades with age (people tune the new releases).  Quantized copies
  and merges are of LLMs, adapters of LLMs or diffusion models.  Names follow the parent
  (``Qwen3-8B-sft``, ``…-GGUF``, ``…-i1-GGUF``, ``…-bnb-4bit``, ``…-slerp``); family,
  parameter counts (MoE: ``params_active`` too), pipeline, library and licence are
  inherited; adapters get a small parameter count and ``peft``; GGUF copies get
  ``library_name = gguf`` and ``is_gguf``.  Tags carry the Hub's ``base_model:`` pairs,
  ``license:``, format and ``region:us`` tags.
* **Downloads.**  Each repo has an *appeal* (downloads/day when new: ~45 % of
  individuals' repos next to none, the rest log-normal, quantized copies of popular models
  more, catalogue releases up to millions a week) and a decay exponent b: its expected
  downloads between ages x and y (days) are ``appeal * (G(y) - G(x))`` with
  ``G(x) = t/(1-b) * ((1 + x/t)^(1-b) - 1)``, t = 14 days.  Each interval's count is a
  Poisson draw of that times log-normal noise (sigma 0.35).  The all-time counter adds the
  intervals up (before the first snapshot, one draw for the whole past); the 30-day
  counter is the sum of the last 30 days' intervals, the oldest pro rata, never above the
  all-time counter.
* **Over time.**  New repos each interval (:attr:`HubShape.new_repos`, a few created long
  before: made public late), catalogue releases on their dates, deletions (more among
  young and unused repos), renames (same ``created_at``, new id, counters carried over;
  half within the account, half moved to another), an occasional all-time counter
  decrease (a recount), and a few automated bursts (10^3 to 10^6 extra downloads in one
  interval).  Repos created before the Hub's 2022-03-02 migration carry its timestamp, as
  on the Hub.

Determinism and scale
---------------------
Every draw comes from ``numpy.random.default_rng([seed, k])`` for snapshot k, in a fixed
order: the same arguments give byte-identical snapshot files (manifests differ by their
timestamps).  Generation is vectorised (numpy, Arrow compute; loops run per snapshot, per
lineage level, per lab); the world is held as an append-only Arrow table of the static
columns plus numpy arrays of the moving ones (counters, likes, last commit, the last 30
days of downloads), deleted or renamed rows being masked rather than removed.  Three
stages overlap: the main thread makes snapshot k+1 while a thread writes snapshot k and
another materialises the deltas of k-1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from weightwatch.errors import InputError, StoreError
from weightwatch.normalize.schema import BASE_MODEL_TYPE, FILE_SCHEMA, TIMESTAMP
from weightwatch.series.deltas import ensure_deltas, materialise_deltas
from weightwatch.store import DataFile, SnapshotWriter, Store
from weightwatch.store.snapshots import MARKER_NAME
from weightwatch.synth.hub_stats import _join, _people, _strings, _take, _us

Array = npt.NDArray[Any]
Progress = Callable[[int, int], None]

SOURCE = "synth"
DEFAULT_START = date(2025, 1, 5)

_DAY_US = 86_400_000_000
_TAU = 14.0  # days: the scale of a repo's download decay
_WINDOW = 30  # days of the Hub's "downloads" counter
_CREATION_START = datetime(2021, 1, 1, tzinfo=UTC)
_LEGACY = datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)  # createdAt of every pre-migration repo
_PART_ROWS = 256_000  # the store writes 256 000-row row groups: one per file
_SERIAL_BASE = 100_000  # id disambiguators are >= 6 digits: no vocabulary name ends so
_SEP = "\x1f"
_LAB, _QUANT, _ORG, _PERSON = 0, 1, 2, 3
_FINETUNE, _ADAPTER, _QUANTIZED, _MERGE = 0, 1, 2, 3
_RELATIONS = ("finetune", "adapter", "quantized", "merge")
_NONE, _GGUF, _MLX, _TQUANT, _EXL2 = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class HubShape:
    """The realism knobs of :func:`generate_store`.  Rates are per 7 days and scaled to the
    snapshot interval; per-repo chances are averages (young and unused repos vanish more)."""

    new_repos: float = 0.012  # new repos per week, as a share of the repos present
    deleted: float = 0.0005  # chance a repo vanishes in a week
    renamed: float = 0.0002  # chance a repo is renamed or moved in a week
    counter_decrease: float = 0.0001  # chance the all-time counter drops in an interval
    automated_burst: float = 0.00002  # chance of a bot burst (+10^3 to 10^6) in an interval
    made_public_late: float = 0.02  # share of new repos created long before they appear
    depth: tuple[float, ...] = (0.45, 0.35, 0.13, 0.05, 0.02)  # target depth 1, 2, … of copies


# -- vocabularies ------------------------------------------------------------------------

# account, kind, share of new repos, download multiplier (labs: their non-catalogue uploads)
_ACCOUNTS: tuple[tuple[str, int, float, float], ...] = (
    ("Qwen", _LAB, 0.0002, 6.0),
    ("deepseek-ai", _LAB, 0.00004, 8.0),
    ("meta-llama", _LAB, 0.0001, 6.0),
    ("google", _LAB, 0.0004, 4.0),
    ("google-bert", _LAB, 0.00001, 4.0),
    ("mistralai", _LAB, 0.0001, 5.0),
    ("microsoft", _LAB, 0.0004, 3.0),
    ("moonshotai", _LAB, 0.00002, 4.0),
    ("zai-org", _LAB, 0.00003, 4.0),
    ("THUDM", _LAB, 0.00003, 3.0),
    ("MiniMaxAI", _LAB, 0.00001, 4.0),
    ("LGAI-EXAONE", _LAB, 0.00002, 2.0),
    ("naver-hyperclovax", _LAB, 0.00001, 2.0),
    ("kakaocorp", _LAB, 0.00001, 2.0),
    ("upstage", _LAB, 0.00002, 2.0),
    ("openai", _LAB, 0.00001, 8.0),
    ("allenai", _LAB, 0.0003, 1.5),
    ("ibm-granite", _LAB, 0.0001, 2.0),
    ("nvidia", _LAB, 0.0005, 2.0),
    ("facebook", _LAB, 0.0006, 3.0),
    ("sentence-transformers", _LAB, 0.0001, 10.0),
    ("BAAI", _LAB, 0.0001, 4.0),
    ("stabilityai", _LAB, 0.00005, 3.0),
    ("black-forest-labs", _LAB, 0.00001, 5.0),
    ("HuggingFaceTB", _LAB, 0.0001, 2.0),
    ("tencent", _LAB, 0.0001, 2.0),
    ("01-ai", _LAB, 0.00002, 1.5),
    ("tiiuae", _LAB, 0.00005, 1.5),
    ("internlm", _LAB, 0.00005, 1.5),
    ("ByteDance-Seed", _LAB, 0.00003, 2.0),
    ("Salesforce", _LAB, 0.0002, 2.0),
    ("mradermacher", _QUANT, 0.02, 1.0),
    ("bartowski", _QUANT, 0.004, 3.0),
    ("unsloth", _QUANT, 0.002, 8.0),
    ("mlx-community", _QUANT, 0.004, 2.0),
    ("TheBloke", _QUANT, 0.002, 3.0),
    ("lmstudio-community", _QUANT, 0.0008, 5.0),
    ("QuantFactory", _QUANT, 0.001, 1.0),
    ("LoneStriker", _QUANT, 0.0006, 1.0),
    ("Helsinki-NLP", _ORG, 0.0006, 4.0),
    ("NousResearch", _ORG, 0.0001, 4.0),
    ("nomic-ai", _ORG, 0.0001, 4.0),
    ("cognitivecomputations", _ORG, 0.0001, 2.0),
    ("ai-forever", _ORG, 0.0001, 2.0),
    ("AIDC-AI", _ORG, 0.0001, 2.0),
    ("Alibaba-NLP", _ORG, 0.0001, 3.0),
    ("baidu", _ORG, 0.00005, 3.0),
    ("stepfun-ai", _ORG, 0.00003, 3.0),
    ("XiaomiMiMo", _ORG, 0.00002, 3.0),
    ("inclusionAI", _ORG, 0.00005, 2.0),
    ("amazon", _ORG, 0.0001, 2.0),
    ("apple", _ORG, 0.0002, 2.0),
    ("CohereLabs", _ORG, 0.00005, 3.0),
    ("swiss-ai", _ORG, 0.00002, 2.0),
    ("sarvamai", _ORG, 0.00002, 2.0),
    ("42dot", _ORG, 0.00002, 1.0),
    ("abeja", _ORG, 0.00003, 1.0),
    ("Aleph-Alpha", _ORG, 0.00002, 1.0),
    ("ai4bharat", _ORG, 0.0001, 1.0),
)
_RETIRED = {"TheBloke": datetime(2024, 2, 1, tzinfo=UTC)}  # stopped uploading


class _Family(NamedTuple):
    """A lab's model family: one base and/or one chat release per size."""

    account: str
    stem: str
    arch: str
    pipeline: str
    library: str
    licence: str
    released: str  # date of the first upload
    popularity: float  # downloads/day of a typical release when new
    pull: float  # draw as a base for derivatives
    base: str | None  # name suffix of the pre-trained release; None: not published
    chat: str | None  # name suffix of the post-trained release; None: none
    sizes: tuple[tuple[str, float, float], ...]  # label, total B, active B (0: dense)
    parent: str | None = None  # stem of the family its releases were trained from
    gated: bool = False


_F = _Family
_TG, _ITT = "text-generation", "image-text-to-text"
# fmt: off
_FAMILIES: tuple[_Family, ...] = (
    _F("google-bert", "bert", "bert", "fill-mask", "transformers", "apache-2.0", "2020-01-01",
       1.5e6, 150, "", None, (("base-uncased", 0.11, 0), ("large-uncased", 0.34, 0))),
    _F("sentence-transformers", "all-MiniLM", "bert", "sentence-similarity",
       "sentence-transformers", "apache-2.0", "2021-06-01", 3e6, 150, "", None,
       (("L6-v2", 0.0227, 0), ("L12-v2", 0.0334, 0))),
    _F("sentence-transformers", "all-mpnet", "mpnet", "sentence-similarity",
       "sentence-transformers", "apache-2.0", "2021-06-01", 1e6, 80, "", None,
       (("base-v2", 0.109, 0),)),
    _F("openai", "clip-vit", "clip", "zero-shot-image-classification", "transformers", "mit",
       "2021-03-01", 1e6, 60, "", None, (("base-patch32", 0.151, 0), ("large-patch14", 0.428, 0))),
    _F("openai", "whisper", "whisper", "automatic-speech-recognition", "transformers",
       "apache-2.0", "2022-09-26", 4e5, 120, "", None,
       (("tiny", 0.039, 0), ("small", 0.242, 0), ("large-v3", 1.55, 0))),
    _F("openai", "gpt-oss", "gpt_oss", _TG, "transformers", "apache-2.0", "2025-08-05", 1.5e5, 500,
       None, "", (("20b", 21.5, 3.6), ("120b", 120.4, 5.1))),
    _F("facebook", "opt", "opt", _TG, "transformers", "other", "2022-05-01", 3e4, 20, "", None,
       (("125m", 0.125, 0), ("1.3b", 1.3, 0), ("6.7b", 6.7, 0))),
    _F("facebook", "bart-large", "bart", "summarization", "transformers", "mit", "2021-01-01",
       1e5, 40, "", None, (("cnn", 0.406, 0), ("mnli", 0.407, 0))),
    _F("facebook", "dinov2", "dinov2", "image-feature-extraction", "transformers", "apache-2.0",
       "2023-07-17", 1e5, 30, "", None, (("small", 0.022, 0), ("base", 0.086, 0))),
    _F("google", "vit", "vit", "image-classification", "transformers", "apache-2.0",
       "2021-01-01", 3e5, 80, "", None, (("base-patch16-224", 0.086, 0),)),
    _F("google", "flan-t5", "t5", "text2text-generation", "transformers", "apache-2.0",
       "2022-10-20", 1e5, 80, "", None,
       (("small", 0.077, 0), ("base", 0.248, 0), ("large", 0.783, 0))),
    _F("google", "gemma-2", "gemma2", _TG, "transformers", "gemma", "2024-06-27", 3e4, 300, "",
       "-it", (("2b", 2.6, 0), ("9b", 9.2, 0), ("27b", 27.2, 0)), gated=True),
    _F("google", "gemma-3", "gemma3", _ITT, "transformers", "gemma", "2025-03-12", 8e4, 1000, "-pt",
       "-it", (("1b", 1.0, 0), ("4b", 4.3, 0), ("12b", 12.2, 0), ("27b", 27.4, 0)), gated=True),
    _F("google", "embeddinggemma", "gemma3_text", "sentence-similarity", "sentence-transformers",
       "gemma", "2025-09-04", 5e4, 40, "", None, (("300m", 0.308, 0),), gated=True),
    _F("meta-llama", "Meta-Llama-3", "llama", _TG, "transformers", "llama3", "2024-04-18", 3e4,
       900, "", "-Instruct", (("8B", 8.03, 0), ("70B", 70.6, 0)), gated=True),
    _F("meta-llama", "Llama-3.1", "llama", _TG, "transformers", "llama3.1", "2024-07-23", 8e4,
       2000, "", "-Instruct", (("8B", 8.03, 0), ("70B", 70.6, 0), ("405B", 406, 0)), gated=True),
    _F("meta-llama", "Llama-3.2", "llama", _TG, "transformers", "llama3.2", "2024-09-25", 8e4,
       1500, "", "-Instruct", (("1B", 1.24, 0), ("3B", 3.21, 0)), gated=True),
    _F("meta-llama", "Llama-3.2", "mllama", _ITT, "transformers", "llama3.2", "2024-09-25", 1e4,
       100, "", "-Instruct", (("11B-Vision", 10.7, 0), ("90B-Vision", 88.6, 0)), gated=True),
    _F("meta-llama", "Llama-4-Scout", "llama4", _ITT, "transformers", "llama4", "2025-04-05",
       2e4, 150, "", "-Instruct", (("17B-16E", 108.6, 17),), gated=True),
    _F("mistralai", "Mistral", "mistral", _TG, "transformers", "apache-2.0", "2023-09-27", 4e4,
       800, "", "-Instruct", (("7B{}-v0.1", 7.24, 0), ("7B{}-v0.3", 7.25, 0))),
    _F("mistralai", "Mixtral", "mixtral", _TG, "transformers", "apache-2.0", "2023-12-11", 1e4,
       200, "", "-Instruct", (("8x7B{}-v0.1", 46.7, 12.9),)),
    _F("mistralai", "Mistral-Small-3.1", "mistral3", _ITT, "transformers", "apache-2.0",
       "2025-03-17", 2e4, 300, "-Base", "-Instruct", (("24B-2503", 24.0, 0),)),
    _F("mistralai", "Devstral-Small", "mistral", _TG, "transformers", "apache-2.0", "2025-05-21",
       1e4, 80, None, "", (("2505", 23.6, 0),), parent="Mistral-Small-3.1"),
    _F("Qwen", "Qwen2.5", "qwen2", _TG, "transformers", "apache-2.0", "2024-09-19", 5e5, 2500, "",
       "-Instruct", (("0.5B", 0.49, 0), ("1.5B", 1.54, 0), ("3B", 3.09, 0), ("7B", 7.62, 0),
                     ("14B", 14.8, 0), ("32B", 32.8, 0), ("72B", 72.7, 0))),
    _F("Qwen", "Qwen2.5-Coder", "qwen2", _TG, "transformers", "apache-2.0", "2024-11-11", 3e4, 300,
       "", "-Instruct", (("1.5B", 1.54, 0), ("7B", 7.62, 0), ("14B", 14.8, 0), ("32B", 32.8, 0))),
    _F("Qwen", "Qwen2.5-VL", "qwen2_5_vl", _ITT, "transformers", "apache-2.0", "2025-01-26", 6e4,
       400, None, "-Instruct", (("3B", 3.75, 0), ("7B", 8.29, 0), ("72B", 73.4, 0))),
    _F("Qwen", "Qwen3", "qwen3", _TG, "transformers", "apache-2.0", "2025-04-29", 4e5, 3000,
       "-Base", "", (("0.6B", 0.75, 0), ("1.7B", 2.03, 0), ("4B", 4.02, 0), ("8B", 8.19, 0),
            ("14B", 14.8, 0), ("32B", 32.8, 0), ("30B-A3B", 30.5, 3.3), ("235B-A22B", 235, 22))),
    _F("Qwen", "Qwen3-Embedding", "qwen3", "feature-extraction", "sentence-transformers",
       "apache-2.0", "2025-06-05", 6e4, 60, "", None,
       (("0.6B", 0.6, 0), ("4B", 4.02, 0), ("8B", 7.57, 0))),
    _F("Qwen", "Qwen3-Coder", "qwen3_moe", _TG, "transformers", "apache-2.0", "2025-07-31", 4e4,
       200, None, "", (("30B-A3B-Instruct", 30.5, 3.3),), parent="Qwen3"),
    _F("deepseek-ai", "deepseek-coder", "llama", _TG, "transformers", "other", "2023-11-02", 1e4,
       150, "-base", "-instruct", (("1.3b", 1.35, 0), ("6.7b", 6.74, 0), ("33b", 33.3, 0))),
    _F("deepseek-ai", "DeepSeek-V3", "deepseek_v3", _TG, "transformers", "mit", "2024-12-26",
       5e4, 300, "-Base", "", (("", 685, 37),)),
    _F("deepseek-ai", "DeepSeek-R1", "deepseek_v3", _TG, "transformers", "mit", "2025-01-20",
       8e4, 600, None, "", (("", 685, 37),), parent="DeepSeek-V3"),
    _F("deepseek-ai", "DeepSeek-R1-Distill-Qwen", "qwen2", _TG, "transformers", "mit",
       "2025-01-20", 1.5e5, 700, None, "",
       (("1.5B", 1.78, 0), ("7B", 7.62, 0), ("14B", 14.8, 0), ("32B", 32.8, 0)),
       parent="Qwen2.5"),
    _F("deepseek-ai", "DeepSeek-R1-Distill-Llama", "llama", _TG, "transformers", "mit",
       "2025-01-20", 3e4, 300, None, "", (("8B", 8.03, 0), ("70B", 70.6, 0)), parent="Llama-3.1"),
    _F("deepseek-ai", "DeepSeek-V3.1", "deepseek_v3", _TG, "transformers", "mit", "2025-08-21",
       4e4, 200, "-Base", "", (("", 685, 37),)),
    _F("microsoft", "phi-2", "phi", _TG, "transformers", "mit", "2023-12-13", 3e4, 300, "", None,
       (("", 2.78, 0),)),
    _F("microsoft", "Phi-3-mini", "phi3", _TG, "transformers", "mit", "2024-04-22", 4e4, 400, None,
       "", (("4k-instruct", 3.82, 0), ("128k-instruct", 3.82, 0))),
    _F("microsoft", "phi-4", "phi3", _TG, "transformers", "mit", "2024-12-12", 4e4, 500, None, "",
       (("", 14.7, 0),)),
    _F("microsoft", "Phi-4-mini", "phi3", _TG, "transformers", "mit", "2025-02-26", 3e4, 200, None,
       "", (("instruct", 3.84, 0),)),
    _F("microsoft", "Phi-3.5-MoE", "phimoe", _TG, "transformers", "mit", "2024-08-20", 5e3, 40,
       None, "", (("instruct", 41.9, 6.6),)),
    _F("microsoft", "deberta-v3", "deberta-v2", "fill-mask", "transformers", "mit", "2021-11-01",
       2e5, 100, "", None, (("base", 0.184, 0), ("large", 0.435, 0))),
    _F("microsoft", "resnet", "resnet", "image-classification", "transformers", "apache-2.0",
       "2022-01-01", 1.5e5, 60, "", None, (("50", 0.0256, 0),)),
    _F("moonshotai", "Moonlight", "deepseek_v3", _TG, "transformers", "mit", "2025-02-22", 5e3, 30,
       "", "-Instruct", (("16B-A3B", 16.0, 3.0),)),
    _F("moonshotai", "Kimi-VL-A3B", "kimi_vl", _ITT, "transformers", "mit", "2025-04-09", 1e4,
       50, None, "", (("Instruct", 16.4, 3.0), ("Thinking", 16.4, 3.0))),
    _F("moonshotai", "Kimi-Dev", "qwen2", _TG, "transformers", "mit", "2025-06-16", 5e3, 30, None,
       "", (("72B", 72.7, 0),), parent="Qwen2.5"),
    _F("THUDM", "glm-4", "chatglm", _TG, "transformers", "other", "2024-06-04", 2e4, 150, "",
       "-chat", (("9b", 9.4, 0),)),
    _F("THUDM", "chatglm3", "chatglm", _TG, "transformers", "other", "2023-10-25", 1e4, 80, "",
       None, (("6b", 6.24, 0),)),
    _F("zai-org", "GLM-4.5", "glm4_moe", _TG, "transformers", "mit", "2025-07-28", 4e4, 200,
       "-Base", "", (("", 358, 32), ("Air", 110, 12))),
    _F("zai-org", "GLM-4.6", "glm4_moe", _TG, "transformers", "mit", "2025-09-30", 5e4, 200, None,
       "", (("", 357, 32),), parent="GLM-4.5"),
    _F("MiniMaxAI", "MiniMax-Text-01", "minimax", _TG, "transformers", "other", "2025-01-14",
       5e3, 30, None, "", (("", 456, 45.9),)),
    _F("MiniMaxAI", "MiniMax-M1", "minimax_m1", _TG, "transformers", "apache-2.0", "2025-06-16",
       1e4, 50, None, "", (("80k", 456, 45.9),)),
    _F("MiniMaxAI", "MiniMax-M2", "minimax_m2", _TG, "transformers", "mit", "2025-10-27", 4e4,
       100, None, "", (("", 229, 10),)),
    _F("LGAI-EXAONE", "EXAONE-3.5", "exaone", _TG, "transformers", "other", "2024-12-09", 1e4,
       100, None, "-Instruct", (("2.4B", 2.67, 0), ("7.8B", 7.82, 0), ("32B", 32.0, 0))),
    _F("LGAI-EXAONE", "EXAONE-Deep", "exaone", _TG, "transformers", "other", "2025-03-18", 5e3,
       30, None, "", (("7.8B", 7.82, 0),), parent="EXAONE-3.5"),
    _F("LGAI-EXAONE", "EXAONE-4.0", "exaone4", _TG, "transformers", "other", "2025-07-15", 1e4,
       60, None, "", (("1.2B", 1.28, 0), ("32B", 32.0, 0))),
    _F("naver-hyperclovax", "HyperCLOVAX-SEED-Text-Instruct", "llama", _TG, "transformers",
       "other", "2025-04-22", 1e4, 60, None, "", (("0.5B", 0.57, 0), ("1.5B", 1.6, 0))),
    _F("naver-hyperclovax", "HyperCLOVAX-SEED-Vision-Instruct", "llava", _ITT, "transformers",
       "other", "2025-04-22", 5e3, 20, None, "", (("3B", 3.72, 0),)),
    _F("kakaocorp", "kanana-1.5", "llama", _TG, "transformers", "apache-2.0", "2025-05-23", 5e3,
       40, "-base", "-instruct-2505", (("2.1b", 2.09, 0), ("8b", 8.04, 0))),
    _F("upstage", "SOLAR", "llama", _TG, "transformers", "apache-2.0", "2023-12-12", 1e4, 150, "",
       "-Instruct", (("10.7B{}-v1.0", 10.7, 0),)),
    _F("upstage", "solar-pro-preview", "solar", _TG, "transformers", "mit", "2024-09-10", 3e3, 20,
       None, "", (("instruct", 22.1, 0),)),
    _F("allenai", "OLMo-2-1124", "olmo2", _TG, "transformers", "apache-2.0", "2024-11-26", 1e4, 60,
       "", "-Instruct", (("7B", 7.3, 0), ("13B", 13.7, 0))),
    _F("allenai", "OLMo-2-0325", "olmo2", _TG, "transformers", "apache-2.0", "2025-03-13", 5e3, 30,
       "", "-Instruct", (("32B", 32.2, 0),)),
    _F("allenai", "Molmo", "molmo", _ITT, "transformers", "apache-2.0", "2024-09-25", 1e4, 30,
       None, "", (("7B-D-0924", 8.02, 0),)),
    _F("ibm-granite", "granite-3.3", "granite", _TG, "transformers", "apache-2.0", "2025-04-16",
       2e4, 80, "-base", "-instruct", (("2b", 2.53, 0), ("8b", 8.17, 0))),
    _F("ibm-granite", "granite-4.0", "granitemoehybrid", _TG, "transformers", "apache-2.0",
       "2025-10-02", 2e4, 60, None, "", (("h-small", 32.2, 9.0), ("h-tiny", 6.9, 1.0))),
    _F("ibm-granite", "granite-embedding", "xlm-roberta", "sentence-similarity",
       "sentence-transformers", "apache-2.0", "2024-12-18", 2e4, 20, "", None,
       (("278m-multilingual", 0.278, 0),)),
    _F("nvidia", "Nemotron-H", "nemotron_h", _TG, "transformers", "other", "2025-04-14", 5e3, 30,
       "", None, (("8B-Base-8K", 8.1, 0), ("47B-Base-8K", 46.8, 0))),
    _F("nvidia", "Llama-3.1-Nemotron-Nano", "llama", _TG, "transformers", "other", "2025-03-18",
       1e4, 60, None, "", (("8B-v1", 8.03, 0),), parent="Llama-3.1"),
    _F("nvidia", "parakeet-tdt", "parakeet", "automatic-speech-recognition", "nemo", "cc-by-4.0",
       "2025-05-01", 5e4, 30, "", None, (("0.6b-v2", 0.6, 0),)),
    _F("BAAI", "bge-m3", "xlm-roberta", "sentence-similarity", "sentence-transformers", "mit",
       "2024-01-27", 4e5, 150, "", None, (("", 0.568, 0),)),
    _F("BAAI", "bge-small-en", "bert", "feature-extraction", "sentence-transformers", "mit",
       "2023-09-12", 5e5, 100, "", None, (("v1.5", 0.0334, 0),)),
    _F("BAAI", "bge-reranker", "xlm-roberta", "text-classification", "sentence-transformers",
       "apache-2.0", "2024-03-15", 2e5, 40, "", None, (("v2-m3", 0.568, 0),)),
    _F("stabilityai", "stable-diffusion-xl-base", "sdxl", "text-to-image", "diffusers",
       "openrail++", "2023-07-25", 8e4, 900, "", None, (("1.0", 3.5, 0),)),
    _F("stabilityai", "stable-diffusion-3.5", "sd3", "text-to-image", "diffusers", "other",
       "2024-10-22", 2e4, 200, "", None, (("large", 8.1, 0), ("medium", 2.5, 0)), gated=True),
    _F("black-forest-labs", "FLUX.1", "flux", "text-to-image", "diffusers", "other", "2024-07-31",
       1e5, 1500, "", None, (("dev", 11.9, 0), ("schnell", 11.9, 0)), gated=True),
    _F("HuggingFaceTB", "SmolLM2", "llama", _TG, "transformers", "apache-2.0", "2024-10-31", 3e4,
       300, "", "-Instruct", (("135M", 0.135, 0), ("360M", 0.362, 0), ("1.7B", 1.71, 0))),
    _F("HuggingFaceTB", "SmolLM3", "smollm3", _TG, "transformers", "apache-2.0", "2025-07-08",
       2e4, 100, "-Base", "", (("3B", 3.08, 0),)),
    _F("tencent", "Hunyuan-A13B", "hunyuan_v1_moe", _TG, "transformers", "other", "2025-06-27",
       5e3, 30, None, "", (("Instruct", 80.4, 13.0),)),
    _F("01-ai", "Yi-1.5", "llama", _TG, "transformers", "apache-2.0", "2024-05-12", 5e3, 80, "",
       "-Chat", (("6B", 6.06, 0), ("9B", 8.83, 0), ("34B", 34.4, 0))),
    _F("tiiuae", "Falcon3", "llama", _TG, "transformers", "other", "2024-12-17", 1e4, 80, "-Base",
       "-Instruct", (("1B", 1.67, 0), ("3B", 3.23, 0), ("7B", 7.46, 0), ("10B", 10.3, 0))),
    _F("internlm", "internlm3", "internlm3", _TG, "transformers", "apache-2.0", "2025-01-14", 5e3,
       40, None, "-instruct", (("8b", 8.8, 0),)),
    _F("ByteDance-Seed", "Seed-OSS", "seed_oss", _TG, "transformers", "apache-2.0", "2025-08-20",
       1e4, 40, "-Base", "-Instruct", (("36B", 36.2, 0),)),
    _F("Salesforce", "blip-image-captioning", "blip", "image-to-text", "transformers",
       "bsd-3-clause", "2022-12-12", 1e5, 40, "", None, (("base", 0.247, 0), ("large", 0.47, 0))),
)
# fmt: on

# Individuals' and organisations' own models (roots): stem, arch, pipeline, library,
# licence, parameters (B; 0: none published), share, conversational
_COMMUNITY: tuple[tuple[str, str, str, str, str, float, float, bool], ...] = (
    ("my_awesome_model", "distilbert", "text-classification", "transformers", "apache-2.0",
     0.067, 10, False),
    ("bert-finetuned-ner", "bert", "token-classification", "transformers", "apache-2.0", 0.108,
     4, False),
    ("distilbert-sentiment", "distilbert", "text-classification", "transformers", "apache-2.0",
     0.067, 5, False),
    ("ppo-LunarLander-v2", "", "reinforcement-learning", "stable-baselines3", "", 0.0, 6, False),
    ("q-FrozenLake-v1", "", "reinforcement-learning", "", "", 0.0, 2, False),
    ("whisper-small-finetuned", "whisper", "automatic-speech-recognition", "transformers",
     "apache-2.0", 0.242, 4, False),
    ("wav2vec2-finetuned", "wav2vec2", "automatic-speech-recognition", "transformers",
     "apache-2.0", 0.095, 2, False),
    ("vit-finetuned", "vit", "image-classification", "transformers", "apache-2.0", 0.086, 3,
     False),
    ("sdxl-lora", "", "text-to-image", "diffusers", "openrail++", 0.0, 4, False),
    ("flux-lora", "", "text-to-image", "diffusers", "other", 0.0, 4, False),
    ("t5-small-summarization", "t5", "text2text-generation", "transformers", "apache-2.0",
     0.0605, 2, False),
    ("gpt2-finetuned", "gpt2", "text-generation", "transformers", "mit", 0.124, 3, False),
    ("tiny-llama-sft", "llama", "text-generation", "transformers", "apache-2.0", 1.1, 3, True),
    ("llm-from-scratch", "llama", "text-generation", "transformers", "mit", 0.3, 2, False),
    ("speecht5-tts", "speecht5", "text-to-speech", "transformers", "mit", 0.144, 1, False),
    ("detr-finetuned", "detr", "object-detection", "transformers", "apache-2.0", 0.0415, 1, False),
    ("yolo-detector", "", "object-detection", "ultralytics", "agpl-3.0", 0.025, 2, False),
    ("sentence-embedding", "bert", "sentence-similarity", "sentence-transformers", "apache-2.0",
     0.11, 2, False),
    ("opus-mt-finetuned", "marian", "translation", "transformers", "apache-2.0", 0.075, 1, False),
    ("segformer-finetuned", "segformer", "image-segmentation", "transformers", "other", 0.0037,
     1, False),
    ("robot-policy", "", "robotics", "lerobot", "apache-2.0", 0.05, 1, False),
    ("timeseries-forecaster", "", "time-series-forecasting", "", "mit", 0.01, 1, False),
)  # fmt: skip

_FINETUNE_NAMES = (
    "sft", "dpo", "Instruct", "finetuned", "abliterated", "uncensored", "v2", "ft", "orpo",
    "grpo", "math", "code", "chat", "medical", "ko", "ja", "zh", "reasoning", "distill",
    "roleplay", "it", "lora-merged",
)  # fmt: skip
_ADAPTER_NAMES = ("lora", "LoRA", "qlora", "adapter", "peft-lora")
_MERGE_NAMES = ("slerp", "ties", "dare-ties", "merge", "model-stock", "della")
_LAB_NAMES = ("v1.1", "v2", "Preview", "2507", "distilled", "ft", "hf")
_RENAME_NAMES = ("v2", "new", "old", "final", "hf", "public")
# suffix, format, extra tags (joined by _SEP)
_QUANTS: tuple[tuple[str, int, str], ...] = (
    ("GGUF", _GGUF, ""),
    ("i1-GGUF", _GGUF, "imatrix"),
    ("Q4_K_M-GGUF", _GGUF, "llama-cpp" + _SEP + "gguf-my-repo"),
    ("Q8_0-GGUF", _GGUF, "llama-cpp" + _SEP + "gguf-my-repo"),
    ("4bit", _MLX, "4-bit"),
    ("8bit", _MLX, "8-bit"),
    ("bf16", _MLX, ""),
    ("AWQ", _TQUANT, "awq" + _SEP + "4-bit"),
    ("GPTQ", _TQUANT, "gptq" + _SEP + "4-bit"),
    ("bnb-4bit", _TQUANT, "bitsandbytes" + _SEP + "4-bit"),
    ("FP8", _TQUANT, "fp8"),
    ("exl2", _EXL2, "exl2"),
)
# account (or "*lab", "*other"): weight per _QUANTS entry
_QUANT_MIX: dict[str, tuple[float, ...]] = {
    "mradermacher": (55, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "bartowski": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "unsloth": (50, 0, 0, 0, 0, 0, 0, 0, 0, 35, 15, 0),
    "mlx-community": (0, 0, 0, 0, 60, 25, 15, 0, 0, 0, 0, 0),
    "TheBloke": (50, 0, 0, 0, 0, 0, 0, 25, 25, 0, 0, 0),
    "lmstudio-community": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "QuantFactory": (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "LoneStriker": (40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60),
    "*lab": (30, 0, 0, 0, 5, 0, 0, 15, 10, 0, 40, 0),
    "*other": (20, 0, 35, 10, 5, 0, 0, 7, 6, 10, 4, 3),
}
_LICENCES = (
    "apache-2.0", "mit", "other", "cc-by-nc-4.0", "cc-by-4.0", "openrail", "openrail++",
    "llama3", "llama3.1", "llama3.2", "llama4", "gemma", "bsd-3-clause", "agpl-3.0",
    "creativeml-openrail-m", "gpl-3.0",
)  # fmt: skip
_RANDOM_LICENCES = (0, 1, 2, 3, 4, 5, 14)  # what a repo declares when it does not inherit
_LIBRARY_OF_FORMAT = {_GGUF: "gguf", _MLX: "mlx", _TQUANT: "transformers"}


# -- the world's fixed parts ---------------------------------------------------------------


def _day_us(text: str) -> int:
    return _us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _size_factor(params_b: float, centre: float, width: float) -> float:
    """Log-normal bump: how much a size is used (downloads, finetunes) relative to its peak."""
    return float(np.exp(-0.5 * (np.log(max(params_b, 0.01) / centre) / width) ** 2))


class _Catalogue(NamedTuple):
    """The labs' releases: one entry per (family, size, base or chat)."""

    short: pa.Array  # the repo name, without the author
    account: Array  # index into _ACCOUNTS
    family: Array  # index into the family table
    released: Array  # µs
    parent: Array  # entry index or -1
    depth: Array
    params: Array  # parameters (int64)
    active: Array  # active parameters, -1: dense
    appeal: Array
    pull: Array
    chat: Array  # a post-trained (conversational) release
    gated: Array


def _catalogue() -> _Catalogue:
    """Expand :data:`_FAMILIES` into release entries (a few hundred; plain Python)."""
    accounts = {a[0]: i for i, a in enumerate(_ACCOUNTS)}
    legacy = _us(_LEGACY)
    rows: list[dict[str, Any]] = []
    first_of: dict[tuple[str, str], int] = {}  # (stem, label) → entry to derive from
    first_of_stem: dict[str, int] = {}
    for f_index, fam in enumerate(_FAMILIES):
        day = _day_us(fam.released)
        for s_index, (label, total, active) in enumerate(fam.sizes):
            name = f"{fam.stem}-{label}" if label else fam.stem
            if "{}" not in name:  # where the suffix goes ("Mistral-7B{}-v0.1")
                name += "{}"
            # the family's smaller sizes are downloaded most; LLMs are tuned most near 7B
            popular = _size_factor(total, 3 * min(x[1] for x in fam.sizes), 1.2)
            fertile = _size_factor(total, 7.0, 1.2) + 0.05 if fam.pipeline in (_TG, _ITT) else 1
            when = day + (9 * 60 + 47 * s_index) * 60_000_000
            parent = -1
            if fam.parent is not None:
                key = (fam.parent, label)
                parent = first_of.get(key, first_of_stem.get(fam.parent, -1))
            base_entry = -1
            if fam.base is not None:
                base_entry = len(rows)
                rows.append(
                    dict(name=name.format(fam.base), family=f_index, released=when, parent=parent,
                         total=total, active=active, chat=False,
                         appeal=fam.popularity * popular * (0.4 if fam.chat is not None else 1),
                         pull=fam.pull * fertile * (0.5 if fam.chat is not None else 1))
                )  # fmt: skip
            if fam.chat is not None:
                rows.append(
                    dict(name=name.format(fam.chat), family=f_index,
                         released=when + 13 * 60_000_000,
                         parent=base_entry if base_entry >= 0 else parent, total=total,
                         active=active, chat=True, appeal=fam.popularity * popular,
                         pull=fam.pull * fertile)
                )  # fmt: skip
            chosen = base_entry if base_entry >= 0 else len(rows) - 1
            first_of.setdefault((fam.stem, label), chosen)
            first_of_stem.setdefault(fam.stem, chosen)
    depth: list[int] = []
    for row in rows:  # parents come first (families are listed after their parents)
        depth.append(0 if row["parent"] < 0 else depth[row["parent"]] + 1)
    fams = [_FAMILIES[r["family"]] for r in rows]
    return _Catalogue(
        short=_strings([r["name"] for r in rows]),
        account=np.array([accounts[f.account] for f in fams], dtype=np.int32),
        family=np.array([r["family"] for r in rows], dtype=np.int16),
        released=np.maximum([r["released"] for r in rows], legacy).astype(np.int64),
        parent=np.array([r["parent"] for r in rows], dtype=np.int64),
        depth=np.array(depth, dtype=np.int8),
        params=np.array([round(r["total"] * 1e9) for r in rows], dtype=np.int64),
        active=np.array(
            [round(r["active"] * 1e9) if r["active"] else -1 for r in rows], dtype=np.int64
        ),
        appeal=np.array([r["appeal"] for r in rows], dtype=np.float32),
        pull=np.array([r["pull"] for r in rows], dtype=np.float32),
        chat=np.array([r["chat"] for r in rows], dtype=bool),
        gated=np.array([f.gated for f in fams], dtype=bool),
    )


class _Vocab:
    """Every vocabulary as Arrow arrays / numpy lookup tables, built once per store."""

    def __init__(self, people: int) -> None:
        self.n_accounts = len(_ACCOUNTS)
        self.authors = pa.concat_arrays([_strings([a[0] for a in _ACCOUNTS]), _people(people)])
        self.n_people = people
        self.kind = np.array([a[1] for a in _ACCOUNTS] + [_PERSON], dtype=np.int8)
        self.share = np.cumsum([a[2] for a in _ACCOUNTS])
        self.multiplier = np.array([a[3] for a in _ACCOUNTS] + [1.0], dtype=np.float32)
        self.labs = [i for i, a in enumerate(_ACCOUNTS) if a[1] == _LAB]
        self.orgs = np.array([i for i, a in enumerate(_ACCOUNTS) if a[1] == _ORG])
        self.retired = [
            ([a[0] for a in _ACCOUNTS].index(name), _us(until)) for name, until in _RETIRED.items()
        ]
        # families: the labs' ones, then the community stems
        self.n_families = len(_FAMILIES)
        fams = [(f.arch, f.pipeline, f.library, f.licence) for f in _FAMILIES]
        fams += [(c[1], c[2], c[3], c[4]) for c in _COMMUNITY]
        self.arch = _nullable([f[0] for f in fams])
        self.pipeline = _nullable([f[1] for f in fams])
        self.library = [f[2] for f in fams]
        self.family_licence = np.array(
            [_LICENCES.index(f[3]) if f[3] else -1 for f in fams], dtype=np.int16
        )
        # what a copy may derive from: 1 LLMs (quantized, merged, LoRA), 2 diffusion (LoRA)
        pipelines = [f[1] for f in fams]
        self.family_class = np.array(
            [1 if x in (_TG, _ITT) else 2 if x == "text-to-image" else 0 for x in pipelines],
            dtype=np.int8,
        )
        self.chat_family = np.array(
            [f.chat is not None and f.pipeline in (_TG, _ITT) for f in _FAMILIES]
            + [c[7] for c in _COMMUNITY]
        )
        self.community_share = np.cumsum([c[6] for c in _COMMUNITY]) / sum(c[6] for c in _COMMUNITY)
        self.community_params = np.array([c[5] for c in _COMMUNITY])
        self.community_names = _strings([c[0] for c in _COMMUNITY])
        # libraries: family libraries plus the formats'
        libraries = sorted({x for x in self.library if x} | {"gguf", "mlx", "peft"})
        self.libraries = _strings(libraries)
        self.family_library = np.array(
            [libraries.index(x) if x else -1 for x in self.library], dtype=np.int16
        )
        self.library_index = {x: i for i, x in enumerate(libraries)}
        self.licences = _strings(list(_LICENCES))
        self.licence_tags = _strings([f"license:{x}" for x in _LICENCES])
        self.relations = _strings(list(_RELATIONS))
        self.finetune_names = _strings(list(_FINETUNE_NAMES))
        self.adapter_names = _strings(list(_ADAPTER_NAMES))
        self.merge_names = _strings(list(_MERGE_NAMES))
        self.lab_names = _strings(list(_LAB_NAMES))
        self.rename_names = _strings(list(_RENAME_NAMES))
        self.quant_names = _strings([q[0] for q in _QUANTS])
        self.quant_format = np.array([q[1] for q in _QUANTS], dtype=np.int8)
        self.quant_tags = _nullable([q[2] for q in _QUANTS])
        mix = np.array([_QUANT_MIX["*other"]] * (self.n_accounts + 1), dtype=np.float64)
        for i, (name, kind, _, _) in enumerate(_ACCOUNTS):
            mix[i] = _QUANT_MIX.get(name, _QUANT_MIX["*lab"] if kind == _LAB else mix[i])
        self.quant_mix = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)


def _nullable(values: list[str]) -> pa.Array:
    return pa.array([v or None for v in values], pa.string())


# -- the moving world ----------------------------------------------------------------------


@dataclass
class _Rows:
    """Per-row hidden state (numpy), aligned with the static Arrow table's rows."""

    kind: Array  # int8: _LAB … _PERSON
    account: Array  # int32 into _Vocab.authors
    created: Array  # int64 µs
    family: Array  # int16 into the family table
    depth: Array  # int8
    params: Array  # int64, -1: unknown
    active: Array  # int64, -1: dense or unknown
    licence: Array  # int16, -1: none
    appeal: Array  # float32: downloads/day when new
    beta: Array  # float32: decay exponent
    pull: Array  # float32: draw as a parent
    permanent: Array  # bool: a catalogue release (never deleted or renamed)
    alive: Array  # bool: listed in the latest snapshot
    all_time: Array  # int64
    likes: Array  # int64
    modified: Array  # int64 µs
    history: Array  # int64 (H, n): downloads of the last H intervals, newest first

    def __len__(self) -> int:
        return len(self.kind)

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        joined = {
            f.name: np.concatenate(
                [getattr(p, f.name) for p in parts], axis=1 if f.name == "history" else 0
            )
            for f in fields(_Rows)
        }
        return _Rows(**joined)

    def take(self, index: Array) -> _Rows:
        taken = {
            f.name: getattr(self, f.name)[:, index]
            if f.name == "history"
            else getattr(self, f.name)[index]
            for f in fields(self)
        }
        return _Rows(**taken)


_MOVING = ("last_modified", "downloads_30d", "downloads_all_time", "likes")
_STATIC_SCHEMA = pa.schema([f for f in FILE_SCHEMA if f.name not in _MOVING])


@dataclass
class _State:
    static: pa.Table  # the static columns of every row ever listed (append-only)
    rows: _Rows
    catalogue_row: Array  # catalogue entry → row (-1: not released yet)
    ids: pa.Array  # static's model_id in one chunk (takes from a chunked array are slow)


@dataclass(frozen=True)
class _Frame:
    """One snapshot, frozen for the writer thread: the static table and this date's arrays."""

    static: pa.Table
    alive: Array
    modified: Array
    downloads_30d: Array
    all_time: Array
    likes: Array

    def parts(self) -> Iterator[pa.Table]:
        """The snapshot's rows in FILE_SCHEMA, ~_PART_ROWS rows of the state at a time."""
        for start in range(0, self.static.num_rows, _PART_ROWS):
            stop = min(start + _PART_ROWS, self.static.num_rows)
            keep = self.alive[start:stop]
            if not keep.any():
                continue
            moving = {
                "last_modified": pa.array(self.modified[start:stop]).cast(TIMESTAMP),
                "downloads_30d": pa.array(self.downloads_30d[start:stop]),
                "downloads_all_time": pa.array(self.all_time[start:stop]),
                "likes": pa.array(self.likes[start:stop]),
            }
            static = self.static.slice(start, stop - start)
            columns = [moving[n] if n in moving else static.column(n) for n in FILE_SCHEMA.names]
            part = pa.Table.from_arrays(columns, schema=FILE_SCHEMA)
            yield part if keep.all() else part.filter(pa.array(keep))


@dataclass
class _Batch:
    """New rows while they are made; row i has position ``offset + i`` in the state."""

    offset: int
    entry: Array  # catalogue entry, -1: not a catalogue release
    kind: Array
    account: Array
    created: Array
    family: Array
    depth: Array
    relation: Array  # -1: root
    parent: Array  # position, -1: none
    second: Array  # a merge's second parent, -1: none
    params: Array
    active: Array
    quant: Array  # format of a quantized copy
    label: Array  # how the name is made: a relation, _LAB_NAME, _ROOT_NAME, _CATALOGUE_NAME
    variant: Array
    stem: Array  # community stem of a root
    pull: Array
    appeal: Array
    beta: Array
    licence: Array

    @property
    def size(self) -> int:
        return len(self.kind)


_ROOT_NAME, _CATALOGUE_NAME, _LAB_NAME = -1, -2, 4  # labels besides the relations 0…3


def _gather(old: Array | None, new: Array, position: Array, offset: int) -> Array:
    """Values at (valid) state positions: before ``offset`` from ``old``, after from ``new``."""
    inside = position >= offset
    values: Array = np.empty(len(position), dtype=new.dtype)
    values[inside] = new[position[inside] - offset]
    if old is not None:
        values[~inside] = old[position[~inside]]
    return values


def _pick(
    rng: np.random.Generator,
    candidate: Array,
    weight: Array,
    child: Array,
    group: Array | None = None,
    child_group: Array | None = None,
) -> Array:
    """For each child position, a candidate position before it drawn ∝ weight (-1: none);
    with ``group``, only candidates of the child's group (``child_group``).

    ``candidate`` is sorted by position; one uniform draw per child whatever happens
    (determinism)."""
    draw = rng.random(len(child))
    if not len(candidate) or not len(child):
        return np.full(len(child), -1, np.int64)
    key, child_key, start_key = candidate, child, np.zeros(len(child), np.int64)
    if group is not None and child_group is not None:
        key = (group.astype(np.int64) << 40) | candidate
        order = np.argsort(key, kind="stable")
        key, candidate, weight = key[order], candidate[order], weight[order]
        start_key = child_group.astype(np.int64) << 40
        child_key = start_key | child
    cumulative = np.concatenate([[0.0], np.cumsum(weight, dtype=np.float64)])
    start = np.searchsorted(key, start_key, side="left")
    stop = np.searchsorted(key, child_key, side="left")  # candidates strictly before
    low = cumulative[start]
    total = cumulative[stop] - low
    index = np.searchsorted(cumulative, low + draw * total, side="right") - 1
    index = np.clip(index, start, np.maximum(stop - 1, start))
    found = (stop > start) & (total > 0)
    return np.where(found, candidate[np.minimum(index, len(candidate) - 1)], -1).astype(np.int64)


def _strip_author(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.replace_substring_regex(ids, pattern="^[^/]*/", replacement="", max_replacements=1)


def _unique_ids(ids: pa.Array, existing: pa.Array | None, serial: Array) -> pa.Array:
    """Make ``ids`` unique, within themselves and against ``existing`` (every id ever
    listed): a clashing id gets ``-<serial>`` (serials are unique and ≥ 6 digits)."""
    clash = np.zeros(len(ids), dtype=bool)
    if existing is not None and len(existing):
        hit = pc.is_in(existing, value_set=ids)
        if pc.any(hit).as_py():
            taken = pc.filter(existing, hit)
            clash |= pc.is_in(ids, value_set=taken).to_numpy(zero_copy_only=False)
    codes = pc.index_in(ids, value_set=pc.unique(ids)).to_numpy(zero_copy_only=False)
    first = np.unique(codes, return_index=True)[1]
    repeated = np.ones(len(ids), dtype=bool)
    repeated[first] = False
    clash |= repeated
    if not clash.any():
        return ids
    suffixed = _join(ids, "-", pc.cast(pa.array(serial), pa.string()))
    return pc.if_else(pa.array(clash), suffixed, ids)


class _World:
    """The generator: vocabularies, catalogue, and how one snapshot follows another."""

    def __init__(self, models: int, every: int, shape: HubShape) -> None:
        self.shape = shape
        self.every = every
        self.scale = every / 7
        self.vocab = _Vocab(max(50, models // 5))
        self.catalogue = _catalogue()
        self.full = _WINDOW // every  # whole intervals in the 30-day window
        self.part = (_WINDOW - self.full * every) / every  # share of the next one
        self.horizon = self.full + (1 if self.part > 0 else 0)

    # -- downloads ----------------------------------------------------------------------
    def _expected(self, appeal: Array, beta: Array, low: Array, high: Array) -> Array:
        """Expected downloads between ages ``low`` and ``high`` (days, clipped at 0)."""
        one = 1.0 - beta.astype(np.float64)

        def integral(x: Array) -> Array:
            value: Array = _TAU / one * ((1.0 + np.maximum(x, 0.0) / _TAU) ** one - 1.0)
            return value

        expected: Array = appeal * (integral(high) - integral(low))
        return expected

    def _draw(self, rng: np.random.Generator, expected: Array) -> Array:
        noisy = expected * np.exp(rng.normal(0.0, 0.35, expected.shape))
        drawn: Array = rng.poisson(np.minimum(noisy, 1e15)).astype(np.int64)
        return drawn

    def _window(self, history: Array, all_time: Array) -> Array:
        """The 30-day counter from the newest-first interval history."""
        total = history[: self.full].sum(axis=0)
        if self.part > 0:
            total = total + np.floor(history[self.full] * self.part).astype(np.int64)
        window: Array = np.minimum(total, all_time).astype(np.int64)
        return window

    def _opening_counters(self, rng: np.random.Generator, b: _Batch, at: int) -> _Rows:
        """The new rows' hidden state, counters filled for their whole past up to ``at``."""
        m = b.size
        age = (at - b.created) / _DAY_US
        history = np.empty((self.horizon, m), dtype=np.int64)
        for j in range(self.horizon):
            expected = self._expected(
                b.appeal, b.beta, age - (j + 1) * self.every, age - j * self.every
            )
            history[j] = self._draw(rng, expected)
        older = self._expected(b.appeal, b.beta, np.zeros(m), age - self.horizon * self.every)
        past = np.rint(older * np.exp(rng.normal(0.0, 0.2, m))).astype(np.int64)
        all_time = past + history.sum(axis=0)
        likes = np.floor(0.3 * all_time**0.5 * rng.random(m) ** 2).astype(np.int64)
        span = np.maximum(at - b.created, 0)
        modified = b.created + (span * rng.random(m) ** 3).astype(np.int64)
        return _Rows(
            kind=b.kind, account=b.account, created=b.created, family=b.family, depth=b.depth,
            params=b.params, active=b.active, licence=b.licence, appeal=b.appeal, beta=b.beta,
            pull=b.pull, permanent=b.entry >= 0, alive=np.ones(m, dtype=bool),
            all_time=all_time, likes=likes, modified=modified - modified % 1000,
            history=history,
        )  # fmt: skip

    # -- new repos ----------------------------------------------------------------------
    def _place(
        self,
        rng: np.random.Generator,
        state: _State | None,
        n: int,
        low: int,
        high: int,
        opening: bool,
        extra: int,
    ) -> tuple[_Batch, Array]:
        """Creation times and authors of ``n`` random repos created in (low, high] plus the
        catalogue releases of that span, sorted by creation time (releases first on ties)."""
        vocab, cat = self.vocab, self.catalogue
        start = _us(_CREATION_START)
        if opening:  # since 2021, denser lately (the Hub grows)
            created = start + ((high - start) * rng.random(n) ** (1 / 3)).astype(np.int64)
        else:
            created = low + ((high - low) * rng.random(n)).astype(np.int64)
            late = rng.random(n) < self.shape.made_public_late
            long_ago = start + ((low - start) * rng.random(n)).astype(np.int64)
            created = np.where(late, long_ago, created)
        created = np.maximum(created - created % 1000, _us(_LEGACY))
        account = np.searchsorted(vocab.share, rng.random(n), side="right").astype(np.int32)
        person = vocab.n_accounts + (vocab.n_people * rng.random(n) ** 1.6).astype(np.int32)
        is_person = account >= vocab.n_accounts
        for index, until in vocab.retired:
            is_person |= (account == index) & (created > until)
        account = np.where(is_person, person, account).astype(np.int32)

        entries = np.flatnonzero((cat.released > low) & (cat.released <= high))
        when = np.concatenate([cat.released[entries], created])
        order = np.lexsort((np.repeat([0, 1], [len(entries), n]), when))
        m = len(order)
        entry = np.concatenate([entries, np.full(n, -1)])[order]
        account = np.concatenate([cat.account[entries], account])[order]
        offset = extra + (0 if state is None else len(state.rows))
        catalogue_row = (
            np.full(len(cat.released), -1, np.int64) if state is None else state.catalogue_row
        ).copy()
        released = np.flatnonzero(entry >= 0)
        catalogue_row[entry[released]] = offset + released

        def filled(value: float, dtype: Any) -> Array:
            return np.full(m, value, dtype=dtype)

        batch = _Batch(
            offset=offset, entry=entry, kind=vocab.kind[np.minimum(account, vocab.n_accounts)],
            account=account, created=when[order], family=filled(-1, np.int16),
            depth=filled(-1, np.int8), relation=filled(-1, np.int8),
            parent=filled(-1, np.int64), second=filled(-1, np.int64),
            params=filled(-1, np.int64), active=filled(-1, np.int64),
            quant=filled(_NONE, np.int8), label=filled(_ROOT_NAME, np.int8),
            variant=filled(0, np.int32), stem=filled(0, np.int32),
            pull=filled(0, np.float32), appeal=filled(0, np.float32),
            beta=filled(0, np.float32), licence=filled(-1, np.int16),
        )  # fmt: skip
        return batch, catalogue_row

    def _releases(self, b: _Batch, catalogue_row: Array) -> None:
        """Catalogue rows: everything comes from the catalogue."""
        cat = self.catalogue
        rows = np.flatnonzero(b.entry >= 0)
        e = b.entry[rows]
        b.family[rows] = cat.family[e]
        b.depth[rows] = cat.depth[e]
        b.params[rows] = cat.params[e]
        b.active[rows] = cat.active[e]
        b.pull[rows] = cat.pull[e]
        b.label[rows] = _CATALOGUE_NAME
        b.licence[rows] = self.vocab.family_licence[cat.family[e]]
        derived = rows[cat.parent[e] >= 0]
        b.parent[derived] = catalogue_row[cat.parent[b.entry[derived]]]
        b.relation[derived] = _FINETUNE

    def _roots(self, rng: np.random.Generator, b: _Batch, rows: Array) -> None:
        """The community's own models: a stem, its family, its parameter count."""
        vocab = self.vocab
        stem = np.searchsorted(vocab.community_share, rng.random(len(rows)), side="right")
        stem = np.minimum(stem, len(_COMMUNITY) - 1)
        jitter = np.exp(rng.normal(0.0, 0.1, len(rows)))
        size = vocab.community_params[stem]
        b.stem[rows] = stem
        b.family[rows] = vocab.n_families + stem
        b.depth[rows] = 0
        b.relation[rows] = -1
        b.parent[rows] = -1
        b.label[rows] = _ROOT_NAME
        b.params[rows] = np.where(size > 0, (size * 1e9 * jitter).astype(np.int64), -1)
        b.active[rows] = -1
        b.licence[rows] = vocab.family_licence[vocab.n_families + stem]
        b.pull[rows] = 0.1 * np.exp(rng.normal(-3.0, 2.0, len(rows)))

    def _lab_uploads(self, rng: np.random.Generator, b: _Batch, catalogue_row: Array) -> Array:
        """Labs' own variants (FP8, Instruct-2507…) of a release of theirs already out; a
        lab upload before any release of its lab becomes an individual's.  Returns the rows."""
        cat, vocab = self.catalogue, self.vocab
        uploads = np.flatnonzero((b.entry < 0) & (b.kind == _LAB))
        for lab in vocab.labs:
            rows = uploads[b.account[uploads] == lab]
            mine = np.flatnonzero(cat.account == lab)
            if not len(mine):
                continue
            mine = mine[np.argsort(cat.released[mine], kind="stable")]
            out = np.searchsorted(cat.released[mine], b.created[rows], side="right")
            pick = (out * rng.random(len(rows))).astype(np.int64)
            ok = out > 0
            e = mine[np.minimum(pick, len(mine) - 1)][ok]
            got = rows[ok]
            b.parent[got] = catalogue_row[e]
            b.family[got] = cat.family[e]
            b.depth[got] = cat.depth[e] + 1
            b.params[got] = cat.params[e]
            b.active[got] = cat.active[e]
            b.licence[got] = vocab.family_licence[cat.family[e]]
            b.appeal[got] = cat.appeal[e] * 0.03 * np.exp(rng.normal(0.0, 1.0, len(got)))
            b.pull[got] = 0.5 * np.exp(rng.normal(0.0, 1.0, len(got)))
            llm = vocab.family_class[cat.family[e]] == 1
            quantized = (rng.random(len(got)) < 0.45) & llm  # FP8, AWQ, GGUF… of their LLMs
            b.relation[got] = np.where(quantized, _QUANTIZED, _FINETUNE)
            b.label[got] = np.where(quantized, _QUANTIZED, _LAB_NAME)
        orphan = uploads[b.parent[uploads] < 0]
        b.account[orphan] = vocab.n_accounts + (vocab.n_people * rng.random(len(orphan))).astype(
            np.int32
        )
        b.kind[orphan] = _PERSON
        return uploads[b.parent[uploads] >= 0]

    def _existing_pull(self, state: _State | None, at: int) -> Array | None:
        """Parents' pull in the existing rows: fading with age (people tune new releases)."""
        if state is None:
            return None
        r = state.rows
        age = (at - r.created) / _DAY_US
        return np.where(r.alive, r.pull / (1.0 + age / 180.0), 0.0)

    def _lineage(
        self, rng: np.random.Generator, state: _State | None, b: _Batch, rows: Array, at: int
    ) -> None:
        """Parents of the community's derived ``rows``: a target depth each, then level by
        level a parent one level up, created before, drawn ∝ pull."""
        shape = self.shape
        levels = len(shape.depth)
        weights = np.cumsum(shape.depth) / sum(shape.depth)
        target = 1 + np.searchsorted(weights, rng.random(len(rows)), side="right")
        target = np.minimum(target, levels)
        old_pull = self._existing_pull(state, at)
        merges = b.relation[rows] == _MERGE
        # quantized copies and merges are of LLMs, adapters of LLMs or diffusion models
        wanted = np.where(b.relation[rows] == _FINETUNE, -1, 1)
        wanted[(b.relation[rows] == _ADAPTER) & (rng.random(len(rows)) < 0.3)] = 2
        classes = self.vocab.family_class
        for level in range(1, levels + 1):
            here = rows[target == level]
            cand, weight, family = self._candidates(state, old_pull, b, level - 1)
            child = b.offset + here
            choosy = wanted[target == level] >= 0
            parent = np.full(len(here), -1, np.int64)
            parent[choosy] = _pick(
                rng, cand, weight, child[choosy], classes[family], wanted[target == level][choosy]
            )
            free = parent < 0  # no restriction, or nothing of the wanted class yet
            parent[free] = _pick(rng, cand, weight, child[free])
            b.relation[here[choosy & free]] = _FINETUNE  # a copy of nothing suitable
            fallback = parent < 0
            if level > 1 and fallback.any():  # nothing one level up yet: a root will do
                roots, root_weight, _ = self._candidates(state, old_pull, b, 0)
                parent[fallback] = _pick(rng, roots, root_weight, child[fallback])
            b.parent[here] = parent
            found = parent >= 0
            b.depth[here] = np.where(found, np.where(fallback, 1, level), -1)
            # a merge's second parent: another of the same level and family
            merge = here[merges[target == level] & found & ~fallback]
            old_family = None if state is None else state.rows.family
            merged = _gather(old_family, b.family, b.parent[merge], b.offset)
            other = _pick(rng, cand, weight, b.offset + merge, family, merged)
            distinct = (other >= 0) & (other != b.parent[merge])
            b.second[merge[distinct]] = other[distinct]
            single = here[(b.relation[here] == _MERGE) & (b.second[here] < 0)]
            b.relation[single] = _FINETUNE  # one parent only: a finetune after all
            self._inherit(state, b, here[found])
            b.pull[here] = self._own_pull(rng, b.relation[here])

    def _candidates(
        self, state: _State | None, old_pull: Array | None, b: _Batch, depth: int
    ) -> tuple[Array, Array, Array]:
        """Possible parents at ``depth``: positions (sorted), pulls, families."""
        new = np.flatnonzero((b.depth == depth) & (b.pull > 0))
        if state is None or old_pull is None:
            return b.offset + new, b.pull[new].astype(np.float64), b.family[new]
        old = np.flatnonzero((state.rows.depth == depth) & (old_pull > 0))
        return (
            np.concatenate([old, b.offset + new]),
            np.concatenate([old_pull[old], b.pull[new]]).astype(np.float64),
            np.concatenate([state.rows.family[old], b.family[new]]),
        )

    def _inherit(self, state: _State | None, b: _Batch, rows: Array) -> None:
        """Family and parameter counts from the parent."""
        old = None if state is None else state.rows
        parent = b.parent[rows]
        for name in ("family", "params", "active"):
            values = _gather(None if old is None else getattr(old, name), getattr(b, name),
                             parent, b.offset)  # fmt: skip
            getattr(b, name)[rows] = values

    def _own_pull(self, rng: np.random.Generator, relation: Array) -> Array:
        factor = np.array([1.0, 0.1, 0.02, 1.5], dtype=np.float32)[np.maximum(relation, 0)]
        return (factor * np.exp(rng.normal(-3.0, 2.0, len(relation)))).astype(np.float32)

    def _formats(self, rng: np.random.Generator, b: _Batch, derived: Array) -> None:
        """Quantization formats, adapters' parameter counts, and name variants."""
        vocab = self.vocab
        quantized = np.flatnonzero(b.relation == _QUANTIZED)
        mix = vocab.quant_mix[np.minimum(b.account[quantized], vocab.n_accounts)]
        q = (rng.random(len(quantized))[:, None] > mix).sum(axis=1)
        q = np.minimum(q, len(_QUANTS) - 1)
        b.quant[quantized] = vocab.quant_format[q]
        b.variant[quantized] = q
        adapters = np.flatnonzero(b.relation == _ADAPTER)
        share = 10 ** rng.uniform(-2.7, -1.7, len(adapters))
        b.params[adapters] = np.where(
            b.params[adapters] > 0, (b.params[adapters] * share).astype(np.int64), -1
        )
        b.active[adapters] = -1
        b.label[derived] = b.relation[derived]
        for label, size in (
            (_FINETUNE, len(_FINETUNE_NAMES)),
            (_ADAPTER, len(_ADAPTER_NAMES)),
            (_MERGE, len(_MERGE_NAMES)),
            (_LAB_NAME, len(_LAB_NAMES)),
        ):
            chosen = np.flatnonzero(b.label == label)
            b.variant[chosen] = rng.integers(0, size, len(chosen))

    def _popularity(
        self, rng: np.random.Generator, b: _Batch, rows: Array, parent_appeal: Array
    ) -> None:
        """Appeal and decay of non-catalogue, non-lab rows (community, quantizers, orgs)."""
        vocab = self.vocab
        kind = b.kind[rows]
        m = len(rows)
        dead = rng.random(m) < np.array([0.0, 0.1, 0.25, 0.45])[kind]
        mu = np.array([1.0, 0.8, 0.5, -0.3])[kind]
        lively = (
            np.exp(rng.normal(0.0, 1.9, m) + mu)
            * vocab.multiplier[np.minimum(b.account[rows], vocab.n_accounts)]
        )
        lively *= (1.0 + parent_appeal / 1000.0) ** np.where(
            b.relation[rows] == _QUANTIZED, 0.45, 0.2
        )
        b.appeal[rows] = np.where(dead, 0.01 * np.exp(rng.normal(0.0, 1.0, m)), lively)
        b.beta[rows] = rng.uniform(0.4, 0.95, m)

    def _descend(
        self,
        rng: np.random.Generator,
        old_ids: pa.Array | None,
        state: _State | None,
        b: _Batch,
        ids: pa.Array,
    ) -> pa.Array:
        """Names, appeal and licences that follow the parent, shallow rows first.  ``ids``
        holds the names known up front (nulls elsewhere); returns all names (no author)."""
        old = None if state is None else state.rows
        follow = np.flatnonzero((b.entry < 0) & (b.parent >= 0))
        names = ids
        for depth in range(1, int(b.depth.max(initial=0)) + 1):
            rows = follow[b.depth[follow] == depth]
            if not len(rows):
                continue
            parent = b.parent[rows]
            short = self._parent_names(old_ids, names, parent, b.offset)
            suffix = self._suffix(b.label[rows], b.variant[rows])
            named = _join(pc.utf8_slice_codeunits(short, 0, 64), "-", suffix)
            names = pc.replace_with_mask(names, _mask(b.size, rows), named)
            rows = rows[b.kind[rows] != _LAB]  # labs' appeal and licence come with the release
            parent = b.parent[rows]
            appeal = _gather(None if old is None else old.appeal, b.appeal, parent, b.offset)
            self._popularity(rng, b, rows, appeal)
            licence = _gather(None if old is None else old.licence, b.licence, parent, b.offset)
            fresh = self._random_licence(rng, len(rows))
            b.licence[rows] = np.where(rng.random(len(rows)) < 0.85, licence, fresh)
        return names

    def _parent_names(
        self, old_ids: pa.Array | None, names: pa.Array, parent: Array, offset: int
    ) -> pa.Array:
        inside = parent >= offset
        new = pc.take(names, pa.array(np.where(inside, parent - offset, 0), mask=~inside))
        if old_ids is None or inside.all():
            return new
        old = pc.take(old_ids, pa.array(np.where(inside, 0, parent), mask=inside))
        return pc.coalesce(new, _strip_author(old))

    def _suffix(self, label: Array, variant: Array) -> pa.Array:
        vocab = self.vocab
        tables = [vocab.finetune_names, vocab.adapter_names, vocab.quant_names,
                  vocab.merge_names, vocab.lab_names]  # fmt: skip
        offsets = np.cumsum([0] + [len(t) for t in tables])
        allnames = pa.concat_arrays(tables)
        return _take(allnames, offsets[label] + variant)

    def _random_licence(self, rng: np.random.Generator, n: int) -> Array:
        return np.array(_RANDOM_LICENCES, dtype=np.int16)[rng.integers(0, len(_RANDOM_LICENCES), n)]

    # -- one batch of new repos ---------------------------------------------------------
    def grow(
        self,
        rng: np.random.Generator,
        state: _State | None,
        n: int,
        low: int,
        high: int,
        opening: bool = False,
        moved: tuple[pa.Table, _Rows] | None = None,
    ) -> _State:
        """Add ``n`` random repos created in (low, high] (``opening``: the first snapshot's,
        created since 2021) and the catalogue releases of (low, high], after ``moved`` (the
        copies of renamed rows, see :meth:`_rename`)."""
        cat, vocab = self.catalogue, self.vocab
        extra = 0 if moved is None else len(moved[1])
        b, catalogue_row = self._place(rng, state, n, low, high, opening, extra)
        self._releases(b, catalogue_row)
        labs = self._lab_uploads(rng, b, catalogue_row)
        others = np.flatnonzero((b.entry < 0) & (b.kind != _LAB))
        roll = rng.random(len(others))
        is_derived = roll < np.array([1.0, 0.97, 0.5, 0.6])[b.kind[others]]
        roots = others[~is_derived]
        derived = others[is_derived]
        self._roots(rng, b, roots)
        roll = rng.random(len(derived))
        kind = b.kind[derived]
        b.relation[derived] = np.select(
            [kind == _QUANT, kind == _ORG],
            [np.full(len(derived), _QUANTIZED), np.searchsorted([0.8, 0.85, 0.95], roll, "right")],
            np.searchsorted([0.55, 0.77, 0.92], roll, side="right"),  # ft, adapter, quant, merge
        )
        self._lineage(rng, state, b, derived, high)
        lost = derived[b.parent[derived] < 0]  # nothing to derive from yet: a root
        self._roots(rng, b, lost)
        derived = derived[b.parent[derived] >= 0]
        roots = np.sort(np.concatenate([roots, lost]))
        self._formats(rng, b, derived)

        released = np.flatnonzero(b.entry >= 0)
        e = b.entry[released]
        b.appeal[released] = cat.appeal[e] * np.exp(rng.normal(0.0, 0.3, len(released)))
        b.beta[released] = rng.uniform(0.0, 0.25, len(released))
        b.beta[labs] = rng.uniform(0.2, 0.7, len(labs))
        self._popularity(rng, b, roots, np.zeros(len(roots)))

        names = pa.nulls(b.size, pa.string())
        names = pc.replace_with_mask(
            names, _mask(b.size, released), pc.take(cat.short, pa.array(e))
        )
        names = pc.replace_with_mask(
            names, _mask(b.size, roots), _take(vocab.community_names, b.stem[roots])
        )
        old_ids = None
        if state is not None:
            old_ids = state.ids
            if moved is not None and moved[0].num_rows:
                old_ids = pa.concat_arrays([old_ids, *moved[0].column("model_id").chunks])
        names = self._descend(rng, old_ids, state, b, names)
        ids = _join(_take(vocab.authors, b.account), "/", names)
        ids = _unique_ids(ids, old_ids, _SERIAL_BASE + b.offset + np.arange(b.size))
        rows = self._opening_counters(rng, b, high)
        static = self._static(rng, old_ids, b, ids)
        if state is None or old_ids is None:
            return _State(static, rows, catalogue_row, ids)
        tables, parts = [state.static], [state.rows]
        if moved is not None:
            tables.append(moved[0])
            parts.append(moved[1])
        return _State(
            pa.concat_tables([*tables, static]),
            _Rows.concat([*parts, rows]),
            catalogue_row,
            pa.concat_arrays([old_ids, ids]),
        )

    def _ids_at(
        self, old_ids: pa.Array | None, ids: pa.Array, position: Array, offset: int
    ) -> pa.Array:
        """Ids at state positions (null where the position is -1)."""
        none = position < 0
        inside = position >= offset
        new = pc.take(ids, pa.array(np.where(inside, position - offset, 0), mask=~inside))
        outside = ~inside & ~none
        if old_ids is None or not outside.any():
            return new
        old = pc.take(old_ids, pa.array(np.where(outside, position, 0), mask=~outside))
        return pc.coalesce(new, old)

    def _static(
        self, rng: np.random.Generator, old_ids: pa.Array | None, b: _Batch, ids: pa.Array
    ) -> pa.Table:
        """The static columns of the new rows (``old_ids``: every id listed before)."""
        vocab, cat, m = self.vocab, self.catalogue, b.size
        person = b.kind == _PERSON
        released = b.entry >= 0
        first = self._ids_at(old_ids, ids, b.parent, b.offset)
        second = self._ids_at(old_ids, ids, b.second, b.offset)
        relation = pc.take(
            vocab.relations, pa.array(np.maximum(b.relation, 0), mask=b.relation < 0)
        )

        pipeline = pc.take(vocab.pipeline, pa.array(b.family, mask=person & (rng.random(m) < 0.1)))
        library = vocab.family_library[b.family].astype(np.int32)
        transformers = vocab.library_index["transformers"]
        library = np.where((b.relation == _ADAPTER) & (library == transformers),
                           vocab.library_index["peft"], library)  # fmt: skip
        for fmt, name in _LIBRARY_OF_FORMAT.items():
            library = np.where(b.quant == fmt, vocab.library_index[name], library)
        library = np.where((b.quant == _EXL2) | (person & (rng.random(m) < 0.08)), -1, library)
        library_name = pc.take(vocab.libraries, pa.array(library, mask=library < 0))
        no_licence = (b.licence < 0) | (person & (rng.random(m) < 0.12))
        licence = pa.array(np.maximum(b.licence, 0), mask=no_licence)
        gated = np.where(
            released, cat.gated[np.maximum(b.entry, 0)], person & (rng.random(m) < 0.01)
        )
        chat = vocab.chat_family[b.family] & np.where(
            released, cat.chat[np.maximum(b.entry, 0)], rng.random(m) < 0.6
        )

        # tags: joined with a separator, then split into lists (as hub_stats does)
        is_gguf = b.quant == _GGUF
        weights = np.where(is_gguf, 0, np.where((b.params >= 0) & (b.quant != _EXL2), 1, -1))
        quantized = b.relation == _QUANTIZED

        def flag(text: str, where: Array) -> pa.Array:
            return pc.take(_strings([text]), pa.array(np.zeros(m, np.int8), mask=~where))

        tags_text = pc.binary_join_element_wise(
            library_name,
            pc.take(_strings(["gguf", "safetensors"]), pa.array(weights, mask=weights < 0)),
            pc.take(vocab.arch, pa.array(b.family)),
            pipeline,
            pc.take(vocab.quant_tags, pa.array(b.variant, mask=~quantized)),
            flag("lora", b.relation == _ADAPTER),
            flag("mergekit" + _SEP + "merge", b.relation == _MERGE),
            flag("conversational", chat),
            _join("base_model:", first, _SEP + "base_model:", relation, ":", first),
            _join("base_model:", second, _SEP + "base_model:", relation, ":", second),
            pc.take(vocab.licence_tags, licence),
            flag("endpoints_compatible", (library == transformers) & (rng.random(m) < 0.4)),
            "region:us",
            _SEP,
            null_handling="skip",
        )

        count = (b.parent >= 0).astype(np.int32) + (b.second >= 0)
        offsets = np.zeros(m + 1, dtype=np.int32)
        np.cumsum(count, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), dtype=np.int64)
        has = b.parent >= 0
        flat[offsets[:-1][has]] = b.parent[has]
        has = b.second >= 0
        flat[offsets[:-1][has] + 1] = b.second[has]
        entries = pa.StructArray.from_arrays(
            [
                _take(vocab.relations, np.repeat(np.maximum(b.relation, 0), count)),
                self._ids_at(old_ids, ids, flat, b.offset),
            ],
            fields=list(BASE_MODEL_TYPE),
        )
        columns: dict[str, Any] = {
            "model_id": ids,
            "author": _take(vocab.authors, b.account),
            "created_at": pa.array(b.created).cast(TIMESTAMP),
            "pipeline_tag": pipeline,
            "library_name": library_name,
            "tags": pc.split_pattern(tags_text, _SEP),
            "license": pc.take(vocab.licences, licence),
            "gated": pa.array(gated),
            "base_models": pa.ListArray.from_arrays(
                pa.array(offsets), entries, type=pa.list_(BASE_MODEL_TYPE)
            ),
            "params_total": pa.array(b.params, mask=b.params < 0),
            "params_active": pa.array(b.active, mask=b.active < 0),
            "is_gguf": pa.array(is_gguf),
            "source": pc.fill_null(pa.nulls(m, pa.string()), SOURCE),
            "raw_json": pa.nulls(m, pa.string()),
        }
        return pa.Table.from_arrays([columns[n] for n in _STATIC_SCHEMA.names],
                                    schema=_STATIC_SCHEMA)  # fmt: skip

    # -- one interval -------------------------------------------------------------------
    def frame(self, state: _State) -> _Frame:
        r = state.rows
        return _Frame(
            static=state.static,
            alive=r.alive,
            modified=r.modified,
            downloads_30d=self._window(r.history, r.all_time),
            all_time=r.all_time,
            likes=r.likes,
        )

    def opening(self, rng: np.random.Generator, n: int, at: int) -> _State:
        """The first snapshot's world: ``n`` repos plus the releases out by ``at``."""
        return self.grow(rng, None, n, -(2**62), at, opening=True)

    def advance(self, rng: np.random.Generator, state: _State, low: int, high: int) -> _State:
        """The world one interval (low, high] later: counters, deletions, renames, new repos."""
        shape, r = self.shape, state.rows
        n = len(r)
        age = (high - r.created) / _DAY_US
        expected = self._expected(r.appeal, r.beta, (low - r.created) / _DAY_US, age)
        downloads = self._draw(rng, expected)
        # bots: a repo's downloads jump by orders of magnitude for one interval
        burst = np.flatnonzero(r.alive & ~r.permanent & (rng.random(n) < shape.automated_burst))
        downloads[burst] += (10 ** rng.uniform(3.0, 6.0, len(burst))).astype(np.int64)
        history = np.empty_like(r.history)
        history[0] = downloads
        history[1:] = r.history[:-1]
        all_time = r.all_time + downloads
        window = self._window(history, all_time)
        drop = np.flatnonzero(
            r.alive & (rng.random(n) < shape.counter_decrease) & (r.all_time > 2 * window + 10)
        )
        recount = np.floor(r.all_time[drop] * rng.uniform(0.3, 0.95, len(drop))).astype(np.int64)
        all_time[drop] = np.maximum(recount, window[drop])
        likes = r.likes + rng.poisson(0.005 * downloads.astype(np.float64) ** 0.7)
        touched = r.alive & (rng.random(n) < 0.01 + 0.2 * (age < 30))
        when = low + (rng.random(n) * (high - low)).astype(np.int64)
        modified = np.where(touched, np.maximum(r.modified, when - when % 1000), r.modified)
        chance = shape.deleted * self.scale * np.where(r.appeal < 0.05, 2.5, 1.0)
        chance = chance * np.where(age < 28, 2.0, 1.0)
        alive = r.alive & (r.permanent | (rng.random(n) >= chance))
        rows = replace(r, alive=alive, all_time=all_time, likes=likes, modified=modified,
                       history=history)  # fmt: skip
        state = replace(state, rows=rows)
        moved, alive = self._rename(rng, state)
        state = replace(state, rows=replace(rows, alive=alive))
        present = int(alive.sum()) + len(moved[1])
        releases = int(((self.catalogue.released > low) & (self.catalogue.released <= high)).sum())
        fresh = max(0, round(present * shape.new_repos * self.scale) - releases)
        return self.grow(rng, state, fresh, low, high, moved=moved)

    def _rename(
        self, rng: np.random.Generator, state: _State
    ) -> tuple[tuple[pa.Table, _Rows], Array]:
        """Rename or move a few repos: the old row vanishes, a copy appears under the new
        id with the same creation time and counters.  Returns the copies (static columns,
        hidden state) and the rows' new ``alive``."""
        vocab, r = self.vocab, state.rows
        n = len(r)
        chosen = np.flatnonzero(
            r.alive & ~r.permanent & (rng.random(n) < self.shape.renamed * self.scale)
        )
        k = len(chosen)
        moved = rng.random(k) < 0.5
        to_org = rng.random(k) < 0.2
        person = vocab.n_accounts + (vocab.n_people * rng.random(k) ** 1.6).astype(np.int32)
        org = vocab.orgs[rng.integers(0, len(vocab.orgs), k)]
        account = np.where(moved, np.where(to_org, org, person), r.account[chosen]).astype(np.int32)
        suffix = _take(vocab.rename_names, rng.integers(0, len(_RENAME_NAMES), k))
        if k == 0:
            return (state.static.schema.empty_table(), r.take(chosen)), r.alive
        old_ids = state.ids
        short = _strip_author(pc.take(old_ids, pa.array(chosen)))
        short = pc.if_else(pa.array(moved), short, _join(short, "-", suffix))
        ids = _join(_take(vocab.authors, account), "/", short)
        ids = _unique_ids(ids, old_ids, _SERIAL_BASE + n + np.arange(k))
        static = _take_rows(state.static, chosen)
        names = static.schema.names
        for name, values in (("model_id", ids), ("author", _take(vocab.authors, account))):
            static = static.set_column(names.index(name), _STATIC_SCHEMA.field(name), values)
        copy = r.take(chosen)
        copy.account = account
        copy.kind = vocab.kind[np.minimum(account, vocab.n_accounts)]
        alive = r.alive.copy()
        alive[chosen] = False
        return (static, copy), alive


def _take_rows(table: pa.Table, index: Array) -> pa.Table:
    """``table.take(index)`` for sorted ``index``, one record batch at a time (a take from
    a many-chunk table is slow: Arrow resolves the chunks per column)."""
    batches = table.to_batches()
    bounds = np.cumsum([0] + [len(batch) for batch in batches])
    which = np.searchsorted(bounds, index, side="right") - 1
    taken = [batches[k].take(pa.array(index[which == k] - bounds[k])) for k in np.unique(which)]
    return pa.Table.from_batches(taken, schema=table.schema)


def _mask(size: int, rows: Array) -> pa.Array:
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return pa.array(mask)


# -- the store ---------------------------------------------------------------------------


def _prepare(root: Path, force: bool) -> None:
    """Refuse to overwrite a store unless ``force``; never delete anything but a store."""
    if (root / MARKER_NAME).is_file():
        if not force:
            raise StoreError(
                f"{root}: already holds a weightwatch store; choose another directory, or pass "
                "--force to delete it and generate a new one"
            )
        shutil.rmtree(root)
    elif root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise StoreError(
            f"{root}: exists and is not a weightwatch store; choose an empty or new directory"
        )


# Dictionaries only for the columns whose values repeat: ~40 % less CPU than the default
# (every column tries one, and the ids and base-model tags overflow it).
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "row_group_size": _PART_ROWS,
    "use_dictionary": [
        "author", "pipeline_tag", "library_name", "license", "source", "tags.list.element",
        "base_models.list.element.relation",
    ],
}  # fmt: skip


def _write_part(writer: SnapshotWriter, part: pa.Table) -> None:
    """``writer.write_batch(part)`` with encodings chosen for these columns: one Parquet
    file, synced, checksummed from the bytes written (no second read)."""
    name = f"part-{len(writer.files):05d}.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(part, sink, **_PARQUET_OPTIONS)
    data = sink.getvalue()
    with (writer.directory / name).open("wb") as handle:
        handle.write(memoryview(data))
        handle.flush()
        os.fsync(handle.fileno())
    digest = hashlib.sha256(memoryview(data)).hexdigest()
    writer.files.append(DataFile(name=name, rows=part.num_rows, bytes=data.size, sha256=digest))


def _publish(store: Store, day: date, frame: _Frame, extra: dict[str, Any]) -> None:
    """Write and publish one snapshot (the writer thread)."""
    with store.writer(day, source=SOURCE) as writer:
        for part in frame.parts():
            _write_part(writer, part)
        writer.extra.update(extra)


def generate_store(
    out: Path | str,
    models: int,
    snapshots: int,
    seed: int = 0,
    start: date = DEFAULT_START,
    every: int = 7,
    progress: Progress | None = None,
    *,
    force: bool = False,
    shape: HubShape | None = None,
) -> Store:
    """Write a synthetic Hub store at ``out``: ``snapshots`` snapshots ``every`` days apart
    from ``start``, about ``models`` repos in the last one, deltas materialised; return it.

    ``progress(done, total)`` is called as snapshots are published (with their deltas).
    Raises :class:`~weightwatch.errors.StoreError` if ``out`` already holds a store (unless
    ``force``: it is deleted first) or is a non-empty directory of something else, and
    :class:`~weightwatch.errors.InputError` for sizes, seed or spacing below 1 (seed 0).
    """
    if models < 1 or snapshots < 1 or every < 1 or seed < 0:
        raise InputError(
            f"models ({models}), snapshots ({snapshots}) and every ({every}) must be at least 1 "
            f"and seed ({seed}) at least 0"
        )
    shape = shape or HubShape()
    root = Path(out)
    _prepare(root, force)
    store = Store.create(root)
    world = _World(models, every, shape)
    growth = 1 + (shape.new_repos - shape.deleted) * world.scale
    first = max(1, round(models / growth ** (snapshots - 1)))
    days = [start + timedelta(days=every * k) for k in range(snapshots)]
    meta = {"generator": __name__, "seed": seed, "models": models, "snapshots": snapshots,
            "start": start.isoformat(), "every": every}  # fmt: skip
    state: _State | None = None
    low = 0
    done = 0
    # three stages at once: the main thread makes snapshot k+1 while one thread writes
    # snapshot k and another materialises the deltas of k-1 (DuckDB, every core)
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-write") as writing,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-deltas") as deltas,
    ):
        written: Future[None] | None = None
        computing: list[Future[int]] = []

        def published(day: date) -> None:
            nonlocal done
            assert written is not None
            written.result()
            computing.append(deltas.submit(materialise_deltas, store, day))
            while len(computing) > 1:  # at most one deltas partition waits
                computing.pop(0).result()
                done += 1
                if progress is not None:
                    progress(done, snapshots)

        for k, day in enumerate(days):
            rng = np.random.default_rng([seed, k])
            high = _us(datetime(day.year, day.month, day.day, tzinfo=UTC))
            if state is None:
                released = int((world.catalogue.released <= high).sum())
                state = world.opening(rng, max(first - released, 0), high)
            else:
                state = world.advance(rng, state, low, high)
            frame = world.frame(state)
            low = high
            if written is not None:
                published(days[k - 1])
            written = writing.submit(_publish, store, day, frame, {**meta, "index": k})
        published(days[-1])
        for future in computing:
            future.result()
    ensure_deltas(store)  # nothing to do unless a snapshot was published without its deltas
    if progress is not None:
        progress(snapshots, snapshots)
    return store
