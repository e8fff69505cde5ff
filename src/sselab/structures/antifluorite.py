"""Disordered antifluorite solid solutions M(2+x)A'(x)A(1-x), e.g. Li(2+x)N(x)S(1-x).

Fm-3m (No. 225), conventional cubic cell, origin at the anion:

* 4a (0, 0, 0): anion site, A(1-x) A'(x) (S and N for the paper's system);
* 8c (1/4, 1/4, 1/4): regular cation site, fully occupied;
* 24e (u, 0, 0): interstitial cations, occupancy x/6, i.e. the x extra cations per
  formula unit (4x per cell) spread over the 24 sites.

Default u = 0.38 (``INTERSTITIAL_U``), from CHGNet (0.3.0) relaxations of the x = 0.5
orderings of the conventional cell (``enumerate_orderings(antifluorite(0.5, u=0.28),
(1, 1, 1))``, fixed cubic shape, fmax 0.03 eV/Å): in the three cells that stay
antifluorite-like (a = 5.40-5.42 Å) every extra Li ends on 24e, 2.03-2.27 Å from one
N (u = 0.375, 0.375, 0.376, 0.376, 0.392, 0.42; median 0.376), pulled 0.4-0.7 Å from
the octahedral 4b centre (u = 0.5) towards N, never at 4b, 32f or 48g; the fourth
(the lowest energy) reconstructs around a N pair and puts the extra Li between two
N at 2.04/2.08 Å. At a = 5.44 Å u = 0.38 gives 2.07 Å to the anion, a Li–N bond
length (alpha-Li3N: 1.94 and 2.11 Å).

``PAPER_INTERSTITIAL_U = 0.28`` is the height of the difference-Fourier section in
which the paper (Yu et al., JACS 2024, Fig. 3c) shows the interstitial Li density of
Li2.5N0.5S0.5, not a refined coordinate: it puts the Li 1.52 Å from the anion at
a = 5.44 Å, where CHGNet puts 4.2-5.0 eV/Å on it in the four lowest-Ewald x = 0.5
orderings (GPAW: ~6 eV/Å); at u = 0.38 the force is 0.5 eV/Å when it faces N and the
cells are 130 meV/atom lower. Pass ``u=PAPER_INTERSTITIAL_U`` to
build the paper's model; the site is 24e either way, as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymatgen.core import Composition, Lattice, Species, Structure

PAPER_INTERSTITIAL_U = 0.28
INTERSTITIAL_U = 0.38  # see the module docstring
# Room-temperature lattice constants (Å) of antifluorite parents, Wyckoff 1963
# "Crystal Structures" vol. 1 and ICSD; starting guesses for relaxations.
PARENT_A_ANGSTROM = {
    ("Li", "O"): 4.61,
    ("Li", "S"): 5.70,
    ("Li", "Se"): 6.00,
    ("Li", "Te"): 6.52,
    ("Na", "O"): 5.55,
    ("Na", "S"): 6.54,
    ("Na", "Se"): 6.81,
}


@dataclass(frozen=True)
class AntifluoriteChemistry:
    """Ions of an antifluorite pseudo-binary M2A - M3A'.

    Attributes:
        cation: the mobile cation M (charge +1).
        host_anion: A, charge -2 (S, O, Se).
        dopant_anion: A', charge -3 (N).
    """

    cation: str = "Li"
    host_anion: str = "S"
    dopant_anion: str = "N"


KNOWN_ANION_CHARGES = {"O": -2, "S": -2, "Se": -2, "Te": -2, "N": -3, "P": -3}


def _validate_x(x: float) -> None:
    if not 0.0 <= x < 1.0:
        raise ValueError(
            f"x = {x} is outside [0, 1): M(2+x)A'(x)A(1-x) needs 0 < x < 1 "
            "(x = 0 gives the parent antifluorite)"
        )


def antifluorite(
    x: float,
    anions: tuple[str, str] = ("S", "N"),
    cation: str = "Li",
    a: float | None = None,
    u: float = INTERSTITIAL_U,
) -> Structure:
    """Disordered Fm-3m cell of M(2+x)A'(x)A(1-x) with partial occupancies.

    Args:
        x: fraction of the 4a anion site held by the trivalent anion, 0 <= x < 1.
        anions: (divalent host anion, trivalent dopant anion), default ("S", "N").
        cation: monovalent cation, default "Li".
        a: cubic lattice constant in Å. Default: the parent M2A's experimental
            value (``PARENT_A_ANGSTROM``) contracted by 9 % per unit x, a starting
            guess only (the paper: 5.719 -> 5.458 Å at x = 0.5); relax to get a(x).
        u: 24e (u, 0, 0) coordinate of the interstitial cation, i.e. its distance to the
            anion in units of a (default ``INTERSTITIAL_U``; the paper's section height is
            ``PAPER_INTERSTITIAL_U``).

    Returns:
        pymatgen Structure (4a, 8c and, for x > 0, 24e), oxidation states set,
        charge neutral for every x.

    Example:
        >>> s = antifluorite(0.5)
        >>> s.composition.reduced_composition.alphabetical_formula
        'Li5 N1 S1'
        >>> round(s.composition["Li"] / (s.composition["N"] + s.composition["S"]), 3)
        2.5
    """
    _validate_x(x)
    host, dopant = anions
    for anion in anions:
        if anion not in KNOWN_ANION_CHARGES:
            raise ValueError(f"unknown anion '{anion}'; known: {sorted(KNOWN_ANION_CHARGES)}")
    q_host, q_dopant = KNOWN_ANION_CHARGES[host], KNOWN_ANION_CHARGES[dopant]
    if (q_host, q_dopant) != (-2, -3):
        raise ValueError(
            f"anions must be (divalent, trivalent), got {host}{q_host} and {dopant}{q_dopant}"
        )
    if a is None:
        if (cation, host) not in PARENT_A_ANGSTROM:
            raise ValueError(f"no default lattice constant for {cation}2{host}: pass a (Å)")
        a = PARENT_A_ANGSTROM[(cation, host)] * (1 - 0.09 * x)
    if a <= 0:
        raise ValueError(f"lattice constant a = {a} Å must be positive")

    anion_site: dict[Species, float] = {Species(host, -2): 1 - x}
    if x > 0:
        anion_site[Species(dopant, -3)] = x
    species: list[Any] = [anion_site, {Species(cation, 1): 1.0}]
    coords: list[list[float]] = [[0, 0, 0], [0.25, 0.25, 0.25]]
    if x > 0:
        species.append({Species(cation, 1): x / 6})
        coords.append([u, 0, 0])
    structure = Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), species, coords)
    charge = sum(getattr(sp, "oxi_state", 0) * n for sp, n in structure.composition.items())
    if abs(charge) > 1e-8:
        raise AssertionError(f"antifluorite({x}) has charge {charge}")
    return structure


def nominal_composition(
    x: float, anions: tuple[str, str] = ("S", "N"), cation: str = "Li"
) -> Composition:
    """Formula unit M(2+x)A'(x)A(1-x) as a Composition.

    Example:
        >>> nominal_composition(0.5).formula
        'Li2.5 S0.5 N0.5'
    """
    _validate_x(x)
    host, dopant = anions
    return Composition({cation: 2 + x, host: 1 - x, dopant: x})
