"""Map Hub model-listing records onto the canonical snapshot schema.

Two record shapes are read, detected from their keys:

``hub-api``
    The Hub's own ``/api/models`` objects, as ``huggingface_hub.ModelInfo`` parses them:
    ``id``/``modelId``, ``createdAt``, ``lastModified``, ``downloads``,
    ``downloadsAllTime``, ``pipeline_tag``, ``library_name``, ``cardData``,
    ``safetensors``, ``gguf``, ``gated``, ``baseModels``…  The snake_case names of a
    ``ModelInfo`` dumped as a dict (``created_at``, ``card_data``…) are accepted too.
``hub-scraper``
    Scraper output in camelCase (``pipelineTag``, ``libraryName``), e.g. starscreener.

Row-level problems (not an object, no usable ``id``) reject the row; field-level problems
(a wrong type, a negative count) null that field and keep the original value in
``raw_json``.  Both are returned as :class:`Problem` so ingest can count and report them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from weightwatch.normalize.base_models import declared_base_models

HUB_API = "hub-api"
HUB_SCRAPER = "hub-scraper"

# canonical field -> keys a record may carry it under, per dialect (first present wins)
_SCALAR_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    HUB_API: {
        "author": ("author",),
        "created_at": ("createdAt", "created_at"),
        "last_modified": ("lastModified", "last_modified"),
        "downloads_30d": ("downloads",),
        "downloads_all_time": ("downloadsAllTime", "downloads_all_time"),
        "likes": ("likes",),
        "pipeline_tag": ("pipeline_tag",),
        "library_name": ("library_name",),
        "tags": ("tags",),
        "gated": ("gated",),
        "card_data": ("cardData", "card_data"),
        "safetensors": ("safetensors",),
        "gguf": ("gguf",),
        "base_models_expanded": ("baseModels", "base_models"),
    },
    HUB_SCRAPER: {
        "author": ("author",),
        "created_at": ("createdAt",),
        "last_modified": ("lastModified",),
        "downloads_30d": ("downloads",),
        "downloads_all_time": ("downloadsAllTime",),
        "likes": ("likes",),
        "pipeline_tag": ("pipelineTag",),
        "library_name": ("libraryName",),
        "tags": ("tags",),
        "gated": ("gated",),
    },
}
_ID_KEYS = ("id", "modelId")
_SCRAPER_ONLY = frozenset({"pipelineTag", "libraryName"})
_HUB_ONLY = frozenset(
    {"pipeline_tag", "library_name", "modelId", "_id", "cardData", "card_data", "safetensors"}
)


@dataclass(frozen=True)
class Problem:
    """A rejected row (``field`` names what made it unusable) or a nulled field."""

    location: str
    field: str
    reason: str
    rejected: bool


class RowRejected(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def detect_dialect(records: Iterable[Any]) -> str:
    """``hub-scraper`` when records use the scraper's camelCase keys and none of the
    Hub's own, else ``hub-api`` (also for minimal listings that carry neither)."""
    scraper = hub = 0
    for record in records:
        if isinstance(record, dict):
            keys = record.keys()
            scraper += bool(_SCRAPER_ONLY.intersection(keys))
            hub += bool(_HUB_ONLY.intersection(keys))
    return HUB_SCRAPER if scraper > hub else HUB_API


def _int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a count, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError(f"expected an integer, got {type(value).__name__} {value!r:.60}")
    if value < 0:
        raise ValueError(f"{field} cannot be negative ({value})")
    return value


def _str(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r:.60}")
    return value or None


def _timestamp(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 time, got {type(value).__name__} {value!r:.60}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r:.60}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _tags(value: Any, field: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValueError(f"expected a list of strings, got {value!r:.60}")
    return value


def _gated(value: Any, field: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if value in ("auto", "manual"):
        return True
    raise ValueError(f"expected false, 'auto' or 'manual', got {value!r:.60}")


_CONVERTERS = {
    "author": _str,
    "created_at": _timestamp,
    "last_modified": _timestamp,
    "downloads_30d": _int,
    "downloads_all_time": _int,
    "likes": _int,
    "pipeline_tag": _str,
    "library_name": _str,
    "tags": _tags,
    "gated": _gated,
}


def _model_id(record: dict[str, Any]) -> str:
    for key in _ID_KEYS:
        if key in record:
            value = record[key]
            if not isinstance(value, str) or not value.strip():
                raise RowRejected(key, f"model id must be a non-empty string, got {value!r:.60}")
            if any(ch.isspace() for ch in value.strip()) or value.count("/") > 1:
                raise RowRejected(key, f"not a Hub repo id: {value!r:.80}")
            return value.strip()
    raise RowRejected("id", "record has no 'id' (nor 'modelId')")


def _license(card_data: Any, tags: list[str] | None) -> str | None:
    if isinstance(card_data, dict):
        value = card_data.get("license")
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str) and value:
            return value
    for tag in tags or []:
        if tag.startswith("license:"):
            return tag[len("license:") :]
    return None


def _params_total(safetensors: Any, gguf: Any) -> int | None:
    for block in (safetensors, gguf):
        if isinstance(block, dict):
            total = block.get("total")
            if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
                return total
    return None


def map_record(
    record: Any, location: str, dialect: str, source: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Map one record; returns ``(row or None if rejected, problems)``."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        return None, [Problem(location, "(record)", f"expected an object, got {kind}", True)]
    try:
        model_id = _model_id(record)
    except RowRejected as exc:
        return None, [Problem(location, exc.field, exc.reason, True)]

    problems: list[Problem] = []
    keys = _SCALAR_KEYS[dialect]
    consumed = {key for key in _ID_KEYS if key in record}
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for field, candidates in keys.items():
        key = next((k for k in candidates if k in record), None)
        if key is None:
            values[field] = None
            continue
        consumed.add(key)
        convert = _CONVERTERS.get(field)
        if convert is None:  # structured blocks, read below
            values[field] = record[key]
            continue
        try:
            values[field] = convert(record[key], field)
        except ValueError as exc:
            values[field] = None
            raw[key] = record[key]
            problems.append(Problem(location, key, str(exc), False))
    raw.update({key: value for key, value in record.items() if key not in consumed})

    tags = values["tags"]
    card_data = values.get("card_data")
    author = values["author"] or (model_id.split("/", 1)[0] if "/" in model_id else None)
    gguf = values.get("gguf")
    library = values["library_name"]
    row = {
        "model_id": model_id,
        "author": author,
        "created_at": values["created_at"],
        "last_modified": values["last_modified"],
        "downloads_30d": values["downloads_30d"],
        "downloads_all_time": values["downloads_all_time"],
        "likes": values["likes"],
        "pipeline_tag": values["pipeline_tag"],
        "library_name": library,
        "tags": tags,
        "license": _license(card_data, tags),
        "gated": values["gated"],
        "base_models": declared_base_models(tags, card_data, values.get("base_models_expanded")),
        "params_total": _params_total(values.get("safetensors"), gguf),
        "params_active": None,
        "is_gguf": bool(gguf) or library == "gguf" or "gguf" in (tags or []),
        "source": source,
        "raw_json": json.dumps(raw, sort_keys=True, default=str) if raw else None,
    }
    # cardData is kept whole in raw_json: later stages (licences, lineage) read more of it.
    if isinstance(card_data, dict):
        raw["cardData"] = card_data
        row["raw_json"] = json.dumps(raw, sort_keys=True, default=str)
    return row, problems
