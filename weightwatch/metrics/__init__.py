"""Metrics: one module per metric, listed in ``METRICS`` in the order reports show them."""

from __future__ import annotations

from weightwatch.errors import MetricError
from weightwatch.metrics import (
    concentration,
    crossover,
    derivative_counts,
    derivative_share,
    download_share,
    lineage_depth,
    new_derivative_share,
    relative_adoption,
    release_cadence,
    size_mix,
    top_intermediaries,
    top_models,
)
from weightwatch.metrics.base import Metric, MetricContext
from weightwatch.metrics.result import MetricResult

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        download_share.METRIC,
        concentration.METRIC,
        crossover.METRIC,
        release_cadence.METRIC,
        size_mix.METRIC,
        derivative_share.METRIC,
        relative_adoption.METRIC,
        top_models.METRIC,
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
