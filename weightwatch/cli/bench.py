"""`weightwatch bench`: run benchmark suites and print times, peak memory and ratios."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from weightwatch.bench.suites import SUITES, get_suite
from weightwatch.cli.app import Format, FormatOpt, app, err, friendly_errors, out
from weightwatch.output import emit


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, into)
    else:
        into[prefix] = value


@app.command()
@friendly_errors
def bench(
    suites: Annotated[
        list[str] | None,
        typer.Argument(help=f"Suites to run (default: all): {', '.join(SUITES)}."),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            "--size", help="Data size for every suite (rows or models; default: the suite's own)."
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run benchmarks on synthetic Hub-scale data, with ratios to same-run baselines."""
    results: dict[str, Any] = {}
    for name in suites or list(SUITES):
        suite = get_suite(name)
        err.print(f"running {name}: {suite.summary}…", highlight=False)
        kwargs = {suite.size_option: size} if size is not None else {}
        results[name] = suite.load()(**kwargs)
    if fmt is Format.json:
        out.out(json.dumps(results, indent=2, default=str), highlight=False)
        return
    rows: list[dict[str, Any]] = []
    for name, figures in results.items():
        flat: dict[str, Any] = {}
        _flatten("", figures, flat)
        rows.extend({"suite": name, "figure": k, "value": v} for k, v in flat.items())
    emit(out, fmt.value, rows, title="weightwatch bench")
