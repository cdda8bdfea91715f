"""Metrics: one module per metric, listed in ``METRICS`` in the order reports show them."""

from __future__ import annotations

from weightwatch.errors import MetricError
from weightwatch.metrics import (
    derivative_counts,
    download_share,
    lineage_depth,
    new_derivative_share,
    top_intermediaries,
)
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.result import MetricResult

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        download_share.METRIC,
        derivative_counts.METRIC,
        new_derivative_share.METRIC,
        lineage_depth.METRIC,
        top_intermediaries.METRIC,
    )
}


def get_or_raise(name: str) -> Metric:
    """The metric called ``name``; MetricError listing the known names otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(sorted(METRICS))
        raise MetricError(f"unknown metric {name!r}; known metrics: {known}") from None


__all__ = ["METRICS", "Metric", "MetricContext", "MetricResult", "get_or_raise"]
