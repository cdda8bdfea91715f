"""`weightwatch synth`: write a synthetic Hub store (weekly snapshots with their deltas)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from weightwatch.cli.app import app, err, friendly_errors, out, parse_date
from weightwatch.synth.hub import DEFAULT_START, generate_store


@app.command()
@friendly_errors
def synth(
    models: Annotated[
        int,
        typer.Option(
            "--models", min=1, help="About how many repos the last snapshot lists (earlier: fewer)."
        ),
    ],
    snapshots: Annotated[
        int, typer.Option("--snapshots", min=1, help="How many snapshots to write.")
    ],
    store: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory of the new store: new or empty (or an existing store, with --force).",
        ),
    ],
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: the same arguments, the same files.")
    ] = 0,
    start: Annotated[
        str, typer.Option("--start", help="Date of the first snapshot, YYYY-MM-DD.")
    ] = DEFAULT_START.isoformat(),
    every: Annotated[int, typer.Option("--every", min=1, help="Days between snapshots.")] = 7,
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete the store already at --out and write a new one."),
    ] = False,
) -> None:
    """Write a synthetic Hub store: snapshots of a Hub-shaped world, deltas materialised.

    Deterministic for a seed; for tests and benchmarks (weightwatch.synth.hub says how).
    """
    first = parse_date(start, "--start")
    assert first is not None
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("snapshots", total=snapshots)
        result = generate_store(
            store,
            models,
            snapshots,
            seed=seed,
            start=first,
            every=every,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            force=force,
        )
    manifests = result.manifests()
    out.print(
        f"[green]wrote[/] {len(manifests)} snapshots to {store} "
        f"({manifests[0].snapshot_date} … {manifests[-1].snapshot_date}, "
        f"{manifests[0].rows:,} → {manifests[-1].rows:,} repos), deltas materialised",
        highlight=False,
    )
