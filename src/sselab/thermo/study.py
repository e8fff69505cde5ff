"""The thermodynamics stage end to end: hull, E_hull(x) at 0 and 300 K, window, interfaces.

``thermo_study`` runs everything with one model and returns plain data;
``thermo_report_section`` turns it into a report Section with paper comparisons.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pymatgen.entries.computed_entries import ComputedStructureEntry

from sselab.calculators import model_label, relax
from sselab.reference import paper_value
from sselab.report import Comparison, Section
from sselab.structures import reference_phases
from sselab.thermo.anodes import ANODE_SYSTEMS, REDUCIBLE_BUILDERS
from sselab.thermo.energies import relax_phases, to_entry
from sselab.thermo.free_energy import (
    FiniteTemperatureHull,
    finite_temperature_e_hull,
    vibrational_free_energy,
)
from sselab.thermo.hull import (
    FULL,
    HULL_XS,
    QUICK,
    QUICK_XS,
    HullSettings,
    LiNSHull,
    li_n_s_hull,
)
from sselab.thermo.interface import InterfaceReaction, interface_reaction
from sselab.thermo.systems import phase_diagram_for
from sselab.thermo.window import StabilityWindow, stability_window

logger = logging.getLogger(__name__)

WINDOW_X = 0.5
PHONON_FMAX_EV_PER_ANGSTROM = 0.005
ANODES: tuple[str, ...] = ("Li", "In", "LiIn", "Si", "Li15Si4", "C", "LiC6")


@dataclass
class ThermoStudy:
    """All results of the thermodynamics stage for one model.

    Attributes:
        hull: Li–N–S hull with raw MLIP energies.
        scheme_check_meV_per_atom: per x, |E_above_tie(mp2020) - E_above_tie(raw)|.
        finite_temperature: 300 K results per x (x = 0.5 only in quick mode).
        window: stability window of Li(2+x)N(x)S(1-x) at x = WINDOW_X.
        interfaces: electrolyte + anode pseudo-binaries.
        reducible_control: LiTiS2 + Li, a phase Li metal must reduce.
        timings_s: wall time per part.
    """

    hull: LiNSHull
    scheme_check_meV_per_atom: dict[float, float]
    finite_temperature: list[FiniteTemperatureHull]
    window: StabilityWindow
    interfaces: list[InterfaceReaction]
    reducible_control: InterfaceReaction
    timings_s: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "hull": self.hull.as_dict(),
            "scheme_check_meV_per_atom": self.scheme_check_meV_per_atom,
            "finite_temperature": [vars(f) for f in self.finite_temperature],
            "window": self.window.as_dict(),
            "interfaces": [r.as_dict() for r in self.interfaces],
            "reducible_control": self.reducible_control.as_dict(),
            "timings_s": self.timings_s,
        }


def _solution_entry(hull: LiNSHull, x: float) -> ComputedStructureEntry:
    from pymatgen.core import Structure

    point = hull.point(x)
    structure = Structure.from_dict(point.structure)
    return to_entry(
        f"Li(2+x)N(x)S(1-x) x={point.x:g}",
        structure,
        point.energy_per_atom_eV * len(structure),
        hull.scheme,
    )


def finite_temperature_hulls(
    hull: LiNSHull,
    xs: Sequence[float],
    settings: HullSettings,
    temperature_K: float = 300.0,
    min_length_angstrom: float = 5.0,
    store: Any | None = None,
) -> list[FiniteTemperatureHull]:
    """E above the Li2S–Li3N tie line at T with harmonic phonons and ideal mixing entropy.

    Example:
        >>> rows = finite_temperature_hulls(hull, [0.5], QUICK)  # doctest: +SKIP
    """
    from pymatgen.core import Structure

    temperatures = (0.0, temperature_K)
    li3n_name = min(
        ("alpha-Li3N", "beta-Li3N"), key=lambda n: hull.references[n].energy_per_atom_eV
    )

    def f_vib(structure: Structure):
        # Finite displacements need a cell much closer to its minimum than the hull's
        # relaxation threshold: residual forces of 0.05 eV/Å give spurious soft modes.
        # The shape stays that of the hull relaxation (see HullSettings.keep_cell_shape).
        tight = relax(
            structure,
            settings.model,
            fmax=PHONON_FMAX_EV_PER_ANGSTROM,
            max_steps=2 * settings.max_steps,
            store=store,
            keep_cell_shape=True,
        ).structure
        return vibrational_free_energy(
            tight, settings.model, temperatures, min_length_angstrom, store=store
        )

    f_li2s = f_vib(hull.references["Li2S"].structure)
    f_li3n = f_vib(hull.references[li3n_name].structure)
    rows = []
    for x in xs:
        point = hull.point(x)
        f_solution = f_vib(Structure.from_dict(point.structure))
        rows.append(
            finite_temperature_e_hull(
                point.x, point.e_above_tie_meV_per_atom, f_solution, f_li2s, f_li3n, temperature_K
            )
        )
    return rows


def thermo_study(
    model: str = "chgnet",
    quick: bool = True,
    store: Any | None = None,
    xs: Sequence[float] | None = None,
    anodes: Sequence[str] = ANODES,
) -> ThermoStudy:
    """Run the whole thermodynamics stage with one MLIP.

    Args:
        model: registered MLIP name.
        quick: 14-atom cells at x = 0.25, 0.5, 0.75, 8 orderings each, fmax 0.05,
            phonons for x = 0.5 with >= 5 Å supercells (minutes on 2 CPU cores); False:
            x in steps of 1/8 in cells up to 8 anions, 6 orderings, fmax 0.02, phonons
            for every x with >= 10 Å supercells.
        store: ResultStore; every relaxation and phonon run is cached there.
        xs: compositions (multiples of 1/8); default QUICK_XS or HULL_XS by ``quick``.
        anodes: anodes for the interface pseudo-binaries.

    Example:
        >>> study = thermo_study("chgnet", quick=True)  # doctest: +SKIP
        >>> study.window.reduction_limit_V  # doctest: +SKIP
        0.0
    """
    settings = replace(QUICK if quick else FULL, model=model)
    xs = (QUICK_XS if quick else HULL_XS) if xs is None else xs
    timings: dict[str, float] = {}
    start = time.perf_counter()
    hull = li_n_s_hull(xs, settings, "raw", store)
    corrected = li_n_s_hull(xs, settings, "mp2020", store)
    check = {
        p.x: abs(p.e_above_tie_meV_per_atom - q.e_above_tie_meV_per_atom)
        for p, q in zip(hull.points, corrected.points, strict=True)
    }
    timings["hull"] = time.perf_counter() - start

    start = time.perf_counter()
    phonon_xs = [WINDOW_X] if quick else list(xs)
    finite = finite_temperature_hulls(
        hull, phonon_xs, settings, min_length_angstrom=5.0 if quick else 10.0, store=store
    )
    timings["phonons"] = time.perf_counter() - start

    start = time.perf_counter()
    solution = _solution_entry(hull, WINDOW_X)
    window = stability_window(solution.composition, hull.phase_diagram)
    timings["window"] = time.perf_counter() - start

    start = time.perf_counter()
    electrolytes = [solution.composition.reduced_formula, "Li2S", "Li3N"]
    interfaces = []
    for anode in anodes:
        if anode not in ANODE_SYSTEMS:
            raise ValueError(f"unknown anode '{anode}'; known: {sorted(ANODE_SYSTEMS)}")
        elements = ["Li", "N", "S", *{el for n in ANODE_SYSTEMS[anode] for el in _elements(n)}]
        diagram = phase_diagram_for(elements, settings, "raw", store, extra_entries=[solution])
        interfaces.extend(interface_reaction(e, anode, diagram) for e in electrolytes)
    control_diagram = phase_diagram_for(["Li", "S", "Ti"], settings, "raw", store)
    reducible = interface_reaction("LiTiS2", "Li", control_diagram)
    timings["interfaces"] = time.perf_counter() - start
    return ThermoStudy(hull, check, finite, window, interfaces, reducible, timings)


def _elements(phase_name: str) -> list[str]:
    from sselab.thermo.systems import ALL_BUILDERS

    return [el.symbol for el in ALL_BUILDERS[phase_name]().composition.elements]


def thermo_report_section(
    model: str = "chgnet",
    store: Any | None = None,
    quick: bool = True,
    second_model: str | None = "sevennet",
) -> Section:
    """Report section: ternary hull, E_hull(x), voltage profile, interface with Li.

    Comparisons: E_hull of Li2.5N0.5S0.5 at 0 K and 300 K vs the paper's 17 meV/atom,
    and its reaction energy with Li metal vs the paper's 0. With ``second_model`` the
    0 K E_hull at x = 0.5 is also computed with that MLIP (same settings), so that the
    report states the model spread next to the result.

    Example:
        >>> section = thermo_report_section("chgnet", quick=True)  # doctest: +SKIP
        >>> section.title  # doctest: +SKIP
        'Thermodynamics: Li–N–S hull, window, interfaces'
    """
    from sselab.thermo.figures import (
        e_hull_figure,
        interface_figure,
        ternary_figure,
        voltage_profile_figure,
    )

    study = thermo_study(model, quick=quick, store=store)
    paper_e_hull = float(paper_value("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom"))
    paper_rxn = float(paper_value("thermodynamics", "reaction_energy_with_Li_metal_eV_per_atom"))
    hull = study.hull
    point = hull.point(WINDOW_X)
    ordering_gaps = sorted(point.ordering_energies_meV_per_atom) or [0.0]
    spread = ordering_gaps[-1]
    next_lowest = ordering_gaps[1] if len(ordering_gaps) > 1 else 0.0
    finite = {f.x: f for f in study.finite_temperature}
    f05 = finite[point.x]
    with_li = next(
        r for r in study.interfaces if r.anode == "Li" and r.electrolyte == point.formula
    )
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
        f"{max(study.scheme_check_meV_per_atom.values()):.1e} meV/atom (they cancel on the tie "
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
    if second_model is not None and model_label(second_model) != hull.model:
        other = li_n_s_hull(
            [WINDOW_X], replace(QUICK if quick else FULL, model=second_model), "raw", store
        ).point(WINDOW_X)
        gap = other.e_above_tie_meV_per_atom - point.e_above_tie_meV_per_atom
        text += (
            f" Model spread: {model_label(second_model)} gives "
            f"{other.e_above_tie_meV_per_atom:.1f} meV/atom at x = {point.x:g} "
            f"({gap:+.1f} vs {hull.model})."
        )
        comparisons.append(
            Comparison(
                "E_hull Li2.5N0.5S0.5, 0 K, second MLIP (meV/atom)",
                other.e_above_tie_meV_per_atom,
                None,
                paper_e_hull,
                f"{model_label(second_model)}, same cells and settings",
            )
        )
    return Section(
        title="Thermodynamics: Li–N–S hull, window, interfaces",
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
            "profile": "quick" if quick else "full",
            "orderings per x": len(point.ordering_energies_meV_per_atom),
            "energy scheme": "raw MLIP (mp2020 checked)",
            **{f"time: {k} (s)": round(v, 1) for k, v in study.timings_s.items()},
        },
    )


__all__ = [
    "REDUCIBLE_BUILDERS",
    "ThermoStudy",
    "reference_phases",
    "relax_phases",
    "thermo_report_section",
    "thermo_study",
]
