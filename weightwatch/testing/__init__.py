"""Test doubles that ship with the package (used by the test suite and the benchmarks).

:class:`FakeHub` is a real HTTP server on 127.0.0.1 that speaks the Hub's model-listing
protocol (cursor paging, ``expand[]``, rate limits, injectable faults); the data it serves
comes from :func:`synthetic_models` or :func:`models_from_listing`.
"""

from weightwatch.testing.fake_hub import (
    EXPANDABLE,
    FakeClock,
    FakeHub,
    Fault,
    Faults,
    models_from_listing,
    project,
    synthetic_models,
)

__all__ = [
    "EXPANDABLE",
    "FakeClock",
    "FakeHub",
    "Fault",
    "Faults",
    "models_from_listing",
    "project",
    "synthetic_models",
]
