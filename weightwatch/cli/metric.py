"""`weightwatch metric NAME`: any registered metric with its conventions as options;
`weightwatch metric list`: the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pyarrow.parquet as pq
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from weightwatch.cli.app import (
    OrgsOpt,
    StoreOpt,
    app,
    emit_metric,
    friendly_errors,
    open_registry,
    out,
)
from weightwatch.engine import ENGINES, connect
from weightwatch.errors import ConfigError, InputError
from weightwatch.metrics import METRICS, MetricContext, MetricResult, get_or_raise
from weightwatch.output import emit
from weightwatch.params import key_values
from weightwatch.store import Store

FORMATS = ("table", "json", "csv", "parquet")


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def build_params(model: type[BaseModel], given: dict[str, Any], metric: str) -> BaseModel:
    """Validate the options given on the command line against the metric's parameters,
    naming the option (``--group-by``) in every message."""
    unknown = [k for k in given if k not in model.model_fields]
    if unknown:
        names = ", ".join("--" + k.replace("_", "-") for k in unknown)
        raise InputError(
            f"{names} does not apply to metric {metric}; its parameters: {_fields(model)}"
        )
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise InputError(f"metric {metric}: {problems}") from None


def _param_value(text: str) -> str | list[str]:
    """A metric parameter's text: a comma-separated list, or one value (pydantic parses
    it further)."""
    if "," in text:
        return [v.strip() for v in text.split(",") if v.strip()]
    return text


def run_metric(
    name: str,
    store: Path,
    given: dict[str, Any],
    *,
    orgs: Path | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> MetricResult:
    """Validate ``given`` for metric ``name`` and compute it on ``engine``."""
    metric = get_or_raise(name)
    params = build_params(metric.params, given, name)
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    con = connect(engine, spark_master=spark_master)
    ctx = MetricContext(Store.open(store), open_registry(orgs), engine, con=con)
    return metric.compute(ctx, params)


def _title(result: MetricResult) -> str:
    p = result.params
    shown = ("group_by", "attribution", "window", "freq", "as_of", "counter")
    conventions = ", ".join(f"{k} {p[k]}" for k in shown if p.get(k) is not None)
    return f"{result.metric} — {conventions}"


@app.command()
@friendly_errors
def metric(
    name: Annotated[str, typer.Argument(help="Metric name, or `list` for the metrics.")],
    store: StoreOpt = Path("weightwatch-store"),
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="country | org | org_type | family | size_class"),
    ] = None,
    attribution: Annotated[
        str | None, typer.Option("--attribution", help="uploader | developer | family")
    ] = None,
    window: Annotated[
        str | None,
        typer.Option("--window", help="all | Nd | YYYY-MM-DD..YYYY-MM-DD | first-year"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Last snapshot counted (default: latest).")
    ] = None,
    freq: Annotated[
        str | None, typer.Option("--freq", help="interval | week | month | year | total")
    ] = None,
    pipeline_tag: Annotated[
        list[str] | None, typer.Option("--pipeline-tag", help="Keep these pipeline tags.")
    ] = None,
    llm_only: Annotated[
        bool | None, typer.Option("--llm-only", help="Keep language models only.")
    ] = None,
    min_downloads: Annotated[
        int | None, typer.Option("--min-downloads", help="Drop models below this in the window.")
    ] = None,
    exclude_requantized: Annotated[
        bool | None,
        typer.Option("--exclude-requantized", help="Leave GGUF/quantized/MLX copies out."),
    ] = None,
    exclude_suspected_automated: Annotated[
        bool | None,
        typer.Option(
            "--exclude-suspected-automated", help="Leave out download jumps of 100x and more."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="Any other parameter of the metric as KEY=VALUE (lists comma-separated), "
            "e.g. -p k=5 -p group_a=CN.",
        ),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb | spark")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", help="Spark master URL (default local[*])."),
    ] = None,
    orgs: OrgsOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table | json | csv | parquet")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (parquet: needed).")
    ] = None,
) -> None:
    """Compute one adoption metric with explicit conventions (`metric list` for names)."""
    if name == "list":
        rows = [
            {"metric": m.name, "summary": m.summary, "parameters": _fields(m.params)}
            for m in METRICS.values()
        ]
        emit(out, "table" if fmt == "parquet" else fmt, rows, title="Metrics")
        return
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet writes a file: give it with --output FILE")
    given: dict[str, Any] = {
        "group_by": group_by,
        "attribution": attribution,
        "window": window,
        "as_of": as_of,
        "freq": freq,
        "pipeline_tag": pipeline_tag or None,
        "llm_only": llm_only,
        "min_downloads": min_downloads,
        "exclude_requantized": exclude_requantized,
        "exclude_suspected_automated": exclude_suspected_automated,
    }
    given = {k: v for k, v in given.items() if v is not None}
    for key, value in key_values(param or [], _param_value, example="top=5").items():
        if key in given:
            raise ConfigError(f"--param {key} repeats an option given already")
        given[key] = value
    result = run_metric(name, store, given, orgs=orgs, engine=engine, spark_master=spark_master)
    if fmt == "parquet":
        assert output is not None
        pq.write_table(result.rows, output)
        out.print(f"wrote {result.rows.num_rows} rows to {output}", highlight=False)
        return
    if output is not None:
        with output.open("w", encoding="utf-8") as handle:
            emit_metric(result, fmt, _title(result), console=Console(file=handle, width=200))
        return
    emit_metric(result, fmt, _title(result))
