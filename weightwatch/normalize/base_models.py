"""Declared parents of a model, from the places a Hub listing records them.

Sources, in the order they are read: the ``baseModels`` expansion of ``/api/models``, the
model card's ``base_model`` (string or list) with ``base_model_relation``, and the tags
``base_model:<relation>:<id>`` / ``base_model:<id>``.  One entry per parent id; when
sources disagree on the relation, a specific relation wins over ``unknown`` and the first
specific one read wins otherwise.  The lineage stage (later) infers relations from the
repo's own evidence; this module only records what the listing *declares*.
"""

from __future__ import annotations

from typing import Any

from weightwatch.normalize.schema import RELATIONS

_TAG_PREFIX = "base_model:"


def _clean_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text.upper() in {"N/A", "NONE", "NULL"}:
        return None
    return text


def _relation(value: Any) -> str:
    return value if isinstance(value, str) and value in RELATIONS else "unknown"


def declared_base_models(
    tags: list[str] | None, card_data: Any, expanded: Any
) -> list[dict[str, str]]:
    """Return ``[{"relation", "model_id"}, …]`` in first-seen order, one per parent id."""
    found: dict[str, str] = {}

    def add(model_id: Any, relation: str) -> None:
        clean = _clean_id(model_id)
        if clean is None:
            return
        if found.get(clean, "unknown") == "unknown":
            found[clean] = relation

    if isinstance(expanded, dict):
        relation = _relation(expanded.get("relation"))
        for model in expanded.get("models") or []:
            add(model.get("id") if isinstance(model, dict) else model, relation)
    if isinstance(card_data, dict):
        declared = card_data.get("base_model")
        relation = _relation(card_data.get("base_model_relation"))
        for model_id in declared if isinstance(declared, list) else [declared]:
            add(model_id, relation)
    for tag in tags or []:
        if not tag.startswith(_TAG_PREFIX):
            continue
        rest = tag[len(_TAG_PREFIX) :]
        head, _, tail = rest.partition(":")
        if tail and head in RELATIONS:
            add(tail, head)
        else:
            add(rest, "unknown")
    return [{"relation": relation, "model_id": model_id} for model_id, relation in found.items()]
