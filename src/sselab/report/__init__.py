"""Reports: self-contained HTML with figures and "paper vs sselab" tables."""

from sselab.report.html import Comparison, Section, provenance, render_report, write_report

__all__ = [
    "Comparison",
    "Section",
    "provenance",
    "render_report",
    "write_report",
]
