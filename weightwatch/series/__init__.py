"""Download time series: per-interval deltas of the all-time counter, series by period and
window, and honest estimates from 30-day counts.

* :mod:`weightwatch.series.deltas` — the ``deltas`` derived table (one row per model per
  interval between successive snapshots) and its conventions.
* :mod:`weightwatch.series.timeseries` — downloads per model per period, windows.
* :mod:`weightwatch.series.thirty_day` — what 30-day counters can and cannot recover.
"""
