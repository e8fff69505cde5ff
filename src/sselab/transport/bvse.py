"""Bond-valence site energy (BVSE) landscapes, percolation and path barriers.

Model (Adams & Rao, Phys. Status Solidi A 208 (2011) 1746; softBV, Chen, Wong & Adams,
Acta Cryst. B 75 (2019) 18): the site energy of a test mobile ion A (e.g. Li+) at r is

    E(r) = sum_X  k D0 [(exp(alpha (Rmin - R_AX)) - 1)^2 - 1]                (anions X)
         + sum_B  14.4 eV Å (q_A q_B / sqrt(n_A n_B)) erfc(R_AB / rho) / R_AB   (cations B)

with softBV Morse parameters (D0, alpha = 1/b, Rmin; shipped as
``sselab/data/softbv_bvse_pairs.csv``), rho = f (r_c,A + r_c,B) from softBV covalent
radii (``softbv_ions.csv``), f the screening factor (0.74) and n the principal quantum
number. Other mobile ions (all sites of the mobile element) are left out, so the grid
minima are the sites the mobile ion can occupy. Partial occupancies are site-averaged:
each species on a site contributes with its occupancy as weight (virtual crystal), so the
disordered Fm-3m cell of ``sselab.structures.antifluorite(x)`` works as is and ordered
supercells work the same way.

Percolation barriers: the lowest energy E_d above the global grid minimum at which one
connected region {E <= E_d} of the periodic grid (26-neighbour voxels) wraps around the
cell along d independent lattice directions (d = 1, 2, 3). Periodic clusters are found by
labelling a wrap-padded grid (scipy.ndimage.label) and gluing labels across the cell
boundary with a union-find that tracks cell offsets; the rank of the offsets accumulated
on closed loops is the dimensionality. The threshold is bisected over the sorted grid
energies, so it is exact on the grid (BVlain bisects in energy to 0.01 eV).

Speed: pair terms are summed explicitly up to 5 Å; beyond 3.5 Å (smoothly switched)
they form a lattice-summed kernel per ion class that is computed on a 0.2 Å grid,
shifted onto the ions by FFT and Fourier-interpolated (agrees with the direct 10 Å sum
to < 1 meV). BVlain instead holds ~100 neighbours per grid point in memory.

Path barriers between named sites use a string method (E & Vanden-Eijnden) on a periodic
cubic-spline interpolation of the grid, started on the straight segments through the
waypoints; the barrier is the maximum along the converged path minus the lowest energy
on it.

Convention finding (paper: Yu et al., JACS 2024, Fig. 4e/4f, BVSE 0.176 eV for
Li2.5N0.5S0.5 8c-24e-8c, 0.254 eV / 0.400 eV for Li2S at a = 5.719 / 5.554 Å; the SI
with the BVSE details is not in our reference set, so code and parameters are unknown).
Li2S and Li-N-S antifluorites have no immobile cation, so their landscape is the Morse
sum alone and every barrier is proportional to the Morse prefactor k: f, covalent radii
and cation repulsion cannot matter. Numbers at 0.1 Å (``bvse_report_section``):

==============================  =======  =================  ===========  =====
case                            softbv   paper convention   from 8c (*)  paper
==============================  =======  =================  ===========  =====
Li2S a = 5.719, 3D percolation  0.327    0.254              0.160        0.254
Li2S a = 5.554, 3D percolation  0.515    0.400              0.196        0.400
Li2.5N0.5S0.5 (site-averaged)   0.366    0.284              0.187        0.176
==============================  =======  =================  ===========  =====

(*) paper convention, string-method path 8c -> 4b/24e -> 8c, barrier measured from the
8c site instead of the global minimum (the empty 4b void lies 0.12 eV below 8c, as
BVlain also finds).

softBV (k = 1/2, our default ``convention="softbv"``, equal to BVlain) overestimates
both Li2S numbers by the same 1.29x and reproduces their ratio (1.572 vs 0.400/0.254 =
1.575). Tested alternatives fail: alpha 1.3 / 1.7 1/Å gives ratios 1.38 / 1.77, Rmin
2.35 / 2.45 Å 1.75 / 1.50, a Morse cutoff of 4-5 Å 1.31-1.64 (6 Å keeps the ratio and
the 1.2x overestimate), barriers from the 8c site 1.22, and the direct 8c-8c edge path
costs > 1 eV. So the paper's Li2S numbers are softBV percolation barriers with the
Morse term scaled by 0.777 +- 0.006 (least squares over both at 0.1 Å, error from the
grid; k = 0.389): a different D0 normalisation, not a different parameter table,
pathway or cell. ``convention="paper"`` applies that factor. The same convention does
not reproduce 0.176 eV for the site-averaged Li2.5N0.5S0.5 cell (0.284 eV from the 4b
minimum, 0.187 eV from 8c), averaging the Morse parameters instead of the energies
gives 0.311 eV, and ordered N/S supercells give higher barriers still (2x2x2, lowest
Ewald: 0.67/0.69/0.69 eV softbv); only an all-N 4a site comes close (0.161 eV). The
paper's Li2.5N0.5S0.5 value is therefore not a percolation barrier of the averaged
cell in the convention that fits Li2S; the barrier from the 8c site is closest. In the
site-averaged cell the 24e position is no separate minimum: the 8c-24e-8c string
relaxes into the 4b void.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from pymatgen.core import Element, Lattice, Structure
from scipy import ndimage
from scipy.spatial import cKDTree
from scipy.special import erfc
from tqdm import tqdm

COULOMB_EV_ANGSTROM = 14.399645  # e^2 / (4 pi eps0) in eV Å
# Li2S least-squares scale of the softBV Morse term onto the paper's 0.254 / 0.400 eV
# (see module docstring); applied on top of softBV's 1/2.
PAPER_MORSE_SCALE = 0.777
# One sigma, from the 0.1 Å grid error of the two Li2S barriers (the paper's values are
# given to 3 digits, which adds 0.2 %).
PAPER_MORSE_SCALE_ERR = 0.006
DEFAULT_CUTOFF_ANGSTROM = 10.0  # as softBV/BVlain; 6 Å shifts Li2S barriers by 0.02 eV
_CHUNK_POINTS = 20_000
# Pair terms are summed explicitly below _SPLIT_OUTER and through FFT beyond
# _SPLIT_INNER, blended by a smooth switch (see _far_energies).
_SPLIT_INNER, _SPLIT_OUTER = 3.5, 5.0
_FAR_SPACING = 0.2  # Å, grid of the smooth far field


class BVSEParameterError(KeyError):
    """No softBV parameters for an ion pair; the message names the pair."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class MorseParameters:
    """softBV Morse parameters of one cation-anion pair (Å, 1/Å, eV)."""

    r0_angstrom: float
    alpha_per_angstrom: float
    rmin_angstrom: float
    d0_eV: float


@dataclass(frozen=True)
class Convention:
    """How the BVSE terms are weighted.

    Attributes:
        name: "softbv" or "paper".
        morse_prefactor: k multiplying D0 in the Morse term (softBV: 1/2).
        screening_factor: f in rho = f (r_c,A + r_c,B) of the Coulomb term.
    """

    name: str
    morse_prefactor: float
    screening_factor: float


CONVENTIONS = {
    "softbv": Convention("softbv", 0.5, 0.74),
    "paper": Convention("paper", 0.5 * PAPER_MORSE_SCALE, 0.74),
}


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("sselab.data").joinpath(name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def softbv_pair_table() -> dict[tuple[str, int, str, int], MorseParameters]:
    """softBV Morse parameters keyed by (cation, charge, anion, charge).

    Example:
        >>> softbv_pair_table()[("Li", 1, "S", -2)].rmin_angstrom
        2.40971
    """
    return {
        (r["cation"], int(r["cation_charge"]), r["anion"], int(r["anion_charge"])): (
            MorseParameters(
                float(r["R0_angstrom"]),
                float(r["alpha_per_angstrom"]),
                float(r["Rmin_angstrom"]),
                float(r["D0_eV"]),
            )
        )
        for r in _read_csv("softbv_bvse_pairs.csv")
    }


@cache
def softbv_ion_table() -> dict[tuple[str, int], tuple[float, int]]:
    """softBV (covalent radius in Å, principal quantum number) keyed by (element, charge).

    Example:
        >>> softbv_ion_table()[("Li", 1)]
        (1.31, 2)
    """
    return {
        (r["element"], int(r["charge"])): (
            float(r["covalent_radius_angstrom"]),
            int(r["principal_quantum_number"]),
        )
        for r in _read_csv("softbv_ions.csv")
    }


def _ion_data(element: str, charge: int) -> tuple[float, int]:
    try:
        return softbv_ion_table()[(element, charge)]
    except KeyError:
        raise BVSEParameterError(
            f"no softBV covalent radius for {element}{charge:+d} (softbv_ions.csv)"
        ) from None


def _oxidation_states(structure: Structure) -> Structure:
    if all(getattr(sp, "oxi_state", None) is not None for sp in structure.composition):
        return structure
    guessed = structure.copy()
    guesses = guessed.composition.oxi_state_guesses(max_sites=-1)
    if not guesses:
        raise ValueError(
            f"{structure.composition.reduced_formula}: no oxidation states set and none "
            "can be guessed; decorate the structure (add_oxidation_state_by_element)"
        )
    guessed.add_oxidation_state_by_element(guesses[0])
    return guessed


def _mobile_charge(structure: Structure, mobile: str) -> int:
    charges = {
        round(sp.oxi_state)
        for sp in structure.composition
        if sp.symbol == mobile and sp.oxi_state is not None
    }
    if len(charges) > 1:
        raise ValueError(f"mobile {mobile} appears with several charges {sorted(charges)}")
    charge = charges.pop() if charges else 1
    if charge <= 0:
        raise ValueError(f"mobile ion {mobile}{charge:+d}: only mobile cations are supported")
    return charge


def _grid_frac(shape: tuple[int, int, int]) -> np.ndarray:
    return np.stack(
        np.meshgrid(*[np.arange(n) / n for n in shape], indexing="ij"), axis=-1
    ).reshape(-1, 3)


@dataclass(frozen=True)
class _IonClass:
    """Framework ions sharing one pair potential with the mobile ion."""

    morse: bool  # Morse attraction (anion) or screened Coulomb repulsion (cation)
    params: tuple[float, float, float]  # (k D0, alpha, Rmin) or (14.4 qq/sqrt(nn), rho, 0)
    frac_coords: np.ndarray  # (m, 3)
    weights: np.ndarray  # (m,) site occupancies


def _pair_energy(ion: _IonClass, r: np.ndarray) -> np.ndarray:
    a, b, c = ion.params
    if ion.morse:
        x = np.exp(b * (c - r))
        return a * ((x - 1.0) ** 2 - 1.0)
    # A grid point on a cation would divide by zero; 0.05 Å keeps it finite and huge.
    r = np.maximum(r, 0.05)
    return a * erfc(r / b) / r


def _ion_classes(structure: Structure, mobile: str, convention: Convention) -> list[_IonClass]:
    mobile_charge = _mobile_charge(structure, mobile)
    mobile_radius, mobile_n = _ion_data(mobile, mobile_charge)
    pairs = softbv_pair_table()
    members: dict[tuple[bool, tuple[float, float, float]], list[tuple[np.ndarray, float]]] = {}
    for site in structure:
        for species, occupancy in site.species.items():
            if species.symbol == mobile:
                continue
            charge = round(species.oxi_state)
            if charge < 0:
                key = (mobile, mobile_charge, species.symbol, charge)
                if key not in pairs:
                    raise BVSEParameterError(
                        f"no softBV Morse parameters for {mobile}{mobile_charge:+d}-"
                        f"{species.symbol}{charge:+d} (softbv_bvse_pairs.csv)"
                    )
                p = pairs[key]
                params = (
                    convention.morse_prefactor * p.d0_eV,
                    p.alpha_per_angstrom,
                    p.rmin_angstrom,
                )
                members.setdefault((True, params), []).append((site.frac_coords, occupancy))
            elif charge > 0:
                radius, n = _ion_data(species.symbol, charge)
                qq = COULOMB_EV_ANGSTROM * mobile_charge * charge / math.sqrt(mobile_n * n)
                rho = convention.screening_factor * (mobile_radius + radius)
                members.setdefault((False, (qq, rho, 0.0)), []).append(
                    (site.frac_coords, occupancy)
                )
    if not any(morse for morse, _ in members):
        raise ValueError(
            f"{structure.composition.reduced_formula}: no anions around mobile {mobile}"
        )
    return [
        _IonClass(
            morse,
            params,
            np.array([m[0] for m in group]),
            np.array([m[1] for m in group], dtype=float),
        )
        for (morse, params), group in members.items()
    ]


def _images(lattice: Lattice, frac: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Cartesian positions of the periodic images that can lie within cutoff of the cell.

    Returns the positions and, for each, the index of the row of ``frac`` it copies.
    """
    matrix = lattice.matrix
    heights = lattice.volume / np.linalg.norm(
        np.cross(matrix[[1, 2, 0]], matrix[[2, 0, 1]]), axis=1
    )
    reach = np.ceil(cutoff / heights).astype(int) + 1
    shifts = np.array(np.meshgrid(*[np.arange(-r, r + 1) for r in reach], indexing="ij")).reshape(
        3, -1
    )
    images = (np.mod(frac, 1.0)[:, None, :] + shifts.T[None, :, :]).reshape(-1, 3)
    owner = np.repeat(np.arange(len(frac)), shifts.shape[1])
    return images @ matrix, owner


def _switch(r: np.ndarray) -> np.ndarray:
    """C2 step from 0 below _SPLIT_INNER to 1 above _SPLIT_OUTER (far-field weight)."""
    t = np.clip((r - _SPLIT_INNER) / (_SPLIT_OUTER - _SPLIT_INNER), 0.0, 1.0)
    return t * t * t * (t * (6.0 * t - 15.0) + 10.0)


def _near_energies(
    lattice: Lattice, shape: tuple[int, int, int], ions: list[_IonClass], progress: bool
) -> np.ndarray:
    """Short-range part (r < _SPLIT_OUTER) summed over explicit ion-grid pairs."""
    points = _grid_frac(shape) @ lattice.matrix
    images, owner, row = [], [], []
    for c, ion in enumerate(ions):
        cart, which = _images(lattice, ion.frac_coords, _SPLIT_OUTER)
        images.append(cart)
        owner.append(ion.weights[which])
        row.append(np.full(len(cart), c))
    tree = cKDTree(np.concatenate(images))
    weight, kind = np.concatenate(owner), np.concatenate(row)
    energy = np.zeros(len(points))
    starts = range(0, len(points), _CHUNK_POINTS)
    for start in tqdm(starts, desc="BVSE near field", unit="chunk", disable=not progress):
        stop = min(start + _CHUNK_POINTS, len(points))
        pairs = cKDTree(points[start:stop]).sparse_distance_matrix(
            tree, _SPLIT_OUTER, output_type="ndarray"
        )
        r, j = pairs["v"], pairs["j"]
        values = np.zeros(len(r))
        for c, ion in enumerate(ions):
            sel = kind[j] == c
            values[sel] = _pair_energy(ion, r[sel])
        values *= weight[j] * (1.0 - _switch(r))
        energy[start:stop] = np.bincount(pairs["i"], weights=values, minlength=stop - start)
    return energy.reshape(shape)


def _far_energies(
    lattice: Lattice, shape: tuple[int, int, int], ions: list[_IonClass], cutoff: float
) -> np.ndarray:
    """Smooth long-range part: a lattice-summed kernel per ion class, shifted by FFT.

    The far kernel f(r) w(r) has no feature sharper than the 1.5 Å switch, so it is
    band-limited at _FAR_SPACING: it is computed on that coarser grid, placed at the
    off-grid ions with the shift theorem and Fourier-interpolated to ``shape``. This
    replaces ~100 explicit pairs per fine grid point (BVlain's cost) by a few FFTs.
    """
    coarse = tuple(
        min(n, m) for n, m in zip(shape, _grid_shape(lattice, _FAR_SPACING), strict=True)
    )
    points = _grid_frac(coarse) @ lattice.matrix
    translations, _ = _images(lattice, np.zeros((1, 3)), cutoff)
    pairs = cKDTree(points).sparse_distance_matrix(
        cKDTree(translations), cutoff, output_type="ndarray"
    )
    far = pairs["v"] > _SPLIT_INNER
    index, r = pairs["i"][far], pairs["v"][far]
    switch = _switch(r)
    freqs = [np.fft.fftfreq(m, 1.0 / m) for m in coarse]
    coefficients = np.zeros(coarse, dtype=complex)
    for ion in ions:
        kernel = np.bincount(index, weights=_pair_energy(ion, r) * switch, minlength=len(points))
        # Structure factor sum_a w_a exp(-2 pi i k.x_a) as one complex matrix product.
        e = [np.exp(-2j * np.pi * np.outer(ion.frac_coords[:, d], freqs[d])) for d in range(3)]
        e01 = (ion.weights[:, None, None] * e[0][:, :, None] * e[1][:, None, :]).reshape(
            len(ion.weights), -1
        )
        factor = (e01.T @ e[2]).reshape(coarse)
        coefficients += np.fft.fftn(kernel.reshape(coarse)) * factor
    # Zero-pad the spectrum to the fine grid; the coarse Nyquist planes are dropped
    # because their sign is ambiguous (the kernel has ~no weight there).
    fine = np.zeros(shape, dtype=complex)
    keep = [np.abs(f) < m / 2 for f, m in zip(freqs, coarse, strict=True)]
    target = [np.mod(f[k], n).astype(int) for f, k, n in zip(freqs, keep, shape, strict=True)]
    fine[np.ix_(*target)] = coefficients[np.ix_(*keep)]
    return np.fft.ifftn(fine).real * (np.prod(shape) / np.prod(coarse))


def _grid_shape(lattice: Lattice, resolution_angstrom: float) -> tuple[int, int, int]:
    # Even sizes so that the half-resolution grid used for error bars is uniform too.
    n = np.ceil(np.array(lattice.abc) / resolution_angstrom).astype(int)
    n = n + n % 2
    return tuple(int(v) for v in np.maximum(n, 4))


@dataclass
class Landscape:
    """BVSE of a mobile ion on a periodic grid.

    Attributes:
        energy_eV: (n1, n2, n3) site energy at fractional points (i/n1, j/n2, k/n3), eV,
            absolute (the global minimum is ``energy_eV.min()``).
        structure: the structure it was computed for (oxidation states set).
        mobile: mobile element symbol.
        convention: name of the convention ("softbv" or "paper").
        resolution_angstrom: requested grid spacing, Å.
    """

    energy_eV: np.ndarray
    structure: Structure
    mobile: str
    convention: str
    resolution_angstrom: float
    _spline_cache: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def relative_eV(self) -> np.ndarray:
        """Energy above the global grid minimum, eV."""
        return self.energy_eV - self.energy_eV.min()

    def energy_at(self, frac_coords: np.ndarray) -> np.ndarray:
        """Periodic cubic-spline interpolation of the energy at fractional coordinates (eV).

        Example:
            >>> from sselab.structures import antifluorite
            >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
            >>> bool(scape.energy_at([[0.5, 0.5, 0.5]])[0] < scape.energy_at([[0.25] * 3])[0])
            True
        """
        frac = np.atleast_2d(np.asarray(frac_coords, dtype=float))
        index = (np.mod(frac, 1.0) * np.array(self.energy_eV.shape)).T
        return ndimage.map_coordinates(
            self._spline, index, order=3, mode="grid-wrap", prefilter=False
        )

    @property
    def _spline(self) -> np.ndarray:
        if self._spline_cache is None:
            self._spline_cache = ndimage.spline_filter(self.energy_eV, order=3, mode="grid-wrap")
        return self._spline_cache


def bvse_landscape(
    structure: Structure,
    mobile: str = "Li",
    resolution_angstrom: float = 0.2,
    convention: str = "softbv",
    cutoff_angstrom: float = DEFAULT_CUTOFF_ANGSTROM,
    progress: bool = False,
) -> Landscape:
    """BVSE of ``mobile`` on a periodic grid of about ``resolution_angstrom`` spacing.

    Args:
        structure: ordered or disordered (site-averaged) structure; oxidation states are
            guessed when absent.
        mobile: mobile element (a cation in the softBV table, e.g. "Li", "Na").
        resolution_angstrom: target grid spacing in Å (0.02 to 2).
        convention: "softbv" (k = 1/2, f = 0.74) or "paper" (Morse scaled to reproduce
            the paper's Li2S barriers; see the module docstring).
        cutoff_angstrom: interaction cutoff in Å (>= 6).
        progress: show a tqdm bar over grid chunks.

    Returns:
        Landscape with the absolute energies in eV.

    Raises:
        ValueError: argument out of range, no anions, or no oxidation states.
        BVSEParameterError: an ion pair missing from the softBV table.

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> scape.energy_eV.shape
        (20, 20, 20)
    """
    if not 0.02 <= resolution_angstrom <= 2.0:
        raise ValueError(f"resolution_angstrom = {resolution_angstrom}: use 0.02 to 2 Å")
    if cutoff_angstrom < 6.0:
        raise ValueError(
            f"cutoff_angstrom = {cutoff_angstrom}: below 6 Å the truncated Morse sum shifts "
            "barriers by more than 0.02 eV"
        )
    if convention not in CONVENTIONS:
        raise ValueError(f"convention '{convention}': choose one of {sorted(CONVENTIONS)}")
    try:
        Element(mobile)
    except ValueError:
        raise ValueError(f"mobile = '{mobile}' is not an element symbol") from None
    if not np.all(np.isfinite(structure.lattice.matrix)) or structure.volume <= 0:
        raise ValueError("structure lattice is not finite or has no volume")
    if not np.all(np.isfinite(structure.frac_coords)):
        raise ValueError("structure has non-finite (NaN/inf) atomic coordinates")
    structure = _oxidation_states(structure)
    ions = _ion_classes(structure, mobile, CONVENTIONS[convention])
    shape = _grid_shape(structure.lattice, resolution_angstrom)
    energy = _near_energies(structure.lattice, shape, ions, progress) + _far_energies(
        structure.lattice, shape, ions, cutoff_angstrom
    )
    return Landscape(energy, structure, mobile, convention, resolution_angstrom)


# ---------------------------------------------------------------- percolation


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


def _percolation_thresholds(energy: np.ndarray) -> tuple[float, float, float]:
    """Lowest grid energies at which a cluster wraps in 1, 2, 3 directions (absolute, eV).

    One bisection over the sorted grid energies per dimension, sharing evaluations: a
    cluster wrapping in r directions at level E bounds every bracket at once.
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
class BVSEResult:
    """Percolation barriers of a BVSE landscape (eV above the global minimum).

    The ``*_err_eV`` are grid-discretisation error estimates (``percolation_energies``).
    """

    formula: str
    mobile: str
    convention: str
    resolution_angstrom: float
    grid_shape: tuple[int, int, int]
    barrier_1d_eV: float
    barrier_2d_eV: float
    barrier_3d_eV: float
    barrier_1d_err_eV: float
    barrier_2d_err_eV: float
    barrier_3d_err_eV: float
    sites: list[dict[str, Any]] = field(default_factory=list)
    landscape: Landscape | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (the landscape grid is left out).

        Example:
            >>> from sselab.structures import antifluorite
            >>> r = percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.4)
            >>> sorted(r.as_dict())[:3]
            ['barrier_1d_eV', 'barrier_1d_err_eV', 'barrier_2d_eV']
        """
        return {
            "formula": self.formula,
            "mobile": self.mobile,
            "convention": self.convention,
            "resolution_angstrom": self.resolution_angstrom,
            "grid_shape": list(self.grid_shape),
            "barrier_1d_eV": self.barrier_1d_eV,
            "barrier_2d_eV": self.barrier_2d_eV,
            "barrier_3d_eV": self.barrier_3d_eV,
            "barrier_1d_err_eV": self.barrier_1d_err_eV,
            "barrier_2d_err_eV": self.barrier_2d_err_eV,
            "barrier_3d_err_eV": self.barrier_3d_err_eV,
            "sites": self.sites,
        }


def percolation_energies(landscape: Landscape) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """1D/2D/3D percolation barriers (eV above the global minimum) and their error bars.

    The error bar is the RMS difference to the same barrier on the eight interleaved
    sub-grids of twice the spacing, divided by 3: the on-grid saddle error is O(h^2), so
    E(2h) - E(h) is about three times the error of E(h).

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> barriers, errors = percolation_energies(scape)
        >>> 0.25 < barriers[0] < 0.40
        True
    """
    energy = landscape.energy_eV
    fine = np.array(_percolation_thresholds(energy)) - energy.min()
    coarse = []
    for offset in np.ndindex(2, 2, 2):
        sub = energy[offset[0] :: 2, offset[1] :: 2, offset[2] :: 2]
        coarse.append(np.array(_percolation_thresholds(sub)) - sub.min())
    errors = np.sqrt(np.mean((np.array(coarse) - fine) ** 2, axis=0)) / 3.0
    return tuple(float(v) for v in fine), tuple(float(v) for v in errors)


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


def percolation_barriers(
    structure: Structure,
    mobile: str = "Li",
    resolution_angstrom: float = 0.2,
    convention: str = "softbv",
    cutoff_angstrom: float = DEFAULT_CUTOFF_ANGSTROM,
    progress: bool = False,
    store: Any = None,
) -> BVSEResult:
    """1D, 2D and 3D BVSE percolation barriers of ``mobile`` in ``structure``.

    Args:
        structure: ordered or disordered structure (see ``bvse_landscape``).
        mobile: mobile element, default "Li".
        resolution_angstrom: grid spacing in Å (0.1 for publication, 0.2-0.3 to screen;
            sheared cells, e.g. 60° primitive cells, need about 0.6x the spacing of a
            cubic cell for the same accuracy).
        convention: "softbv" (default) or "paper" (see the module docstring).
        cutoff_angstrom: interaction cutoff in Å.
        progress: show a progress bar while the grid is computed.
        store: optional ``sselab.store.ResultStore``; a repeated call is a
            lookup and then returns no landscape (``landscape=None``).

    Returns:
        BVSEResult with barriers in eV (3D >= 2D >= 1D), their grid error bars, the
        sites (grid minima) and the landscape.

    Example:
        >>> from sselab.structures import antifluorite
        >>> r = percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.3)
        >>> r.barrier_1d_eV <= r.barrier_2d_eV <= r.barrier_3d_eV
        True
    """
    if store is not None:
        computed: list[BVSEResult] = []

        def compute() -> dict[str, Any]:
            computed.append(
                percolation_barriers(
                    structure, mobile, resolution_angstrom, convention, cutoff_angstrom, progress
                )
            )
            return computed[0].as_dict()

        inputs = {
            "structure": structure,
            "mobile": mobile,
            "resolution_angstrom": resolution_angstrom,
            "convention": convention,
            "cutoff_angstrom": cutoff_angstrom,
        }
        payload = store.cached("bvse", inputs, compute)
        if computed:
            return computed[0]
        payload = {**payload, "grid_shape": tuple(payload["grid_shape"])}
        return BVSEResult(**payload)
    landscape = bvse_landscape(
        structure, mobile, resolution_angstrom, convention, cutoff_angstrom, progress
    )
    barriers, errors = percolation_energies(landscape)
    return BVSEResult(
        formula=landscape.structure.composition.reduced_formula,
        mobile=mobile,
        convention=convention,
        resolution_angstrom=resolution_angstrom,
        grid_shape=landscape.energy_eV.shape,
        barrier_1d_eV=barriers[0],
        barrier_2d_eV=barriers[1],
        barrier_3d_eV=barriers[2],
        barrier_1d_err_eV=errors[0],
        barrier_2d_err_eV=errors[1],
        barrier_3d_err_eV=errors[2],
        sites=find_sites(landscape),
        landscape=landscape,
    )


# ---------------------------------------------------------------- named paths

# Waypoints of the antifluorite hops in conventional-cell fractions relative to an anion
# (Fm-3m, origin at the 4a anion): 8c tetrahedral Li, 4b empty octahedral void, 24e
# interstitial (u, 0, 0) next to the anion at (0, 1/2, 1/2).
ANTIFLUORITE_HOPS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "8c-4b-8c": ((0.25, 0.25, 0.25), (0.5, 0.5, 0.5), (0.75, 0.75, 0.75)),
    "8c-24e-8c": ((0.25, 0.25, 0.25), (0.28, 0.5, 0.5), (0.25, 0.75, 0.75)),
}


def antifluorite_hop(structure: Structure, hop: str, origin_index: int | None = None) -> np.ndarray:
    """Fractional waypoints of a named antifluorite hop in ``structure``'s cell.

    The conventional lattice constant is read from the anion density, a = (4 V / N)^(1/3)
    with N anion sites, and the origin from an anion site, so N/S orderings, supercells
    and strained cells work; the cubic axes are assumed along Cartesian x, y, z (the
    standard setting of CIFs and of ``sselab.structures``).

    Args:
        structure: antifluorite-type structure (oxidation states or guessable).
        hop: "8c-4b-8c" or "8c-24e-8c".
        origin_index: index of the anion site used as origin (default: the first anion).

    Returns:
        (3, 3) fractional coordinates: start site, intermediate site, end site.

    Example:
        >>> from sselab.structures import antifluorite
        >>> antifluorite_hop(antifluorite(0.0, a=5.719), "8c-4b-8c")[1].tolist()
        [0.5, 0.5, 0.5]
    """
    if hop not in ANTIFLUORITE_HOPS:
        raise ValueError(f"hop '{hop}': choose one of {sorted(ANTIFLUORITE_HOPS)}")
    structure = _oxidation_states(structure)
    anions = [i for i, site in enumerate(structure) if all(sp.oxi_state < 0 for sp in site.species)]
    if not anions:
        raise ValueError(f"{structure.composition.reduced_formula}: no anion sites")
    if origin_index is None:
        origin_index = anions[0]
    if origin_index not in anions:
        raise ValueError(f"origin_index {origin_index} is not an anion site (anions: {anions})")
    a = (4.0 * structure.volume / len(anions)) ** (1.0 / 3.0)
    cart = structure[origin_index].coords + a * np.array(ANTIFLUORITE_HOPS[hop])
    return structure.lattice.get_fractional_coords(cart)


@dataclass
class PathProfile:
    """Energy profile along a minimum-energy path on a BVSE landscape.

    Attributes:
        hop: name of the path ("8c-4b-8c", "custom", ...).
        frac_coords: (n, 3) unwrapped fractional coordinates of the path images.
        distance_angstrom: (n,) arc length from the start, Å.
        energy_eV: (n,) energy above the landscape's global minimum, eV.
        barrier_eV: highest minus lowest energy on the path (the barrier of the hop
            repeated along a chain of such paths), eV.
        barrier_from_start_eV: highest energy minus the start site's, eV.
        barrier_err_eV: path-discretisation error of the barrier (change when the
            converged path is resampled 5x finer), eV.
    """

    hop: str
    frac_coords: np.ndarray
    distance_angstrom: np.ndarray
    energy_eV: np.ndarray
    barrier_eV: float
    barrier_from_start_eV: float
    barrier_err_eV: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-able profile.

        Example:
            >>> p = PathProfile("x", np.zeros((2, 3)), np.zeros(2), np.zeros(2), 0.0, 0.0, 0.0)
            >>> p.as_dict()["hop"]
            'x'
        """
        return {
            "hop": self.hop,
            "barrier_eV": self.barrier_eV,
            "barrier_from_start_eV": self.barrier_from_start_eV,
            "barrier_err_eV": self.barrier_err_eV,
            "frac_coords": np.round(self.frac_coords, 5).tolist(),
            "distance_angstrom": np.round(self.distance_angstrom, 5).tolist(),
            "energy_eV": np.round(self.energy_eV, 5).tolist(),
        }


def _resample(points: np.ndarray, n: int) -> np.ndarray:
    """n points equally spaced in arc length along the polyline ``points``."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    target = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(target, arc, points[:, d]) for d in range(3)])


def minimum_energy_path(
    landscape: Landscape,
    waypoints_frac: Sequence[Sequence[float]] | np.ndarray,
    hop: str = "custom",
    n_images: int = 41,
    n_steps: int = 400,
) -> PathProfile:
    """Relax a path through ``waypoints_frac`` into a minimum-energy path (string method).

    The string starts on straight segments through the waypoints (unwrapped fractional
    coordinates, e.g. from ``antifluorite_hop``), descends the interpolated landscape
    (gradient by central differences, step capped at 0.05 Å) and is re-spaced evenly
    after every step; the ends relax into their minima. Intermediate waypoints only
    choose the valley the path starts in.

    Args:
        landscape: BVSE landscape.
        waypoints_frac: at least two fractional points, start to end.
        hop: label stored in the result.
        n_images: images on the string (>= 5).
        n_steps: descent steps.

    Returns:
        PathProfile with energies above the landscape's global minimum.

    Example:
        >>> from sselab.structures import antifluorite
        >>> s = antifluorite(0.0, a=5.719)
        >>> scape = bvse_landscape(s, resolution_angstrom=0.3)
        >>> p = minimum_energy_path(scape, antifluorite_hop(s, "8c-4b-8c"), "8c-4b-8c")
        >>> 0.25 < p.barrier_eV < 0.40
        True
    """
    waypoints = np.asarray(waypoints_frac, dtype=float)
    if waypoints.ndim != 2 or waypoints.shape[1] != 3 or len(waypoints) < 2:
        raise ValueError(f"waypoints_frac must be (n >= 2, 3), got shape {waypoints.shape}")
    if not np.all(np.isfinite(waypoints)):
        raise ValueError("waypoints_frac contains NaN or inf")
    if n_images < 5:
        raise ValueError(f"n_images = {n_images}: use at least 5")
    matrix = landscape.structure.lattice.matrix
    inverse = np.linalg.inv(matrix)
    offsets = 0.02 * np.eye(3)  # Å, central-difference step

    def energy(cart: np.ndarray) -> np.ndarray:
        return landscape.energy_at(cart @ inverse)

    def gradient(cart: np.ndarray) -> np.ndarray:
        return np.column_stack([(energy(cart + h) - energy(cart - h)) / 0.04 for h in offsets])

    string = _resample(waypoints @ matrix, n_images)
    for _ in range(n_steps):
        g = gradient(string)
        step = g * min(0.02, 0.05 / max(float(np.abs(g).max()), 1e-12))
        string = _resample(string - step, n_images)
        if np.abs(step).max() < 1e-5:
            break
    e = energy(string) - landscape.energy_eV.min()
    fine = _resample(string, 5 * n_images - 4)
    e_fine = energy(fine) - landscape.energy_eV.min()
    barrier = float(e.max() - e.min())
    distance = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(string, axis=0), axis=1))])
    return PathProfile(
        hop=hop,
        frac_coords=string @ inverse,
        distance_angstrom=distance,
        energy_eV=e,
        barrier_eV=barrier,
        barrier_from_start_eV=float(e.max() - e[0]),
        barrier_err_eV=abs(float(e_fine.max() - e_fine.min()) - barrier),
    )


# ---------------------------------------------------------------- output


def _atoms_for_output(structure: Structure):  # -> ase.Atoms
    """ASE Atoms with the majority species of each site (cube files hold no occupancies)."""
    from ase import Atoms

    numbers = [max(site.species.items(), key=lambda kv: kv[1])[0].Z for site in structure]
    return Atoms(
        numbers=numbers, cell=structure.lattice.matrix, positions=structure.cart_coords, pbc=True
    )


def write_cube(landscape: Landscape, path: str | Path) -> Path:
    """Write the landscape (eV above the global minimum) as a Gaussian .cube file (VESTA).

    Example:
        >>> import tempfile, pathlib
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> out = write_cube(scape, pathlib.Path(tempfile.mkdtemp()) / "li2s.cube")
        >>> out.suffix
        '.cube'
    """
    from ase.io.cube import write_cube as ase_write_cube

    path = Path(path)
    with path.open("w") as handle:
        ase_write_cube(
            handle,
            _atoms_for_output(landscape.structure),
            data=landscape.relative_eV,
            comment=f"sselab BVSE of {landscape.mobile} ({landscape.convention}), eV above min",
        )
    return path


def write_chgcar(landscape: Landscape, path: str | Path) -> Path:
    """Write the landscape in VASP CHGCAR format (pymatgen Chgcar) for VESTA.

    CHGCAR stores values times the cell volume; VESTA divides by it on reading, so it
    shows eV above the global minimum.

    Example:
        >>> import tempfile, pathlib
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> write_chgcar(scape, pathlib.Path(tempfile.mkdtemp()) / "CHGCAR").name
        'CHGCAR'
    """
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.vasp import Chgcar, Poscar

    path = Path(path)
    ordered = AseAtomsAdaptor.get_structure(_atoms_for_output(landscape.structure))
    data = {"total": landscape.relative_eV * landscape.structure.volume}
    Chgcar(Poscar(ordered), data).write_file(str(path))
    return path


def landscape_figure(
    landscape: Landscape,
    isovalue_eV: float | None = None,
    profile: PathProfile | None = None,
) -> Figure:
    """Fig. S10 analogue: voxels below the isovalue in 3D, a slice, and a path profile.

    Args:
        landscape: BVSE landscape.
        isovalue_eV: energy above the minimum bounding the drawn region (default: the 3D
            percolation barrier plus 0.05 eV, which shows the conducting network).
        profile: optional path profile for a third panel (Fig. 4e/4f analogue).

    Example:
        >>> from sselab.structures import antifluorite
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> len(landscape_figure(scape, isovalue_eV=0.4).axes) >= 2
        True
    """
    relative = landscape.relative_eV
    if isovalue_eV is None:
        isovalue_eV = float(_percolation_thresholds(relative)[2]) + 0.05
    n_panels = 3 if profile is not None else 2
    fig = Figure(figsize=(4.5 * n_panels, 4.2))
    ax3d = fig.add_subplot(1, n_panels, 1, projection="3d")
    inside = np.argwhere(relative <= isovalue_eV)
    stride = max(1, len(inside) // 20000)  # keep the scatter light
    cart = (inside[::stride] / np.array(relative.shape)) @ landscape.structure.lattice.matrix
    ax3d.scatter(*cart.T, s=1, c=relative[tuple(inside[::stride].T)], cmap="viridis_r")
    for site in landscape.structure:
        if landscape.mobile not in {sp.symbol for sp in site.species}:
            ax3d.scatter(*site.coords, s=40, color="goldenrod", edgecolor="k")
    ax3d.set_title(f"{landscape.mobile} BVSE <= {isovalue_eV:.2f} eV")
    ax3d.set_xlabel("x (Å)")
    ax3d.set_ylabel("y (Å)")
    ax3d.set_zlabel("z (Å)")

    ax = fig.add_subplot(1, n_panels, 2)
    k = relative.shape[2] // 2
    a, b = landscape.structure.lattice.abc[:2]
    image = ax.imshow(
        np.minimum(relative[:, :, k].T, 2.0 * isovalue_eV),
        origin="lower",
        extent=(0, a, 0, b),
        cmap="viridis",
    )
    ax.contour(
        np.linspace(0, a, relative.shape[0]),
        np.linspace(0, b, relative.shape[1]),
        relative[:, :, k].T,
        levels=[isovalue_eV],
        colors="w",
        linewidths=0.8,
    )
    fig.colorbar(image, ax=ax, label="E - E_min (eV)")
    ax.set_title("slice c = 1/2")
    ax.set_xlabel("a (Å)")
    ax.set_ylabel("b (Å)")

    if profile is not None:
        axp = fig.add_subplot(1, n_panels, 3)
        axp.plot(profile.distance_angstrom, profile.energy_eV - profile.energy_eV.min(), "o-")
        axp.set_xlabel("path length (Å)")
        axp.set_ylabel("E (eV)")
        axp.set_title(f"{profile.hop}: {profile.barrier_eV:.3f} eV")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- paper comparison

# (paper_values.toml key, lattice constant key or None, x, hop) of the paper's BVSE cases.
_PAPER_CASES = (
    ("bvse_barrier_Li2.5N0.5S0.5_eV", "a_Li2.5N0.5S0.5_angstrom", 0.5, "8c-24e-8c"),
    ("bvse_barrier_Li2S_a5.719_eV", "a_Li2S_icsd_angstrom", 0.0, "8c-4b-8c"),
    ("bvse_barrier_Li2S_a5.554_eV", "a_Li2S_alt_angstrom", 0.0, "8c-4b-8c"),
)


def bvse_report_section(resolution_angstrom: float = 0.1):  # -> sselab.report.Section
    """Report section with the paper's three BVSE barriers vs ours in both conventions.

    Each case is the paper's cell (disordered Fm-3m, site-averaged N/S) at the paper's
    lattice constant; rows give the 3D percolation barrier and, for the paper's named
    path, the barrier measured from the 8c site.

    Example:
        >>> section = bvse_report_section(resolution_angstrom=0.3)  # doctest: +SKIP
        >>> len(section.comparisons)  # doctest: +SKIP
        12
    """
    from sselab.reference import paper_value
    from sselab.report import Comparison, Section
    from sselab.structures import antifluorite

    comparisons = []
    profile = None
    landscape = None
    for key, a_key, x, hop in _PAPER_CASES:
        structure = antifluorite(x, a=paper_value("structure", a_key))
        paper = paper_value("transport_computed", key)
        for convention in CONVENTIONS:
            result = percolation_barriers(structure, "Li", resolution_angstrom, convention)
            path = minimum_energy_path(result.landscape, antifluorite_hop(structure, hop), hop=hop)
            label = f"BVSE {structure.composition.reduced_formula} a={structure.lattice.a:.3f} Å"
            comparisons.append(
                Comparison(
                    f"{label}, 3D percolation (eV)",
                    result.barrier_3d_eV,
                    result.barrier_3d_err_eV,
                    paper,
                    f"convention={convention}, grid {resolution_angstrom} Å",
                )
            )
            comparisons.append(
                Comparison(
                    f"{label}, {hop} from 8c (eV)",
                    path.barrier_from_start_eV,
                    path.barrier_err_eV,
                    paper,
                    f"convention={convention}, string method",
                )
            )
            if convention == "paper" and x > 0:
                profile, landscape = path, result.landscape
    return Section(
        title="Bond-valence site energy barriers",
        text=(
            "softBV BVSE on the paper's cells. convention=softbv is the published model "
            "(Morse prefactor 1/2); convention=paper scales the Morse term by "
            f"{PAPER_MORSE_SCALE}, the factor that maps our Li2S barriers onto the paper's "
            "at both lattice constants (see sselab.transport.bvse)."
        ),
        figures=[landscape_figure(landscape, profile=profile)] if landscape else [],
        comparisons=comparisons,
        settings={"resolution_angstrom": resolution_angstrom, "mobile": "Li"},
    )
