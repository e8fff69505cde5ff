"""Transport in the report: MD diffusion, CI-NEB and BVSE sections with "paper vs sselab" rows.

The science (``sselab.transport``) computes and draws; this module reads the paper's
numbers (``sselab.reference``) and sets them beside ours: the paper's AIMD Ea and
sigma(300 K) and its experimental room-temperature sigma, its CI-NEB barrier and its
three BVSE barriers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sselab.estimate import Estimate
from sselab.reference import paper_value
from sselab.report.html import Comparison, Section
from sselab.transport.study import (
    ReferenceConductivity,
    TransportMaps,
    TransportStudy,
    arrhenius_figure,
    format_estimate,
    msd_figure,
)
from sselab.units import T_27C_K, T_300K

if TYPE_CHECKING:
    from sselab.pipeline.reproduce import BVSECases, NEBCase
    from sselab.transport.neb import BarrierDistribution

PAPER_NEB_LABEL = "paper CI-NEB, Li2.5N0.5S0.5 (DFT)"
# paper_values.toml key of the BVSE barrier of each of the paper's cells
# (sselab.pipeline.reproduce.BVSE_CASES).
_PAPER_BVSE_KEYS = {
    "Li2.5N0.5S0.5": "bvse_barrier_Li2.5N0.5S0.5_eV",
    "Li2S a=5.719": "bvse_barrier_Li2S_a5.719_eV",
    "Li2S a=5.554": "bvse_barrier_Li2S_a5.554_eV",
}


def _comparison(quantity: str, ours: Estimate, paper: float | None, note: str = "") -> Comparison:
    return Comparison(quantity, ours.value, ours.error, paper, note)


def paper_neb_barrier_eV() -> float:
    """The paper's CI-NEB barrier (DFT, Li2.5N0.5S0.5, path not stated), eV.

    Example:
        >>> paper_neb_barrier_eV()
        0.38
    """
    return float(paper_value("transport_computed", "cineb_barrier_eV"))


def paper_conductivities() -> list[ReferenceConductivity]:
    """The paper's AIMD sigma(300 K) with its Ea, and its experimental sigma at RT (27 °C).

    Example:
        >>> [ref.temperature_K for ref in paper_conductivities()]
        [300.0, 300.15]
    """
    return [
        ReferenceConductivity(
            "paper AIMD, 300 K",
            paper_value("transport_computed", "aimd_sigma_300K_S_per_cm"),
            T_300K,
            paper_value("transport_computed", "aimd_activation_energy_eV"),
            "k*",
        ),
        ReferenceConductivity(
            "paper experiment, RT",
            paper_value("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm"),
            T_27C_K,
            None,
            "rs",
        ),
    ]


def transport_table(study: TransportStudy) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (one per temperature) of D, D_x/y/z, sigma, sigma_NE and Haven ratio.

    Example:
        >>> header, rows = transport_table(study)  # doctest: +SKIP
    """
    header = [
        "T (K)",
        "t (ps)",
        "D (cm²/s)",
        "D_x, D_y, D_z (cm²/s)",
        "σ (S/cm)",
        "σ_NE (S/cm)",
        "Haven ratio",
        "log-log slope",
        "diffusive",
        "Li at 8c / 24e / 4b / 32f (%)",
        "jumps per Li per ps: 8c-8c, 8c-oct, oct-8c, oct-oct",
        "events: vacancy, direct int., interstitialcy, concerted, other",
        "correlation factor f",
    ]
    mechanisms = {m.temperature_K: m for m in study.mechanisms}
    rows = []
    for r in study.results:
        m = mechanisms.get(r.temperature_K)
        rows.append(
            [
                f"{r.temperature_K:g}",
                f"{r.duration_ps:.3g}",
                format_estimate(r.D_cm2_per_s),
                ", ".join(f"{d.value:.2g}" for d in r.D_xyz_cm2_per_s),
                format_estimate(r.sigma_S_per_cm),
                format_estimate(r.sigma_NE_S_per_cm),
                format_estimate(r.haven_ratio, 2),
                "-" if r.loglog_slope is None else f"{r.loglog_slope:.2f}",
                "yes" if r.diffusive else f"no: {r.diffusive_note}" if r.diffusive_note else "no",
                "-"
                if m is None
                else " / ".join(f"{100 * v:.0f}" for v in m.site_fraction.values()),
                "-" if m is None else ", ".join(f"{v:.2g}" for v in m.jump_rates_per_ps.values()),
                "-" if m is None else ", ".join(str(v) for v in m.event_counts.values()),
                "-" if m is None else format_estimate(m.correlation_factor, 2),
            ]
        )
    return header, rows


def first_is_short_single(study: TransportStudy) -> bool:
    """True when D came from the fraction rule with fewer than three replicas per T.

    Example:
        >>> first_is_short_single(study)  # doctest: +SKIP
        True
    """
    return bool(study.results) and all(
        r.error_method == "fraction" and r.n_replicas < 3 for r in study.results
    )


def fit_rule_text(study: TransportStudy) -> str:
    """How D was fitted, in words (the fraction rule or block averaging).

    Example:
        >>> fit_rule_text(study)  # doctest: +SKIP
        'fraction rule: window [0.2 t, 0.5 t] (>= 0.2 ps) fixed in advance, ...'
    """
    from sselab.transport.analysis import (
        DIFFUSIVE_MIN_SLOPE_RATIO,
        DIFFUSIVE_MIN_Z,
        FIT_END_FRACTION,
        FIT_START_FRACTION,
        MIN_FIT_START_PS,
    )

    if study.results and study.results[0].error_method == "fraction":
        replicas = study.results[0].n_replicas
        return (
            f"fraction rule: window [{FIT_START_FRACTION:g} t, {FIT_END_FRACTION:g} t] "
            f"(>= {MIN_FIT_START_PS:g} ps) fixed in advance; GLS error with the random-walk "
            f"covariance of MSD points; {replicas} replica(s) per T pooled; diffusive when "
            f"D > {DIFFUSIVE_MIN_Z:g} σ, the MSD does not level off (late/early slope >= "
            f"{DIFFUSIVE_MIN_SLOPE_RATIO:g}) and the framework has not melted"
        )
    return "linear fit of the all-origin MSD, default window [t_block/10, t_block/2]"


def occupancy_24e_comparison(study: TransportStudy) -> Comparison | None:
    """MD 24e occupancy per excess Li at the lowest temperature, beside the Rietveld text.

    Example:
        >>> occupancy_24e_comparison(study).quantity  # doctest: +SKIP
        'Li on 24e per excess Li, MD 1000 K'
    """
    with_excess = [m for m in study.mechanisms if m.occupancy_24e_per_excess_li is not None]
    if not with_excess:
        return None
    coolest = min(with_excess, key=lambda m: m.temperature_K)
    assert coolest.occupancy_24e_per_excess_li is not None
    return Comparison(
        f"Li on 24e per excess Li, MD {coolest.temperature_K:g} K",
        coolest.occupancy_24e_per_excess_li,
        None,
        None,
        "nearest-site assignment over the run; paper (Rietveld): "
        + str(paper_value("structure", "li_interstitial_site"))
        + "; 1 = every excess Li on 24e",
    )


def transport_section(
    study: TransportStudy, maps: TransportMaps | None = None, system: str = "Li2.5N0.5S0.5"
) -> Section:
    """Report section: table, MSD/Arrhenius/van Hove/density figures, paper comparisons.

    Example (covered by tests/transport/test_analysis.py):
        >>> section = transport_section(study)  # doctest: +SKIP
        >>> section.title  # doctest: +SKIP
        'Li transport from MD'
    """
    from sselab.transport.density import density_figure
    from sselab.transport.vanhove import van_hove_figure

    header, rows = transport_table(study)
    figures = [msd_figure(study), arrhenius_figure(study, paper_conductivities())]
    if maps is not None:
        figures += [van_hove_figure(maps.van_hove), density_figure(maps.density)]
    duration = min(r.duration_ps for r in study.results)
    md_note = (
        f"{system}, {study.results[0].n_ions} {study.species}, {duration:.3g} ps per T at "
        f"{', '.join(f'{r.temperature_K:g}' for r in study.results)} K"
    )
    comparisons = []
    if study.arrhenius is not None:
        ea = study.arrhenius.fit.activation_energy_eV
        sigma = study.arrhenius.sigma_S_per_cm
        interval = (
            f"; 95 % interval {sigma.ci95[0]:.2g}-{sigma.ci95[1]:.2g} S/cm" if sigma.ci95 else ""
        )
        comparisons = [
            _comparison(
                "Ea, MD (eV)",
                ea,
                paper_value("transport_computed", "aimd_activation_energy_eV"),
                f"paper: AIMD; sselab: {md_note}",
            ),
            _comparison(
                "σ(300 K), MD extrapolated (S/cm)",
                sigma,
                paper_value("transport_computed", "aimd_sigma_300K_S_per_cm"),
                "Nernst-Einstein, Haven ratio 1" + interval,
            ),
            _comparison(
                "σ(300 K) vs experiment (S/cm)",
                sigma,
                paper_value("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm"),
                "paper: EIS on a cold-pressed pellet (grain boundaries included)",
            ),
        ]
    caveat = ""
    if first_is_short_single(study):
        caveat = (
            "One velocity seed per temperature: in the 14-atom cell two seeds gave D(1000 K) "
            "2.8 σ apart and Ea 0.56 ± 0.17 vs 0.02 ± 0.11 eV (docs/transport.md), so these "
            "intervals understate the run-to-run scatter; pooling three or more seeds per "
            "temperature (seeds_per_temperature) adds the replica spread to the error. "
        )
    occupancy = occupancy_24e_comparison(study)
    if occupancy is not None:
        comparisons.append(occupancy)
    first = study.results[0]
    fit_rule = fit_rule_text(study)
    return Section(
        title=f"{study.species} transport from MD",
        text=(
            f"Tracer and charge diffusion of {study.species} in {system} from MLIP NVT MD "
            "(Nose-Hoover chain). Errors are 1-sigma (see 'D fit'); the Arrhenius fit is "
            "weighted by them (covariance scaled by the reduced chi² when above 1) and "
            "extrapolated to 300 K with a 95 % interval. Hop mechanisms: each Li assigned to "
            "its nearest 8c/24e/4b/32f site and to its tetrahedral (8c) or octahedral (oct) "
            "cage; events classified by linked jumps (sselab.transport.mechanism). "
            + caveat
            + study.note
        ),
        figures=figures,
        table_header=header,
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": study.md[0]["model"] if study.md else first.metadata.get("model", "-"),
            "D fit": fit_rule,
            "fit windows (ps)": ", ".join(
                f"{r.temperature_K:g} K: {r.fit_window_ps[0]:.3g}-{r.fit_window_ps[1]:.3g}"
                for r in study.results
            ),
            "blocks": study.results[0].n_blocks or "-",
            "MD engine": study.md[0].get("engine", "ase") if study.md else "-",
            "van Hove / density": (
                f"{maps.van_hove.temperature_K:g} K trajectory" if maps is not None else "-"
            ),
        },
    )


def neb_section(
    cases: Sequence[NEBCase], profile: str = "quick", knock_off: BarrierDistribution | None = None
) -> Section:
    """Section "CI-NEB barriers" with "paper vs sselab" rows, from the NEB stage's results.

    The paper's 0.38 eV is a DFT CI-NEB on Li2.5N0.5S0.5 (path not stated), so only that
    system's rows carry it; Li2S rows are ours alone. ``knock_off`` (full profile) adds
    one row per computed knock-off event and the lowest barrier with its spread over the
    8c environments (a population, not an error).

    Example (covered by tests/transport/test_neb.py):
        >>> section = neb_section(neb_stage_result.cases)  # doctest: +SKIP
        >>> section.comparisons[0].quantity  # doctest: +SKIP
        'CI-NEB barrier, Li2S vac-8c-8c hop (eV)'
    """
    from sselab.transport.neb import distribution_figure, profile_figure

    paper = paper_neb_barrier_eV()
    comparisons, figures, rows = [], [], []
    for case in cases:
        result = case.result
        doped = case.system != "Li2S"
        comparisons.append(
            _comparison(
                f"CI-NEB barrier, {case.system} {case.hop} hop (eV)",
                result.barrier_eV,
                paper if doped else None,
                f"{result.model}, {result.n_atoms} atoms"
                + ("" if doped else "; the paper gives a CI-NEB barrier only for Li2.5N0.5S0.5"),
            )
        )
        figures.append(profile_figure(result, paper, PAPER_NEB_LABEL))
        rows.append(
            [
                case.system,
                case.hop,
                result.n_atoms,
                round(result.barrier_eV.value, 3),
                result.converged,
            ]
        )
    if knock_off is not None:
        for event in knock_off.events:
            barrier = event.barrier_eV
            rows.append(
                [
                    knock_off.formula,
                    f"interstitialcy via {event.environment} 8c",
                    knock_off.n_atoms,
                    "no band: " + event.note if barrier is None else round(barrier.value, 3),
                    event.converged,
                ]
            )
        barriers, mean = knock_off.barriers(), knock_off.weighted_mean_eV()
        if barriers and mean is not None:
            # the range over environments is a population, not an error of the lowest
            comparisons.append(
                _comparison(
                    "CI-NEB knock-off barrier, lowest over 8c environments (eV)",
                    Estimate.exact(barriers[0], "eV"),
                    paper,
                    f"{knock_off.model}, {knock_off.n_atoms} atoms; {len(barriers)} "
                    f"environments span {barriers[0]:.3f}-{barriers[-1]:.3f} eV (a spread, "
                    f"not an error); mean weighted by how often each occurs {mean:.3f} eV",
                )
            )
        figures.append(distribution_figure(knock_off, paper, PAPER_NEB_LABEL))
    models = sorted({case.result.model for case in cases})
    return Section(
        title="Migration barriers: CI-NEB with an MLIP",
        text=(
            "Climbing-image NEB (ASE, IDPP start, FIRE) between endpoints relaxed at fixed "
            "cell; sites found from the anion sublattice. The vacancy is neutral (a Li atom "
            "removed), the usual MLIP practice. Barrier = fit maximum - E(initial); its "
            "error combines the fit-vs-climbing-image gap and the residual force (model "
            "and supercell-size errors not included)."
        ),
        figures=figures,
        table_header=["system", "hop", "atoms", "barrier (eV)", "converged"],
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": ", ".join(models),
            "profile": profile,
            "images": ", ".join(str(len(c.result.images) - 2) for c in cases),
        },
    )


def bvse_section(cases: BVSECases) -> Section:
    """Section with the paper's three BVSE barriers vs ours in both conventions.

    Each case is the paper's cell (disordered Fm-3m, site-averaged N/S) at the paper's
    lattice constant; rows give the 3D percolation barrier and, for the paper's named
    path, the barrier measured from the 8c site. The "paper" convention's Morse factor
    is calibrated to the two Li2S numbers (docs/bvse_convention.md). The figure is the
    Li2.5N0.5S0.5 landscape in the paper convention (recomputed: the stage keeps no grid).

    Example (covered by tests/transport/test_bvse.py):
        >>> section = bvse_section(bvse_stage_result)  # doctest: +SKIP
        >>> len(section.comparisons)  # doctest: +SKIP
        12
    """
    from sselab.structures import antifluorite
    from sselab.transport.antifluorite_sites import antifluorite_hop
    from sselab.transport.bvse import (
        PAPER_MORSE_SCALE,
        bvse_landscape,
        landscape_figure,
        minimum_energy_path,
    )

    comparisons = []
    for case in cases.cases:
        paper = paper_value("transport_computed", _PAPER_BVSE_KEYS[case.system])
        structure = antifluorite(case.x, a=case.a_angstrom)
        label = f"BVSE {structure.composition.reduced_formula} a={case.a_angstrom:.3f} Å"
        comparisons.append(
            _comparison(
                f"{label}, 3D percolation (eV)",
                case.percolation_3d_eV,
                paper,
                f"convention={case.convention}, grid {cases.resolution_angstrom} Å",
            )
        )
        comparisons.append(
            _comparison(
                f"{label}, {case.hop} from 8c (eV)",
                case.path_from_8c_eV,
                paper,
                f"convention={case.convention}, string method",
            )
        )
    figures = []
    doped = next((c for c in cases.cases if c.x > 0 and c.convention == "paper"), None)
    if doped is not None:
        structure = antifluorite(doped.x, a=doped.a_angstrom)
        landscape = bvse_landscape(
            structure, resolution_angstrom=cases.resolution_angstrom, convention="paper"
        )
        path = minimum_energy_path(landscape, antifluorite_hop(structure, doped.hop), hop=doped.hop)
        figures.append(landscape_figure(landscape, profile=path))
    return Section(
        title="Bond-valence site energy barriers",
        text=(
            "softBV BVSE on the paper's cells. convention=softbv is the published model "
            "(Morse prefactor 1/2); convention=paper scales the Morse term by "
            f"{PAPER_MORSE_SCALE.format(1)}, the factor that maps our Li2S barriers onto "
            "the paper's at both lattice constants: calibrated to the paper, not a reproduction "
            "(docs/bvse_convention.md)."
        ),
        figures=figures,
        comparisons=comparisons,
        settings={"resolution_angstrom": cases.resolution_angstrom, "mobile": "Li"},
    )
