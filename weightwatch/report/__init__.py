"""The self-contained HTML report: charts, tables, conventions and provenance in one file."""

from weightwatch.report.render import Attribution, render_report

__all__ = ["Attribution", "render_report"]
