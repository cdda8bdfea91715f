"""`weightwatch series`: downloads per model per period, from a store or 30-day CSVs."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
import typer

from weightwatch import __version__
from weightwatch.cli.app import (
    Format,
    FormatOpt,
    StoreOpt,
    app,
    friendly_errors,
    out,
    parse_date,
)
from weightwatch.errors import InputError
from weightwatch.output import emit
from weightwatch.provenance import provenance
from weightwatch.series.deltas import REUPLOAD_NAME_PATTERN
from weightwatch.series.thirty_day import (
    estimate_first_year,
    estimate_window,
    read_cumulative_30d_csv,
)
from weightwatch.series.timeseries import (
    WINDOW_HELP,
    Window,
    download_series,
    parse_window,
    window_coverage,
)
from weightwatch.store import Store


class Freq(StrEnum):
    interval = "interval"
    week = "week"
    month = "month"
    year = "year"


def _top(rows: pa.Table, key: str, value: str, top: int) -> pa.Table:
    """Keep the rows of the ``top`` keys with the largest total ``value`` (0: all)."""
    if top <= 0 or rows.num_rows == 0:
        return rows
    totals = (
        rows.group_by(key)
        .aggregate([(value, "sum")])
        .sort_by([(f"{value}_sum", "descending"), (key, "ascending")])
    )
    keep = totals.column(key).slice(0, top)
    return rows.filter(pc.is_in(rows.column(key), value_set=keep))


def _records(rows: pa.Table) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
        for row in rows.to_pylist()
    ]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _periods(start: date, end: date, freq: Freq) -> list[tuple[date, date]]:
    """Calendar periods (months or years) covering start…end, clipped to it."""
    if freq is Freq.interval:
        return [(start, end)]
    if freq is Freq.week:
        raise InputError(
            "--freq week: a 30-day count cannot resolve a 7-day period; "
            "use --freq month, year or interval (the whole window)"
        )
    periods: list[tuple[date, date]] = []
    cursor = start
    while cursor <= end:
        if freq is Freq.month:
            following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        else:
            following = date(cursor.year + 1, 1, 1)
        last = min(following - timedelta(days=1), end)
        periods.append((cursor, last))
        cursor = following
    return periods


def _from_csv(
    files: list[Path],
    freq: Freq,
    win: Window,
    models: list[str] | None,
    exclude_reuploads: bool,
    top: int,
    fmt: Format,
) -> None:
    series = pa.concat_tables([read_cumulative_30d_csv(f) for f in files])
    if models:
        series = series.filter(pc.is_in(series.column("model"), value_set=pa.array(models)))
    if exclude_reuploads:
        copies = pc.match_substring_regex(series.column("model"), REUPLOAD_NAME_PATTERN)
        series = series.filter(pc.invert(copies))
    if series.num_rows == 0:
        raise InputError("no models left to estimate (check --model and the files)")
    days = series.column("day")
    first, last = pc.min(days).as_py(), pc.max(days).as_py()
    notes = [
        "estimates from 30-day counts: sums of non-overlapping 30-day windows ending at each "
        "period's end, stepping back 30 days; coverage = days observed / days in the period "
        "(days before a model's creation are known zeros and not in the period)"
    ]
    if win.kind == "first-year":
        if freq is not Freq.interval:
            raise InputError("--window first-year is one period per model: use --freq interval")
        rows = estimate_first_year(series)
    else:
        start, end = win.bounds(last)
        start, end = start or first, end or last
        parts = [estimate_window(series, a, b) for a, b in _periods(start, end, freq)]
        rows = pa.concat_tables(parts)
    rows = _top(rows, "model", "estimate", top)
    params = {
        "source": "30d-csv",
        "freq": freq.value,
        "window": str(win),
        "models": models,
        "exclude_reuploads": exclude_reuploads,
        "top": top,
    }
    prov = {
        "inputs": [{"name": f.name, "sha256": _sha256(f)} for f in files],
        "engine": "duckdb",
        "tool_version": __version__,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    records = _records(rows)
    emit(
        out,
        fmt.value,
        records,
        title=f"Downloads estimated from 30-day counts — window {win}, per {freq.value}",
        document={"params": params, "provenance": prov, "rows": records, "notes": notes},
        footer=notes,
    )


@app.command()
@friendly_errors
def series(
    store: StoreOpt = Path("weightwatch-store"),
    freq: Annotated[
        Freq, typer.Option("--freq", help="Period: each interval between snapshots, or calendar.")
    ] = Freq.interval,
    window: Annotated[str, typer.Option("--window", help=f"Window: {WINDOW_HELP}.")] = "all",
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Only this model id (repeatable).")
    ] = None,
    exclude_reuploads: Annotated[
        bool,
        typer.Option(
            "--exclude-reuploads", help="Leave out suspected GGUF/quantized/MLX re-uploads."
        ),
    ] = False,
    top: Annotated[
        int,
        typer.Option("--top", help="Only the N models with most downloads in the window (0: all)."),
    ] = 20,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="End windows at this date YYYY-MM-DD (default: latest)."),
    ] = None,
    from_30d_csv: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-30d-csv",
            help="Estimate from hf-downloads-forecast CSVs (cumulative 30-day counts) instead "
            "of a store (repeatable).",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Downloads per model per period (deltas of the all-time counter between snapshots)."""
    win = parse_window(window)
    if from_30d_csv:
        _from_csv(from_30d_csv, freq, win, model, exclude_reuploads, top, fmt)
        return
    opened = Store.open(store)
    when = parse_date(as_of, "--as-of") or opened.latest()
    rows = download_series(
        opened,
        freq=freq.value,
        window=win,
        model_ids=model,
        exclude_reuploads=exclude_reuploads,
        as_of=when,
    )
    rows = _top(rows, "model_id", "downloads", top)
    coverage = window_coverage(opened, win, when)
    notes: list[str] = []
    unknown = pc.sum(rows.column("unknown_intervals")).as_py() or 0
    if unknown:
        notes.append(
            f"{unknown} model-intervals lack an all-time counter: their downloads are unknown "
            "(not 0); weightwatch.series.thirty_day estimates from 30-day counts"
        )
    if win.bounded:
        notes.append(
            f"counted intervals span {coverage.get('counted_from')} … "
            f"{coverage.get('counted_to')}; window coverage {coverage.get('coverage', 0):.0%} "
            "(an interval counts in the window holding its end date)"
        )
    dates = [d for d in opened.snapshot_dates() if d <= when]
    params = {
        "freq": freq.value,
        "window": str(win),
        "as_of": when.isoformat(),
        "models": model,
        "exclude_reuploads": exclude_reuploads,
        "top": top,
    }
    records = _records(rows)
    emit(
        out,
        fmt.value,
        records,
        title=f"Downloads per {freq.value} — window {win}, as of {when}",
        document={
            "params": params,
            "provenance": provenance(opened, dates, None, "duckdb"),
            "coverage": coverage,
            "rows": records,
            "notes": notes,
        },
        footer=notes,
    )
