"""The benchmark suites ``weightwatch bench`` knows: one module each, listed here.

A suite is a function returning a flat-ish dict of measured figures; suites compare
weightwatch against a baseline measured in the same run (ratios), since the machines that
run them are noisy.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from weightwatch.errors import InputError
from weightwatch.params import key_values


@dataclass(frozen=True)
class Suite:
    name: str
    target: str  # "module:function", imported only when the suite runs
    summary: str
    size_option: str  # the keyword of ``target`` that sets the data size

    def load(self) -> Callable[..., dict[str, Any]]:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]

    def keywords(self) -> set[str]:
        """The keyword arguments the suite's function takes."""
        return set(inspect.signature(self.load()).parameters)

    def kwargs(self, size: int | None, params: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for this suite: ``size`` as its size option, and those of
        ``params`` it takes (the others are meant for other suites)."""
        taken = self.keywords()
        out = {k: v for k, v in params.items() if k in taken}
        if size is not None:
            out[self.size_option] = size
        return out


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
        Suite(
            "metrics",
            "weightwatch.bench.metrics:run",
            "a year of weekly snapshots: download share and every metric vs SQL and pandas",
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


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` strings as keyword arguments; VALUE is read as JSON when it parses
    (``1000000``, ``true``, ``null``), else taken as text (``/data/bench``)."""
    return key_values(items, _json_or_text, example="runs=5")


def check_params(suites: Iterable[Suite], params: dict[str, Any]) -> None:
    """InputError for a parameter none of ``suites`` takes (a typo would be ignored)."""
    chosen = list(suites)
    taken = set().union(*(s.keywords() for s in chosen))
    unknown = sorted(set(params) - taken)
    if unknown:
        names = ", ".join(s.name for s in chosen)
        known = ", ".join(sorted(taken))
        raise InputError(
            f"no suite of {names} takes {', '.join(unknown)}; their parameters: {known}"
        )
