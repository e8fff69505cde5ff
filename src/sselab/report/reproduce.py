"""The report of ``sselab reproduce``: the claims table first, then one section per stage.

:func:`sselab.pipeline.reproduce.reproduce` runs the stages and returns typed results;
this module compares them with the paper (:func:`reproduce_claims`) and lays them out
(:func:`reproduce_sections`, :func:`write_reproduce_report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sselab.estimate import Estimate
from sselab.pipeline.reproduce import (
    STAGES,
    BVSECase,
    ReproduceResults,
    paper_24e_occupancy_factor,
)
from sselab.reference import paper_value
from sselab.report.claims import (
    BARRIER_TOLERANCE_EV,
    E_HULL_TOLERANCE_MEV,
    LATTICE_TOLERANCE_ANGSTROM,
    REACTION_TOLERANCE_MEV,
    SIGMA_TOLERANCE_FACTOR,
    Claim,
    claims_section,
    judge,
    paper_number,
)
from sselab.report.html import Section, write_report

# BVSE claims: (claim, paper key, system of BVSECase, fitted to the paper's number?)
_BVSE_CLAIMS: tuple[tuple[str, str, str, bool], ...] = (
    (
        "BVSE barrier Li2.5N0.5S0.5 (8c-24e-8c)",
        "bvse_barrier_Li2.5N0.5S0.5_eV",
        "Li2.5N0.5S0.5",
        False,
    ),
    ("BVSE barrier Li2S, a = 5.719 Å", "bvse_barrier_Li2S_a5.719_eV", "Li2S a=5.719", True),
    ("BVSE barrier Li2S, a = 5.554 Å", "bvse_barrier_Li2S_a5.554_eV", "Li2S a=5.554", True),
)


def _thermo_claims(results: ReproduceResults) -> list[Claim]:
    from sselab.report.thermo import reaction_with_li
    from sselab.thermo.study import WINDOW_X

    study = results.thermodynamics
    e_hull: Estimate | None = None
    reaction: Estimate | None = None
    note = "thermodynamics stage not run"
    if study is not None:
        point = study.hull.point(WINDOW_X)
        energies = [
            point.e_above_tie_meV_per_atom + e for e in point.ordering_energies_meV_per_atom
        ]
        e_hull = Estimate.from_samples(energies, "meV/atom", best=point.e_above_tie_meV_per_atom)
        reaction = Estimate.exact(1000 * reaction_with_li(study).min_energy_eV_per_atom, "meV/atom")
        note = (
            f"{study.hull.model}, lowest of {len(energies)} orderings of a {point.n_atoms}-atom "
            "cell, 0 K; interval: spread over orderings"
        )
    second = None
    if results.model_spread is not None:
        second = Estimate.exact(results.model_spread.e_above_tie_meV_per_atom, "meV/atom")
        note += f"; second MLIP {results.second_model}"
    return [
        judge(
            "Metastable: E above the Li2S–Li3N tie line of Li2.5N0.5S0.5",
            paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom"),
            "meV/atom",
            e_hull,
            second_model=second,
            tolerance=E_HULL_TOLERANCE_MEV,
            note=note,
        ),
        judge(
            "Stable against Li metal: reaction energy with Li",
            1000 * paper_number("thermodynamics", "reaction_energy_with_Li_metal_eV_per_atom"),
            "meV/atom",
            reaction,
            tolerance=REACTION_TOLERANCE_MEV,
            note="most negative pseudo-binary reaction energy, hull energies of the reactants",
        ),
    ]


def _transport_claims(results: ReproduceResults) -> list[Claim]:
    study = None if results.transport is None else results.transport.study
    ea = sigma = None
    note = "transport stage not run"
    if study is not None:
        note = study.note or "no Arrhenius fit"
        if study.arrhenius is not None:
            ea = study.arrhenius.fit.activation_energy_eV
            sigma = study.arrhenius.sigma_S_per_cm
            temps = ", ".join(f"{r.temperature_K:g}" for r in study.results)
            note = f"{results.model} NVT MD at {temps} K, tracer D, Nernst-Einstein"
    return [
        judge(
            "MD activation energy",
            paper_number("transport_computed", "aimd_activation_energy_eV"),
            "eV",
            ea,
            tolerance=BARRIER_TOLERANCE_EV,
            note=note,
        ),
        judge(
            "MD sigma(300 K)",
            paper_number("transport_computed", "aimd_sigma_300K_S_per_cm"),
            "S/cm",
            sigma,
            tolerance_factor=SIGMA_TOLERANCE_FACTOR,
            note=note,
        ),
    ]


def _neb_claim(results: ReproduceResults) -> Claim:
    doped = None
    note = "neb stage not run"
    if results.neb is not None:
        cases = [c for c in results.neb.cases if c.system == "Li2.5N0.5S0.5"]
        note = "the quick profile computes only the Li2S vacancy hop (see the CI-NEB section)"
        if cases:
            result = cases[0].result
            doped = result.barrier_eV
            note = f"{result.model}, {cases[0].hop} hop, {result.n_atoms} atoms"
    return judge(
        "CI-NEB barrier of Li2.5N0.5S0.5",
        paper_number("transport_computed", "cineb_barrier_eV"),
        "eV",
        doped,
        tolerance=BARRIER_TOLERANCE_EV,
        note=note,
    )


def _bvse_case(results: ReproduceResults, system: str) -> BVSECase | None:
    if results.bvse is None:
        return None
    return next(
        (c for c in results.bvse.cases if c.system == system and c.convention == "paper"), None
    )


def _bvse_claims(results: ReproduceResults) -> list[Claim]:
    claims = []
    for claim, key, system, fitted in _BVSE_CLAIMS:
        case = _bvse_case(results, system)
        claims.append(
            judge(
                claim,
                paper_number("transport_computed", key),
                "eV",
                None if case is None else case.percolation_3d_eV,
                tolerance=BARRIER_TOLERANCE_EV,
                calibrated=fitted,
                note=(
                    "bvse stage not run"
                    if case is None
                    else f"3D percolation, the quantity the Morse scale was fitted to on the "
                    f"two Li2S cells (convention=paper); {case.hop} path from 8c "
                    f"{case.path_from_8c_eV.value:.3f} eV; paper's cell a = {case.a_angstrom} Å"
                ),
            )
        )
    return claims


def _lattice_claim(results: ReproduceResults) -> Claim:
    half = None if results.lattice is None else results.lattice.closest(0.5)
    return judge(
        "Lattice constant a of Li2.5N0.5S0.5",
        paper_number("structure", "a_Li2.5N0.5S0.5_angstrom"),
        "Å",
        None if half is None else half.a_angstrom,
        tolerance=LATTICE_TOLERANCE_ANGSTROM,
        note=(
            "lattice stage not run"
            if half is None
            else f"{half.model}, 0 K, lowest of {half.n_orderings} orderings; interval: spread"
        ),
    )


def _interstitial_claim(results: ReproduceResults) -> Claim:
    fit = results.rietveld
    return judge(
        "Li on 24e interstitials: refined occupancy factor",
        paper_24e_occupancy_factor(),
        "",
        None if fit is None else fit.estimate("occ[Li 24e]"),
        round_trip=True,
        note=(
            "rietveld stage not run"
            if fit is None
            else "joint Cu Kα + TOF Rietveld of patterns simulated from the paper's refined "
            "cell: recovers what it was given, says nothing about the sample"
        ),
    )


def reproduce_claims(results: ReproduceResults) -> list[Claim]:
    """One :class:`~sselab.report.claims.Claim` per claim of the paper, in the paper's order.

    Example:
        >>> from sselab.pipeline.reproduce import PROFILES
        >>> empty = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, [])
        >>> claims = reproduce_claims(empty)
        >>> len(claims), {c.verdict for c in claims}  # nothing ran
        (12, {'not computed'})
    """
    from sselab.report.dft import dft_claim
    from sselab.report.disorder import disorder_claim

    mlip_of_dft_cell = None
    if results.dft is not None and results.dft.points:
        mlip_of_dft_cell = results.dft.lowest(0.5).mlip_e_above_tie_meV_per_atom
    claims = [
        *_thermo_claims(results),
        disorder_claim(results.disorder),
        dft_claim(results.dft, mlip_of_dft_cell),
        *_transport_claims(results),
        _neb_claim(results),
        *_bvse_claims(results),
        _lattice_claim(results),
        _interstitial_claim(results),
    ]
    if "measured" in results.stages:  # the user's data: a column and the measured-only rows
        from sselab.report.measured import add_measured_claims

        claims = add_measured_claims(claims, results)
    return claims


def patterns_figure(patterns: dict[str, Any]) -> Figure:
    """One panel per simulated pattern (different radiations have different x axes)."""
    fig = Figure(figsize=(10, 3.2 * len(patterns)))
    for ax, (label, sim) in zip(fig.subplots(len(patterns), 1), patterns.items(), strict=True):
        ax.plot(sim.pattern.x, sim.pattern.y, lw=0.8)
        ax.set_xlabel(sim.pattern.x_label)
        ax.set_ylabel("intensity")
        ax.set_title(label, fontsize=10)
    fig.tight_layout()
    return fig


def _diffraction_section(results: ReproduceResults) -> Section:
    """Cu Kα series at the relaxed a(x) with the Vegard fit, plus synchrotron and neutron
    patterns at x = 0.5 (Fig. 2c and 3a/3b analogues)."""
    from sselab.diffraction.simulate import simulate_pattern
    from sselab.report.diffraction import diffraction_section
    from sselab.structures import antifluorite

    assert results.lattice is not None
    points = results.lattice.points
    section = diffraction_section([p.x_actual for p in points], [p.a_angstrom for p in points])
    half = min(points, key=lambda p: abs(p.x_actual - 0.5))
    half_cell = antifluorite(half.x_actual, a=half.a_angstrom.value)
    wavelength = paper_value("diffraction", "synchrotron_wavelength_angstrom")
    others = {
        f"x = {half.x_actual:g}, synchrotron {wavelength} Å": simulate_pattern(
            half_cell, str(wavelength)
        ),
        f"x = {half.x_actual:g}, neutron 1.54 Å (b_Li < 0)": simulate_pattern(
            half_cell, "neutron:1.54"
        ),
    }
    section.figures.append(patterns_figure(others))
    return section


def _rietveld_section(results: ReproduceResults) -> Section:
    """Difference plot and refined vs true values of the Rietveld round trip."""
    from sselab.diffraction.refine import difference_figure

    fit = results.rietveld
    assert fit is not None
    truth = {
        "a": paper_value("structure", "a_Li2.5N0.5S0.5_angstrom"),
        "occ[Li 24e]": paper_24e_occupancy_factor(),
    }
    rows = [[name, str(fit.estimate(name)), value] for name, value in truth.items()]
    return Section(
        title="Rietveld round trip: 24e interstitial Li",
        text=(
            "Cu Kα X-ray and TOF neutron patterns simulated from the paper's refined "
            "Li2.5N0.5S0.5 (a and 24e occupancy factor), with counting noise, refined jointly "
            "from a start 0.5 % off in a with nominal occupancies. A test of sselab's "
            f"refinement, not of the paper: Rwp {100 * fit.rwp:.2f} %, GOF {fit.gof:.2f}."
        ),
        figures=[difference_figure(fit)],
        table_header=["parameter", "refined", "true (the paper's refined value)"],
        table_rows=rows,
        settings={"method": fit.method, "refined parameters": fit.n_refined},
    )


def _stage_section(results: ReproduceResults, stage: str) -> Section:
    from sselab.report.lattice import lattice_section
    from sselab.report.thermo import thermo_section

    if stage == "calibrate":
        from sselab.report.calibrate import calibration_section

        assert results.calibration is not None
        return calibration_section(results.calibration)
    if stage == "lattice":
        assert results.lattice is not None
        return lattice_section(results.lattice)
    if stage == "thermodynamics":
        assert results.thermodynamics is not None
        return thermo_section(
            results.thermodynamics, results.model_spread, results.second_model or ""
        )
    if stage == "disorder":
        from sselab.report.disorder import disorder_section

        assert results.disorder is not None
        return disorder_section(results.disorder, results.thermodynamics)
    if stage == "dft":
        from sselab.report.dft import dft_section

        assert results.dft is not None
        return dft_section(results.dft)
    if stage == "diffraction":
        return _diffraction_section(results)
    if stage == "rietveld":
        return _rietveld_section(results)
    return _transport_family_section(results, stage)


def _transport_family_section(results: ReproduceResults, stage: str) -> Section:
    from sselab.report.transport import bvse_section, neb_section, transport_section

    if stage == "bvse":
        assert results.bvse is not None
        return bvse_section(results.bvse)
    if stage == "neb":
        assert results.neb is not None
        return neb_section(results.neb.cases, results.profile.name, results.neb.knock_off)
    if stage == "transport":
        assert results.transport is not None
        return transport_section(results.transport.study, results.transport.maps)
    raise ValueError(f"unknown stage '{stage}'")


def reproduce_sections(results: ReproduceResults) -> list[Section]:
    """One section per selected stage (FAILED ones with their error), in stage order.

    Example:
        >>> from sselab.pipeline.reproduce import PROFILES
        >>> failed = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, ["bvse"],
        ...                           failed={"bvse": "boom"})
        >>> [s.title for s in reproduce_sections(failed)]
        ['bvse: FAILED']
    """
    from sselab.report.measured import measured_sections

    sections = []
    for stage in (s for s in STAGES if s in results.stages):
        error = results.failed.get(stage)
        if stage in results.skipped:
            sections.append(Section(title=f"{stage}: skipped", text=results.skipped[stage]))
            continue
        if error is None and stage == "measured":
            assert results.measured is not None
            sections.extend(measured_sections(results.measured))  # each guards its figures
            continue
        if error is None:
            try:
                sections.append(_stage_section(results, stage))
                continue
            except Exception as exc:  # a broken figure must not lose the other sections
                error = f"report: {type(exc).__name__}: {exc}"
                results.failed[stage] = error
        sections.append(Section(title=f"{stage}: FAILED", text=error))
    return sections


def run_info(results: ReproduceResults) -> dict[str, Any]:
    """Profile, model, settings, timings, failures and store of a run (report footer).

    Example:
        >>> from sselab.pipeline.reproduce import PROFILES
        >>> info = run_info(ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, []))
        >>> info["profile"], info["failed stages"]
        ('quick', 'none')
    """
    return {
        "profile": results.profile.name,
        "model": results.model,
        **results.settings(),
        **{f"time: {stage} (s)": round(t, 1) for stage, t in results.timings_s.items()},
        "failed stages": ", ".join(results.failed) or "none",
        "store": results.store,
        **{f"executor: {k}": v for k, v in results.run.items() if k != "failed"},
    }


def write_reproduce_report(results: ReproduceResults, path: str | Path) -> Path:
    """Write the HTML report of a reproduce run to ``path``; return the path.

    Example:
        >>> from sselab.pipeline.reproduce import PROFILES
        >>> empty = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, [])
        >>> write_reproduce_report(empty, "/tmp/sselab-empty/report.html").name
        'report.html'
    """
    from sselab.report.measured import data_label

    sections = reproduce_sections(results)  # first: a failing section joins `failed`
    label = "" if results.measured is None else data_label(results.measured)
    return write_report(
        sections,
        path,
        title=f"sselab reproduce ({results.profile.name})",
        run_info=run_info(results),
        lead=claims_section(
            reproduce_claims(results),
            with_measured="measured" in results.stages,
            measured_label=label,
        ),
    )
