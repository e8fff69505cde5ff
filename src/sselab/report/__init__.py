"""Reports: self-contained HTML with figures and "paper vs sselab" tables."""

from sselab.report.html import Comparison, Section, provenance, render_report, write_report
from sselab.report.paper import paper_value, paper_values

__all__ = [
    "Comparison",
    "Section",
    "paper_value",
    "paper_values",
    "provenance",
    "render_report",
    "write_report",
]
