"""Phase diagrams of any chemical system covered by sselab's reference phases.

Li–N–S phases come from ``sselab.structures.reference_phases``; anode phases (In, LiIn,
Si, Li15Si4, graphite, LiC6) and the reducible Li–Ti–S control from
``sselab.thermo.anodes``; the Li-metal reduction products and elements of screened
structures (Li2O, Li halides, Li3P, LiAl, Li15Ge4; TiO2, GeO2, Al2O3, La2O3, ZrO2; O,
F, Cl, Br, I, P, Al, Ge, La, Zr, Sc, Ta, Ba) from ``sselab.thermo.reduction_products``,
whose docstring says what its missing intermediate phases do to a window. Known gaps
(not built, so reactions forming them are not seen): In–S, In–N, Si–S, Si–N, Li–Si–N,
Li–C–N (e.g. Li2CN2) and C–S compounds, and the phases listed there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition, Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from sselab.structures import REFERENCE_BUILDERS
from sselab.thermo.anodes import ANODE_BUILDERS, REDUCIBLE_BUILDERS
from sselab.thermo.energies import entries_from_energies, relax_phases, to_entry
from sselab.thermo.hull import QUICK, HullSettings
from sselab.thermo.reduction_products import REDUCTION_BUILDERS

ALL_BUILDERS: dict[str, Callable[[], Structure]] = {
    **REFERENCE_BUILDERS,
    **ANODE_BUILDERS,
    **REDUCIBLE_BUILDERS,
    **REDUCTION_BUILDERS,
}


@cache
def reference_structure(name: str) -> Structure:
    """The structure of reference phase ``name`` (built once per process; do not mutate).

    Example:
        >>> reference_structure("Li2S").composition.reduced_formula
        'Li2S'
    """
    return ALL_BUILDERS[name]()


@cache
def _elements_of_phase(name: str) -> frozenset[str]:
    return frozenset(el.symbol for el in reference_structure(name).composition.elements)


def phases_in_system(elements: Iterable[str], brought: Iterable[str] = ()) -> list[str]:
    """Names of the reference phases whose elements all lie in ``elements``.

    Args:
        elements: the chemical system.
        brought: elements whose elemental phase the caller supplies itself (a user's
            phase files), so sselab need not have one.

    Raises:
        ValueError: an element has no elemental reference phase here (nor in ``brought``).

    Example:
        >>> phases_in_system(["Li", "S"])
        ['Li', 'Li2S', 'Li2S2', 'alpha-S8']
        >>> phases_in_system(["Li", "Se"], brought=["Se"])
        ['Li']
    """
    wanted = set(elements)
    names = [name for name in ALL_BUILDERS if _elements_of_phase(name) <= wanted]
    elemental = {
        el
        for name in names
        for el in _elements_of_phase(name)
        if len(_elements_of_phase(name)) == 1
    }
    missing = sorted(wanted - elemental - set(brought))
    if missing:
        raise ValueError(
            f"no elemental reference phase for {missing}; sselab.thermo covers "
            f"{sorted(_covered_elements())}"
        )
    return sorted(names)


def _covered_elements() -> set[str]:
    return {
        el
        for name in ALL_BUILDERS
        for el in _elements_of_phase(name)
        if len(_elements_of_phase(name)) == 1
    }


def phase_diagram_for(
    elements: Iterable[str],
    settings: HullSettings = QUICK,
    scheme: str = "raw",
    store: Any | None = None,
    extra_entries: Sequence[ComputedStructureEntry] = (),
) -> PhaseDiagram:
    """MLIP phase diagram of a chemical system from all covered reference phases.

    Args:
        elements: element symbols spanning the system, e.g. ["Li", "N", "S", "In"].
        settings: model and relaxation settings.
        scheme: energy scheme ("raw" or "mp2020").
        store: optional ResultStore.
        extra_entries: further entries (e.g. a relaxed electrolyte).

    Example:
        >>> pd = phase_diagram_for(["Li", "S"])  # doctest: +SKIP
        >>> sorted(e.composition.reduced_formula for e in pd.stable_entries)  # doctest: +SKIP
        ['Li', 'Li2S', 'S']
    """
    names = phases_in_system(elements)
    energies = relax_phases(
        {n: reference_structure(n) for n in names},
        model=settings.model,
        fmax=settings.fmax_eV_per_angstrom,
        max_steps=settings.max_steps,
        store=store,
    )
    return PhaseDiagram(entries_from_energies(energies, scheme) + list(extra_entries))


def structure_entry(
    structure: Structure,
    name: str,
    settings: HullSettings = QUICK,
    scheme: str = "raw",
    store: Any | None = None,
) -> ComputedStructureEntry:
    """Relax an ordered structure with the MLIP and return it as an entry.

    Example:
        >>> from sselab.thermo.anodes import litis2
        >>> entry = structure_entry(litis2(), "LiTiS2")  # doctest: +SKIP
    """
    energy = relax_phases(
        {name: structure},
        model=settings.model,
        fmax=settings.fmax_eV_per_angstrom,
        max_steps=settings.max_steps,
        store=store,
    )[name]
    return to_entry(name, energy.structure, energy.energy_eV, scheme)


def elements_of(*compositions: Composition | str) -> list[str]:
    """Sorted element symbols of the given compositions.

    Example:
        >>> elements_of("Li5NS", "LiIn")
        ['In', 'Li', 'N', 'S']
    """
    return sorted({el.symbol for c in compositions for el in Composition(c).elements})
