"""`weightwatch collect`: list models from the Hub into a snapshot, resumably."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from weightwatch.cli.app import (
    StoreOpt,
    app,
    err,
    friendly_errors,
    out,
    parse_date,
    update_tables,
)
from weightwatch.collect import (
    MAX_PAGE_SIZE,
    CollectProgress,
    CollectQuery,
    CollectReport,
    RawRun,
    collect,
    unfinished_run,
)
from weightwatch.http import RetryPolicy, resolve_endpoint
from weightwatch.store import Store


class _Counts(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Task) -> Text:
        total = f"/{int(task.total):,}" if task.total is not None else ""
        unit = task.fields.get("unit", "models")
        pages = task.fields.get("pages")
        shown = f"{int(task.completed):,}{total} {unit}"
        return Text(f"{pages:,} pages, {shown}" if pages is not None else shown)


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "models")
        return Text(f"{speed:,.0f} {unit}/s" if speed else "", style="progress.data.speed")


class _Eta(ProgressColumn):
    """Time left, only when the total is known (otherwise the rate says it all)."""

    def render(self, task: Task) -> Text:
        if task.total is None or task.time_remaining is None:
            return Text("")
        minutes, seconds = divmod(int(task.time_remaining), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"ETA {hours}:{minutes:02d}:{seconds:02d}", style="progress.remaining")


@app.command("collect")
@friendly_errors
def collect_command(
    store: StoreOpt = Path("weightwatch-store"),
    author: Annotated[
        list[str] | None,
        typer.Option("--author", help="Only this account's models (repeat for several)."),
    ] = None,
    pipeline_tag: Annotated[
        str | None, typer.Option("--pipeline-tag", help="Only models with this task tag.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Stop after this many models.")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Ask for the Hub's full=true field set instead of expand[] (no "
            "downloadsAllTime, cardData or safetensors: the Hub refuses both at once).",
        ),
    ] = False,
    snapshot_date: Annotated[
        str | None,
        typer.Option(
            "--snapshot-date",
            help="Date of the snapshot (default: the date of an unfinished run with the "
            "same arguments, else today, UTC).",
        ),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="If the run cannot finish (or is interrupted), publish what was fetched, "
            "flagged partial in the manifest.",
        ),
    ] = False,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help="Ask /api/models/{id} about the most-downloaded models whose listing lacks "
            "base-model or parameter data.",
        ),
    ] = False,
    details_budget: Annotated[
        int, typer.Option("--details-budget", min=0, help="At most this many --details requests.")
    ] = 1000,
    page_size: Annotated[
        int,
        typer.Option("--page-size", min=1, max=MAX_PAGE_SIZE, help="Models per page requested."),
    ] = MAX_PAGE_SIZE,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Discard an unfinished run for that date and start over."),
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a published snapshot of that date.")
    ] = False,
    retries: Annotated[
        int,
        typer.Option(
            "--retries", min=0, help="Retries per request on 5xx, timeouts and bad bodies."
        ),
    ] = RetryPolicy.max_retries,
) -> None:
    """Collect model metadata from the Hub's /api/models into a snapshot.

    Honours HF_ENDPOINT (default https://huggingface.co) and HF_TOKEN.  Every page is kept
    gzipped under STORE/_raw/collect/DATE/ with a checkpoint: rerun the same command after
    a crash or Ctrl-C to resume.  The snapshot is published when the listing is complete
    (or, with --partial, with whatever was fetched)."""
    query = CollectQuery(
        authors=tuple(author or ()),
        pipeline_tag=pipeline_tag,
        limit=limit,
        full=full,
        page_size=page_size,
        details=details,
        details_budget=details_budget,
    )
    opened = Store.create(store)
    when = parse_date(snapshot_date)
    if when is None:
        when = unfinished_run(opened, query, resolve_endpoint()) if not restart else None
        if when is not None:
            err.print(f"resuming the unfinished collection of {when}", highlight=False)
        else:
            when = datetime.now(UTC).date()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        _Counts(),
        _Rate(),
        _Eta(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("listing", total=None, pages=0)

        def show(step: CollectProgress) -> None:
            if step.phase == "details":
                bar.update(
                    task,
                    description="details",
                    completed=step.details,
                    total=step.details_budget,
                    pages=None,
                    unit="requests",
                )
            else:
                bar.update(
                    task,
                    description=step.phase,
                    completed=step.models,
                    total=step.total,
                    pages=step.pages,
                    unit="models",
                )

        try:
            report = collect(
                opened,
                query,
                snapshot_date=when,
                partial=partial,
                progress=show,
                restart=restart,
                replace=replace,
                retry=RetryPolicy(max_retries=retries),
            )
        except KeyboardInterrupt:
            bar.stop()
            err.print(
                f"interrupted: the pages fetched are kept in {RawRun(opened, when).directory}; "
                "rerun the same command to resume",
                highlight=False,
            )
            raise typer.Exit(130) from None
    _summary(report.snapshot_date, store, report)
    update_tables(store)


def _summary(when: date, store: Path, report: CollectReport) -> None:
    flag = " [yellow](partial)[/]" if report.partial else ""
    out.print(
        f"[green]published[/] snapshot {when} in {store}{flag}: {report.rows:,} models "
        f"from {report.pages:,} pages ({report.pages_fetched:,} fetched now"
        f"{', resumed' if report.resumed else ''}; {report.duplicates:,} duplicates, "
        f"{len(report.rejected) - report.duplicates:,} other rejects)",
        highlight=False,
    )
    if report.partial:
        out.print(f"[yellow]partial:[/] {report.error}", highlight=False)
    if report.details_requests:
        out.print(
            f"details: {report.details_requests:,} requests, {report.details_merged:,} "
            "records enriched",
            highlight=False,
        )
    if report.field_issues:
        out.print(
            f"[yellow]{len(report.field_issues)} field values nulled[/] (originals kept in "
            "raw_json)",
            highlight=False,
        )
    out.print(
        f"raw pages kept in {report.raw_dir} ({report.requests:,} requests, "
        f"{report.retries:,} retries, {report.rate_limited:,} rate-limited, "
        f"{report.waited:,.1f} s waited)",
        highlight=False,
    )
