"""`weightwatch share`: download share in one snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from weightwatch.cli.app import (
    By,
    Counter,
    DateOpt,
    Format,
    FormatOpt,
    OrgsOpt,
    StoreOpt,
    app,
    emit_metric,
    friendly_errors,
    open_registry,
    parse_date,
)
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import DownloadShareParams
from weightwatch.store import Store


@app.command()
@friendly_errors
def share(
    store: StoreOpt = Path("weightwatch-store"),
    by: Annotated[By, typer.Option("--by", help="Group downloads by.")] = By.country,
    counter: Annotated[
        Counter,
        typer.Option(
            "--counter", help="30d (every listing) or all-time (where the snapshot has it)."
        ),
    ] = Counter.d30,
    snapshot_date: DateOpt = None,
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Download share by country, organisation or org type in one snapshot."""
    params = DownloadShareParams(
        by=by.value, counter=counter.value, snapshot_date=parse_date(snapshot_date)
    )
    ctx = MetricContext(Store.open(store), open_registry(orgs))
    result = get_or_raise("download_share").compute(ctx, params)
    p = result.params
    emit_metric(
        result,
        fmt.value,
        f"Download share by {p['by']} — snapshot {p['snapshot_date']}, "
        f"{p['counter']} counter, {p['attribution']} attribution",
    )
