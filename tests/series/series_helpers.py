"""The crafted-store helpers, now in :mod:`weightwatch.testing.stores`."""

from weightwatch.testing.stores import Rows, build, model, write_snapshot

__all__ = ["Rows", "build", "model", "write_snapshot"]
