"""`weightwatch orgs lookup|unknown`: the organisation registry and its gaps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from weightwatch.attribution import unattributed_accounts
from weightwatch.cli.app import (
    Counter,
    DateOpt,
    Format,
    FormatOpt,
    OrgsOpt,
    StoreOpt,
    err,
    friendly_errors,
    open_registry,
    orgs_app,
    out,
    parse_date,
)
from weightwatch.metrics import MetricContext
from weightwatch.output import emit
from weightwatch.store import Store


@orgs_app.command("lookup")
@friendly_errors
def orgs_lookup(
    name: Annotated[str, typer.Argument(help="Hub account, organisation name or alias.")],
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find registry rows by account, organisation or alias (case-insensitive)."""
    registry = open_registry(orgs)
    found = registry.search(name)
    rows = [
        {
            "account": r.account,
            "organisation": r.organisation,
            "country": r.country,
            "org_type": r.org_type,
            "aliases": "; ".join(r.aliases),
            "source": r.source,
            "origin": r.origin,
        }
        for r in found
    ]
    if not rows and fmt is Format.table:
        err.print(
            f"no registry row matches {name!r} (registry {registry.version})", highlight=False
        )
        raise typer.Exit(1)
    emit(out, fmt.value, rows, title=f"Registry {registry.version}")


@orgs_app.command("unknown")
@friendly_errors
def orgs_unknown(
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: DateOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show this many accounts.")] = 25,
    counter: Annotated[
        Counter, typer.Option("--counter", help="Rank by this download counter.")
    ] = Counter.d30,
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Accounts in a snapshot that the registry cannot attribute, most downloaded first."""
    opened = Store.open(store)
    registry = open_registry(orgs)
    ctx = MetricContext(opened, registry)
    when = parse_date(snapshot_date) or opened.latest()
    opened.manifest(when)
    models = ctx.snapshots().filter(ctx.snapshots().snapshot_date == when)
    table = unattributed_accounts(
        models,
        ctx.registry_table(),
        {"30d": "downloads_30d", "all-time": "downloads_all_time"}[counter.value],
    )
    totals = (
        table.aggregate(accounts=table.count(), downloads=table.downloads.sum())
        .to_pyarrow()
        .to_pylist()[0]
    )
    rows = table.limit(limit).to_pyarrow().to_pylist()
    emit(
        out,
        fmt.value,
        rows,
        title=f"Unattributed accounts — snapshot {when}, registry {registry.version}",
        document={
            "snapshot_date": when.isoformat(),
            "registry": registry.provenance(),
            "totals": totals,
            "rows": rows,
        },
        footer=[
            f"{totals['accounts']:,} unattributed accounts with "
            f"{totals['downloads'] or 0:,} downloads ({counter.value}) in all"
        ],
    )
