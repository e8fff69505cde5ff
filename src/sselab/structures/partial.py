"""Structures from the wild: oxidation states and ordered supercells of partially occupied cells.

Oxidation states come, in this order of preference, from the user (per element), from
the file (a CIF's ``_atom_type_oxidation_number``) or from a guess. pymatgen's
``BVAnalyzer`` and ``Composition.oxi_state_guesses`` refuse partial occupancies
("Charge balance analysis requires integer values in Composition!"); the guess here
works on the site-averaged composition directly: every element takes one of its
common oxidation states (pymatgen's ``Element.common_oxidation_states``), the
combinations that neutralise the site-averaged cell within ``CHARGE_TOLERANCE`` of its
cation charge are kept (CIFs round occupancies), and the one with the smallest
imbalance, then the smallest total |charge| wins. The most electronegative element
must be an anion and the least electronegative a cation. Alkali, alkaline-earth and
the first halide take their only sensible state, so a sulfide-chloride or an oxide
with sulfur (S+6 in sulfate) is resolved by neutrality alone; so is H (+1 in LiOH,
-1 in LiBH4). Mixed valence written in a file (Fe2+ and Fe3+) that no one state per
element neutralises is refused by name.

Ordered supercells: the smallest supercell of the primitive cell (diagonal, at most
``max_atoms`` atoms) in which every partial occupancy times its site count is an
integer within ``occupancy_tolerance`` (absolute occupancy), charge-balanced by
moving the counts with the largest rounding residual; then ``n_candidates`` random
decorations that keep partially occupied alternatives (split sites) at least
``MIN_SPLIT_DISTANCE_ANGSTROM`` apart where they can, ranked by Ewald energy.

Example:
    >>> from pymatgen.core import Lattice, Structure
    >>> cell = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.8), [{"S": 0.5, "Se": 0.5}, "Li"],
    ...                                  [[0, 0, 0], [0.25, 0.25, 0.25]])
    >>> guess_oxidation_states(cell.composition)
    {'Li': 1, 'S': -2, 'Se': -2}
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pymatgen.core import Composition, Element, Species, Structure

from sselab.roundtrip import RoundTrip
from sselab.structures.orderings import ewald_energy_per_atom

# Net charge of the site-averaged cell allowed, as a fraction of its total cation
# charge: CIF occupancies are rounded to 2-3 digits (cubic LLZO's 0.56/0.44 Li leave
# 0.3 e of 448 e).
CHARGE_TOLERANCE = 0.02
MAX_ATOMS = 200
OCCUPANCY_TOLERANCE = 0.03
# Split positions of one ion (argyrodite Li 48h pairs, 1.0-1.8 Å apart) are never
# both filled in a physical ordering.
MIN_SPLIT_DISTANCE_ANGSTROM = 1.9
# H is not here: it is +1 in hydroxides and amides (LiOH, LiNH2) but -1 in the hydride
# and borohydride conductors (LiH, LiBH4, LiAlH4); neutrality decides between them.
_ONLY_STATE = {
    **{e: 1 for e in ("Li", "Na", "K", "Rb", "Cs")},
    **{e: 2 for e in ("Be", "Mg", "Ca", "Sr", "Ba")},
}


class OxidationStateError(ValueError):
    """No charge-neutral oxidation states; the message names the source and the element."""


def _electronegativity(element: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # noble gases: "No Pauling electronegativity"
        value = Element(element).X
    return 0.0 if math.isnan(value) else float(value)


def _states(element: str) -> tuple[int, ...]:
    if element in _ONLY_STATE:
        return (_ONLY_STATE[element],)
    return tuple(int(s) for s in Element(element).common_oxidation_states)


def guess_oxidation_states(composition: Composition, source: str = "structure") -> dict[str, int]:
    """One integer oxidation state per element that neutralises a (site-averaged) composition.

    Args:
        composition: element amounts, fractional amounts allowed (partial occupancies).
        source: what to name in errors (a file path).

    Returns:
        element symbol -> oxidation state.

    Raises:
        OxidationStateError: an element has no common oxidation state, or no combination
            is neutral; the message names ``source`` and the element.

    Example:
        >>> guess_oxidation_states(Composition({"Li": 6, "P": 1, "S": 5, "Cl": 1}))
        {'Cl': -1, 'Li': 1, 'P': 5, 'S': -2}
        >>> guess_oxidation_states(Composition("Li2SO4"))["S"]
        6
    """
    amounts = {str(e): float(a) for e, a in composition.element_composition.items() if a > 0}
    elements = sorted(amounts)
    for element in elements:
        if not _states(element):
            raise OxidationStateError(
                f"{source}: element {element} has no common oxidation state; give one "
                f"(oxidation_states = {{{element} = ...}})"
            )
    anion = max(elements, key=_electronegativity)
    cation = min(elements, key=_electronegativity)
    best: tuple[tuple[float, float], dict[str, int]] | None = None
    for combo in itertools.product(*(_states(e) for e in elements)):
        states = dict(zip(elements, combo, strict=True))
        if len(elements) > 1 and (states[anion] >= 0 or states[cation] <= 0):
            continue
        net = sum(amounts[e] * s for e, s in states.items())
        positive = sum(amounts[e] * s for e, s in states.items() if s > 0)
        if positive == 0 or abs(net) > CHARGE_TOLERANCE * positive:
            continue
        key = (round(abs(net), 6), sum(amounts[e] * abs(s) for e, s in states.items()))
        if best is None or key < best[0]:
            best = (key, states)
    if best is None:
        raise OxidationStateError(f"{source}: {_unbalanced(amounts, anion, cation)}")
    return best[1]


def _unbalanced(amounts: Mapping[str, float], anion: str, cation: str) -> str:
    """Name the element that cannot be balanced: among those with a choice of states (all,
    if none has), the one whose required state is furthest from any of its common states
    when every other element takes its first common state."""
    worst: tuple[float, str] = (-1.0, "")
    ambiguous = [e for e in amounts if len(_states(e)) > 1] or list(amounts)
    for element in ambiguous:
        others = sum(
            amounts[e] * (_states(e)[0] if e != anion else min(_states(e)))
            for e in amounts
            if e != element
        )
        need = -others / amounts[element]
        miss = min(abs(need - s) for s in _states(element))
        if miss > worst[0]:
            worst = (miss, f"{element} would need {need:+.2f} (common: {_states(element)})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # noble gases have no electronegativity
        formula = Composition(amounts).reduced_formula
    return (
        f"no charge-neutral oxidation states for {formula}: {worst[1]}; give them per element "
        f"(oxidation_states = {{{anion} = ..., {cation} = ...}})"
    )


def file_oxidation_states(structure: Structure) -> dict[str, int] | None:
    """Oxidation states written in the file (every species decorated), else None.

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure(Lattice.cubic(4.0), ["Li+", "F-"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        >>> file_oxidation_states(cell)
        {'F': -1, 'Li': 1}
    """
    states = _states_in_file(structure)
    if states is None or any(
        len(found) > 1 or not min(found).is_integer() for found in states.values()
    ):
        return None  # mixed valence: one state per element is what BVSE tables are keyed by
    return {e: int(found.pop()) for e, found in sorted(states.items())}


def _states_in_file(structure: Structure) -> dict[str, set[float]] | None:
    """Element -> the oxidation states its species carry; None if a species has none."""
    states: dict[str, set[float]] = {}
    for species in structure.composition:
        if (oxi := getattr(species, "oxi_state", None)) is None:
            return None
        states.setdefault(species.symbol, set()).add(float(oxi))
    return states


def _mixed_valence(structure: Structure) -> str:
    """The elements a file decorates with two or more oxidation states, in words ("" if none).

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure(Lattice.cubic(4.0), [{"Fe2+": 0.5, "Fe3+": 0.5}, "O2-"],
        ...                  [[0, 0, 0], [0.5, 0.5, 0.5]])
        >>> _mixed_valence(cell)
        'Fe as +2 and +3'
    """
    return "; ".join(
        f"{element} as " + " and ".join(f"{q:+g}" for q in sorted(found))
        for element, found in sorted((_states_in_file(structure) or {}).items())
        if len(found) > 1
    )


@dataclass
class OxidationStates(RoundTrip):
    """Oxidation states of one structure and where they came from.

    Attributes:
        states: element -> integer oxidation state.
        origin: "given" (user), "file" (the CIF) or "guess" (:func:`guess_oxidation_states`).
        net_charge_e: charge of the site-averaged cell with these states (e).
    """

    states: dict[str, int]
    origin: str
    net_charge_e: float

    def label(self) -> str:
        """Compact text, e.g. ``Li+1 S-2 (guess)``.

        Example:
            >>> OxidationStates({"Li": 1, "S": -2}, "guess", 0.0).label()
            'Li+1 S-2 (guess)'
        """
        return " ".join(f"{e}{s:+d}" for e, s in self.states.items()) + f" ({self.origin})"


def oxidation_states(
    structure: Structure,
    source: str = "structure",
    given: Mapping[str, float] | None = None,
) -> OxidationStates:
    """Oxidation states of a (possibly disordered) structure: given, else the file's, else guessed.

    Raises:
        OxidationStateError: a given element is missing or not an integer, or no guess
            exists; the message names ``source`` and the element.

    Example:
        >>> from sselab.structures import antifluorite
        >>> oxidation_states(antifluorite(0.5)).label()
        'Li+1 N-3 S-2 (file)'
    """
    elements = sorted({sp.symbol for sp in structure.composition})
    if given:
        missing = [e for e in elements if e not in given]
        if missing:
            raise OxidationStateError(
                f"{source}: oxidation_states gives no state for {', '.join(missing)}"
            )
        for element, state in given.items():
            if not float(state).is_integer():
                raise OxidationStateError(
                    f"{source}: oxidation state {state} of {element} is not an integer"
                )
        states = {e: int(given[e]) for e in elements}
        origin = "given"
    elif (found := file_oxidation_states(structure)) is not None:
        states, origin = found, "file"
    else:
        try:
            states = guess_oxidation_states(structure.composition, source)
        except OxidationStateError as exc:
            if mixed := _mixed_valence(structure):
                raise OxidationStateError(
                    f"{source}: the file gives {mixed} (mixed valence): BVSE and the "
                    "orderings take one integer state per element, and a mixed-valence "
                    "compound conducts electrons, so it is not screened as an electrolyte"
                ) from exc
            raise
        origin = "guess"
    composition = structure.composition.element_composition
    net = sum(float(composition[e]) * s for e, s in states.items())
    return OxidationStates(dict(sorted(states.items())), origin, round(net, 6))


def decorate(structure: Structure, states: OxidationStates) -> Structure:
    """A copy of ``structure`` with every species carrying its oxidation state.

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure(Lattice.cubic(4.0), ["Li", "F"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        >>> str(decorate(cell, OxidationStates({"Li": 1, "F": -1}, "given", 0.0))[0].specie)
        'Li+'
    """
    plain = structure.copy()
    plain.remove_oxidation_states()
    plain.add_oxidation_state_by_element({e: float(q) for e, q in states.states.items()})
    return plain


# ------------------------------------------------------------------------ ordering


@dataclass
class OrderedSupercells(RoundTrip):
    """Ordered supercells of a disordered structure, lowest Ewald energy first.

    Attributes:
        structures: the ordered cells (oxidation states set).
        ewald_eV_per_atom: Ewald energy of each.
        scaling: supercell of the primitive cell, along its a, b, c.
        occupancy_error: largest |realised - CIF| occupancy over all partial sites
            (absolute); the tolerance the supercell was chosen for is ``tolerance``.
        tolerance: occupancy tolerance asked for.
        n_candidates: random decorations ranked.
    """

    structures: list[Structure]
    ewald_eV_per_atom: list[float]
    scaling: tuple[int, int, int]
    occupancy_error: float
    tolerance: float
    n_candidates: int


@dataclass
class _Group:
    """Sites sharing one partial occupancy (a Wyckoff orbit, usually)."""

    indices: list[int]
    occupancy: dict[Any, float]  # Species -> occupancy


def _is_partial(site: Any) -> bool:
    return len(site.species) > 1 or sum(site.species.values()) < 1.0 - 1e-6


def _groups(structure: Structure) -> list[_Group]:
    groups: dict[tuple, _Group] = {}
    for i, site in enumerate(structure):
        if not _is_partial(site):
            continue
        key = tuple(sorted((str(sp), round(float(a), 4)) for sp, a in site.species.items()))
        occupancy = {sp: float(a) for sp, a in site.species.items()}
        groups.setdefault(key, _Group([], occupancy)).indices.append(i)
    return list(groups.values())


def _charge(species: Any) -> float:
    return float(getattr(species, "oxi_state", 0) or 0)


def _counts(
    groups: list[_Group], multiplicity: int, fixed_charge: float
) -> tuple[list[dict[Species, int]], float]:
    """Rounded counts per group and species making the cell neutral; the largest occupancy error.

    ``fixed_charge`` is the charge of the fully occupied sites. Charge is balanced by
    moving single ions whose count ends closest to its occupancy, in the direction that
    reduces the imbalance (error inf where that fails).
    """
    counts = []
    for group in groups:
        n = len(group.indices) * multiplicity
        counts.append({sp: round(p * n) for sp, p in group.occupancy.items()})
    for _ in range(64):
        net = fixed_charge + sum(_charge(sp) * c for group in counts for sp, c in group.items())
        if abs(net) < 0.5:
            break
        best: tuple[float, int, Species, int] | None = None
        for k, (group, count) in enumerate(zip(groups, counts, strict=True)):
            n = len(group.indices) * multiplicity
            for sp, p in group.occupancy.items():
                q = _charge(sp)
                if q == 0 or abs(q) > abs(net) + 0.5:
                    continue
                step = -1 if q * net > 0 else 1
                if count[sp] + step < 0 or (step > 0 and sum(count.values()) >= n):
                    continue
                residual = (count[sp] + step) / n - p
                if best is None or abs(residual) < best[0]:
                    best = (abs(residual), k, sp, step)
        if best is None:
            return counts, math.inf
        counts[best[1]][best[2]] += best[3]
    else:
        return counts, math.inf
    error = max(
        (
            abs(count[sp] / (len(g.indices) * multiplicity) - p)
            for g, count in zip(groups, counts, strict=True)
            for sp, p in g.occupancy.items()
        ),
        default=0.0,
    )
    return counts, error


def _fixed_charge(structure: Structure) -> float:
    return float(sum(_charge(site.specie) for site in structure if not _is_partial(site)))


def _scalings(
    lattice_abc: tuple[float, float, float], max_multiplicity: int
) -> list[tuple[int, ...]]:
    """Diagonal scalings by multiplicity, then by how far from isotropic the supercell is."""
    out = [
        s
        for s in itertools.product(range(1, max_multiplicity + 1), repeat=3)
        if math.prod(s) <= max_multiplicity
    ]

    def anisotropy(s: tuple[int, ...]) -> float:
        lengths = [n * a for n, a in zip(s, lattice_abc, strict=True)]
        return max(lengths) / min(lengths)

    return sorted(out, key=lambda s: (math.prod(s), anisotropy(s), s))


def choose_supercell(
    structure: Structure,
    max_atoms: int = MAX_ATOMS,
    occupancy_tolerance: float = OCCUPANCY_TOLERANCE,
) -> tuple[tuple[int, int, int], float]:
    """Smallest diagonal supercell whose partial occupancies become integers within tolerance.

    Args:
        structure: oxidation-state-decorated, site-averaged cell.
        max_atoms: atom budget of the ordered cell.
        occupancy_tolerance: largest allowed |realised - given| occupancy.

    Returns:
        (scaling, occupancy error); where no supercell within the budget meets the
        tolerance, the one with the smallest error (which the caller reports).

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.8),
        ...     [{"S2-": 0.5, "Se2-": 0.5}, "Li+"], [[0, 0, 0], [0.25, 0.25, 0.25]])
        >>> choose_supercell(cell.get_primitive_structure())
        ((1, 1, 2), 0.0)
    """
    groups = _groups(structure)
    if not groups:
        return (1, 1, 1), 0.0
    fixed = _fixed_charge(structure)
    atoms_per_cell = max(sum(sum(s.species.values()) for s in structure), 1.0)
    max_multiplicity = max(1, int(max_atoms // atoms_per_cell))
    best: tuple[float, tuple[int, int, int]] | None = None
    for scaling in _scalings(structure.lattice.abc, max_multiplicity):
        _, error = _counts(groups, math.prod(scaling), fixed * math.prod(scaling))
        s3 = (scaling[0], scaling[1], scaling[2])
        if error <= occupancy_tolerance + 1e-9:
            return s3, error
        if best is None or error < best[0] - 1e-9:
            best = (error, s3)
    assert best is not None
    return best[1], best[0]


def _decorations(
    supercell: Structure,
    groups: list[_Group],
    counts: list[dict[Species, int]],
    n: int,
    rng: np.random.Generator,
) -> list[Structure]:
    distances = supercell.distance_matrix
    out = []
    for _ in range(n):
        species: dict[int, Species] = {}
        for group, count in zip(groups, counts, strict=True):
            order = list(rng.permutation(group.indices))
            wanted = [sp for sp, c in count.items() for _ in range(c)]
            rng.shuffle(wanted)
            placed: list[int] = []
            for sp in wanted:
                filled = list(species)
                # prefer a site far from every filled partial site (split alternatives)
                pick = next(
                    (
                        i
                        for i in order
                        if not filled or distances[i, filled].min() >= MIN_SPLIT_DISTANCE_ANGSTROM
                    ),
                    order[0],
                )
                order.remove(pick)
                species[pick] = sp
                placed.append(pick)
        cell = supercell.copy()
        remove = []
        for i in range(len(cell)):
            if i in species:
                cell.replace(i, species[i], properties=None)
            elif _is_partial(cell[i]):
                remove.append(i)
        cell.remove_sites(remove)
        out.append(cell)
    return out


def order_structure(
    structure: Structure,
    n_orderings: int = 3,
    n_candidates: int = 12,
    max_atoms: int = MAX_ATOMS,
    occupancy_tolerance: float = OCCUPANCY_TOLERANCE,
    seed: int = 0,
) -> OrderedSupercells:
    """Ordered supercells of a site-averaged structure, lowest Ewald energy first.

    Args:
        structure: oxidation-state-decorated structure (:func:`decorate`); an ordered
            structure comes back as its primitive cell.
        n_orderings: cells to keep.
        n_candidates: random decorations to rank by Ewald energy.
        max_atoms: atom budget (see :func:`choose_supercell`).
        occupancy_tolerance: absolute occupancy tolerance of the supercell choice.
        seed: random seed.

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.8),
        ...     [{"S2-": 0.5, "Se2-": 0.5}, "Li+"], [[0, 0, 0], [0.25, 0.25, 0.25]])
        >>> out = order_structure(cell, n_orderings=1, n_candidates=2)
        >>> out.structures[0].composition.reduced_formula, out.scaling
        ('Li4SeS', (1, 1, 2))
    """
    primitive = structure.get_primitive_structure()
    if len(primitive) > len(structure):
        primitive = structure
    scaling, error = choose_supercell(primitive, max_atoms, occupancy_tolerance)
    supercell = primitive * scaling
    groups = _groups(supercell)
    if not groups:
        return OrderedSupercells(
            [supercell], [ewald_energy_per_atom(supercell)], scaling, 0.0, occupancy_tolerance, 1
        )
    counts, _ = _counts(groups, 1, _fixed_charge(supercell))
    rng = np.random.default_rng(seed)
    cells = _decorations(supercell, groups, counts, n_candidates, rng)
    energies = [ewald_energy_per_atom(c) for c in cells]
    order = np.argsort(energies)[:n_orderings]
    return OrderedSupercells(
        structures=[cells[i] for i in order],
        ewald_eV_per_atom=[float(energies[i]) for i in order],
        scaling=scaling,
        occupancy_error=round(float(error), 6),
        tolerance=occupancy_tolerance,
        n_candidates=n_candidates,
    )


def clear_mobile_sites(structure: Structure, mobile: str) -> Structure:
    """Drop the other species from sites the mobile ion shares (for a site-averaged BVSE).

    In a site-averaged cell a dopant or host cation sharing the mobile ion's site (Al
    on the 24d Li site of garnets, La on the A site of LLTO) sits, with its fraction,
    on *every* such site, and its screened Coulomb repulsion closes every conduction
    site at once, where the real crystal blocks only that fraction of them. Leaving
    those co-occupants out keeps the conduction sites open; the framework (sites
    without the mobile ion) is unchanged. Found on the validation set (Al-LLZO read
    1.06 eV and LLTO 1.59 eV with them, 0.34 eV for undoped LLZO).

    Example:
        >>> from pymatgen.core import Lattice
        >>> cell = Structure(Lattice.cubic(3.87), [{"La": 0.56, "Li": 0.33}, "Ti", "O", "O", "O"],
        ...                  [[0, 0, 0], [.5, .5, .5], [.5, .5, 0], [.5, 0, .5], [0, .5, .5]])
        >>> clear_mobile_sites(cell, "Li")[0].species.formula
        'Li0.33'
    """
    out = structure.copy()
    for i, site in enumerate(structure):
        species = {sp: a for sp, a in site.species.items() if sp.symbol == mobile}
        if species and len(species) < len(site.species):
            out.replace(i, species, properties=None)
    return out
