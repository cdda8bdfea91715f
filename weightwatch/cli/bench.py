"""`weightwatch bench`: run benchmark suites and print times, peak memory and ratios."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from weightwatch.bench.suites import SUITES, check_params, get_suite, parse_params
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
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="A keyword of the suites' run functions, e.g. -p pandas_models=1000000 or "
            "-p workdir=/data/bench (repeatable; VALUE read as JSON when it parses, else as "
            "text). Each suite gets those it takes; one no chosen suite takes is an error.",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run benchmarks on synthetic Hub-scale data, with ratios to same-run baselines."""
    chosen = [get_suite(name) for name in suites or list(SUITES)]
    params = parse_params(param or [])
    check_params(chosen, params)
    results: dict[str, Any] = {}
    for suite in chosen:
        err.print(f"running {suite.name}: {suite.summary}…", highlight=False)
        results[suite.name] = suite.load()(**suite.kwargs(size, params))
    if fmt is Format.json:
        out.out(json.dumps(results, indent=2, default=str), highlight=False)
        return
    rows: list[dict[str, Any]] = []
    for name, figures in results.items():
        flat: dict[str, Any] = {}
        _flatten("", figures, flat)
        rows.extend({"suite": name, "figure": k, "value": v} for k, v in flat.items())
    emit(out, fmt.value, rows, title="weightwatch bench")
