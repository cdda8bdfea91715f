"""The ``weightwatch`` command: a thin layer over the library; ``--help`` is the reference.

One module per command group registers its commands on the shared Typer ``app``.
"""

from __future__ import annotations

import sys

from weightwatch.cli import bench as _bench  # noqa: F401  (registration)
from weightwatch.cli import collect, ingest, orgs, report, series, share, store  # noqa: F401  (registration)
from weightwatch.cli import lineage as _lineage  # noqa: F401  (registration)
from weightwatch.cli import metric as _metric  # noqa: F401  (registration)
from weightwatch.cli import synth as _synth  # noqa: F401  (registration)
from weightwatch.cli.app import app


def main() -> None:
    """Console entry point."""
    sys.exit(app())


__all__ = ["app", "main"]
