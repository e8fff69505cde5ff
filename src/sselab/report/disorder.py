"""Report section and claims row of the disorder stage (cluster expansion + Monte Carlo).

The paper gives one E_hull, 17 meV/atom "at 0 and 300 K", for a disordered phase; the
hull's ordered cells give a ground-state search. This section sets E_hull(x, T) of the
disordered phase (the expansion's ground state at 0 K, its configurational free energy
at 300 K) beside the lowest ordered cell of the thermodynamics stage.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sselab.estimate import Estimate
from sselab.report.claims import Claim, judge, paper_number
from sselab.report.html import Comparison, Section
from sselab.thermo.disorder.study import DisorderStudy
from sselab.thermo.study import ThermoStudy

ROOM_K = 300.0
X_HALF = 0.5
E_HULL_TOLERANCE_MEV = 10.0
CLAIM = "Metastable: E above the Li2S–Li3N tie, disordered phase (cluster expansion + MC, 300 K)"


def disorder_figure(study: DisorderStudy) -> Figure:
    """<E_mix>(T) and F(T), heat capacity C(T) per x, and the pair ECIs."""
    fig = Figure(figsize=(12, 3.4))
    energy_ax, heat_ax, eci_ax = fig.subplots(1, 3)
    for phase in study.phases:
        (line,) = energy_ax.plot(phase.temperatures_K, phase.energy_meV_per_atom, "o-", ms=3,
                                 label=f"⟨E⟩, x = {phase.x:g}")  # fmt: skip
        energy_ax.plot(phase.temperatures_K, phase.free_energy_meV_per_atom, "--",
                       color=line.get_color(), label=f"F, x = {phase.x:g}")  # fmt: skip
        heat_ax.plot(phase.temperatures_K, phase.heat_capacity_kB_per_fu, "o-", ms=3,
                     color=line.get_color(), label=f"x = {phase.x:g}")  # fmt: skip
        if phase.order_disorder_K is not None:
            heat_ax.axvline(phase.order_disorder_K, color=line.get_color(), lw=0.6, ls=":")
    energy_ax.set_xscale("log")
    energy_ax.set_xlabel("T (K)")
    energy_ax.set_ylabel("above the Li2S–Li3N tie (meV/atom)")
    energy_ax.legend(fontsize=7)
    heat_ax.set_xscale("log")
    # log C: the energy variance of glassy low-T replicas (not equilibrated) rises to tens
    # of k_B and would flatten the transition on a linear axis
    heat_ax.set_yscale("log")
    heat_ax.set_title("dotted: order-disorder T (steepest rise of ⟨E⟩)", fontsize=8)
    heat_ax.set_xlabel("T (K)")
    heat_ax.set_ylabel("C_conf, fluctuations (k_B/f.u.)")
    heat_ax.legend(fontsize=7)
    ce = study.cluster_expansion
    ecis = 1000 * np.array(ce.ecis_eV[2:])
    eci_ax.bar(range(len(ecis)), ecis)
    eci_ax.set_xticks(range(len(ecis)), ce.labels[2:], rotation=60, ha="right", fontsize=7)
    eci_ax.axhline(0, color="k", lw=0.5)
    eci_ax.set_ylabel("pair ECI (meV per formula unit)")
    eci_ax.set_title(f"CV error {ce.cv_rmse_meV_per_atom:.1f} meV/atom", fontsize=9)
    fig.tight_layout()
    return fig


def _ordered_e_hull(thermo: ThermoStudy | None, x: float) -> float | None:
    if thermo is None:
        return None
    points = [p for p in thermo.hull.points if abs(p.x - x) < 1e-6]
    return points[0].e_above_tie_meV_per_atom if points else None


def disorder_section(study: DisorderStudy, thermo: ThermoStudy | None = None) -> Section:
    """E_hull(x) at 0 and 300 K of the disordered phase beside the lowest ordered cell.

    Example:
        >>> disorder_section(study).title  # doctest: +SKIP
        'Disorder: cluster expansion and Monte Carlo of the solid solution'
    """
    paper = paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    ce = study.cluster_expansion
    rows = []
    for phase in study.phases:
        ordered = _ordered_e_hull(thermo, phase.x)
        rows.append([
            phase.x,
            round(phase.e_hull_meV_per_atom(0.0), 1),
            round(phase.e_hull_meV_per_atom(ROOM_K), 1),
            None if phase.order_disorder_K is None else round(phase.order_disorder_K),
            None if ordered is None else round(ordered, 1),
        ])  # fmt: skip
    half = study.phase(X_HALF)
    text = (
        f"A pair cluster expansion of the mixing energy (N/S on 4a, Li/vacancy in the "
        f"octahedral cages, one filled cage per N) fitted to {study.n_training} {study.model}-"
        f"relaxed configurations of 25-63-atom cells ({study.training_source}; "
        f"{study.n_converged} reached the force threshold), leave-one-out CV error "
        f"{ce.cv_rmse_meV_per_atom:.1f} meV/atom. Canonical replica-exchange Monte Carlo in "
        f"a {half.size}x{half.size}x{half.size} conventional cell, {half.n_sweeps} measured "
        "sweeps per temperature; 0 K is the lowest state the MC found, 300 K the "
        "configurational free energy by thermodynamic integration from infinite "
        "temperature (no phonons). A lattice model keeps the antifluorite frame: cells that "
        "reconstruct on relaxation enter with their relaxed energy, which the CV error shows."
    )
    comparisons = [
        Comparison(
            f"E_hull x = {half.x:g}, disordered, {t:g} K (meV/atom)",
            half.e_hull_meV_per_atom(t),
            ce.cv_rmse_meV_per_atom,
            paper,
            f"CE + MC on {study.model}; error: the expansion's CV error",
        )
        for t in (0.0, ROOM_K)
    ]
    return Section(
        title="Disorder: cluster expansion and Monte Carlo of the solid solution",
        text=text,
        figures=[disorder_figure(study)],
        table_header=[
            "x",
            "E_hull 0 K, CE ground state (meV/atom)",
            "E_hull 300 K, CE free energy (meV/atom)",
            "order-disorder T (K)",
            "lowest ordered cell, thermodynamics stage (meV/atom)",
        ],
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": study.model,
            "training set": f"{study.training_source}, {study.n_training} configurations",
            "pair cutoff (a)": ce.cutoff_a,
            "ridge alpha": ce.ridge_alpha,
            "MC cell (conventional cells)": half.size,
            "MC sweeps per temperature": half.n_sweeps,
            "time (s)": round(study.wall_s, 1),
        },
    )


def disorder_claim(study: DisorderStudy | None) -> Claim:
    """The paper's E_hull judged on the disordered phase at 300 K (CV error as 1 sigma).

    Example:
        >>> disorder_claim(None).verdict
        'not computed'
    """
    paper = paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    if study is None:
        return judge(CLAIM, paper, "meV/atom", None, note="disorder stage not run")
    phase = study.phase(X_HALF)
    if abs(phase.x - X_HALF) > 1e-6:
        return judge(CLAIM, paper, "meV/atom", None, note=f"no MC at x = {X_HALF:g}")
    ce = study.cluster_expansion
    value = Estimate.normal(phase.e_hull_meV_per_atom(ROOM_K), ce.cv_rmse_meV_per_atom,
                            "meV/atom")  # fmt: skip
    return judge(
        CLAIM,
        paper,
        "meV/atom",
        value,
        tolerance=E_HULL_TOLERANCE_MEV,
        note=(
            f"{study.model}, {study.n_training} relaxed configurations ({study.training_source}), "
            f"0 K ground state {phase.e_hull_meV_per_atom(0.0):+.0f} meV/atom; 1 sigma = the "
            "expansion's leave-one-out CV error (MC statistics and the MLIP's own error are "
            "not in it)"
        ),
    )
