"""`sselab screen`: run a study's stages for every candidate and rank the candidates.

Ranking (best first), one criterion after another, missing values last:

1. energy above the M2A–M3A' tie line (meV/atom, lower is better; the paper's E_hull);
2. reduction limit vs Li+/Li (V, lower is better; 0 = stable against Li metal), only
   where sselab has every reference phase of the system (Li–N–S);
3. BVSE 3D percolation barrier (eV, lower is better);
4. MD sigma(300 K) (S/cm, higher is better).

E above the tie line is rounded to 5 meV/atom before comparison (below the scatter of
ordering sampling and MLIP error), so near-degenerate candidates are split by the
later criteria. The tables, page and figure of a screening are in
``sselab.report.screen``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sselab.calculators import model_label
from sselab.estimate import Estimate
from sselab.pipeline.executor import RunSummary, run_tasks
from sselab.pipeline.study import Study, StudyPlan, study_plan
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore

E_HULL_RESOLUTION_MEV = 5.0


@dataclass
class CandidateRow(RoundTrip):
    """Screening results of one candidate (None where a stage did not run or failed).

    Attributes:
        rank: 1 = best.
        name, family, cation, anions, x: the candidate.
        formula: reduced formula of the ordered cell.
        n_atoms: atoms in the ordered cell.
        e_above_tie_meV_per_atom: lowest ordering above the M2A–M3A' tie line (negative =
            below it), with the spread over the relaxed orderings (error kind "spread").
        hull_contains: phases the hull/tie line was built from.
        e_hull_meV_per_atom: above the full reference-phase hull (``window`` stage).
        reduction_limit_V / oxidation_limit_V: stability window vs Li+/Li.
        barrier_1d_eV / barrier_2d_eV / barrier_3d_eV: BVSE percolation barriers (error
            kind "resolution": the grid).
        sigma_300K_S_per_cm: MD Arrhenius extrapolation to 300 K.
        activation_energy_eV: MD Arrhenius Ea.
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
    e_above_tie_meV_per_atom: Estimate | None = None
    hull_contains: str | None = None
    e_hull_meV_per_atom: float | None = None
    reduction_limit_V: float | None = None
    oxidation_limit_V: float | None = None
    barrier_1d_eV: Estimate | None = None
    barrier_2d_eV: Estimate | None = None
    barrier_3d_eV: Estimate | None = None
    sigma_300K_S_per_cm: Estimate | None = None
    activation_energy_eV: Estimate | None = None
    a_angstrom: float | None = None
    strongest_peak_hkl: str | None = None
    notes: str = ""


@dataclass
class ScreenResult(RoundTrip):
    """Outcome of :func:`screen`.

    Attributes:
        study: study name.
        model: model label.
        stages: stages run.
        rows: candidates, best first.
        notes: stages skipped for the whole study or per candidate.
        run: executor summary (counts per stage, failures, wall time, workers).
        ranking: how the rows were ranked.
    """

    study: str
    model: str
    stages: list[str]
    rows: list[CandidateRow]
    notes: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    ranking: str = ""

    def __post_init__(self) -> None:
        self.ranking = self.ranking or RANKING_DOC


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
        row.formula = order.formula
        row.n_atoms = len(order.structures[0])
    if (hull := get("hull")) is not None:
        row.e_above_tie_meV_per_atom = hull.e_above_tie_meV_per_atom
        row.hull_contains = hull.hull_contains
    if (window := get("window")) is not None:
        row.e_hull_meV_per_atom = window.e_hull_meV_per_atom
        row.reduction_limit_V = window.window.reduction_limit_V
        row.oxidation_limit_V = _finite(window.window.oxidation_limit_V)
        row.hull_contains = ", ".join(window.hull_contains)
    if (bvse := get("bvse")) is not None:
        row.barrier_1d_eV = _percolating(bvse.barrier_1d_eV)
        row.barrier_2d_eV = _percolating(bvse.barrier_2d_eV)
        row.barrier_3d_eV = _percolating(bvse.barrier_3d_eV)
    if (transport := get("transport")) is not None:
        row.sigma_300K_S_per_cm = transport.sigma_S_per_cm
        row.activation_energy_eV = transport.fit.activation_energy_eV
    if (pattern := get("diffraction")) is not None:
        row.a_angstrom = pattern.a_angstrom
        top = max(pattern.peaks, key=lambda p: p.intensity)
        row.strongest_peak_hkl = "".join(map(str, top.hkl))
    problems = []
    for stage, value in plan.tasks[candidate.name].items():
        for task in value if isinstance(value, list) else [value]:
            if task.key in summary.failed:
                problems.append(f"{stage} failed: {summary.failed[task.key]}")
            elif task.key in summary.skipped:
                problems.append(f"{stage} skipped (upstream failure)")
    row.notes = "; ".join(dict.fromkeys(problems))
    return row


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _percolating(barrier: Estimate) -> Estimate | None:
    """A BVSE percolation barrier, None where the landscape does not percolate (inf)."""
    return barrier if math.isfinite(barrier.value) else None


def _value(estimate: Estimate | None) -> float | None:
    return None if estimate is None else estimate.value


def _sort_key(row: CandidateRow) -> tuple:
    def ascending(value: float | None) -> tuple[int, float]:
        return (1, 0.0) if value is None else (0, value)

    e_tie = _value(row.e_above_tie_meV_per_atom)
    step = E_HULL_RESOLUTION_MEV
    rounded = None if e_tie is None else step * round(e_tie / step)
    sigma = _value(row.sigma_300K_S_per_cm)
    return (
        ascending(rounded),
        ascending(row.reduction_limit_V),
        ascending(_value(row.barrier_3d_eV)),
        ascending(None if sigma is None or sigma <= 0 else -math.log10(sigma)),
        row.name,
    )


def rank_rows(rows: Sequence[CandidateRow]) -> list[CandidateRow]:
    """Sort candidates best first (see module docstring) and number them.

    Example:
        >>> def e(v): return Estimate.exact(v, "meV/atom")
        >>> a = CandidateRow(0, "a", "f", "Li", "S-N", 0.5, e_above_tie_meV_per_atom=e(40.0))
        >>> b = CandidateRow(0, "b", "f", "Li", "S-N", 0.25, e_above_tie_meV_per_atom=e(12.0))
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
        run=summary.summary(),
    )
