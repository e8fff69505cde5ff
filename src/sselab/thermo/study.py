"""The thermodynamics stage end to end: hull, E_hull(x) at 0 and 300 K, window, interfaces.

``thermo_study`` runs everything with one model and returns a :class:`ThermoStudy`
(round-trips through ``as_dict``/``from_dict``); the report section with the paper's
numbers is built from it in ``sselab.report.thermo``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pymatgen.entries.computed_entries import ComputedStructureEntry

from sselab.calculators import relax
from sselab.roundtrip import RoundTrip
from sselab.thermo.anodes import ANODE_SYSTEMS
from sselab.thermo.disorder import ClusterExpansion
from sselab.thermo.energies import to_entry
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
from sselab.thermo.systems import ALL_BUILDERS, phase_diagram_for
from sselab.thermo.window import StabilityWindow, stability_window
from sselab.units import T_300K

logger = logging.getLogger(__name__)

WINDOW_X = 0.5
PHONON_FMAX_EV_PER_ANGSTROM = 0.005
ANODES: tuple[str, ...] = ("Li", "In", "LiIn", "Si", "Li15Si4", "C", "LiC6")


@dataclass
class ThermoStudy(RoundTrip):
    """All results of the thermodynamics stage for one model.

    Attributes:
        hull: Li–N–S hull with raw MLIP energies.
        scheme_check_meV_per_atom: |E_above_tie(mp2020) - E_above_tie(raw)| per hull
            point, in the order of ``hull.points`` (the corrections cancel on the tie line).
        finite_temperature: 300 K results per x (x = 0.5 only in quick mode).
        window: stability window of Li(2+x)N(x)S(1-x) at x = WINDOW_X.
        interfaces: electrolyte + anode pseudo-binaries.
        reducible_control: LiTiS2 + Li, a phase Li metal must reduce.
        timings_s: wall time per part.
    """

    hull: LiNSHull
    scheme_check_meV_per_atom: list[float]
    finite_temperature: list[FiniteTemperatureHull]
    window: StabilityWindow
    interfaces: list[InterfaceReaction]
    reducible_control: InterfaceReaction
    timings_s: dict[str, float] = field(default_factory=dict)


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
    temperature_K: float = T_300K,
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
    disorder: str = "ordered",
    cluster_expansion: ClusterExpansion | None = None,
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
        disorder: solid-solution model of the hull, "ordered", "sqs" or "ce" (see
            ``li_n_s_hull``). Harmonic phonons at 300 K are computed for "ordered" only
            (an SQS has ~100 atoms; the CE's 300 K free energy is configurational, in
            ``hull.disordered_phases``).
        cluster_expansion: fitted expansion, required by ``disorder="ce"``.

    Example:
        >>> study = thermo_study("chgnet", quick=True)  # doctest: +SKIP
        >>> study.window.reduction_limit_V  # doctest: +SKIP
        0.0
    """
    settings = replace(QUICK if quick else FULL, model=model)
    xs = (QUICK_XS if quick else HULL_XS) if xs is None else xs
    timings: dict[str, float] = {}
    start = time.perf_counter()
    hull = li_n_s_hull(xs, settings, "raw", store, disorder=disorder,
                       cluster_expansion=cluster_expansion)  # fmt: skip
    corrected = li_n_s_hull(xs, settings, "mp2020", store, disorder=disorder,
                            cluster_expansion=cluster_expansion)  # fmt: skip
    check = [
        abs(p.e_above_tie_meV_per_atom - q.e_above_tie_meV_per_atom)
        for p, q in zip(hull.points, corrected.points, strict=True)
    ]
    timings["hull"] = time.perf_counter() - start

    start = time.perf_counter()
    phonon_xs = [WINDOW_X] if quick else list(xs)
    finite = (
        finite_temperature_hulls(
            hull, phonon_xs, settings, min_length_angstrom=5.0 if quick else 10.0, store=store
        )
        if disorder == "ordered"
        else []
    )
    timings["phonons"] = time.perf_counter() - start

    start = time.perf_counter()
    solution = _solution_entry(hull, WINDOW_X)
    window = stability_window(solution.composition, hull.phase_diagram)
    timings["window"] = time.perf_counter() - start

    start = time.perf_counter()
    electrolytes = [solution.composition.reduced_formula, "Li2S", "Li3N"]
    interfaces: list[InterfaceReaction] = []
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
    return [el.symbol for el in ALL_BUILDERS[phase_name]().composition.elements]


__all__ = ["ANODES", "WINDOW_X", "ThermoStudy", "finite_temperature_hulls", "thermo_study"]
