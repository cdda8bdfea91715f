"""Downloads per model per period, from the materialised deltas.

Windows (:func:`parse_window`; ``--window`` on the command line)
----------------------------------------------------------------
``all``                      every interval, including each model's counter before the
                             store's first snapshot (the first snapshot's rows)
``Nd``                       the trailing N days up to ``as_of`` (default: the latest
                             snapshot): days ``as_of - N + 1 … as_of``
``YYYY-MM-DD..YYYY-MM-DD``   the days from the first date to the second, both included
``first-year``               downloads within 365 days of the model's creation (the EOI
                             study's convention): days ``c … c + 364`` where c is the UTC
                             date of ``created_at``; per model, so models without
                             ``created_at`` are left out

Window-edge rule (one rule for windows and periods alike)
---------------------------------------------------------
An interval (P, D] counts, wholly, in the window or period that contains its end date D.
Downloads are never apportioned between periods, so every figure is a sum of whole
intervals (integers, exactly additive) and each interval counts exactly once.  The price is
edge blur: with snapshots a week apart, a "month" can hold up to six days of the previous
month and miss the last days of its own.  :func:`window_coverage` states which days the
counted intervals really span.  Consequences:

* an interval straddling a window's start counts in the window; one straddling its end
  counts in the next window;
* ``first-year`` counts the intervals ending on or before ``c + 364``: a lower bound, exact
  up to the last snapshot of the model's first year (``window_complete`` says whether that
  year has ended by ``as_of``);
* the rows of the store's first snapshot (``interval_start`` null: the counters before the
  store existed) have no start, so they are in no bounded window (``Nd``, ranges); they
  count in ``all`` and in ``first-year`` (all of such a counter lies in the first year when
  the snapshot does), and in the series they form their own period with ``period_start``
  null ending at the first snapshot, so no calendar period is inflated by them;
* ``week`` periods are ISO weeks (Monday to Sunday), ``month`` and ``year`` calendar ones,
  all by the date of D; ``interval`` periods are the intervals themselves;
* intervals whose counter was missing (null downloads) are counted in
  ``unknown_intervals``, never as 0.

The figures are per model id as listed: a rename's history stays under the old id up to
the rename, and the new id's row says ``renamed_from``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import ibis
import pyarrow as pa

from weightwatch.engine import connect
from weightwatch.errors import InputError
from weightwatch.series.deltas import deltas_table, ensure_deltas
from weightwatch.store import Store

Freq = Literal["interval", "week", "month", "year"]
FREQS: tuple[str, ...] = ("interval", "week", "month", "year")
FIRST_YEAR_DAYS = 365
WINDOW_HELP = "all, Nd (e.g. 30d), YYYY-MM-DD..YYYY-MM-DD or first-year"

_TRAILING = re.compile(r"^(\d+)d$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Window:
    """A span of days to count downloads in; see the module docstring."""

    kind: Literal["all", "trailing", "range", "first-year"]
    days: int | None = None
    start: date | None = None
    end: date | None = None

    def __str__(self) -> str:
        if self.kind == "trailing":
            return f"{self.days}d"
        if self.kind == "range" and self.start and self.end:
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        return self.kind

    @property
    def bounded(self) -> bool:
        """True for windows with fixed calendar bounds (``Nd`` and ranges)."""
        return self.kind in ("trailing", "range")

    def bounds(self, as_of: date) -> tuple[date | None, date | None]:
        """Inclusive first and last day; (None, None) for ``all`` and the per-model
        ``first-year``.  ``as_of`` anchors ``Nd``."""
        if self.kind == "trailing" and self.days is not None:
            return as_of - timedelta(days=self.days - 1), as_of
        if self.kind == "range":
            return self.start, self.end
        return None, None


ALL = Window("all")


def parse_window(text: str | None) -> Window:
    """Parse ``all``, ``Nd``, ``YYYY-MM-DD..YYYY-MM-DD`` or ``first-year`` (None: ``all``).

    Raises :class:`~weightwatch.errors.InputError` with the accepted forms.
    """
    if text is None:
        return ALL
    value = text.strip().lower()
    if value in ("all", "first-year"):
        return Window(value)  # type: ignore[arg-type]
    if match := _TRAILING.match(value):
        days = int(match.group(1))
        if days < 1:
            raise InputError(f"window {text!r}: the number of days must be at least 1")
        return Window("trailing", days=days)
    if match := _RANGE.match(value):
        try:
            start, end = (date.fromisoformat(match.group(i)) for i in (1, 2))
        except ValueError as exc:
            raise InputError(f"window {text!r}: {exc}") from None
        if start > end:
            raise InputError(f"window {text!r}: the start is after the end")
        return Window("range", start=start, end=end)
    raise InputError(f"window {text!r} not understood; use {WINDOW_HELP}")


def as_window(window: Window | str | None) -> Window:
    return window if isinstance(window, Window) else parse_window(window)


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise InputError(f"unknown frequency {freq!r}; choose one of: {', '.join(FREQS)}")


def _period(d: ibis.Table, freq: str) -> tuple[ibis.Value, ibis.Value]:
    end = d.interval_end
    baseline = d.interval_start.isnull()
    if freq == "interval":
        return d.interval_start, end
    if freq == "week":
        start = end.truncate("W")
        last = start + ibis.interval(days=6)
    elif freq == "month":
        start = end.truncate("M")
        last = start + ibis.interval(months=1) - ibis.interval(days=1)
    else:
        start = end.truncate("Y")
        last = start + ibis.interval(years=1) - ibis.interval(days=1)
    return (
        ibis.ifelse(baseline, ibis.null("date"), start.cast("date")),
        ibis.ifelse(baseline, end, last.cast("date")),
    )


def first_year_end(d: ibis.Table) -> ibis.Value:
    """The last day of a row's model's first year (``created_at`` date + 364 days)."""
    return d.created_at.date() + ibis.interval(days=FIRST_YEAR_DAYS - 1)


def window_filter(d: ibis.Table, window: Window, as_of: date) -> ibis.Table:
    """The rows of an interval table (``interval_start``, ``interval_end``, ``created_at``)
    that count in ``window`` up to ``as_of`` (the window-edge rule above)."""
    d = d.filter(d.interval_end <= as_of)
    start, end = window.bounds(as_of)
    if start is not None and end is not None:
        d = d.filter(d.interval_start.notnull(), d.interval_end.between(start, end))
    if window.kind == "first-year":
        d = d.filter(d.created_at.notnull(), d.interval_end <= first_year_end(d))
    return d


def period_bounds(d: ibis.Table, freq: str) -> tuple[ibis.Value, ibis.Value]:
    """``(period_start, period_end)`` of each row's period for ``freq``."""
    return _period(d, freq)


def series_expr(
    deltas: ibis.Table,
    *,
    freq: str = "interval",
    window: Window | str | None = None,
    as_of: date,
    model_ids: Iterable[str] | None = None,
    exclude_reuploads: bool = False,
) -> ibis.Table:
    """Ibis expression of :func:`download_series` over a deltas table."""
    _check_freq(freq)
    win = as_window(window)
    d = window_filter(deltas, win, as_of)
    if model_ids is not None:
        d = d.filter(d.model_id.isin(list(model_ids)))
    if exclude_reuploads:
        d = d.filter(~d.suspected_reupload.fill_null(False))
    year_end = first_year_end(d)
    period_start, period_end = _period(d, freq)
    d = d.mutate(period_start=period_start, period_end=period_end)
    metrics: dict[str, Any] = {
        "author": d.author.max(),
        "downloads": d.downloads.sum().cast("int64"),
        "intervals": d.count(),
        "unknown_intervals": d.downloads.isnull().sum().cast("int64"),
        "first_seen": d.first_seen.any(),
        "created_before_interval": d.created_before_interval.any(),
        "counter_decreased": d.counter_decreased.any(),
        "vanished": d.vanished.any(),
        "renamed_from": d.renamed_from.max(),
        "suspected_reupload": d.suspected_reupload.any(),
    }
    if win.kind == "first-year":
        metrics["window_complete"] = (year_end.max() <= as_of).fill_null(False)
    grouped = d.group_by(["model_id", "period_start", "period_end"]).aggregate(**metrics)
    first = ["model_id", "author", "period_start", "period_end", "downloads"]
    rest = [c for c in grouped.columns if c not in first]
    return grouped.select(*first, *rest).order_by(
        [ibis.asc("period_end"), ibis.desc("downloads"), ibis.asc("model_id")]
    )


def download_series(
    store: Store,
    *,
    freq: Freq | str = "interval",
    window: Window | str | None = None,
    model_ids: Iterable[str] | None = None,
    exclude_reuploads: bool = False,
    as_of: date | None = None,
    con: Any = None,
) -> pa.Table:
    """Downloads per model per period from the store's deltas (materialising missing or
    stale deltas first).

    Columns: ``model_id, author, period_start, period_end, downloads, intervals,
    unknown_intervals, first_seen, created_before_interval, counter_decreased, vanished,
    renamed_from, suspected_reupload`` (flags: any interval of the period) and, for
    ``first-year``, ``window_complete``.  ``downloads`` sums the intervals with a known
    counter; it is null when none had one (``unknown_intervals`` counts the others).
    ``period_start`` is null for the period holding the counters before the store's first
    snapshot.  ``as_of`` (default: the latest snapshot) ends every window; intervals after
    it are ignored.  Ordered by period end, downloads (desc), model id.  See the module
    docstring for the window-edge rule.
    """
    _check_freq(freq)
    win = as_window(window)
    when = as_of or store.latest()
    ensure_deltas(store)
    con = con or connect()
    expr = series_expr(
        deltas_table(con, store),
        freq=freq,
        window=win,
        as_of=when,
        model_ids=model_ids,
        exclude_reuploads=exclude_reuploads,
    )
    return expr.to_pyarrow()


def window_coverage(
    store: Store, window: Window | str | None, as_of: date | None = None
) -> dict[str, Any]:
    """Which days the intervals counted in ``window`` span, against the window's own days.

    For bounded windows: ``counted_from``/``counted_to`` (first and last day of the counted
    intervals, which may start before the window: the window-edge rule),
    ``days_in_window``, ``days_covered`` (window days inside the counted intervals) and
    ``coverage`` (their ratio).  ``all`` starts before the first snapshot (unbounded) and
    ``first-year`` is per model (see ``window_complete`` in the series).
    """
    win = as_window(window)
    dates = [d for d in store.snapshot_dates() if as_of is None or d <= as_of]
    when = as_of or (dates[-1] if dates else store.latest())
    info: dict[str, Any] = {"window": str(win), "as_of": when.isoformat()}
    start, end = win.bounds(when)
    if start is None or end is None:
        info["counted_to"] = dates[-1].isoformat() if dates else None
        return info
    pairs = [(p, d) for p, d in itertools.pairwise(dates) if start <= d <= end]
    days = (end - start).days + 1
    info.update(start=start.isoformat(), end=end.isoformat(), days_in_window=days)
    if not pairs:
        info.update(counted_from=None, counted_to=None, intervals=0, days_covered=0)
        info["coverage"] = 0.0
        return info
    first = pairs[0][0] + timedelta(days=1)
    last = pairs[-1][1]
    covered = (min(last, end) - max(first, start)).days + 1
    info.update(
        counted_from=first.isoformat(),
        counted_to=last.isoformat(),
        intervals=len(pairs),
        days_covered=max(covered, 0),
        coverage=round(max(covered, 0) / days, 4),
    )
    return info
