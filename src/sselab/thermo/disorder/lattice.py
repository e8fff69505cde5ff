"""The lattice model of Li(2+x)N(x)S(1-x): two coupled sublattices in a fixed Li2S frame.

Sites of a diagonal supercell of the conventional antifluorite cell (constant a):

* anion sites (4a): S or N, spin +1 / -1;
* interstitial sites, one per octahedral cage (4b): empty or extra Li, spin +1 / -1;
* the eight 8c Li per conventional cell, always occupied (not configurational).

Each N brings one extra Li (charge balance), so a configuration has as many filled
cages as N. The extra Li does not sit at the cage centre: CHGNet relaxations of the
x = 0.5 orderings put it on 24e, (u, 0, 0) from one anion (``INTERSTITIAL_U`` in
``sselab.structures.antifluorite``). One Li per cage (24e sites of one cage are
0.9 Å apart), so the cage is the lattice site and :func:`to_structure` places the Li
towards a neighbouring N (the relaxed cells bind it to N). Correlations use the ideal
lattice, energies the relaxed cells, as in every cluster expansion.

Example:
    >>> config = Configuration((1, 1, 1), "NNSS", "LLvv")
    >>> config.x, config.is_charge_balanced
    (0.5, True)
    >>> to_structure(config, 5.44).composition.formula
    'Li10 S2 N2'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pymatgen.core import Lattice, Species, Structure

from sselab.roundtrip import RoundTrip
from sselab.structures.antifluorite import INTERSTITIAL_U

ANION_SITES = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
CAGE_SITES = ANION_SITES + np.array([0.5, 0, 0])  # 4b: (1/2, 0, 0) + fcc
TETRAHEDRAL_SITES = np.concatenate([ANION_SITES + 0.25, ANION_SITES + 0.75]) % 1.0
ANION_SPECIES = {"S": 1, "N": -1}
CAGE_SPECIES = {"v": 1, "L": -1}  # vacancy, extra Li


def _tile(sites: np.ndarray, supercell: tuple[int, int, int]) -> np.ndarray:
    """Fractional coordinates of ``sites`` (conventional) repeated over a diagonal supercell."""
    shifts = np.array([(i, j, k) for i in range(supercell[0]) for j in range(supercell[1])
                       for k in range(supercell[2])])  # fmt: skip
    tiled = (sites[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    return np.asarray(tiled / np.array(supercell), dtype=float)


def anion_frac(supercell: tuple[int, int, int]) -> np.ndarray:
    """Anion (4a) sites of a diagonal supercell, fractional (``Configuration.anions`` order).

    Example:
        >>> anion_frac((2, 1, 1)).shape
        (8, 3)
    """
    return _tile(ANION_SITES, supercell)


def cage_frac(supercell: tuple[int, int, int]) -> np.ndarray:
    """Cage (4b) sites of a diagonal supercell, fractional (``Configuration.cages`` order).

    Example:
        >>> cage_frac((1, 1, 1))[0].tolist()
        [0.5, 0.0, 0.0]
    """
    return _tile(CAGE_SITES, supercell)


@dataclass
class Configuration(RoundTrip):
    """One decoration of the lattice model.

    Attributes:
        supercell: diagonal multiples of the conventional cell.
        anions: one letter per anion site, "S" or "N" (order of :func:`anion_frac`).
        cages: one letter per cage, "L" (extra Li) or "v" (empty) (order of :func:`cage_frac`).
    """

    supercell: tuple[int, int, int]
    anions: str
    cages: str

    def __post_init__(self) -> None:
        n = 4 * int(np.prod(self.supercell))
        if len(self.anions) != n or len(self.cages) != n:
            raise ValueError(f"supercell {self.supercell} has {n} anion and {n} cage sites")
        if set(self.anions) - set(ANION_SPECIES) or set(self.cages) - set(CAGE_SPECIES):
            raise ValueError("anions take 'S'/'N', cages 'L'/'v'")

    @property
    def n_sites(self) -> int:
        """Anion sites (= cages = formula units)."""
        return len(self.anions)

    @property
    def x(self) -> float:
        """N fraction on the anion sites."""
        return self.anions.count("N") / self.n_sites

    @property
    def is_charge_balanced(self) -> bool:
        """One extra Li per N."""
        return self.anions.count("N") == self.cages.count("L")

    @cached_property
    def spins(self) -> np.ndarray:
        """Spins, anions first then cages (S, vacancy: +1; N, Li: -1)."""
        return np.array(
            [ANION_SPECIES[c] for c in self.anions] + [CAGE_SPECIES[c] for c in self.cages],
            dtype=np.int8,
        )

    @classmethod
    def from_spins(cls, supercell: tuple[int, int, int], spins: np.ndarray) -> Configuration:
        """Inverse of :attr:`spins`.

        Example:
            >>> c = Configuration((1, 1, 1), "NSSS", "vvLv")
            >>> Configuration.from_spins((1, 1, 1), c.spins) == c
            True
        """
        n = len(spins) // 2
        anions = "".join("S" if s > 0 else "N" for s in spins[:n])
        cages = "".join("v" if s > 0 else "L" for s in spins[n:])
        return cls(tuple(int(m) for m in supercell), anions, cages)  # type: ignore[arg-type]


def random_configuration(
    supercell: tuple[int, int, int], n_nitrogen: int, rng: np.random.Generator
) -> Configuration:
    """Uniformly random charge-balanced decoration with ``n_nitrogen`` N and as many extra Li.

    Example:
        >>> c = random_configuration((2, 1, 1), 3, np.random.default_rng(0))
        >>> c.anions.count("N"), c.cages.count("L")
        (3, 3)
    """
    n = 4 * int(np.prod(supercell))
    if not 0 <= n_nitrogen <= n:
        raise ValueError(f"{n_nitrogen} N do not fit on {n} anion sites")
    anions = np.array(["S"] * n)
    anions[rng.choice(n, n_nitrogen, replace=False)] = "N"
    cages = np.array(["v"] * n)
    cages[rng.choice(n, n_nitrogen, replace=False)] = "L"
    return Configuration(supercell, "".join(anions), "".join(cages))


def to_structure(config: Configuration, a: float, u: float = INTERSTITIAL_U) -> Structure:
    """Ordered cell of a configuration, with oxidation states, as an MLIP relaxation start.

    The extra Li of a cage sits on 24e, ``u`` a from one of the cage's six anions
    (the first N among them, else the first S): relaxed cells bind it to N.

    Args:
        config: decoration.
        a: conventional lattice constant in Å.
        u: 24e coordinate (distance to the anion in units of a).

    Example:
        >>> s = to_structure(Configuration((1, 1, 1), "NSSS", "Lvvv"), 5.5)
        >>> li = [i for i, site in enumerate(s) if site.specie.symbol == "Li"][-1]
        >>> round(float(min(s.get_distance(li, j) for j in range(4))) / 5.5, 3)  # INTERSTITIAL_U
        0.38
    """
    supercell = np.array(config.supercell)
    lattice = Lattice.cubic(a).matrix * supercell[:, None]
    anions = anion_frac(config.supercell)
    cages = cage_frac(config.supercell)
    species: list[Species] = [
        Species("S", -2) if c == "S" else Species("N", -3) for c in config.anions
    ]
    coords = list(anions)
    tetrahedral = _tile(TETRAHEDRAL_SITES, config.supercell)
    species += [Species("Li", 1)] * len(tetrahedral)
    coords += list(tetrahedral)
    step = 1.0 / supercell  # conventional cell in supercell fractions
    for cage, occupant in zip(cages, config.cages, strict=True):
        if occupant != "L":
            continue
        # The six anions of a cage sit at +-a/2 along each axis.
        neighbours = []
        for axis in range(3):
            for sign in (-1, 1):
                offset = np.zeros(3)
                offset[axis] = sign * 0.5 * step[axis]
                anion = (cage + offset) % 1.0
                k = int(np.argmin(np.linalg.norm((anions - anion + 0.5) % 1.0 - 0.5, axis=1)))
                neighbours.append((config.anions[k] != "N", axis * 2 + (sign > 0), offset))
        _, _, offset = min(neighbours, key=lambda n: (n[0], n[1]))
        # From the anion at cage + offset, u a back towards the cage centre.
        coords.append((cage + offset * (1 - 2 * u)) % 1.0)
        species.append(Species("Li", 1))
    return Structure(lattice, species, coords)


__all__ = [
    "ANION_SPECIES",
    "CAGE_SPECIES",
    "Configuration",
    "anion_frac",
    "cage_frac",
    "random_configuration",
    "to_structure",
]
