"""What 30-day download counts can and cannot tell, and the honest estimate from them.

The Hub's ``downloads`` field is a *rolling* count: downloads in the 30 days before the
listing.  Older snapshots, some dumps and daily series such as the hf-downloads-forecast
CSVs have only that.  We read the count reported on day d as the downloads of the 30 days
``d - 29 … d``.

What can be recovered
    Downloads over any 30-day stretch ending on a day with a count: exactly that count.
    Hence downloads over a span, as the sum of *non-overlapping* 30-day windows inside it.
What cannot
    Daily downloads (a day-over-day difference of a 30-day count is the day entering minus
    the day leaving, not a day's downloads), and any day not inside an observed window.
    Summing overlapping windows — e.g. adding up daily 30-day counts — counts each download
    up to 30 times; we never do it.

The estimate (:func:`estimate_window`): windows end at the span's last day and step back
30 days (``end``, ``end - 30``, …), each kept only while it lies wholly inside the span
(:func:`plan_window_ends`; with sparse snapshots, the latest snapshot on or before each
step, so snapshots ≥ 30 days apart each give the 30 days before them and the gaps between
are unobserved).  A model's estimate is the sum of its counts at those window ends, with an
explicit coverage: days observed / days in the span.  Days before the model's creation are
known zeros, so the span of a model starts at ``max(span start, created date)`` and a window
holding the creation day observes the days from creation.  A missing count leaves its window
unobserved (never 0).  The estimate is thus a lower bound of the span's downloads, exact
when coverage is 1.

hf-downloads-forecast CSV format (``shared/data/SOURCES.md`` §7;
:func:`read_cumulative_30d_csv`): columns ``model``, one column per day
(``YYYY-MM-DD 00:00:00``), ``created_at``.  Each cell is a *cumulative sum of the daily
30-day counts* since the model's first tracked day, so the day-over-day difference is that
day's 30-day count.  Reading rules:

* leading zeros (before the first non-zero day) are fill values: missing, not 0;
* on the first tracked day the 30-day count is the cell itself (the sum starts there);
* the "doubled first day": when the next day's increment equals the first value exactly,
  that day repeats the first and is treated as missing;
* a zero increment between two positive increments is a day the source did not record
  (the cumulative value was carried forward, e.g. 2024-10-11 across many models): missing;
* a negative increment cannot happen in a cumulative sum: missing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from weightwatch.engine import connect, snapshots_table
from weightwatch.errors import InputError, ParseError
from weightwatch.store import Store

WINDOW_DAYS = 30

SERIES_SCHEMA = pa.schema(
    [
        pa.field("model", pa.string()),
        pa.field("day", pa.date32()),
        pa.field("downloads_30d", pa.int64()),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "model",
    "span_start",
    "span_end",
    "estimate",
    "windows",
    "days_observed",
    "days_in_span",
    "coverage",
)


# -- the forecast CSV ---------------------------------------------------------------------


def _parse_created(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _thirty_day_counts(cumulative: Sequence[float | None]) -> list[int | None]:
    """Recover the daily 30-day counts from one row of cumulative sums (module rules)."""
    n = len(cumulative)
    counts: list[int | None] = [None] * n
    first = next((i for i, v in enumerate(cumulative) if v), None)
    if first is None:
        return counts
    first_value = cumulative[first]
    counts[first] = round(first_value) if first_value is not None else None
    increments: list[float | None] = [None] * n
    for i in range(first + 1, n):
        a, b = cumulative[i - 1], cumulative[i]
        increments[i] = None if a is None or b is None else b - a
    for i in range(first + 1, n):
        step = increments[i]
        if step is None or step < 0:
            continue
        if i == first + 1 and first_value is not None and step == first_value:
            continue  # the doubled first day
        if step == 0:
            before = increments[i - 1] if i - 1 > first else first_value
            after = increments[i + 1] if i + 1 < n else None
            if before and after and before > 0 and after > 0:
                continue  # a day the source skipped (value carried forward)
        counts[i] = round(step)
    return counts


def read_cumulative_30d_csv(path: Path | str) -> pa.Table:
    """Read an hf-downloads-forecast CSV into the tidy table ``model, day, downloads_30d,
    created_at`` (one row per model per day of the file; ``downloads_30d`` null where not
    observed).  See the module docstring for the rules; refuses a file of another shape."""
    source = Path(path)
    try:
        with source.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ParseError(source, "line 1", "empty file")
            if len(header) < 3 or header[0] != "model" or header[-1] != "created_at":
                raise ParseError(
                    source, "line 1", "expected columns model, <one per day>, created_at"
                )
            try:
                days = [date.fromisoformat(h.strip()[:10]) for h in header[1:-1]]
            except ValueError as exc:
                raise ParseError(source, "line 1", f"a day column is not a date ({exc})") from None
            models: list[str] = []
            day_col: list[date] = []
            counts_col: list[int | None] = []
            created_col: list[datetime | None] = []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise ParseError(
                        source, f"line {line}", f"{len(row)} fields, header has {len(header)}"
                    )
                try:
                    values = [float(v) if v.strip() else None for v in row[1:-1]]
                except ValueError as exc:
                    raise ParseError(source, f"line {line}", f"not a number ({exc})") from None
                created = _parse_created(row[-1])
                for day, count in zip(days, _thirty_day_counts(values), strict=True):
                    models.append(row[0])
                    day_col.append(day)
                    counts_col.append(count)
                    created_col.append(created)
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"byte {exc.start}", "not UTF-8 text") from None
    return pa.table([models, day_col, counts_col, created_col], schema=SERIES_SCHEMA)


# -- the estimate -------------------------------------------------------------------------


def plan_window_ends(start: date, end: date, available: Iterable[date] | None = None) -> list[date]:
    """End days of non-overlapping 30-day windows inside ``start … end``, latest first.

    Without ``available`` (a daily series): ``end``, ``end - 30``, … while the window
    ``e - 29 … e`` starts on or after ``start``.  With ``available`` (snapshot dates): the
    latest available day on or before each step, the next step being 30 days before it.
    """
    if start > end:
        return []
    days = None if available is None else sorted(set(available), reverse=True)
    ends: list[date] = []
    bound = end
    while True:
        if days is None:
            candidate: date | None = bound
        else:
            candidate = next((d for d in days if d <= bound), None)
        if candidate is None or candidate - timedelta(days=WINDOW_DAYS - 1) < start:
            return ends
        ends.append(candidate)
        bound = candidate - timedelta(days=WINDOW_DAYS)


def _as_ibis(series: pa.Table | ibis.Table) -> ibis.Table:
    return ibis.memtable(series) if isinstance(series, pa.Table) else series


def _estimate(series: ibis.Table, plan: ibis.Table) -> ibis.Table:
    """Per model: Σ counts at the planned window ends, with days observed and coverage.

    ``plan`` has one row per model per window end: ``model, span_start, span_end,
    window_end`` (a model with no window still needs one row, ``window_end`` null).
    """
    s = series
    created = s.group_by("model").aggregate(created=s.created_at.date().min())
    plan = plan.left_join(created, "model").select(
        "model", "span_start", "span_end", "window_end", "created"
    )
    counts = s.select(j_model=s.model, j_day=s.day, n30=s.downloads_30d)
    joined = plan.left_join(counts, [plan.model == counts.j_model, plan.window_end == counts.j_day])
    # A model's span runs from max(span start, its creation day) to the span end: the days
    # before creation are known zeros, neither observed nor missing.
    model_first = ibis.ifelse(
        joined.created.notnull() & (joined.created > joined.span_start),
        joined.created,
        joined.span_start,
    ).epoch_days()
    last = joined.span_end.epoch_days()
    w_end = joined.window_end.epoch_days()
    w_start = w_end - (WINDOW_DAYS - 1)
    overlap = ibis.ifelse(w_end < last, w_end, last) - ibis.ifelse(
        w_start > model_first, w_start, model_first
    )
    rows = joined.mutate(overlap=overlap + 1, model_first=model_first, last=last)
    rows = rows.mutate(seen=(rows.n30.notnull() & (rows.overlap > 0)).fill_null(False))
    agg = rows.group_by(["model", "span_start", "span_end"]).aggregate(
        estimate=rows.n30.sum(where=rows.seen),
        windows=rows.seen.sum().cast("int64"),
        days_observed=rows.overlap.sum(where=rows.seen).cast("int64"),
        first_day=rows.model_first.max(),
        last_day=rows.last.max(),
    )
    span_days = agg.last_day - agg.first_day + 1
    in_span = ibis.ifelse(span_days > 0, span_days, 0).cast("int64")
    observed = agg.days_observed.fill_null(0)
    ratio = (observed.cast("float64") / in_span).round(4)
    coverage = ibis.ifelse(in_span > 0, ratio, ibis.null("float64"))
    return agg.select(
        "model",
        "span_start",
        "span_end",
        estimate=agg.estimate.cast("int64"),
        windows=agg.windows.fill_null(0),
        days_observed=observed,
        days_in_span=in_span,
        coverage=coverage,
    ).order_by([ibis.desc("estimate"), "model"])


def estimate_window(
    series: pa.Table | ibis.Table,
    start: date,
    end: date,
    *,
    available: Iterable[date] | None = None,
    con: Any = None,
) -> pa.Table:
    """Estimate each model's downloads in ``start … end`` from 30-day counts.

    ``series``: ``model, day, downloads_30d, created_at`` (:func:`read_cumulative_30d_csv`
    or :func:`snapshot_series`).  ``available``: the days counts can exist on (snapshot
    dates; default: every day).  Returns :data:`ESTIMATE_COLUMNS`; ``estimate`` is null
    when no window of the model was observed.
    """
    s = _as_ibis(series)
    ends = plan_window_ends(start, end, available)
    models = s.select("model").distinct()
    window_ends = ibis.memtable(
        pa.table({"window_end": pa.array(ends if ends else [None], pa.date32())})
    )
    plan = models.cross_join(window_ends).mutate(
        span_start=ibis.literal(start, type="date"), span_end=ibis.literal(end, type="date")
    )
    return _run(con, _estimate(s, plan))


def estimate_first_year(
    series: pa.Table | ibis.Table, *, days: int = 365, con: Any = None
) -> pa.Table:
    """Estimate each model's downloads in its first ``days`` days (creation day included)
    from daily 30-day counts: windows step back 30 days from the year's last day, the
    earliest one holding the creation day.  Models without ``created_at`` are left out."""
    s = _as_ibis(series)
    models = (
        s.filter(s.created_at.notnull())
        .group_by("model")
        .aggregate(span_start=s.created_at.date().min())
    )
    steps = ibis.memtable(pa.table({"step": pa.array(range(days // WINDOW_DAYS + 1), pa.int64())}))
    plan = models.cross_join(steps)
    span_end = plan.span_start + ibis.interval(days=days - 1)
    window_end = span_end - (plan.step * WINDOW_DAYS).as_interval("D")
    plan = plan.mutate(span_end=span_end.cast("date"), window_end=window_end.cast("date"))
    plan = plan.filter(plan.window_end >= plan.span_start).select(
        "model", "span_start", "span_end", "window_end"
    )
    return _run(con, _estimate(s, plan))


def _run(con: Any, expr: ibis.Table) -> pa.Table:
    backend = con or connect()
    result: pa.Table = backend.to_pyarrow(expr)
    return result


def snapshot_series(con: Any, store: Store) -> ibis.Table:
    """The store's 30-day counters as a series: ``model, day, downloads_30d, created_at``."""
    t = snapshots_table(con, store)
    return t.select(
        model=t.model_id,
        day=t.snapshot_date,
        downloads_30d=t.downloads_30d,
        created_at=t.created_at,
    )


def estimate_from_snapshots(store: Store, start: date, end: date, *, con: Any = None) -> pa.Table:
    """Estimate downloads in ``start … end`` from the snapshots' 30-day counters: each
    chosen snapshot gives the 30 days before it, chosen so no two windows overlap; the
    days between are unobserved (see ``coverage``).  For stores without all-time counters."""
    if start > end:
        raise InputError(f"estimate span {start}..{end}: the start is after the end")
    backend = con or connect()
    dates = [d for d in store.snapshot_dates() if d <= end]
    return estimate_window(
        snapshot_series(backend, store), start, end, available=dates, con=backend
    )
