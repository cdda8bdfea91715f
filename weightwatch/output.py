"""Render rows for people (rich tables) and machines (JSON, CSV): one function per format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

FORMATS: tuple[str, ...] = ("table", "json", "csv")


def _cell(value: Any, column: str) -> str:
    if value is None:
        return "—"
    if column == "share" and isinstance(value, float):
        return f"{value:.2%}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def rich_table(rows: Sequence[dict[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    columns = list(rows[0]) if rows else []
    for column in columns:
        numeric = bool(rows) and isinstance(rows[0][column], int | float) and column != "group"
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(row[c], c) for c in columns))
    return table


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def emit(
    console: Console,
    fmt: str,
    rows: Sequence[dict[str, Any]],
    *,
    title: str | None = None,
    document: dict[str, Any] | None = None,
    footer: Sequence[str] = (),
) -> None:
    """Print ``rows`` as ``fmt``.  JSON prints ``document`` (rows plus context) when given."""
    if fmt == "json":
        payload = document if document is not None else list(rows)
        console.out(json.dumps(payload, indent=2, default=str, ensure_ascii=False), highlight=False)
    elif fmt == "csv":
        console.out(to_csv(rows), end="", highlight=False)
    else:
        console.print(rich_table(rows, title))
        for line in footer:
            console.print(line, style="dim", highlight=False)
