"""The ``weightwatch`` command: a thin layer over the library; ``--help`` is the reference."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from weightwatch import __version__
from weightwatch.attribution import unattributed_accounts
from weightwatch.demo import build_demo_store
from weightwatch.errors import WeightwatchError
from weightwatch.ingest import ingest_listing
from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import COUNTER_COLUMNS, DownloadShareParams
from weightwatch.orgs import OrgRegistry, load_registry
from weightwatch.output import emit
from weightwatch.report.build import build_report
from weightwatch.store import Store

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


def _date(value: str | None, option: str = "--snapshot-date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def _registry(orgs: Path | None) -> OrgRegistry:
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
            _date(snapshot_date),
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
        by=by.value, counter=counter.value, snapshot_date=_date(snapshot_date)
    )
    ctx = MetricContext(Store.open(store), _registry(orgs))
    result = get_or_raise("download_share").compute(ctx, params)
    p = result.params
    emit(
        out,
        fmt.value,
        result.to_records(),
        title=(
            f"Download share by {p['by']} — snapshot {p['snapshot_date']}, "
            f"{p['counter']} counter, {p['attribution']} attribution"
        ),
        document=result.to_dict(),
        footer=[*result.notes, f"registry {result.provenance['registry']['version']}"],
    )


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


@orgs_app.command("lookup")
@friendly_errors
def orgs_lookup(
    name: Annotated[str, typer.Argument(help="Hub account, organisation name or alias.")],
    orgs: OrgsOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find registry rows by account, organisation or alias (case-insensitive)."""
    registry = _registry(orgs)
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
    registry = _registry(orgs)
    ctx = MetricContext(opened, registry)
    when = _date(snapshot_date) or opened.latest()
    opened.manifest(when)
    models = ctx.snapshots().filter(ctx.snapshots().snapshot_date == when)
    table = unattributed_accounts(models, ctx.registry_table(), COUNTER_COLUMNS[counter.value])
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
    path = build_report(Store.open(store), output, _registry(orgs), lang=lang)
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
    registry = _registry(None)
    ctx = MetricContext(store, registry)
    result = get_or_raise("download_share").compute(ctx, DownloadShareParams())
    emit(
        out,
        "table",
        result.to_records(),
        title=f"Download share by country — snapshot {result.params['snapshot_date']}, "
        "30-day downloads, uploader attribution",
        footer=[*result.notes, f"store: {store.root.resolve()}", f"registry {registry.version}"],
    )
    path = build_report(store, directory / f"report-{lang}.html", registry, lang=lang)
    out.print(f"\n[bold]report:[/] {path.resolve()}", highlight=False)


def main() -> None:
    """Console entry point."""
    sys.exit(app())
