"""`weightwatch ingest`: add a listing file to the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from weightwatch.cli.app import (
    StoreOpt,
    app,
    err,
    friendly_errors,
    out,
    parse_date,
)
from weightwatch.ingest import ingest_listing


@app.command()
@friendly_errors
def ingest(
    file: Annotated[
        Path,
        typer.Argument(
            help="Hub listing: JSON array, JSON lines, or a wrapper with 'models'; may be gzipped."
        ),
    ],
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: Annotated[
        str | None,
        typer.Option(
            "--snapshot-date",
            help="Date the listing was taken (default: the file's own fetch time, if it has one).",
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite an existing snapshot of that date.")
    ] = False,
) -> None:
    """Add a file of Hub model listings to the store as one snapshot (atomic)."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"ingest {file.name}", total=None)
        report = ingest_listing(
            file,
            store,
            parse_date(snapshot_date),
            replace=replace,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.print(
        f"[green]published[/] snapshot {report.snapshot_date} in {store}: "
        f"{report.rows:,} models ({report.dialect}, {report.container})",
        highlight=False,
    )
    if report.rejected:
        out.print(
            f"[yellow]{len(report.rejected)} rows rejected[/] (kept in _rejects.jsonl):",
            highlight=False,
        )
        for problem in report.rejected[:10]:
            out.print(
                f"  {file.name} {problem.location}, field {problem.field}: {problem.reason}",
                highlight=False,
            )
    if report.field_issues:
        out.print(
            f"[yellow]{len(report.field_issues)} field values nulled[/] "
            "(originals kept in raw_json): "
            + ", ".join(f"{k}: {v}" for k, v in report.issues_by_field().items()),
            highlight=False,
        )
        for problem in report.field_issues[:10]:
            out.print(
                f"  {file.name} {problem.location}, field {problem.field}: {problem.reason}",
                highlight=False,
            )
