"""`weightwatch share`: the download_share metric under its short, original name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from weightwatch.cli.app import (
    By,
    DateOpt,
    Format,
    FormatOpt,
    OrgsOpt,
    StoreOpt,
    app,
    emit_metric,
    friendly_errors,
    parse_date,
)
from weightwatch.cli.metric import run_metric


@app.command()
@friendly_errors
def share(
    store: StoreOpt = Path("weightwatch-store"),
    by: Annotated[By, typer.Option("--by", help="Group downloads by.")] = By.country,
    counter: Annotated[
        str,
        typer.Option(
            "--counter",
            help="auto (deltas where the snapshot has all-time counters, else 30d), deltas "
            "(downloads between snapshots) or 30d (the snapshot's trailing 30 days).",
        ),
    ] = "auto",
    window: Annotated[
        str, typer.Option("--window", help="all | Nd | YYYY-MM-DD..YYYY-MM-DD | first-year")
    ] = "all",
    freq: Annotated[
        str, typer.Option("--freq", help="total | interval | week | month | year")
    ] = "total",
    attribution: Annotated[
        str, typer.Option("--attribution", help="uploader | developer | family")
    ] = "uploader",
    snapshot_date: DateOpt = None,
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Download share by group (shorthand for `weightwatch metric download_share`)."""
    given: dict[str, Any] = {
        "group_by": by.value,
        "counter": counter,
        "window": window,
        "freq": freq,
        "attribution": attribution,
        "as_of": parse_date(snapshot_date),
    }
    result = run_metric(
        "download_share", store, {k: v for k, v in given.items() if v is not None}, orgs=orgs
    )
    p = result.params
    emit_metric(
        result,
        fmt.value,
        f"Download share by {p['group_by']} — as of {p['as_of']}, {p['counter']} counter, "
        f"window {p['window']}, {p['attribution']} attribution",
    )
