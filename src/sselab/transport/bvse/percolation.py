"""BVSE percolation: the energies at which the accessible region wraps in 1, 2, 3 directions.

Percolation barriers: the lowest energy E_d above the global grid minimum at which one
connected region {E <= E_d} of the periodic grid (26-neighbour voxels) wraps around the
cell along d independent lattice directions (d = 1, 2, 3). Periodic clusters are found by
labelling a wrap-padded grid (scipy.ndimage.label) and gluing labels across the cell
boundary with a union-find that tracks cell offsets; the rank of the offsets accumulated
on closed loops is the dimensionality. The threshold is bisected over the sorted grid
energies, so it is exact on the grid (BVlain bisects in energy to 0.01 eV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymatgen.core import Structure
from scipy import ndimage

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.bvse.model import DEFAULT_CUTOFF_ANGSTROM, Landscape, bvse_landscape

# Stored BVSE results are BVSEResult.as_dict() of this layout; bump when it changes so
# that an old store row is recomputed instead of misread (3: occupied_site_eV added).
RESULT_LAYOUT = 3


def _wrap_rank(mask: np.ndarray) -> int:
    """Largest number of independent lattice directions a periodic cluster of mask wraps."""
    if not mask.any():
        return 0
    n = np.array(mask.shape)
    padded = np.pad(mask, 1, mode="wrap")
    labels, _ = ndimage.label(padded, structure=np.ones((3, 3, 3), dtype=bool))
    # Each voxel of the padding shell is the image, shifted by ``shift`` cells, of an
    # interior voxel; gluing the two labels with that shift reconnects the cell across
    # its boundary.
    shell = np.ones(padded.shape, dtype=bool)
    shell[1:-1, 1:-1, 1:-1] = False
    shell &= labels > 0
    p = np.argwhere(shell)
    shift = np.floor_divide(p - 1, n)
    interior = np.mod(p - 1, n) + 1
    edges = np.unique(
        np.column_stack([labels[tuple(p.T)], labels[tuple(interior.T)], shift]),
        axis=0,
    )
    parent: dict[int, int] = {}
    offset: dict[int, np.ndarray] = {}  # cell offset of a label relative to its parent

    def find(a: int) -> tuple[int, np.ndarray]:
        total = np.zeros(3, dtype=int)
        path = []
        while parent.get(a, a) != a:
            path.append(a)
            total = total + offset[a]
            a = parent[a]
        acc = total.copy()
        for node in path:  # path compression, keeping offsets relative to the root
            step = offset[node]
            parent[node], offset[node] = a, acc
            acc = acc - step
        return a, total

    wraps: dict[int, list[np.ndarray]] = {}
    for pad_label, int_label, *s in edges:
        # t_pad = t_int - s: the padded copy sits s cells away from the interior voxel.
        ra, ta = find(int(pad_label))
        rb, tb = find(int(int_label))
        want = tb - np.array(s)
        if ra == rb:
            loop = want - ta
            if loop.any():
                wraps.setdefault(ra, []).append(loop)
        else:
            parent[ra], offset[ra] = rb, want - ta
            wraps.setdefault(rb, []).extend(wraps.pop(ra, []))
    return max((int(np.linalg.matrix_rank(np.array(v))) for v in wraps.values() if v), default=0)


def percolation_thresholds(energy: np.ndarray) -> tuple[float, float, float]:
    """Lowest grid energies at which a cluster wraps in 1, 2, 3 directions (eV, as ``energy``).

    One bisection over the sorted grid energies per dimension, sharing evaluations: a
    cluster wrapping in r directions at level E bounds every bracket at once.

    Example:
        >>> grid = np.ones((4, 4, 4))
        >>> grid[:, 0, 0] = 0.0  # a channel along a
        >>> percolation_thresholds(grid)
        (0.0, 1.0, 1.0)
    """
    values = np.unique(energy)
    lo = [0, 0, 0]
    hi = [len(values) - 1] * 3
    while any(l < h for l, h in zip(lo, hi, strict=True)):
        d = next(i for i in (2, 1, 0) if lo[i] < hi[i])
        mid = (lo[d] + hi[d]) // 2
        rank = _wrap_rank(energy <= values[mid])
        for i in range(3):
            if rank >= i + 1:
                hi[i] = min(hi[i], mid)
            else:
                lo[i] = max(lo[i], mid + 1)
    return float(values[lo[0]]), float(values[lo[1]]), float(values[lo[2]])


@dataclass
class BVSEResult(RoundTrip):
    """Percolation barriers of a BVSE landscape (eV above the global minimum).

    Attributes:
        formula: reduced formula of the structure.
        mobile: mobile element.
        convention: "softbv" or "paper".
        resolution_angstrom: requested grid spacing, Å.
        grid_shape: points of the grid along a, b, c.
        barrier_1d_eV, barrier_2d_eV, barrier_3d_eV: lowest energy above the global
            minimum at which a connected region wraps in 1, 2, 3 directions, with its
            grid error (error_kind "resolution", see :func:`percolation_energies`).
        sites: grid minima (:func:`find_sites`).
        occupied_site_eV: the highest grid minimum that a mobile-ion site of the
            structure itself descends into, eV above the global minimum
            (:func:`occupied_site_energy`); None when the structure lists no site of the
            mobile ion. The percolation barriers stay measured from the global minimum.
        landscape: the grid itself; not part of :meth:`as_dict` (tens of MB at 0.1 Å),
            so a store lookup or ``from_dict`` gives None.

    Example:
        >>> from sselab.structures import antifluorite
        >>> r = percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.4)
        >>> r.barrier_3d_eV.unit, r.barrier_3d_eV.error_kind
        ('eV', 'resolution')
        >>> BVSEResult.from_dict(r.as_dict()) == r
        True
    """

    _derived_fields = ("landscape",)

    formula: str
    mobile: str
    convention: str
    resolution_angstrom: float
    grid_shape: tuple[int, int, int]
    barrier_1d_eV: Estimate
    barrier_2d_eV: Estimate
    barrier_3d_eV: Estimate
    sites: list[dict[str, Any]] = field(default_factory=list)
    occupied_site_eV: float | None = None
    landscape: Landscape | None = field(default=None, repr=False, compare=False)


def percolation_energies(landscape: Landscape) -> tuple[Estimate, Estimate, Estimate]:
    """1D/2D/3D percolation barriers (eV above the global minimum) with their grid error.

    The error (error_kind "resolution") is the RMS difference to the same barrier on the
    eight interleaved sub-grids of twice the spacing, divided by 3: the on-grid saddle
    error is O(h^2), so E(2h) - E(h) is about three times the error of E(h).

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> one_d, two_d, three_d = percolation_energies(scape)
        >>> 0.25 < one_d.value < 0.40
        True
    """
    energy = landscape.energy_eV
    fine = np.array(percolation_thresholds(energy)) - energy.min()
    coarse = []
    for offset in np.ndindex(2, 2, 2):
        sub = energy[offset[0] :: 2, offset[1] :: 2, offset[2] :: 2]
        coarse.append(np.array(percolation_thresholds(sub)) - sub.min())
    errors = np.sqrt(np.mean((np.array(coarse) - fine) ** 2, axis=0)) / 3.0
    one_d, two_d, three_d = (
        Estimate.normal(float(value), float(error), "eV", error_kind="resolution")
        for value, error in zip(fine, errors, strict=True)
    )
    return one_d, two_d, three_d


def find_sites(
    landscape: Landscape, window_eV: float = 1.0, merge_angstrom: float = 0.5
) -> list[dict[str, Any]]:
    """Mobile-ion sites: local grid minima within ``window_eV`` of the global minimum.

    Minima closer than ``merge_angstrom`` (periodic) are merged into the lowest one.

    Returns:
        Dicts with ``frac_coords`` and ``energy_eV`` (above the global minimum), lowest
        first.

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> sites = find_sites(scape)  # 4 octahedral 4b voids and 8 tetrahedral 8c sites
        >>> len(sites), sites[0]["energy_eV"], sites[-1]["energy_eV"] > 0.1
        (12, 0.0, True)
    """
    relative = landscape.relative_eV
    is_min = (ndimage.minimum_filter(relative, size=3, mode="wrap") == relative) & (
        relative <= window_eV
    )
    index = np.argwhere(is_min)
    # Lowest first; ties (symmetry-equivalent minima) in grid order, for reproducibility.
    order = np.lexsort((*index.T[::-1], np.round(relative[tuple(index.T)], 6)))
    frac = index[order] / np.array(relative.shape)
    kept: list[int] = []
    lattice = landscape.structure.lattice
    for i in range(len(frac)):
        if kept and np.min(lattice.get_all_distances(frac[i], frac[kept])) < merge_angstrom:
            continue
        kept.append(i)
    return [
        {
            "frac_coords": [round(float(v), 4) for v in frac[i]],
            "energy_eV": round(float(relative[tuple(index[order][i])]), 4),
        }
        for i in kept
    ]


def _downhill(energy: np.ndarray) -> np.ndarray:
    """Flat index of the lowest of each grid point and its 26 periodic neighbours."""
    best = energy.copy()
    shift = np.zeros((*energy.shape, 3), dtype=np.int64)
    for offset in np.ndindex(3, 3, 3):
        step = np.array(offset) - 1
        if not step.any():
            continue
        # rolled[i] = energy[i + step]: the neighbour one step along ``step``
        rolled = np.roll(energy, tuple(-step), axis=(0, 1, 2))
        lower = rolled < best
        best[lower] = rolled[lower]
        shift[lower] = step
    index = np.indices(energy.shape).transpose(1, 2, 3, 0) + shift
    index %= np.array(energy.shape)
    return np.ravel_multi_index(tuple(np.moveaxis(index, -1, 0)), energy.shape).ravel()


def occupied_site_energy(landscape: Landscape) -> float | None:
    """Highest grid minimum occupied by the structure's own mobile ions (eV above the global one).

    Every site of ``landscape.structure`` holding the mobile element (any occupancy) is
    moved to its nearest grid point and then steepest-descent along the 26-neighbour grid
    into a local minimum, so a refined position slightly off the BVSE minimum (or a
    Fourier-peak position too close to an anion) is read at the minimum it belongs to.
    The percolation barriers are measured from the global minimum, which can be an empty
    interstice or a fully occupied site that takes no part in conduction (the 4d Li of
    LGPS); this is the energy of the least-bound site the mobile ions actually occupy,
    i.e. where carriers start in the picture of He, Zhu & Mo, Nat. Commun. 8 (2017) 15893
    (ions on high-energy sites migrate with a lower barrier).

    Returns:
        eV above ``landscape.energy_eV.min()`` (on the grid, as the percolation
        thresholds), or None when the structure has no site of the mobile element.

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> round(occupied_site_energy(scape), 2)  # 8c Li above the empty 4b void
        0.12
    """
    structure = landscape.structure
    frac = np.array(
        [
            site.frac_coords
            for site in structure
            if any(sp.symbol == landscape.mobile for sp in site.species)
        ]
    )
    if not len(frac):
        return None
    energy = landscape.energy_eV
    shape = np.array(energy.shape)
    start = np.mod(np.rint(np.mod(frac, 1.0) * shape).astype(np.int64), shape)
    walkers = np.ravel_multi_index(tuple(start.T), energy.shape)
    downhill = _downhill(energy)
    # Each step strictly lowers the energy, so this ends within the grid size.
    while True:
        moved = downhill[walkers]
        if np.array_equal(moved, walkers):
            break
        walkers = moved
    flat = energy.ravel()
    return float(flat[walkers].max() - flat.min())


def percolation_barriers(
    structure: Structure,
    mobile: str = "Li",
    resolution_angstrom: float = 0.2,
    convention: str = "softbv",
    cutoff_angstrom: float = DEFAULT_CUTOFF_ANGSTROM,
    progress: bool = False,
    store: Any = None,
    max_memory_gb: float | None = None,
) -> BVSEResult:
    """1D, 2D and 3D BVSE percolation barriers of ``mobile`` in ``structure``.

    Args:
        structure: ordered or disordered structure (see ``bvse_landscape``).
        mobile: mobile element, default "Li".
        resolution_angstrom: grid spacing in Å (0.1 for publication, 0.2-0.3 to screen;
            sheared cells, e.g. 60° primitive cells, need about 0.6x the spacing of a
            cubic cell for the same accuracy).
        convention: "softbv" (default) or "paper" (docs/bvse_convention.md).
        cutoff_angstrom: interaction cutoff in Å.
        progress: show a progress bar while the grid is computed.
        store: optional ``sselab.store.ResultStore``; a repeated call is a
            lookup and then returns no landscape (``landscape=None``).
        max_memory_gb: memory limit in GiB for the grid (see ``bvse_landscape``).

    Returns:
        BVSEResult with barriers in eV (3D >= 2D >= 1D) and their grid errors, the
        sites (grid minima) and the landscape.

    Example:
        >>> from sselab.structures import antifluorite
        >>> r = percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> r.barrier_1d_eV.value <= r.barrier_2d_eV.value <= r.barrier_3d_eV.value
        True
    """
    if store is not None:
        computed: list[BVSEResult] = []

        def compute() -> dict[str, Any]:
            computed.append(
                percolation_barriers(
                    structure,
                    mobile,
                    resolution_angstrom,
                    convention,
                    cutoff_angstrom,
                    progress,
                    max_memory_gb=max_memory_gb,
                )
            )
            return computed[0].as_dict()

        inputs = {
            "structure": structure,
            "mobile": mobile,
            "resolution_angstrom": resolution_angstrom,
            "convention": convention,
            "cutoff_angstrom": cutoff_angstrom,
            "result_layout": RESULT_LAYOUT,
        }
        payload = store.cached("bvse", inputs, compute)
        if computed:
            return computed[0]
        return BVSEResult.from_dict(payload)
    landscape = bvse_landscape(
        structure, mobile, resolution_angstrom, convention, cutoff_angstrom, progress, max_memory_gb
    )
    one_d, two_d, three_d = percolation_energies(landscape)
    shape = landscape.energy_eV.shape
    return BVSEResult(
        formula=landscape.structure.composition.reduced_formula,
        mobile=mobile,
        convention=convention,
        resolution_angstrom=resolution_angstrom,
        grid_shape=(int(shape[0]), int(shape[1]), int(shape[2])),
        barrier_1d_eV=one_d,
        barrier_2d_eV=two_d,
        barrier_3d_eV=three_d,
        sites=find_sites(landscape),
        occupied_site_eV=occupied_site_energy(landscape),
        landscape=landscape,
    )
