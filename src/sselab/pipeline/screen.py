"""`sselab screen`: run a study's stages for every candidate and rank the candidates.

Ranking (best first), one criterion after another, missing values last:

1. energy above the M2A–M3A' tie line (meV/atom, lower is better; the paper's E_hull);
2. reduction limit vs Li+/Li (V, lower is better; 0 = stable against Li metal), only
   where sselab has every reference phase of the system (Li–N–S);
3. BVSE 3D percolation barrier (eV, lower is better);
4. MD sigma(300 K) (S/cm, higher is better).

E above the tie line is rounded to 5 meV/atom before comparison (below the scatter of
ordering sampling and MLIP error), so near-degenerate candidates are split by the
later criteria.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sselab.calculators import model_label
from sselab.pipeline.executor import RunSummary, run_tasks
from sselab.pipeline.study import Study, StudyPlan, study_plan
from sselab.pipeline.tasks import finite_or_none
from sselab.reference import paper_value
from sselab.report import Comparison, Section
from sselab.store import ResultStore

E_HULL_RESOLUTION_MEV = 5.0


@dataclass
class CandidateRow:
    """Screening results of one candidate (None where a stage did not run or failed).

    Attributes:
        rank: 1 = best.
        name, family, cation, anions, x: the candidate.
        formula: reduced formula of the ordered cell.
        n_atoms: atoms in the ordered cell.
        e_above_tie_meV_per_atom: above the M2A–M3A' tie line (negative = below it).
        ordering_spread_meV_per_atom: energy range of the relaxed orderings.
        hull_contains: phases the hull/tie line was built from.
        e_hull_meV_per_atom: above the full reference-phase hull (``window`` stage).
        reduction_limit_V / oxidation_limit_V: stability window vs Li+/Li.
        barrier_1d_eV / barrier_2d_eV / barrier_3d_eV: BVSE percolation barriers.
        barrier_3d_error_eV: grid-resolution error bar of the 3D barrier.
        sigma_300K_S_per_cm / sigma_300K_error_S_per_cm: MD Arrhenius extrapolation.
        activation_energy_eV / activation_energy_error_eV: MD Arrhenius Ea.
        a_angstrom: pseudo-cubic lattice constant of the best ordering.
        strongest_peak_hkl: strongest simulated reflection.
        notes: failed or skipped stages.
    """

    rank: int
    name: str
    family: str
    cation: str
    anions: str
    x: float
    formula: str | None = None
    n_atoms: int | None = None
    e_above_tie_meV_per_atom: float | None = None
    ordering_spread_meV_per_atom: float | None = None
    hull_contains: str | None = None
    e_hull_meV_per_atom: float | None = None
    reduction_limit_V: float | None = None
    oxidation_limit_V: float | None = None
    barrier_1d_eV: float | None = None
    barrier_2d_eV: float | None = None
    barrier_3d_eV: float | None = None
    barrier_3d_error_eV: float | None = None
    sigma_300K_S_per_cm: float | None = None
    sigma_300K_error_S_per_cm: float | None = None
    activation_energy_eV: float | None = None
    activation_energy_error_eV: float | None = None
    a_angstrom: float | None = None
    strongest_peak_hkl: str | None = None
    notes: str = ""


@dataclass
class ScreenResult:
    """Outcome of :func:`screen`.

    Attributes:
        study: study name.
        model: model label.
        stages: stages run.
        rows: candidates, best first.
        notes: stages skipped for the whole study or per candidate.
        run: executor summary (counts per stage, failures, wall time, workers).
    """

    study: str
    model: str
    stages: list[str]
    rows: list[CandidateRow]
    notes: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "study": self.study,
            "model": self.model,
            "stages": self.stages,
            "ranking": RANKING_DOC,
            "rows": [asdict(r) for r in self.rows],
            "notes": self.notes,
            "run": self.run,
        }


RANKING_DOC = (
    f"E above tie line (rounded to {E_HULL_RESOLUTION_MEV:g} meV/atom) ascending, then "
    "reduction limit ascending, BVSE 3D barrier ascending, MD sigma(300 K) descending; "
    "missing values last"
)


def _payload(plan: StudyPlan, summary: RunSummary, name: str, stage: str) -> Any:
    task = plan.tasks[name].get(stage)
    if task is None:
        return None
    tasks = task if isinstance(task, list) else [task]
    if any(t.key not in summary.payloads for t in tasks):
        return None
    return (
        [summary.payloads[t.key] for t in tasks]
        if isinstance(task, list)
        else (summary.payloads[task.key])
    )


def _row(plan: StudyPlan, summary: RunSummary, candidate: Any) -> CandidateRow:
    anions = "-".join(candidate.anions)
    row = CandidateRow(0, candidate.name, candidate.family, candidate.cation, anions, candidate.x)

    def get(stage: str) -> Any:
        return _payload(plan, summary, candidate.name, stage)

    if (order := get("order")) is not None:
        row.formula = order["formula"]
        row.n_atoms = len(order["structures"][0]["sites"])
    if (hull := get("hull")) is not None:
        spread = hull["ordering_energies_meV_per_atom"]
        row.e_above_tie_meV_per_atom = hull["e_above_tie_meV_per_atom"]
        row.ordering_spread_meV_per_atom = max(spread) - min(spread)
        row.hull_contains = hull["hull_contains"]
    if (window := get("window")) is not None:
        row.e_hull_meV_per_atom = window["e_hull_meV_per_atom"]
        row.reduction_limit_V = window["reduction_limit_V"]
        row.oxidation_limit_V = finite_or_none(window["oxidation_limit_V"])
        row.hull_contains = ", ".join(window["hull_contains"])
    if (bvse := get("bvse")) is not None:
        row.barrier_1d_eV = finite_or_none(bvse.get("barrier_1d_eV"))
        row.barrier_2d_eV = finite_or_none(bvse.get("barrier_2d_eV"))
        row.barrier_3d_eV = finite_or_none(bvse.get("barrier_3d_eV"))
        row.barrier_3d_error_eV = finite_or_none(bvse.get("barrier_3d_err_eV"))
    if (transport := get("transport")) is not None:
        row.sigma_300K_S_per_cm = transport["sigma_S_per_cm"]["value"]
        row.sigma_300K_error_S_per_cm = transport["sigma_S_per_cm"]["error"]
        row.activation_energy_eV = transport["fit"]["activation_energy_eV"]["value"]
        row.activation_energy_error_eV = transport["fit"]["activation_energy_eV"]["error"]
    if (pattern := get("diffraction")) is not None:
        row.a_angstrom = pattern["a_angstrom"]
        top = max(pattern["peaks"], key=lambda p: p["intensity"])
        row.strongest_peak_hkl = "".join(map(str, top["hkl"]))
    problems = []
    for stage, value in plan.tasks[candidate.name].items():
        for task in value if isinstance(value, list) else [value]:
            if task.key in summary.failed:
                problems.append(f"{stage} failed: {summary.failed[task.key]}")
            elif task.key in summary.skipped:
                problems.append(f"{stage} skipped (upstream failure)")
    row.notes = "; ".join(dict.fromkeys(problems))
    return row


def _sort_key(row: CandidateRow) -> tuple:
    def ascending(value: float | None) -> tuple[int, float]:
        return (1, 0.0) if value is None else (0, value)

    e_tie = row.e_above_tie_meV_per_atom
    step = E_HULL_RESOLUTION_MEV
    rounded = None if e_tie is None else step * round(e_tie / step)
    sigma = row.sigma_300K_S_per_cm
    return (
        ascending(rounded),
        ascending(row.reduction_limit_V),
        ascending(row.barrier_3d_eV),
        ascending(None if sigma is None or sigma <= 0 else -math.log10(sigma)),
        row.name,
    )


def rank_rows(rows: Sequence[CandidateRow]) -> list[CandidateRow]:
    """Sort candidates best first (see module docstring) and number them.

    Example:
        >>> a = CandidateRow(0, "a", "f", "Li", "S-N", 0.5, e_above_tie_meV_per_atom=40.0)
        >>> b = CandidateRow(0, "b", "f", "Li", "S-N", 0.25, e_above_tie_meV_per_atom=12.0)
        >>> [(r.rank, r.name) for r in rank_rows([a, b])]
        [(1, 'b'), (2, 'a')]
    """
    ranked = sorted(rows, key=_sort_key)
    for k, row in enumerate(ranked, start=1):
        row.rank = k
    return ranked


def screen(
    study: Study,
    store: ResultStore,
    client: Any | None = None,
    work_dir: str | Path = "sselab-work",
    device: str = "auto",
    progress: bool = True,
) -> ScreenResult:
    """Run every stage of a study for every candidate and rank the candidates.

    Args:
        study: validated study (:func:`sselab.pipeline.study.load_study`).
        store: results store; finished tasks are reused, new ones written.
        client: Dask client (``sselab.pipeline.executor.dask_client``) or None (in-process).
        work_dir: scratch folder for MD trajectories/checkpoints.
        device: torch device for the MLIP.
        progress: live progress bars.

    Returns:
        :class:`ScreenResult`, rows best first.

    Example:
        >>> from sselab.pipeline.study import load_study
        >>> result = screen(load_study("seed"), ResultStore("out/s.sqlite"))  # doctest: +SKIP
        >>> result.rows[0].name  # doctest: +SKIP
        'Li-S-N x=0.25'
    """
    plan = study_plan(study)
    summary = run_tasks(plan.all_tasks(), store, client, work_dir, device, progress)
    rows = rank_rows([_row(plan, summary, c) for c in plan.candidates])
    return ScreenResult(
        study=study.name,
        model=model_label(study.model),
        stages=sorted(next(iter(plan.tasks.values())).keys()),
        rows=rows,
        notes=plan.notes,
        run=summary.as_dict(),
    )


COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "rank"),
    ("name", "candidate"),
    ("formula", "formula (cell)"),
    ("e_above_tie_meV_per_atom", "E above tie line (meV/atom)"),
    ("ordering_spread_meV_per_atom", "ordering spread (meV/atom)"),
    ("e_hull_meV_per_atom", "E above full hull (meV/atom)"),
    ("reduction_limit_V", "reduction limit (V vs Li)"),
    ("oxidation_limit_V", "oxidation limit (V vs Li)"),
    ("barrier_3d_eV", "BVSE 3D barrier (eV)"),
    ("barrier_3d_error_eV", "BVSE 3D error (eV)"),
    ("sigma_300K_S_per_cm", "σ(300 K) (S/cm)"),
    ("sigma_300K_error_S_per_cm", "σ(300 K) error (S/cm)"),
    ("activation_energy_eV", "Ea MD (eV)"),
    ("activation_energy_error_eV", "Ea error (eV)"),
    ("a_angstrom", "a (Å)"),
    ("hull_contains", "hull built from"),
    ("notes", "notes"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_screen_csv(result: ScreenResult, path: str | Path) -> Path:
    """All :class:`CandidateRow` fields as CSV (full precision, empty = not computed).

    Example:
        >>> write_screen_csv(ScreenResult("s", "chgnet:0.3.0", [], []), "/tmp/s.csv").name
        's.csv'
    """
    path = Path(path)
    names = [f.name for f in fields(CandidateRow)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for row in result.rows:
            writer.writerow({k: "" if v is None else v for k, v in asdict(row).items()})
    return path


# Tiny click-to-sort (numbers numerically, empty cells last); inline so the page works
# offline and can be mailed.
_SORT_JS = """
document.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const up = th.dataset.dir !== "asc"; th.dataset.dir = up ? "asc" : "desc";
  const value = (tr) => tr.cells[col].dataset.v;
  [...body.rows].sort((a, b) => {
    const x = value(a), y = value(b);
    if (x === "" || y === "") return (x === "") - (y === "");
    const d = isNaN(x) || isNaN(y) ? x.localeCompare(y) : x - y;
    return up ? d : -d;
  }).forEach((tr) => body.appendChild(tr));
}));
"""

_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:4px 6px;text-align:right}th{cursor:pointer;"
    "background:#eee}td:nth-child(2),td:last-child{text-align:left}"
)


def screen_html(result: ScreenResult) -> str:
    """Self-contained HTML page with the sortable screening table.

    Example:
        >>> "<table" in screen_html(ScreenResult("s", "chgnet:0.3.0", [], []))
        True
    """
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in COLUMNS)
    body = []
    for row in result.rows:
        values = asdict(row)
        cells = "".join(
            f'<td data-v="{html.escape("" if values[k] is None else str(values[k]))}">'
            f"{html.escape(_cell(values[k]))}</td>"
            for k, _ in COLUMNS
        )
        body.append(f"<tr>{cells}</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>sselab screen: {html.escape(result.study)}</title><style>{_CSS}</style></head>"
        f"<body><h1>Screening: {html.escape(result.study)}</h1>"
        f"<p>Model {html.escape(result.model)}; stages {html.escape(', '.join(result.stages))}."
        f" Ranking: {html.escape(RANKING_DOC)}. Click a header to sort.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<ul>{notes}</ul><script>{_SORT_JS}</script></body></html>"
    )


def screen_figure(result: ScreenResult) -> Figure:
    """E above the tie line per candidate (bar chart, rank order).

    Example:
        >>> screen_figure(ScreenResult("s", "chgnet:0.3.0", [], [])).axes[0].get_ylabel()
        'E above tie line (meV/atom)'
    """
    fig = Figure(figsize=(max(4.0, 0.6 * len(result.rows) + 2), 3.5))
    ax = fig.add_subplot()
    rows = [r for r in result.rows if r.e_above_tie_meV_per_atom is not None]
    ax.bar(
        [r.name for r in rows],
        [r.e_above_tie_meV_per_atom for r in rows],
        yerr=[r.ordering_spread_meV_per_atom or 0 for r in rows],
        capsize=3,
    )
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("E above tie line (meV/atom)")
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.set_title(f"{result.study} ({result.model})", fontsize=9)
    fig.tight_layout()
    return fig


def write_screen(result: ScreenResult, out_dir: str | Path) -> dict[str, Path]:
    """Write screen.csv, screen.html, screen.json and screen.png into ``out_dir``.

    Example:
        >>> sorted(write_screen(ScreenResult("s", "chgnet:0.3.0", [], []), "/tmp/scr"))
        ['csv', 'html', 'json', 'png']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": write_screen_csv(result, out / "screen.csv"),
        "html": out / "screen.html",
        "json": out / "screen.json",
        "png": out / "screen.png",
    }
    paths["html"].write_text(screen_html(result))
    paths["json"].write_text(json.dumps(result.as_dict(), indent=2))
    screen_figure(result).savefig(paths["png"], dpi=120)
    return paths


def screen_report_section(result: ScreenResult) -> Section:
    """Report section: the ranked table, the E-above-tie figure, and the paper's Li5NS value.

    Example:
        >>> screen_report_section(ScreenResult("s", "chgnet:0.3.0", [], [])).title
        'Candidate screening: s'
    """
    comparisons = [
        Comparison(
            "E above Li2S–Li3N tie line, x = 0.5 (meV/atom)",
            row.e_above_tie_meV_per_atom,
            row.ordering_spread_meV_per_atom or None,
            paper_value("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom"),
            f"{result.model}, {row.n_atoms}-atom ordered cell, 0 K; error = ordering spread",
        )
        for row in result.rows
        if row.anions == "S-N"
        and row.cation == "Li"
        and abs(row.x - 0.5) < 1e-9
        and row.e_above_tie_meV_per_atom is not None
    ]
    return Section(
        f"Candidate screening: {result.study}",
        text=RANKING_DOC + ". " + " ".join(result.notes),
        figures=[screen_figure(result)],
        table_header=[title for _, title in COLUMNS],
        table_rows=[[asdict(r)[k] for k, _ in COLUMNS] for r in result.rows],
        comparisons=comparisons,
        settings={"model": result.model, "stages": ", ".join(result.stages)},
    )
