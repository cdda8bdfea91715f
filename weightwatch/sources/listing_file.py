"""Read a file of Hub model listings, whatever its container, with each record's position.

Accepted containers (detected from the content, never from the file name):

* a JSON array of model objects, as ``GET /api/models`` returns it;
* JSON lines, one model object per line;
* a JSON object wrapping the list under ``models`` (the shape scrapers such as starscreener
  write, with the fetch time beside it under ``fetchedAt``);
* any of these gzip-compressed (detected from the magic bytes).

A file that cannot be parsed as a whole raises :class:`~weightwatch.errors.ParseError` with
the line and column.  A single malformed line of a JSON-lines file is not fatal: it comes
back as a :class:`BadRecord` so the caller can count and report it.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weightwatch.errors import ParseError

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\r\n"
WRAPPER_KEYS = ("models", "data", "items")


@dataclass(frozen=True)
class Record:
    """One parsed record and where it was in the file (``line 12`` or ``item 3, line 40``)."""

    location: str
    value: Any


@dataclass(frozen=True)
class BadRecord:
    """A record that could not even be parsed as JSON (JSON-lines only)."""

    location: str
    reason: str
    text: str


@dataclass
class ListingFile:
    """A parsed listing file: its records, container kind and file-level metadata."""

    path: Path
    container: str  # "array", "jsonl" or "wrapper:<key>"
    sha256: str
    size: int
    records: list[Record | BadRecord]
    meta: dict[str, Any] = field(default_factory=dict)  # wrapper fields beside the list


class _Lines:
    """Maps a character offset to ``line L, column C`` (1-based)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def where(self, offset: int) -> str:
        line = self.line(offset)
        return f"line {line}, column {offset - self._starts[line - 1] + 1}"


def _decode(path: Path, data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ParseError(
                path, "gzip stream", f"corrupt or truncated gzip data ({exc})"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(path, f"byte {exc.start}", "not UTF-8 text") from exc


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _parse_value(path: Path, text: str, pos: int, lines: _Lines) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        reason = exc.msg
        if exc.pos >= len(text.rstrip()):
            reason += " (the file ends too early: truncated?)"
        raise ParseError(path, lines.where(exc.pos), reason) from exc


def _array_items(
    path: Path, text: str, start: int, lines: _Lines
) -> tuple[list[Record | BadRecord], int]:
    """Items of the JSON array whose ``[`` is at ``start``, and the offset after its ``]``."""
    items: list[Record | BadRecord] = []
    pos = _skip_ws(text, start + 1)
    if pos < len(text) and text[pos] == "]":
        return items, pos + 1
    while True:
        value, end = _parse_value(path, text, pos, lines)
        items.append(Record(f"item {len(items) + 1} (line {lines.line(pos)})", value))
        pos = _skip_ws(text, end)
        if pos >= len(text):
            raise ParseError(path, lines.where(pos), "array is not closed (file truncated?)")
        if text[pos] == "]":
            return items, pos + 1
        if text[pos] != ",":
            raise ParseError(path, lines.where(pos), f"expected ',' or ']', found {text[pos]!r}")
        pos = _skip_ws(text, pos + 1)


def _jsonl_records(path: Path, text: str) -> list[Record | BadRecord]:
    out: list[Record | BadRecord] = []
    raw_lines = text.split("\n")
    for number, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Record(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            is_last = all(not rest.strip() for rest in raw_lines[number:])
            if is_last and not text.endswith("\n"):
                raise ParseError(
                    path, f"line {number}", f"last line is incomplete JSON ({exc.msg}): truncated?"
                ) from exc
            out.append(BadRecord(f"line {number}", f"not valid JSON: {exc.msg}", line[:2000]))
    return out


def read_listing_file(path: Path) -> ListingFile:
    """Parse ``path`` into records; raise ParseError if it cannot be read as a whole."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ParseError(path, "start", "no such file") from exc
    except IsADirectoryError as exc:
        raise ParseError(path, "start", "is a directory, expected a file") from exc
    except OSError as exc:
        raise ParseError(path, "start", f"cannot read ({exc.strerror})") from exc
    digest = hashlib.sha256(data).hexdigest()
    text = _decode(path, data)
    lines = _Lines(text)
    start = _skip_ws(text, 0)
    if start >= len(text):
        raise ParseError(path, "start", "file is empty")

    def make(
        container: str, records: list[Record | BadRecord], meta: dict[str, Any]
    ) -> ListingFile:
        return ListingFile(path, container, digest, len(data), records, meta)

    if text[start] == "[":
        records, end = _array_items(path, text, start, lines)
        end = _skip_ws(text, end)
        if end < len(text):
            raise ParseError(path, lines.where(end), "unexpected content after the JSON array")
        return make("array", records, {})
    if text[start] != "{":
        raise ParseError(
            path, lines.where(start), f"not JSON: expected '[' or '{{', found {text[start]!r}"
        )

    if _looks_like_jsonl(text, start):
        return make("jsonl", _jsonl_records(path, text), {})
    return _read_object(path, text, start, lines, make)


def _looks_like_jsonl(text: str, start: int) -> bool:
    """JSON lines: one of the first two non-blank lines is a whole JSON object on its own
    and more content follows it (a pretty-printed wrapper never has a whole-object line)."""
    candidates = [line for line in text[start:].split("\n", 3)[:3] if line.strip()]
    if len(candidates) < 2:
        return False
    for line in candidates[:2]:
        try:
            if isinstance(json.loads(line), dict):
                return True
        except json.JSONDecodeError:
            continue
    return False


def _read_object(
    path: Path,
    text: str,
    start: int,
    lines: _Lines,
    make: Callable[[str, list[Record | BadRecord], dict[str, Any]], ListingFile],
) -> ListingFile:
    """Walk a top-level JSON object key by key, streaming the wrapped list of models."""
    meta: dict[str, Any] = {}
    found: tuple[str, list[Record | BadRecord]] | None = None
    pos = _skip_ws(text, start + 1)
    while pos < len(text) and text[pos] != "}":
        key, pos = _parse_value(path, text, pos, lines)
        if not isinstance(key, str):
            raise ParseError(path, lines.where(pos), "object keys must be strings")
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise ParseError(path, lines.where(pos), f"expected ':' after key {key!r}")
        pos = _skip_ws(text, pos + 1)
        if key in WRAPPER_KEYS and found is None and pos < len(text) and text[pos] == "[":
            items, pos = _array_items(path, text, pos, lines)
            found = (key, items)
        else:
            meta[key], pos = _parse_value(path, text, pos, lines)
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
        elif pos < len(text) and text[pos] != "}":
            raise ParseError(path, lines.where(pos), f"expected ',' or '}}', found {text[pos]!r}")
    if pos >= len(text):
        raise ParseError(path, lines.where(len(text)), "object is not closed (file truncated?)")
    trailing = _skip_ws(text, pos + 1)
    if trailing < len(text):
        raise ParseError(path, lines.where(trailing), "unexpected content after the JSON object")
    if found is not None:
        return make(f"wrapper:{found[0]}", found[1], meta)
    if "id" in meta or "modelId" in meta:
        return make("jsonl", [Record("line 1", meta)], {})
    raise ParseError(
        path,
        lines.where(start),
        "a JSON object with no list of models under " + " / ".join(repr(k) for k in WRAPPER_KEYS),
    )
