"""BVSE model: bond-valence site energy of a mobile ion on a periodic grid.

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

Speed: pair terms are summed explicitly up to 5 Å; beyond 3.5 Å (smoothly switched)
they form a lattice-summed kernel per ion class that is computed on a 0.2 Å grid,
shifted onto the ions by FFT and Fourier-interpolated (agrees with the direct 10 Å sum
to < 1 meV). BVlain instead holds ~100 neighbours per grid point in memory.

Conventions: ``"softbv"`` is the published model (k = 1/2); ``"paper"`` scales the
Morse term by ``PAPER_MORSE_SCALE`` = 0.777, a factor *calibrated* to the seed paper's
two Li2S barriers (Yu et al., JACS 2024). How it was found, what else was tried and why
it does not carry over to Li2.5N0.5S0.5: ``docs/bvse_convention.md``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
from pymatgen.core import Element, Lattice, Structure
from scipy import ndimage
from scipy.spatial import cKDTree
from scipy.special import erfc
from tqdm import tqdm

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.structures.cells import perpendicular_heights_angstrom
from sselab.transport.resources import GIB, check_memory, memory_limit_gb

COULOMB_EV_ANGSTROM = 14.399645  # e^2 / (4 pi eps0) in eV Å
# Li2S least-squares scale of the softBV Morse term onto the paper's 0.254 / 0.400 eV
# (docs/bvse_convention.md); applied on top of softBV's 1/2. Its 1-sigma error comes
# from the 0.1 Å grid error of the two Li2S barriers (the paper's values are given to 3
# digits, which adds 0.2 %).
PAPER_MORSE_SCALE = Estimate.normal(0.777, 0.006, "", error_kind="resolution")
DEFAULT_CUTOFF_ANGSTROM = 10.0  # as softBV/BVlain; 6 Å shifts Li2S barriers by 0.02 eV
_CHUNK_POINTS = 20_000
# Pair terms are summed explicitly below _SPLIT_OUTER and through FFT beyond
# _SPLIT_INNER, blended by a smooth switch (see _far_energies).
_SPLIT_INNER, _SPLIT_OUTER = 3.5, 5.0
_FAR_SPACING = 0.2  # Å, grid of the smooth far field
# Peak memory of a landscape and its percolation analysis, measured with tracemalloc on
# Li2S supercells (tests/transport/test_bvse.py checks the estimate stays above the
# measurement): ~70 bytes per grid point (the far field's complex fine spectrum and its
# inverse FFT, the near field, the sum) on top of a fixed ~30 MB (near-field chunks, the
# coarse far-field kernel). BVlain, holding ~100 neighbours per point, needs ~100x more.
_BYTES_PER_GRID_POINT = 80
_FIXED_BYTES = 64 * 2**20


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
    "paper": Convention("paper", 0.5 * PAPER_MORSE_SCALE.value, 0.74),
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
            oxi_state = getattr(species, "oxi_state", None)
            if oxi_state is None:
                raise ValueError(f"{species} on a site has no oxidation state")
            charge = round(oxi_state)
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
    heights = np.array(perpendicular_heights_angstrom(lattice.matrix))
    reach = np.ceil(cutoff / heights).astype(int) + 1
    shifts = np.array(np.meshgrid(*[np.arange(-r, r + 1) for r in reach], indexing="ij")).reshape(
        3, -1
    )
    images = (np.mod(frac, 1.0)[:, None, :] + shifts.T[None, :, :]).reshape(-1, 3)
    owner = np.repeat(np.arange(len(frac)), shifts.shape[1])
    return images @ lattice.matrix, owner


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
    far_shape = _grid_shape(lattice, _FAR_SPACING)
    coarse = (min(shape[0], far_shape[0]), min(shape[1], far_shape[1]), min(shape[2], far_shape[2]))
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


def landscape_memory_bytes(lattice: Lattice, resolution_angstrom: float, n_sites: int) -> int:
    """Estimated peak memory (bytes) of a BVSE landscape and its percolation analysis.

    Grid points x bytes per point, plus the fixed work of the near-field chunks and the
    far-field structure factors (``n_sites`` framework sites x the coarse grid's planes).

    Example:
        >>> from pymatgen.core import Lattice
        >>> need = landscape_memory_bytes(Lattice.cubic(40.0), 0.05, n_sites=3000)
        >>> round(need / 2**30, 1)  # 800^3 points
        41.8
    """
    shape = _grid_shape(lattice, resolution_angstrom)
    coarse = _grid_shape(lattice, _FAR_SPACING)
    structure_factor = 32 * n_sites * min(shape[0], coarse[0]) * min(shape[1], coarse[1])
    return _BYTES_PER_GRID_POINT * math.prod(shape) + _FIXED_BYTES + structure_factor


def _grid_shape(lattice: Lattice, resolution_angstrom: float) -> tuple[int, int, int]:
    # Even sizes so that the half-resolution grid used for error bars is uniform too.
    n = np.ceil(np.array(lattice.abc) / resolution_angstrom).astype(int)
    n = np.maximum(n + n % 2, 4)
    return (int(n[0]), int(n[1]), int(n[2]))


@dataclass
class Landscape(RoundTrip):
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
    max_memory_gb: float | None = None,
) -> Landscape:
    """BVSE of ``mobile`` on a periodic grid of about ``resolution_angstrom`` spacing.

    Args:
        structure: ordered or disordered (site-averaged) structure; oxidation states are
            guessed when absent.
        mobile: mobile element (a cation in the softBV table, e.g. "Li", "Na").
        resolution_angstrom: target grid spacing in Å (0.02 to 2).
        convention: "softbv" (k = 1/2, f = 0.74) or "paper" (Morse scaled to reproduce
            the paper's Li2S barriers; docs/bvse_convention.md).
        cutoff_angstrom: interaction cutoff in Å (>= 6).
        progress: show a tqdm bar over grid chunks.
        max_memory_gb: refuse (before allocating) a grid whose estimated peak memory
            (:func:`landscape_memory_bytes`) exceeds this many GiB; default
            :func:`sselab.transport.resources.default_max_memory_gb`.

    Returns:
        Landscape with the absolute energies in eV.

    Raises:
        ValueError: argument out of range, no anions, or no oxidation states.
        BVSEParameterError: an ion pair missing from the softBV table.
        MemoryLimitError: the grid would not fit; the message gives the estimate and the
            coarsest ``resolution_angstrom`` that fits.

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
    _check_grid_memory(structure, resolution_angstrom, max_memory_gb)
    structure = _oxidation_states(structure)
    ions = _ion_classes(structure, mobile, CONVENTIONS[convention])
    shape = _grid_shape(structure.lattice, resolution_angstrom)
    energy = _near_energies(structure.lattice, shape, ions, progress) + _far_energies(
        structure.lattice, shape, ions, cutoff_angstrom
    )
    return Landscape(energy, structure, mobile, convention, resolution_angstrom)


def _check_grid_memory(
    structure: Structure, resolution_angstrom: float, max_memory_gb: float | None
) -> None:
    lattice, n_sites = structure.lattice, len(structure)
    need = landscape_memory_bytes(lattice, resolution_angstrom, n_sites)
    limit_gb = memory_limit_gb(max_memory_gb)
    if need <= limit_gb * GIB:
        return
    fits = resolution_angstrom  # the finest spacing (0.01 Å steps) within the limit
    while fits < 2.0 and landscape_memory_bytes(lattice, fits, n_sites) > limit_gb * GIB:
        fits = round(fits + 0.01, 2)
    shape = _grid_shape(lattice, resolution_angstrom)
    check_memory(
        need,
        f"BVSE grid {shape[0]} x {shape[1]} x {shape[2]} ({math.prod(shape):,} points at "
        f"{resolution_angstrom} Å on a {' x '.join(f'{x:.1f}' for x in lattice.abc)} Å cell)",
        f"use --resolution {fits} (resolution_angstrom, fits) or coarser, or raise --max-memory-gb",
        limit_gb,
    )
