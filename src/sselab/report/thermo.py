"""Report section of the thermodynamics stage: hull, E_hull(x), window, interfaces vs the paper.

The science is in :mod:`sselab.thermo` (``thermo_study`` returns a
:class:`~sselab.thermo.study.ThermoStudy`); this module only compares it with the
paper's numbers and lays it out.
"""

from __future__ import annotations

from sselab.reference import paper_value
from sselab.report.html import Comparison, Section
from sselab.thermo.hull import SolidSolutionPoint
from sselab.thermo.interface import InterfaceReaction
from sselab.thermo.study import WINDOW_X, ThermoStudy

SECTION_TITLE = "Thermodynamics: Li–N–S hull, window, interfaces"


def paper_e_hull_meV_per_atom() -> float:
    """The paper's E above the Li2S–Li3N tie line of Li2.5N0.5S0.5 (meV/atom).

    Example:
        >>> paper_e_hull_meV_per_atom()
        17.0
    """
    return float(paper_value("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom"))


def reaction_with_li(study: ThermoStudy) -> InterfaceReaction:
    """The electrolyte-at-WINDOW_X + Li metal pseudo-binary of a study."""
    formula = study.hull.point(WINDOW_X).formula
    return next(r for r in study.interfaces if r.anode == "Li" and r.electrolyte == formula)


def thermo_section(
    study: ThermoStudy, second_model: SolidSolutionPoint | None = None, second_label: str = ""
) -> Section:
    """Report section: ternary hull, E_hull(x), voltage profile, interface with Li.

    Comparisons: E_hull of Li2.5N0.5S0.5 at 0 K and 300 K vs the paper's 17 meV/atom,
    and its reaction energy with Li metal vs the paper's 0. ``second_model`` is the
    x = WINDOW_X point of the same hull computed with another MLIP (label
    ``second_label``): the model spread stated next to the result.

    Example:
        >>> section = thermo_section(study)  # doctest: +SKIP
        >>> section.title  # doctest: +SKIP
        'Thermodynamics: Li–N–S hull, window, interfaces'
    """
    from sselab.thermo.figures import (
        e_hull_figure,
        interface_figure,
        ternary_figure,
        voltage_profile_figure,
    )

    paper_e_hull = paper_e_hull_meV_per_atom()
    paper_rxn = float(paper_value("thermodynamics", "reaction_energy_with_Li_metal_eV_per_atom"))
    hull = study.hull
    point = hull.point(WINDOW_X)
    ordering_gaps = sorted(point.ordering_energies_meV_per_atom) or [0.0]
    spread = ordering_gaps[-1]
    next_lowest = ordering_gaps[1] if len(ordering_gaps) > 1 else 0.0
    finite = {f.x: f for f in study.finite_temperature}
    f05 = finite[point.x]
    with_li = reaction_with_li(study)
    xs = [p.x for p in hull.points]
    series = {f"{hull.model} 0 K": (xs, [p.e_above_tie_meV_per_atom for p in hull.points])}
    series["300 K, + F_vib"] = (list(finite), [f.g_vib_meV_per_atom for f in finite.values()])
    series["300 K, + F_vib - T S_conf(ideal)"] = (
        list(finite),
        [f.g_total_meV_per_atom for f in finite.values()],
    )
    li_pairs = [r for r in study.interfaces if r.anode == "Li"] + [study.reducible_control]
    rows = [
        [
            p.x,
            p.formula,
            p.n_atoms,
            round(p.e_above_tie_meV_per_atom, 1),
            round(p.e_hull_meV_per_atom, 1),
            round(max(p.ordering_energies_meV_per_atom), 1),
            " + ".join(sorted(p.decomposition)),
        ]
        for p in hull.points
    ]
    text = (
        f"Li–N–S convex hull from {hull.model} energies (relaxed reference phases and the "
        f"lowest of {len(point.ordering_energies_meV_per_atom)} ordered cells per x). Stable: "
        f"{', '.join(hull.stable_phases)}. E above the Li2S–Li3N tie line at x = {point.x:g}: "
        f"{point.e_above_tie_meV_per_atom:.1f} meV/atom at 0 K, {f05.g_vib_meV_per_atom:.1f} at "
        f"300 K with harmonic phonons, {f05.g_total_meV_per_atom:.1f} adding ideal mixing "
        f"entropy (an upper bound on its size). MP2020 anion corrections change it by at most "
        f"{max(study.scheme_check_meV_per_atom):.1e} meV/atom (they cancel on the tie "
        f"line). Window of {study.window.composition}: {study.window.reduction_limit_V:.2f}–"
        f"{study.window.oxidation_limit_V:.2f} V vs Li+/Li. Reaction energy with Li metal: "
        f"{1000 * with_li.min_energy_eV_per_atom:.2f} meV/atom; control LiTiS2 + Li: "
        f"{1000 * study.reducible_control.min_energy_eV_per_atom:.0f} meV/atom."
    )
    comparisons = [
        Comparison(
            "E_hull Li2.5N0.5S0.5, 0 K (meV/atom)",
            point.e_above_tie_meV_per_atom,
            None,
            paper_e_hull,
            f"{hull.model}; lowest of {len(point.ordering_energies_meV_per_atom)} orderings "
            f"(next {next_lowest:+.0f}, highest {spread:+.0f} meV/atom): a ground-state "
            "search, not a statistical error",
        ),
        Comparison(
            "E_hull Li2.5N0.5S0.5, 300 K (meV/atom)",
            f05.g_vib_meV_per_atom,
            None,
            paper_e_hull,
            "harmonic phonons, ordered cell (no mixing entropy)"
            + (
                f"; {100 * f05.imaginary_mode_fraction:.1f}% imaginary modes: the ordered "
                "cell is dynamically unstable and F_vib (real modes only) is unreliable"
                if f05.imaginary_mode_fraction > 0.01
                else ""
            ),
        ),
        Comparison(
            "Reaction energy with Li metal (eV/atom)",
            with_li.min_energy_eV_per_atom,
            None,
            paper_rxn,
            "pseudo-binary, hull energies of reactants",
        ),
    ]
    if second_model is not None:
        gap = second_model.e_above_tie_meV_per_atom - point.e_above_tie_meV_per_atom
        text += (
            f" Model spread: {second_label} gives "
            f"{second_model.e_above_tie_meV_per_atom:.1f} meV/atom at x = {point.x:g} "
            f"({gap:+.1f} vs {hull.model})."
        )
        comparisons.append(
            Comparison(
                "E_hull Li2.5N0.5S0.5, 0 K, second MLIP (meV/atom)",
                second_model.e_above_tie_meV_per_atom,
                None,
                paper_e_hull,
                f"{second_label}, same cells and settings",
            )
        )
    return Section(
        title=SECTION_TITLE,
        text=text,
        figures=[
            ternary_figure(hull, paper_e_hull),
            e_hull_figure(series, paper=(0.5, paper_e_hull)),
            voltage_profile_figure(study.window),
            interface_figure(li_pairs),
        ],
        table_header=[
            "x",
            "cell",
            "atoms",
            "E above tie (meV/atom)",
            "E_hull (meV/atom)",
            "ordering spread (meV/atom)",
            "decomposes to",
        ],
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": hull.model,
            "orderings per x": len(point.ordering_energies_meV_per_atom),
            "energy scheme": "raw MLIP (mp2020 checked)",
            **{f"time: {k} (s)": round(v, 1) for k, v in study.timings_s.items()},
        },
    )
