"""`weightwatch store info|verify`."""

from __future__ import annotations

from pathlib import Path

import typer

from weightwatch.cli.app import (
    Format,
    FormatOpt,
    StoreOpt,
    err,
    friendly_errors,
    out,
    store_app,
)
from weightwatch.output import emit
from weightwatch.store import Store


@store_app.command("info")
@friendly_errors
def store_info(store: StoreOpt = Path("weightwatch-store"), fmt: FormatOpt = Format.table) -> None:
    """List the published snapshots with row counts and sources."""
    opened = Store.open(store)
    rows = [
        {
            "snapshot_date": m.snapshot_date.isoformat(),
            "rows": m.rows,
            "rejected": m.rejected_rows,
            "field_issues": m.field_issues,
            "source": m.source,
            "partial": m.partial,
            "inputs": ", ".join(i.name for i in m.inputs),
            "created_at": m.created_at.isoformat(timespec="seconds"),
        }
        for m in opened.manifests()
    ]
    emit(
        out,
        fmt.value,
        rows,
        title=f"Snapshots in {opened.root}",
        footer=[] if rows else ["(no snapshots yet)"],
    )


@store_app.command("verify")
@friendly_errors
def store_verify(store: StoreOpt = Path("weightwatch-store")) -> None:
    """Check every snapshot's files against its manifest (checksums, row counts)."""
    opened = Store.open(store)
    problems = opened.verify()
    count = len(opened.partition_dirs())
    if problems:
        for problem in problems:
            err.print(f"[red]✗[/] {problem}", highlight=False)
        err.print(f"{len(problems)} problem(s) in {opened.root}", highlight=False)
        raise typer.Exit(1)
    out.print(
        f"[green]✓[/] {count} snapshot(s) in {opened.root} match their manifests", highlight=False
    )
