"""`sselab reproduce`: every stage of the paper's analysis, one HTML report.

Two profiles: ``quick`` finishes on a 2-core CPU (small cells, few orderings,
loose forces, short MD) and ``full`` uses paper-like settings (GPU advised).
Results go to a SQLite store in the output folder, so a rerun after an
interruption recomputes only what is missing. A stage that fails is reported as
failed in the report (with its error) and in :class:`ReproduceRun`; the other
stages still run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sselab.pipeline.lattice import LatticePoint, lattice_report_section, lattice_vs_x
from sselab.reference import paper_value
from sselab.report import Section, write_report
from sselab.store import ResultStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """Settings of one reproduce profile.

    Attributes:
        name: "quick" or "full".
        lattice_xs: compositions for a(x) (x = 0 is Li2S).
        n_orderings: orderings relaxed per x.
        max_anions: largest supercell (in 4a sites) used to realise x.
        fmax_eV_per_angstrom: relaxation force threshold.
        thermo_quick: thermodynamics with the quick settings (2 orderings, phonons at
            x = 0.5 only) instead of the full ones.
        second_model: MLIP whose E_hull(x = 0.5) is reported as the model spread.
        bvse_resolution_angstrom: BVSE grid spacing (Å).
        md_supercell: repetitions of the conventional x = 0.5 cell for MD.
        md_temperatures_K: NVT temperatures (K).
        md_time_ps: production time per temperature (ps), after md_equilibration_ps.
        md_equilibration_ps: equilibration excluded from the analysis (ps).
    """

    name: str
    lattice_xs: tuple[float, ...]
    n_orderings: int
    max_anions: int
    fmax_eV_per_angstrom: float
    thermo_quick: bool
    second_model: str | None
    bvse_resolution_angstrom: float
    md_supercell: tuple[int, int, int]
    md_temperatures_K: tuple[float, ...]
    md_time_ps: float
    md_equilibration_ps: float


def _paper_xs() -> tuple[float, ...]:
    return (0.0, *paper_value("structure", "compositions_synthesized_x"))


PROFILES: dict[str, Callable[[], Profile]] = {
    # quick: minutes per stage on 2 CPU cores; the 14-atom MD cell and 2 ps runs give
    # Ea and sigma(300 K) with wide error bars, which the report shows as they are
    "quick": lambda: Profile(
        name="quick",
        lattice_xs=_paper_xs(),
        n_orderings=2,
        max_anions=8,
        fmax_eV_per_angstrom=0.05,
        thermo_quick=True,
        second_model="sevennet",
        bvse_resolution_angstrom=0.2,
        md_supercell=(1, 1, 1),
        md_temperatures_K=(800.0, 1000.0, 1200.0),
        md_time_ps=2.0,
        md_equilibration_ps=0.5,
    ),
    # full: the paper's AIMD settings (2x2x2, 600-1200 K, 50 ps); GPU advised
    "full": lambda: Profile(
        name="full",
        lattice_xs=_paper_xs(),
        n_orderings=5,
        max_anions=32,
        fmax_eV_per_angstrom=0.02,
        thermo_quick=False,
        second_model="sevennet",
        bvse_resolution_angstrom=0.1,
        md_supercell=(2, 2, 2),
        md_temperatures_K=(600.0, 800.0, 1000.0, 1200.0),
        md_time_ps=50.0,
        md_equilibration_ps=5.0,
    ),
}


@dataclass
class StageContext:
    """What every stage sees: settings, model, store, output folder, earlier results."""

    profile: Profile
    model: str
    store: ResultStore
    out_dir: Path
    results: dict[str, Any] = field(default_factory=dict)


def _lattice_stage(context: StageContext) -> Section:
    settings = context.profile
    points = lattice_vs_x(
        settings.lattice_xs,
        model=context.model,
        n_orderings=settings.n_orderings,
        max_anions=settings.max_anions,
        fmax=settings.fmax_eV_per_angstrom,
        store=context.store,
    )
    context.results["lattice"] = points
    return lattice_report_section(points)


def _thermo_stage(context: StageContext) -> Section:
    from sselab.thermo.study import thermo_report_section

    return thermo_report_section(
        context.model,
        store=context.store,
        quick=context.profile.thermo_quick,
        second_model=context.profile.second_model,
    )


def _diffraction_stage(context: StageContext) -> Section:
    """Cu Kα series at the relaxed a(x) with the Vegard fit, plus synchrotron and neutron
    patterns at x = 0.5 (Fig. 2c and 3a/3b analogues)."""
    from sselab.diffraction.section import diffraction_section
    from sselab.diffraction.simulate import simulate_pattern
    from sselab.structures import antifluorite

    points: Sequence[LatticePoint] = context.results.get("lattice") or []
    if not points:
        raise RuntimeError("needs the lattice stage's a(x); run it first (--stage lattice ...)")
    section = diffraction_section(
        [p.x_actual for p in points],
        [p.a_best_angstrom for p in points],
        [p.a_std_angstrom for p in points],
    )
    half = min(points, key=lambda p: abs(p.x_actual - 0.5))
    half_cell = antifluorite(half.x_actual, a=half.a_best_angstrom)
    wavelength = paper_value("diffraction", "synchrotron_wavelength_angstrom")
    others = {
        f"x = {half.x_actual:g}, synchrotron {wavelength} Å": simulate_pattern(
            half_cell, str(wavelength)
        ),
        f"x = {half.x_actual:g}, neutron 1.54 Å (b_Li < 0)": simulate_pattern(
            half_cell, "neutron:1.54"
        ),
    }
    section.figures.append(_patterns_figure(others))
    return section


def _bvse_stage(context: StageContext) -> Section:
    from sselab.transport.bvse import bvse_report_section

    return bvse_report_section(context.profile.bvse_resolution_angstrom)


def _transport_stage(context: StageContext) -> Section:
    from sselab.structures import antifluorite
    from sselab.transport.md import prepare_md_cell
    from sselab.transport.report import run_transport_study, transport_report_section

    settings = context.profile
    cell = prepare_md_cell(
        antifluorite(0.5), settings.md_supercell, calculator=context.model, store=context.store
    )
    # trajectories and checkpoints live beside the report: a rerun resumes them
    study, maps = run_transport_study(
        cell,
        settings.md_temperatures_K,
        context.out_dir / "md",
        time_ps=settings.md_time_ps,
        equilibration_ps=settings.md_equilibration_ps,
        model=context.model,
        n_blocks=3 if settings.name == "quick" else 5,
    )
    return transport_report_section(study, maps)


def _neb_stage(context: StageContext) -> Section:
    from sselab.transport.neb import neb_report_section

    return neb_report_section(
        context.model,
        store=context.store,
        quick=context.profile.name == "quick",
        out_dir=context.out_dir / "neb",
    )


def _patterns_figure(patterns: dict[str, Any]) -> Figure:
    """One panel per simulated pattern (different radiations have different x axes)."""
    fig = Figure(figsize=(10, 3.2 * len(patterns)))
    for ax, (label, sim) in zip(fig.subplots(len(patterns), 1), patterns.items(), strict=True):
        ax.plot(sim.pattern.x, sim.pattern.y, lw=0.8)
        ax.set_xlabel(sim.pattern.x_label)
        ax.set_ylabel("intensity")
        ax.set_title(label, fontsize=10)
    fig.tight_layout()
    return fig


Stage = Callable[[StageContext], Section]

STAGES: dict[str, Stage] = {
    "lattice": _lattice_stage,
    "thermodynamics": _thermo_stage,
    "diffraction": _diffraction_stage,
    "bvse": _bvse_stage,
    "neb": _neb_stage,
    "transport": _transport_stage,
}


@dataclass
class ReproduceRun:
    """Outcome of :func:`reproduce`.

    Attributes:
        report: path of the written HTML report.
        failed: stage name -> error message for the stages that failed.
        timings_s: wall time per stage (s).
    """

    report: Path
    failed: dict[str, str]
    timings_s: dict[str, float]


def reproduce(
    profile: str = "quick",
    out_dir: str | Path = "out",
    model: str = "chgnet",
    store_path: str | Path | None = None,
    stages: Sequence[str] | None = None,
) -> ReproduceRun:
    """Run the paper's analysis with one profile and write ``out_dir/report.html``.

    Args:
        profile: "quick" (2-core CPU, minutes) or "full" (paper settings, GPU advised).
        out_dir: output folder (report, store).
        model: registered MLIP name.
        store_path: SQLite results store (default ``out_dir/sselab.sqlite``).
        stages: stage names to run, in the order of :data:`STAGES` (default: all).

    Returns:
        ReproduceRun with the report path, failed stages and timings.

    Example:
        >>> run = reproduce("quick", "/tmp/sselab-out", stages=["lattice"])  # doctest: +SKIP
        >>> run.report, run.failed  # doctest: +SKIP
        (PosixPath('/tmp/sselab-out/report.html'), {})
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}'; choose from {sorted(PROFILES)}")
    selected = list(STAGES) if stages is None else list(stages)
    unknown = sorted(set(selected) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {list(STAGES)}")
    settings = PROFILES[profile]()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    failed: dict[str, str] = {}
    sections: list[Section] = []
    with ResultStore(store_path or out / "sselab.sqlite") as store:
        context = StageContext(settings, model, store, out)
        for name in (s for s in STAGES if s in selected):
            start = time.perf_counter()
            logger.warning("stage %s ...", name)
            try:
                sections.append(STAGES[name](context))
            except Exception as exc:  # one stage's failure must not lose the others
                logger.exception("stage %s failed", name)
                failed[name] = f"{type(exc).__name__}: {exc}"
                sections.append(Section(title=f"{name}: FAILED", text=failed[name]))
            timings[name] = time.perf_counter() - start
        run_info: dict[str, Any] = {
            "profile": profile,
            "model": model,
            **{f"setting: {k}": v for k, v in asdict(settings).items() if k != "name"},
            **{f"time: {stage} (s)": round(t, 1) for stage, t in timings.items()},
            "failed stages": ", ".join(failed) or "none",
            "store": str(store.path),
            "store hits / misses": f"{store.hits} / {store.misses}",
        }
    report = write_report(
        sections, out / "report.html", title=f"sselab reproduce ({profile})", run_info=run_info
    )
    return ReproduceRun(report, failed, timings)
