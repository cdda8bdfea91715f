"""`weightwatch report` and `weightwatch demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from weightwatch.cli.app import (
    OrgsOpt,
    StoreOpt,
    app,
    emit_metric,
    friendly_errors,
    open_registry,
    out,
)
from weightwatch.demo import build_demo_store
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import DownloadShareParams
from weightwatch.report.build import build_report
from weightwatch.store import Store


@app.command()
@friendly_errors
def report(
    store: StoreOpt = Path("weightwatch-store"),
    output: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "weightwatch-report.html"
    ),
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or ko.")] = "en",
    orgs: OrgsOpt = None,
) -> None:
    """Write the self-contained HTML report (charts, tables, provenance) for a store."""
    path = build_report(Store.open(store), output, open_registry(orgs), lang=lang)
    out.print(f"report written: {path.resolve()}", highlight=False)


@app.command()
@friendly_errors
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to put the demo store and report.")
    ] = Path("demo-output"),
    lang: Annotated[str, typer.Option("--lang", help="Report language: en or ko.")] = "en",
) -> None:
    """Build a store from the bundled real data, print the share table, write the report."""
    store = build_demo_store(directory / "store")
    registry = open_registry(None)
    ctx = MetricContext(store, registry)
    result = get_or_raise("download_share").compute(ctx, DownloadShareParams())
    emit_metric(
        result,
        "table",
        f"Download share by country — snapshot {result.params['as_of']}, "
        f"{result.params['counter']} counter, uploader attribution",
        footer=[f"store: {store.root.resolve()}"],
    )
    path = build_report(store, directory / f"report-{lang}.html", registry, lang=lang)
    out.print(f"\n[bold]report:[/] {path.resolve()}", highlight=False)
