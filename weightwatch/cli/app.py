"""The Typer app, shared options and error handling used by every command module."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from weightwatch import __version__
from weightwatch.errors import WeightwatchError
from weightwatch.metrics.result import MetricResult
from weightwatch.orgs import OrgRegistry, load_registry
from weightwatch.output import emit

app = typer.Typer(
    help="weightwatch: snapshots, attribution and adoption metrics for open-weight models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
store_app = typer.Typer(help="Inspect and check a snapshot store.", no_args_is_help=True)
orgs_app = typer.Typer(
    help="The organisation registry (account → org, country).", no_args_is_help=True
)
app.add_typer(store_app, name="store")
app.add_typer(orgs_app, name="orgs")

out = Console(soft_wrap=True)
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn weightwatch errors into a one-line message and a non-zero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WeightwatchError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class By(StrEnum):
    country = "country"
    org = "org"
    org_type = "org_type"


class Counter(StrEnum):
    d30 = "30d"
    all_time = "all-time"


StoreOpt = Annotated[
    Path,
    typer.Option(
        "--store", envvar="WEIGHTWATCH_STORE", help="Store directory (env WEIGHTWATCH_STORE)."
    ),
]
OrgsOpt = Annotated[
    Path | None,
    typer.Option(
        "--orgs",
        help="Your own registry rows (CSV or YAML: account, organisation, country, org_type, "
        "source); they win over the bundled ones.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
DateOpt = Annotated[
    str | None, typer.Option("--snapshot-date", help="Snapshot date YYYY-MM-DD (default: latest).")
]


def parse_date(value: str | None, option: str = "--snapshot-date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def update_tables(store: Path) -> None:
    """After a publish: bring the derived tables (deltas, facts, roll-ups, the roll-up by
    the bundled registry's accounts, the models near the standard ages) up to date, only
    for the snapshots that need it (the new one, and the next after a back-fill)."""
    from weightwatch.series.ages import ensure_ages
    from weightwatch.series.rollup import ensure_registry_rollups, ensure_rollups
    from weightwatch.store import Store

    opened = Store.open(store)
    with err.status("updating deltas and metric roll-ups…"):
        written = ensure_rollups(opened)
        ensure_registry_rollups(opened, load_registry())
        ensure_ages(opened)
    if written:
        days = ", ".join(d.isoformat() for d in written)
        out.print(f"metric tables updated for {days}", highlight=False)


def open_registry(orgs: Path | None) -> OrgRegistry:
    return load_registry(orgs)


def _version(value: bool) -> None:
    if value:
        out.print(f"weightwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """weightwatch: snapshots, attribution and adoption metrics for open-weight models."""


def emit_metric(
    result: MetricResult,
    fmt: str,
    title: str,
    footer: Sequence[str] = (),
    console: Console | None = None,
) -> None:
    """Print a metric result: rows as ``fmt`` (JSON carries params and provenance too), with
    the result's notes, any extra ``footer`` lines and the registry version under tables."""
    registry = result.provenance.get("registry") or {}
    emit(
        console or out,
        fmt,
        result.to_records(),
        title=title,
        document=result.to_dict(),
        footer=[*result.notes, *footer, f"registry {registry.get('version', 'none')}"],
    )
