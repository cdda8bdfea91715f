"""`weightwatch ingest`: add listing files or published dumps to the store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from weightwatch.cli.app import (
    StoreOpt,
    app,
    err,
    friendly_errors,
    out,
    parse_date,
    update_tables,
)
from weightwatch.ingest import ingest_listing

if TYPE_CHECKING:
    from weightwatch.sources.hub_stats import BulkImport


class IngestFormat(StrEnum):
    hub_api = "hub-api"
    hub_stats = "hub-stats"
    eoi = "eoi"


@app.command()
@friendly_errors
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="hub-api: Hub listings (JSON array, JSON lines, or a wrapper with 'models'; "
            "may be gzipped), one snapshot each. hub-stats: the dump's models.parquet (several "
            "files of one date make one snapshot). eoi: the study's Parquet or CSV export "
            "(one snapshot per date in it)."
        ),
    ],
    store: StoreOpt = Path("weightwatch-store"),
    snapshot_date: Annotated[
        str | None,
        typer.Option(
            "--snapshot-date",
            help="Date the listing was taken (default: the file's own fetch time, if it has one; "
            "hub-stats: a YYYY-MM-DD in the file name; eoi: import only this date).",
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite an existing snapshot of that date.")
    ] = False,
    fmt: Annotated[
        IngestFormat,
        typer.Option("--format", help="What the files are: hub-api, hub-stats or eoi."),
    ] = IngestFormat.hub_api,
) -> None:
    """Add files to the store: one snapshot per listing or date (each atomic)."""
    when = parse_date(snapshot_date)
    if fmt is IngestFormat.hub_api:
        if when is not None and len(files) > 1:
            raise typer.BadParameter(
                "one date for several listing files: ingest them one at a time",
                param_hint="--snapshot-date",
            )
        for file in files:
            _ingest_listing(file, store, snapshot_date, replace)
        update_tables(store)
        return
    if fmt is IngestFormat.hub_stats:
        from weightwatch.sources.hub_stats import import_hub_stats_files

        with err.status(f"importing {len(files)} hub-stats file(s)…"):
            reports = import_hub_stats_files(files, store, when, replace=replace)
    else:
        from weightwatch.sources.eoi import import_eoi

        with err.status(f"importing {len(files)} EOI file(s)…"):
            reports = import_eoi(files, store, when, replace=replace)
    for report in reports:
        _print_bulk(report, store)
    update_tables(store)


def _print_bulk(report: BulkImport, store: Path) -> None:
    names = ", ".join(p.name for p in report.paths)
    out.print(
        f"[green]published[/] snapshot {report.snapshot_date} in {store}: "
        f"{report.rows:,} models ({report.source}, {names})",
        highlight=False,
    )
    if report.rejected:
        out.print(
            f"[yellow]{report.rejected:,} rows rejected[/] (kept in _rejects.jsonl):",
            highlight=False,
        )
        for problem in report.rejected_examples:
            out.print(
                f"  {problem.location}, field {problem.field}: {problem.reason}", highlight=False
            )
    if report.field_issues:
        out.print(
            f"[yellow]{report.field_issue_count:,} field values nulled[/] "
            "(originals kept in raw_json): "
            + ", ".join(f"{k}: {v:,}" for k, v in report.issues_by_field().items()),
            highlight=False,
        )
        for problem in report.field_issue_examples:
            out.print(
                f"  {problem.location}, field {problem.field}: {problem.reason}", highlight=False
            )
    if report.deltas:
        out.print(
            "deltas refreshed for " + ", ".join(d.isoformat() for d in report.deltas),
            highlight=False,
        )


def _ingest_listing(file: Path, store: Path, snapshot_date: str | None, replace: bool) -> None:
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
