"""Self-contained HTML report: sections with figures, tables and paper comparisons.

Every stage of sselab contributes a :class:`Section`; ``render_report`` turns a list
of them plus run provenance into one HTML file with figures embedded as base64
PNG, so the report opens offline and can be mailed to a colleague.
"""

from __future__ import annotations

import base64
import html
import io
import math
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure


@dataclass
class Comparison:
    """One "paper vs sselab" row.

    Attributes:
        quantity: what is compared, with its unit, e.g. "a(x = 0.5) (Å)".
        sselab_value: our number.
        sselab_error: its one-sigma uncertainty (None where not defined).
        paper_value: the paper's number (from shared/reference/paper_values.toml).
        note: model, settings or caveats.
    """

    quantity: str
    sselab_value: float
    sselab_error: float | None
    paper_value: float | None
    note: str = ""

    @property
    def relative_deviation(self) -> float | None:
        """(sselab - paper) / paper, or None without a paper value."""
        if self.paper_value in (None, 0) or not math.isfinite(self.sselab_value):
            return None
        return (self.sselab_value - self.paper_value) / self.paper_value


@dataclass
class Section:
    """A report section contributed by one stage.

    Attributes:
        title: heading.
        text: short paragraph (plain text, escaped on render).
        figures: matplotlib figures, embedded as PNG.
        table_header / table_rows: an optional results table.
        comparisons: "paper vs sselab" rows, also collected in the summary table.
        settings: model and settings used, shown as key: value.
    """

    title: str
    text: str = ""
    figures: list[Figure] = field(default_factory=list)
    table_header: list[str] = field(default_factory=list)
    table_rows: list[list[Any]] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:.4g}"
    return html.escape(str(value))


def figure_to_data_uri(fig: Figure, dpi: int = 110) -> str:
    """Encode a matplotlib figure as a ``data:image/png;base64,...`` URI.

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_to_data_uri(Figure()).startswith("data:image/png;base64,")
        True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _comparison_rows(comparisons: list[Comparison]) -> list[list[Any]]:
    rows = []
    for c in comparisons:
        dev = c.relative_deviation
        rows.append(
            [
                c.quantity,
                c.sselab_value,
                c.sselab_error,
                c.paper_value,
                None if dev is None else f"{100 * dev:+.1f} %",
                c.note,
            ]
        )
    return rows


COMPARISON_HEADER = ["quantity", "sselab", "± (1σ)", "paper", "deviation", "note"]


def provenance(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Versions, git commit and time of this run, for the report footer.

    Example:
        >>> "python" in provenance()
        True
    """
    info: dict[str, Any] = {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for package in ("sselab", "torch", "chgnet", "sevenn", "pymatgen", "ase", "numpy"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        info["git commit"] = commit
    except (OSError, subprocess.CalledProcessError):
        pass
    info.update(extra or {})
    return info


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{border-bottom:2px solid #345}h2{color:#345;margin-top:2em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px}
th{background:#eef}img{max-width:100%;margin:0.5em 0}.settings{color:#555;font-size:90%}
"""


def _section_html(section: Section) -> list[str]:
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    if section.text:
        parts.append(f"<p>{html.escape(section.text)}</p>")
    for fig in section.figures:
        uri = figure_to_data_uri(fig)
        parts.append(f"<img alt='{html.escape(section.title)}' src='{uri}'>")
    if section.table_rows:
        parts.append(_table(section.table_header, section.table_rows))
    if section.comparisons:
        parts.append(_table(COMPARISON_HEADER, _comparison_rows(section.comparisons)))
    if section.settings:
        items = "".join(
            f"<li>{html.escape(str(k))}: {_fmt(v)}</li>" for k, v in section.settings.items()
        )
        parts.append(f"<ul class='settings'>{items}</ul>")
    return parts


def render_report(
    sections: list[Section],
    title: str = "sselab report",
    run_info: dict[str, Any] | None = None,
    lead: Section | None = None,
) -> str:
    """Render sections into one self-contained HTML document (no external assets).

    Without ``lead`` the report opens with a "Paper vs sselab" summary of every
    section's comparisons; a ``lead`` section (the claims table of ``sselab
    reproduce``) takes its place, and each section keeps its own comparisons.

    Example:
        >>> page = render_report([Section("Lattice", text="a(x)")], lead=Section("Claims"))
        >>> "<h2>Lattice</h2>" in page, page.index("Claims") < page.index("Lattice")
        (True, True)
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    all_comparisons = [c for s in sections for c in s.comparisons]
    if lead is not None:
        parts.extend(_section_html(lead))
    elif all_comparisons:
        parts.append("<h2>Paper vs sselab</h2>")
        parts.append(_table(COMPARISON_HEADER, _comparison_rows(all_comparisons)))
    for section in sections:
        parts.extend(_section_html(section))
    info = provenance(run_info)
    parts.append("<h2>Provenance</h2>")
    parts.append(_table(["item", "value"], [[k, v] for k, v in info.items()]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    sections: list[Section],
    path: str | Path,
    title: str = "sselab report",
    run_info: dict[str, Any] | None = None,
    lead: Section | None = None,
) -> Path:
    """Write :func:`render_report` output to ``path`` (parents created); return the path.

    Example:
        >>> write_report([Section("Demo")], "/tmp/sselab-demo.html").name
        'sselab-demo.html'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(sections, title, run_info, lead), encoding="utf-8")
    return path
