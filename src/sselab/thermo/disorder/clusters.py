"""Pair clusters of the lattice model and the correlation functions built on them.

Orbits are pairs of sites grouped by the sublattices they join (anion-anion,
cage-cage, anion-cage) and their ideal distance. On the rocksalt lattice that the
anion and cage sites form, each distance shell within the cutoffs used here (up to
1.25 a) is one Fm-3m orbit, so grouping by distance is the symmetry grouping.
Triplets are left out: pairs keep the Monte Carlo energy change local and cheap, and
the cross-validation error (``sselab.thermo.disorder.cluster_expansion``) says what they miss.

The correlation of an orbit is the mean of s_i s_j over all its pairs (periodic
images included), the point correlation the mean anion spin (with charge balance
the mean cage spin is the same number).

Example:
    >>> from sselab.thermo.disorder.lattice import Configuration
    >>> space = ClusterSpace(cutoff_a=0.75)
    >>> [o.label for o in space.orbits]
    ['anion-cage 0.500a', 'anion-anion 0.707a', 'cage-cage 0.707a']
    >>> space.correlations(Configuration((1, 1, 1), "SSSS", "vvvv")).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from sselab.roundtrip import RoundTrip
from sselab.thermo.disorder.lattice import Configuration, anion_frac, cage_frac

SUBLATTICE_NAMES = ("anion", "cage")
DEFAULT_CUTOFF_A = 1.25


@dataclass(frozen=True)
class PairOrbit:
    """Pairs of one distance joining two sublattices (0 = anion, 1 = cage).

    Attributes:
        sublattices: (first, second), first <= second.
        distance_a: ideal pair distance in units of a.
        multiplicity: neighbours of this orbit per site of the first sublattice.
    """

    sublattices: tuple[int, int]
    distance_a: float
    multiplicity: int

    @property
    def label(self) -> str:
        """e.g. 'anion-cage 0.500a'."""
        first, second = (SUBLATTICE_NAMES[s] for s in self.sublattices)
        return f"{first}-{second} {self.distance_a:.3f}a"


@cache
def _pairs(supercell: tuple[int, int, int], cutoff_a: float) -> dict[tuple, np.ndarray]:
    """All (i, j) site pairs (periodic images as separate pairs) by (sublattices, distance).

    Site indices: anions 0..n-1, cages n..2n-1. Each unordered pair of a same-sublattice
    orbit appears twice (i, j) and (j, i); the correlation is a mean, so this is harmless.
    """
    frac = np.concatenate([anion_frac(supercell), cage_frac(supercell)])
    n = len(frac) // 2
    sublattice = np.repeat([0, 1], n)
    cell = np.array(supercell, dtype=float)  # in units of a
    reach = np.ceil(cutoff_a / cell).astype(int)
    images = np.array(
        [(i, j, k) for i in range(-reach[0], reach[0] + 1)
         for j in range(-reach[1], reach[1] + 1) for k in range(-reach[2], reach[2] + 1)]
    )  # fmt: skip
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for i in range(len(frac)):
        delta = (frac[None, :, :] - frac[i] + images[:, None, :]) * cell  # (images, sites, 3)
        distance = np.linalg.norm(delta, axis=2)
        image_idx, site_idx = np.nonzero((distance > 1e-6) & (distance <= cutoff_a + 1e-6))
        for j, d in zip(site_idx, distance[image_idx, site_idx], strict=True):
            key = (*sorted((int(sublattice[i]), int(sublattice[j]))), round(float(d), 3))
            if sublattice[i] <= sublattice[j]:
                groups.setdefault(key, []).append((i, int(j)))
    return {k: np.array(v) for k, v in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][:2]))}


@dataclass
class ClusterSpace(RoundTrip):
    """Point and pair clusters up to ``cutoff_a`` (units of the conventional a).

    Attributes:
        cutoff_a: longest pair, in units of a (1.25 a: 9 pair orbits).
        orbits: pair orbits, shortest first (derived from the cutoff).
    """

    cutoff_a: float = DEFAULT_CUTOFF_A
    orbits: list[PairOrbit] = field(init=False)

    def __post_init__(self) -> None:
        if not 0.5 <= self.cutoff_a <= 2.0:
            raise ValueError(f"cutoff {self.cutoff_a} a: use 0.5-2 a")
        # Orbits from a cell large enough that no pair meets its own image.
        reference = (4, 4, 4)
        n_sites = 4 * 64
        self.orbits = [
            PairOrbit((k[0], k[1]), k[2], len(p) // n_sites)
            for k, p in _pairs(reference, self.cutoff_a).items()
        ]

    @property
    def labels(self) -> list[str]:
        """Names of the correlation vector entries."""
        return ["empty", "point", *(o.label for o in self.orbits)]

    def pair_table(self, supercell: tuple[int, int, int]) -> list[np.ndarray]:
        """(i, j) pair index arrays of every orbit in a supercell, orbit order.

        Raises:
            ValueError: the supercell has no pair of some orbit (never for the cutoffs
                used here and cells of at least one conventional cell).
        """
        pairs = _pairs(tuple(supercell), self.cutoff_a)
        table = []
        for orbit in self.orbits:
            key = (*orbit.sublattices, orbit.distance_a)
            if key not in pairs:
                raise ValueError(f"supercell {supercell} has no {orbit.label} pairs")
            table.append(pairs[key])
        return table

    def correlations_of_spins(
        self, supercell: tuple[int, int, int], spins: np.ndarray
    ) -> np.ndarray:
        """Correlation vector [1, point, pairs...] of a spin array (anions, then cages).

        Example:
            >>> ClusterSpace(0.75).correlations_of_spins((1, 1, 1), np.ones(8)).tolist()
            [1.0, 1.0, 1.0, 1.0, 1.0]
        """
        spins = np.asarray(spins, dtype=float)
        n = len(spins) // 2
        pairs = [
            float(np.mean(spins[p[:, 0]] * spins[p[:, 1]])) for p in self.pair_table(supercell)
        ]
        return np.array([1.0, float(np.mean(spins[:n])), *pairs])

    def correlations(self, config: Configuration) -> np.ndarray:
        """Correlation vector [1, point, pairs...] of a configuration."""
        return self.correlations_of_spins(config.supercell, config.spins)

    def random_correlations(self, x: float) -> np.ndarray:
        """Correlations of the ideal random alloy at N fraction x: every spin averages 1 - 2x.

        Example:
            >>> ClusterSpace(0.75).random_correlations(0.5).tolist()
            [1.0, 0.0, 0.0, 0.0, 0.0]
        """
        mean = 1 - 2 * x
        return np.array([1.0, mean, *([mean**2] * len(self.orbits))])


__all__ = ["DEFAULT_CUTOFF_A", "ClusterSpace", "PairOrbit"]
