"""Relaxed lattice constant of M(2+x)A'(x)A(1-x) versus x (Vegard plot).

For each x the smallest supercell (of those in ``SUPERCELLS``) that realises x
within a tolerance is ordered, K orderings are relaxed with the MLIP, and the
lowest-energy one gives a(x); the spread over the K orderings goes with it as an
:class:`~sselab.estimate.Estimate` of error kind "spread" (not a measurement error).
Supercells that are not cubic are compared through the
pseudo-cubic constant a = (4 V / n_anion)^(1/3), the edge of a cubic cell with the
same volume per anion.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sselab.calculators.registry import model_label
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.structures import actual_x, antifluorite, lowest_energy_ordering
from sselab.structures.cells import pseudo_cubic_a, supercell_for_x

logger = logging.getLogger(__name__)


@dataclass
class LatticePoint(RoundTrip):
    """a(x) from the relaxed orderings at one composition.

    Attributes:
        x_target: requested x.
        x_actual: x realised by the supercell.
        supercell: diagonal scaling of the conventional cell.
        n_atoms: atoms in the relaxed cell.
        n_orderings: orderings relaxed.
        a_angstrom: pseudo-cubic a of the lowest-energy ordering, with the spread over
            the orderings (error kind "spread"; unknown for one ordering).
        energy_per_atom_best_eV: energy of the lowest-energy ordering.
        all_converged: every relaxation reached fmax.
        model: model label.
        wall_s: seconds spent (0 when served from the store).
    """

    x_target: float
    x_actual: float
    supercell: tuple[int, int, int]
    n_atoms: int
    n_orderings: int
    a_angstrom: Estimate
    energy_per_atom_best_eV: float
    all_converged: bool
    model: str
    wall_s: float


def lattice_point(
    x: float,
    model: str = "chgnet",
    n_orderings: int = 3,
    max_anions: int = 16,
    fmax: float = 0.02,
    seed: int = 0,
    anions: tuple[str, str] = ("S", "N"),
    cation: str = "Li",
    store: Any | None = None,
    max_steps: int = 500,
) -> LatticePoint:
    """Relax K orderings of M(2+x)A'(x)A(1-x) and report a(x) in Å.

    ``max_steps`` is the optimiser's step limit; ``reproduce`` passes the hull's (300
    quick, 800 full) so that the cells both stages relax are one store entry.

    Example:
        >>> p = lattice_point(0.5, n_orderings=1, max_anions=4, fmax=0.05)
        >>> 5.3 < p.a_angstrom.value < 5.7, p.a_angstrom.error_kind
        (True, 'spread')
    """
    cell, realised = supercell_for_x(x, max_anions=max_anions)
    n_anions = 4 * int(np.prod(cell))
    best, relaxed = lowest_energy_ordering(
        antifluorite(realised, anions=anions, cation=cation),
        supercell=cell,
        n_candidates=n_orderings,
        calculator=model,
        seed=seed,
        fmax=fmax,
        max_steps=max_steps,
        store=store,
        # the measured a(x) is that of the cubic solid solution: a small ordered cell
        # must not shear into a layered compound (see sselab.calculators.relax)
        keep_cell_shape=True,
    )
    a_values = np.array([pseudo_cubic_a(r.structure, n_anions=n_anions) for r in relaxed])
    return LatticePoint(
        x_target=x,
        x_actual=actual_x(best.structure, dopant=anions[1], host=anions[0]),
        supercell=cell,
        n_atoms=len(best.structure),
        n_orderings=len(relaxed),
        a_angstrom=Estimate.from_samples(
            a_values, "Å", best=pseudo_cubic_a(best.structure, n_anions=n_anions)
        ),
        energy_per_atom_best_eV=best.energy_per_atom_eV,
        all_converged=all(r.converged for r in relaxed),
        model=model_label(model),
        wall_s=sum(r.wall_s for r in relaxed),
    )


def lattice_vs_x(
    xs: Sequence[float],
    model: str = "chgnet",
    n_orderings: int = 3,
    max_anions: int = 16,
    fmax: float = 0.02,
    seed: int = 0,
    store: Any | None = None,
    max_steps: int = 500,
) -> list[LatticePoint]:
    """a(x) for each x (see :func:`lattice_point`), with a progress bar.

    Example:
        >>> points = lattice_vs_x([0.0, 0.5], n_orderings=1, max_anions=4, fmax=0.05)
        >>> points[1].a_angstrom.value < points[0].a_angstrom.value
        True
    """
    for x in xs:
        if not 0 <= x < 1:
            raise ValueError(f"x = {x} is outside [0, 1)")
    return [
        lattice_point(
            x, model, n_orderings, max_anions, fmax, seed, store=store, max_steps=max_steps
        )
        for x in tqdm(xs, desc="a(x)", unit="x")
    ]


@dataclass
class LatticeScan(RoundTrip):
    """a(x) over compositions: the lattice stage's result (one task payload).

    Attributes:
        points: one :class:`LatticePoint` per x, in the order asked.
    """

    points: list[LatticePoint]

    def closest(self, x: float) -> LatticePoint | None:
        """The point realising ``x`` exactly (to 1e-9), or None.

        Example:
            >>> LatticeScan([]).closest(0.5) is None
            True
        """
        matches = [p for p in self.points if abs(p.x_actual - x) < 1e-9]
        return matches[0] if matches else None
