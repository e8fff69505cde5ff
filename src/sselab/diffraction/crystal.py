"""Crystal model for diffraction: symmetry orbits, reflections and structure factors.

Why our own structure factors and not pymatgen's XRDCalculator / NDCalculator: those get
partial occupancies, the sign of neutron scattering lengths (Li: -1.90 fm) and the
unpolarised lab Lorentz-polarisation factor right, and we use their scattering tables
(ATOMIC_SCATTERING_PARAMS, ATOMIC_SCATTERING_LEN) and form-factor formula unchanged. They
are not enough for this package because they (1) take one Debye-Waller B per element, not
an isotropic Uiso per crystallographic site; (2) have no polarisation choice (synchrotron
beams are polarised), no Kα1/Kα2 doublet and no time-of-flight geometry; (3) rebuild the
reflection list on every call, whereas a refinement evaluates F² hundreds of times for a
fixed hkl list while only lattice, occupancies and Uiso change. Here the phase sums
Σ_j exp(2πi h·r_j) are computed once per symmetry orbit and reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymatgen.analysis.diffraction.neutron import ATOMIC_SCATTERING_LEN
from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS
from pymatgen.core import Element, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

DEFAULT_UISO_A2 = 0.01
# Lattice parameters refined independently per crystal system (angles stay fixed).
_FREE_LATTICE = {
    "cubic": ("a",),
    "tetragonal": ("a", "c"),
    "hexagonal": ("a", "c"),
    "orthorhombic": ("a", "b", "c"),
}


@dataclass
class Orbit:
    """Symmetry-equivalent sites sharing species, occupancies and Uiso.

    Attributes:
        label: e.g. 'Li 24e'.
        elements: element symbols on the site.
        occupancies: occupancy of each element (same order).
        frac_coords: (m, 3) fractional coordinates of the m equivalent sites in the cell.
        uiso_A2: isotropic displacement parameter (Å²).
        site_indices: indices of these sites in the source structure.
    """

    label: str
    elements: tuple[str, ...]
    occupancies: np.ndarray
    frac_coords: np.ndarray
    uiso_A2: float
    site_indices: tuple[int, ...] = ()


def orbits_from_structure(
    structure: Structure, uiso_A2: float | dict[str, float] = DEFAULT_UISO_A2
) -> tuple[list[Orbit], str]:
    """Split a (possibly disordered) structure into symmetry orbits.

    Args:
        structure: pymatgen Structure; partial occupancies kept. A site property 'uiso'
            (Å²) overrides ``uiso_A2``.
        uiso_A2: Uiso for every site, or per element symbol (default 0.01 Å²).

    Returns:
        (orbits, crystal system name).

    Example:
        >>> from sselab.structures import antifluorite
        >>> orbits, system = orbits_from_structure(antifluorite(0.5))
        >>> [o.label for o in orbits], system
        (['S/N 4a', 'Li 8c', 'Li 24e'], 'cubic')
    """
    per_element = uiso_A2 if isinstance(uiso_A2, dict) else {}
    default = DEFAULT_UISO_A2 if isinstance(uiso_A2, dict) else float(uiso_A2)
    analyzer = SpacegroupAnalyzer(structure, symprec=1e-3)
    symmetrized = analyzer.get_symmetrized_structure()
    orbits = []
    for indices, wyckoff in zip(
        symmetrized.equivalent_indices, symmetrized.wyckoff_symbols, strict=True
    ):
        site = structure[indices[0]]
        composition: dict[str, float] = {}
        for species, occupancy in site.species.items():
            symbol = species.symbol
            if symbol not in ATOMIC_SCATTERING_PARAMS or symbol not in ATOMIC_SCATTERING_LEN:
                raise ValueError(f"no X-ray or neutron scattering data for element {symbol}")
            composition[symbol] = composition.get(symbol, 0.0) + occupancy
        elements = tuple(composition)
        uiso = site.properties.get("uiso")
        if uiso is None:
            uiso = per_element.get(elements[0], default)
        orbits.append(
            Orbit(
                label=f"{'/'.join(elements)} {wyckoff}",
                elements=elements,
                occupancies=np.array(list(composition.values()), dtype=float),
                frac_coords=np.array([structure[i].frac_coords for i in indices]),
                uiso_A2=float(uiso),
                site_indices=tuple(int(i) for i in indices),
            )
        )
    system = analyzer.get_crystal_system()
    if system == "trigonal" and structure.lattice.is_hexagonal():
        system = "hexagonal"
    return orbits, system


def free_lattice_parameters(crystal_system: str) -> tuple[str, ...]:
    """Names of the independently refinable lattice lengths.

    Example:
        >>> free_lattice_parameters("tetragonal")
        ('a', 'c')
    """
    if crystal_system not in _FREE_LATTICE:
        raise ValueError(
            f"lattice refinement supports cubic, tetragonal, hexagonal and orthorhombic cells, "
            f"not {crystal_system}"
        )
    return _FREE_LATTICE[crystal_system]


def lattice_from_parameters(reference: Lattice, crystal_system: str, lengths: dict) -> Lattice:
    """Lattice with the reference angles and lengths from the free parameters.

    Example:
        >>> lattice_from_parameters(Lattice.cubic(5.0), "cubic", {"a": 5.5}).abc
        (5.5, 5.5, 5.5)
    """
    a = lengths["a"]
    b = lengths.get("b", a if crystal_system in ("cubic", "tetragonal", "hexagonal") else None)
    c = lengths.get("c", a if crystal_system == "cubic" else None)
    if b is None or c is None:
        b = reference.b * a / reference.a if b is None else b
        c = reference.c * a / reference.a if c is None else c
    return Lattice.from_parameters(a, b, c, *reference.angles)


def _metric_key(hkl: np.ndarray, crystal_system: str, inv_d2: np.ndarray) -> np.ndarray:
    """Per-reflection key that is equal exactly for reflections overlapping at any lattice
    allowed by the crystal system, so groups stay valid while the lattice is refined."""
    h, k, l_ = hkl.T
    if crystal_system == "cubic":
        return np.stack([h * h + k * k + l_ * l_], axis=1)
    if crystal_system == "tetragonal":
        return np.stack([h * h + k * k, l_ * l_], axis=1)
    if crystal_system == "hexagonal":
        return np.stack([h * h + h * k + k * k, l_ * l_], axis=1)
    if crystal_system == "orthorhombic":
        return np.stack([h * h, k * k, l_ * l_], axis=1)
    return np.round(inv_d2 * 1e6).astype(np.int64)[:, None]


@dataclass
class ReflectionSet:
    """Reflections down to d_min, grouped into overlapping families.

    Attributes:
        hkl: (n, 3) Miller indices, one Friedel half (the other half doubles intensities).
        group: (n,) group index of each hkl.
        representative: (g, 3) one hkl per group (largest d first).
        multiplicity: (g,) number of hkl in each group, Friedel mates included.
        phase_sums: (n, n_orbits) complex Σ_j exp(2πi h·r_j) over each orbit's sites.
    """

    hkl: np.ndarray
    group: np.ndarray
    representative: np.ndarray
    multiplicity: np.ndarray
    phase_sums: np.ndarray

    def inv_d2(self, lattice: Lattice) -> np.ndarray:
        """1/d² (Å⁻²) of each group for the given lattice."""
        reciprocal = lattice.reciprocal_lattice_crystallographic.matrix
        g = self.representative @ reciprocal
        return np.einsum("ij,ij->i", g, g)


def build_reflections(
    lattice: Lattice, orbits: list[Orbit], crystal_system: str, d_min_angstrom: float
) -> ReflectionSet:
    """All non-extinct reflections with d >= d_min, grouped by exact overlap.

    Reflections whose phase sums vanish for every orbit (lattice centring and glide/screw
    extinctions) are dropped: they stay absent whatever occupancies and Uiso become.

    Example:
        >>> from sselab.structures import antifluorite
        >>> orbits, system = orbits_from_structure(antifluorite(0.0, a=5.719))
        >>> refl = build_reflections(Lattice.cubic(5.719), orbits, system, 1.5)
        >>> refl.representative[0].tolist(), int(refl.multiplicity[0])
        ([1, 1, 1], 8)
    """
    if d_min_angstrom <= 0:
        raise ValueError(f"d_min = {d_min_angstrom} Å must be positive")
    reciprocal = lattice.reciprocal_lattice_crystallographic.matrix
    h_max = np.ceil(np.array(lattice.abc) / d_min_angstrom).astype(int)
    grids = [np.arange(-m, m + 1) for m in h_max]
    hkl = np.stack(np.meshgrid(*grids, indexing="ij"), axis=-1).reshape(-1, 3)
    h, k, l_ = hkl.T
    half = (h > 0) | ((h == 0) & (k > 0)) | ((h == 0) & (k == 0) & (l_ > 0))
    hkl = hkl[half]
    inv_d2 = np.einsum("ij,ij->i", hkl @ reciprocal, hkl @ reciprocal)
    hkl = hkl[inv_d2 <= 1.0 / d_min_angstrom**2]
    phase_sums = np.stack(
        [np.exp(2j * np.pi * hkl @ orbit.frac_coords.T).sum(axis=1) for orbit in orbits], axis=1
    )
    allowed = np.abs(phase_sums).max(axis=1) > 1e-6
    hkl, phase_sums = hkl[allowed], phase_sums[allowed]
    inv_d2 = np.einsum("ij,ij->i", hkl @ reciprocal, hkl @ reciprocal)
    keys = _metric_key(hkl, crystal_system, inv_d2)
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    order = np.argsort(inv_d2[first], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group = rank[group]
    representative = _group_labels(hkl, group, len(order))
    multiplicity = 2 * np.bincount(group, minlength=len(order))
    return ReflectionSet(hkl, group, representative, multiplicity, phase_sums)


def _group_labels(hkl: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """One member of each group (Friedel mates included) as its label: non-negative indices
    where possible, then the largest (h, k, l). It is a true member, so inv_d2() computed
    from it is exact for any crystal system (sorting indices is only valid for cubic)."""
    members = np.concatenate([hkl, -hkl])
    owners = np.concatenate([group, group])
    nonnegative = (members >= 0).all(axis=1)
    order = np.lexsort((-members[:, 2], -members[:, 1], -members[:, 0], ~nonnegative, owners))
    _, first = np.unique(owners[order], return_index=True)
    labels = np.zeros((n_groups, 3), dtype=members.dtype)
    labels[owners[order][first]] = members[order][first]
    return labels


def scattering_amplitudes(orbits: list[Orbit], s_inv_angstrom: np.ndarray, kind: str) -> np.ndarray:
    """Per-orbit scattering amplitude Σ_el occ·f_el(s)·exp(-8π²Uiso s²), shape (g, n_orbits).

    X-ray form factors use pymatgen's 4-Gaussian table and formula (neutral atoms); neutron
    lengths are the signed bound coherent lengths (fm) from pymatgen. s = sinθ/λ = 1/(2d).

    Example:
        >>> from sselab.structures import antifluorite
        >>> orbits, _ = orbits_from_structure(antifluorite(0.0, a=5.719), uiso_A2=0.0)
        >>> scattering_amplitudes(orbits, np.array([0.0]), "neutron").round(2).tolist()
        [[2.85, -1.9]]
    """
    s2 = np.asarray(s_inv_angstrom, dtype=float)[:, None] ** 2
    columns = []
    for orbit in orbits:
        amplitude = np.zeros(s2.shape[0])
        for element, occupancy in zip(orbit.elements, orbit.occupancies, strict=True):
            if kind == "xray":
                coeff = np.asarray(ATOMIC_SCATTERING_PARAMS[element])
                f = Element(element).Z - 41.78214 * s2[:, 0] * np.sum(
                    coeff[:, 0] * np.exp(-coeff[:, 1] * s2), axis=1
                )
            else:
                f = np.full(s2.shape[0], ATOMIC_SCATTERING_LEN[element])
            amplitude += occupancy * f
        columns.append(amplitude * np.exp(-8 * np.pi**2 * orbit.uiso_A2 * s2[:, 0]))
    return np.stack(columns, axis=1)


def group_f_squared(refl: ReflectionSet, orbits: list[Orbit], inv_d2: np.ndarray, kind: str):
    """Σ over each group's hkl of |F|² (Friedel mates included), shape (g,).

    Units: electrons² (X-ray) or fm² (neutron) per cell.

    Example:
        >>> from sselab.structures import antifluorite
        >>> orbits, system = orbits_from_structure(antifluorite(0.0, a=5.719), uiso_A2=0.0)
        >>> refl = build_reflections(Lattice.cubic(5.719), orbits, system, 1.5)
        >>> f2 = group_f_squared(refl, orbits, refl.inv_d2(Lattice.cubic(5.719)), "neutron")
        >>> bool(f2[1] > f2[2])  # (200) beats (220) for neutrons: Li and S lengths cancel
        True
    """
    amplitudes = scattering_amplitudes(orbits, 0.5 * np.sqrt(inv_d2), kind)
    structure_factor = np.einsum("no,no->n", refl.phase_sums, amplitudes[refl.group])
    f2 = np.abs(structure_factor) ** 2
    return 2 * np.bincount(refl.group, weights=f2, minlength=len(refl.multiplicity))
