"""The benchmark suites ``weightwatch bench`` knows: one module each, listed here.

A suite is a function returning a flat-ish dict of measured figures; suites compare
weightwatch against a baseline measured in the same run (ratios), since the machines that
run them are noisy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from weightwatch.errors import InputError


@dataclass(frozen=True)
class Suite:
    name: str
    target: str  # "module:function", imported only when the suite runs
    summary: str
    size_option: str  # the keyword of ``target`` that sets the data size

    def load(self) -> Callable[..., dict[str, Any]]:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            "ingest",
            "weightwatch.bench.ingest:run",
            "import a hub-stats-format Parquet snapshot incl. deltas vs a plain DuckDB COPY",
            "rows",
        ),
        Suite(
            "collector",
            "weightwatch.bench.collector:run",
            "collect from the fake Hub under a rate limit: throughput vs the limit",
            "models",
        ),
        Suite(
            "lineage",
            "weightwatch.bench.lineage:run",
            "resolve a 3M-model lineage graph (roots, depth, families) vs plain networkx",
            "models",
        ),
    )
}


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        known = ", ".join(SUITES)
        raise InputError(f"unknown benchmark suite {name!r}; known: {known}") from None
