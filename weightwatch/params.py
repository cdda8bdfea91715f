"""``-p KEY=VALUE`` options: one parser for every command that takes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from weightwatch.errors import InputError


def key_values(
    items: Iterable[str], value: Callable[[str], Any], *, example: str
) -> dict[str, Any]:
    """``KEY=VALUE`` strings as a dict, each VALUE read by ``value``; KEY must be a Python
    identifier once dashes are read as underscores (``min-downloads`` is
    ``min_downloads``).  InputError, naming the item and showing ``example``, otherwise."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise InputError(f"parameter {item!r}: write KEY=VALUE, e.g. {example}")
        params[key] = value(text.strip())
    return params
