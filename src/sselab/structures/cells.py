"""Cell bookkeeping shared by every stage: supercell for a target x, anion sublattice constant.

These live in the base layer because the hull, the lattice table, CI-NEB and
BVSE all need them and science must not import orchestration.
"""

from __future__ import annotations

import math

import numpy as np
from pymatgen.core import Structure

# Diagonal supercells of the conventional cell, by number of anion (4a) sites.
SUPERCELLS: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (2, 1, 1), (2, 2, 1), (2, 2, 2))


def supercell_for_x(
    x: float, max_anions: int = 16, tolerance: float = 0.03
) -> tuple[tuple[int, int, int], float]:
    """Smallest supercell whose anion count makes x an integer fraction within ``tolerance``.

    Returns (supercell, realised x). Falls back to the closest realisable x among the
    allowed supercells when none is within tolerance.

    Example:
        >>> supercell_for_x(0.5)
        ((1, 1, 1), 0.5)
        >>> supercell_for_x(0.4)
        ((2, 1, 1), 0.375)
    """
    allowed = [s for s in SUPERCELLS if 4 * int(np.prod(s)) <= max_anions]
    if not allowed:
        raise ValueError(f"max_anions = {max_anions} allows no supercell (minimum 4)")
    options = []
    for cell in allowed:
        n_anions = 4 * int(np.prod(cell))
        realised = round(x * n_anions) / n_anions
        options.append((abs(realised - x), cell, realised))
        if abs(realised - x) <= tolerance and (x == 0 or realised > 0):
            return cell, realised
    _, cell, realised = min(options, key=lambda o: o[0])
    return cell, realised


def anion_indices(structure: Structure, mobile: str = "Li") -> np.ndarray:
    """Indices of the anion sublattice: every site whose element is not ``mobile``.

    Example:
        >>> from sselab.structures import antifluorite
        >>> anion_indices(antifluorite(0.0)).size
        4
    """
    indices = np.array([i for i, site in enumerate(structure) if site.specie.symbol != mobile])
    if indices.size == 0:
        raise ValueError(f"{structure.composition.reduced_formula} has no anions besides {mobile}")
    return indices


def pseudo_cubic_a(structure: Structure, mobile: str = "Li", n_anions: int | None = None) -> float:
    """Edge in Å of the cubic antifluorite cell with the same volume per anion (4 per a^3).

    Anions are the sites whose element is not ``mobile`` unless ``n_anions`` is given,
    so any N/S ordering, relaxation, cell shape or supercell gives the fcc constant.

    Example:
        >>> from sselab.structures import antifluorite
        >>> round(pseudo_cubic_a(antifluorite(0.0, a=5.7) * (2, 1, 1)), 3)
        5.7
    """
    if n_anions is None:
        n_anions = anion_indices(structure, mobile).size
    return float((4 * structure.volume / n_anions) ** (1 / 3))


def perpendicular_heights_angstrom(matrix: np.ndarray) -> list[float]:
    """Distances between opposite faces of a cell (rows of ``matrix`` are the vectors), Å.

    Example:
        >>> [round(h, 3) for h in perpendicular_heights_angstrom(np.diag([3.0, 4.0, 5.0]))]
        [3.0, 4.0, 5.0]
    """
    volume = abs(float(np.linalg.det(matrix)))
    return [
        volume / float(np.linalg.norm(np.cross(matrix[(i + 1) % 3], matrix[(i + 2) % 3])))
        for i in range(3)
    ]


# Above this many cells ASE's shape search is slow (seconds) and the MD cell would be
# far beyond what a CPU screen can afford anyway.
MAX_MD_SUPERCELL_CELLS = 64


def md_supercell(structure: Structure, min_height_angstrom: float) -> Structure:
    """Smallest near-cubic supercell whose face-to-face heights are all >= ``min_height``.

    A primitive cell of a rock salt (2 atoms, 2.3 Å between faces) cannot host a Li hop
    with its periodic images out of the way; diagonal repeats of such skewed cells grow
    fast, so the shape comes from ASE's ``find_optimal_cell_shape`` (closest to simple
    cubic for 2, 3, ... cells), the first size that reaches the height.

    Raises:
        ValueError: ``min_height_angstrom`` needs more than ``MAX_MD_SUPERCELL_CELLS`` cells.

    Example:
        >>> from pymatgen.core import Lattice
        >>> rocksalt = Structure(Lattice.from_parameters(2.85, 2.85, 2.85, 60, 60, 60),
        ...                      ["Li", "F"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        >>> cell = md_supercell(rocksalt, 7.0)
        >>> len(cell), min(perpendicular_heights_angstrom(cell.lattice.matrix)) >= 7.0
        (50, True)
    """
    from ase.build import find_optimal_cell_shape

    matrix = structure.lattice.matrix
    if min(perpendicular_heights_angstrom(matrix)) >= min_height_angstrom:
        return structure.copy()
    # A cell's heights multiply to at most its volume (Hadamard's inequality on the
    # face areas), so no supercell of fewer than height^3 / volume cells can reach the
    # height: the search (about a second per size) starts there.
    fewest = max(2, math.ceil(min_height_angstrom**3 / structure.volume - 1e-9))
    for n_cells in range(fewest, MAX_MD_SUPERCELL_CELLS + 1):
        shape = np.asarray(find_optimal_cell_shape(matrix, n_cells, "sc", verbose=False))
        if min(perpendicular_heights_angstrom(shape @ matrix)) >= min_height_angstrom:
            return structure.make_supercell(shape, in_place=False)
    raise ValueError(
        f"{structure.composition.reduced_formula}: face-to-face heights >= "
        f"{min_height_angstrom} Å need more than {MAX_MD_SUPERCELL_CELLS} cells"
    )
