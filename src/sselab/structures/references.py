"""Reference phases of the Li–N–S system built from published crystallographic data.

Each builder returns an ordered pymatgen ``Structure`` at the experimental (or, where
none exists, literature-model) geometry; relax it with the MLIP before taking
energies. Sources are cited in each docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pymatgen.core import Lattice, Structure


def lithium_bcc() -> Structure:
    """bcc Li, Im-3m (229), a = 3.51 Å, Li at 2a (0, 0, 0).

    Source: room-temperature bcc Li, Berliner & Werner, Phys. Rev. B 34, 3586 (1986).

    Example:
        >>> len(lithium_bcc())
        2
    """
    return Structure.from_spacegroup("Im-3m", Lattice.cubic(3.51), ["Li"], [[0, 0, 0]])


def li2x_antifluorite(anion: str, a_angstrom: float) -> Structure:
    """Li2X antifluorite, Fm-3m (225): X 4a (0, 0, 0), Li 8c (1/4, 1/4, 1/4).

    Example:
        >>> li2x_antifluorite("O", 4.61).composition.reduced_formula
        'Li2O'
    """
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a_angstrom), [anion, "Li"], [[0, 0, 0], [0.25, 0.25, 0.25]]
    )


def li2s() -> Structure:
    """Li2S antifluorite, Fm-3m (225), a = 5.719 Å; S 4a (0, 0, 0), Li 8c (1/4, 1/4, 1/4).

    Source: ICSD 642291, the cell the paper used for BVSE (Yu et al., JACS 2024).

    Example:
        >>> li2s().composition.reduced_formula
        'Li2S'
    """
    return li2x_antifluorite("S", 5.719)


def alpha_li3n() -> Structure:
    """alpha-Li3N, P6/mmm (191), a = 3.648, c = 3.875 Å; N 1a, Li1 1b, Li2 2c.

    Source: Rabenau & Schultz, J. Less-Common Met. 50, 155 (1976).

    Example:
        >>> alpha_li3n().composition.reduced_formula
        'Li3N'
    """
    return Structure.from_spacegroup(
        "P6/mmm",
        Lattice.hexagonal(3.648, 3.875),
        ["N", "Li", "Li"],
        [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0]],
    )


def na3as_type(anion: str, a_angstrom: float, c_angstrom: float) -> Structure:
    """Li3X in the Na3As type, P63/mmc (194): X 2c (1/3, 2/3, 1/4), Li1 2b (0, 0, 1/4),
    Li2 4f (1/3, 2/3, 0.583) (z of 4f as refined for beta-Li3N).

    Example:
        >>> na3as_type("N", 3.552, 6.311).composition.reduced_formula
        'Li3N'
    """
    return Structure.from_spacegroup(
        "P6_3/mmc",
        Lattice.hexagonal(a_angstrom, c_angstrom),
        [anion, "Li", "Li"],
        [[1 / 3, 2 / 3, 0.25], [0, 0, 0.25], [1 / 3, 2 / 3, 0.583]],
    )


def beta_li3n() -> Structure:
    """beta-Li3N (Na3As type), P63/mmc (194), a = 3.552, c = 6.311 Å.

    N 2c (1/3, 2/3, 1/4), Li1 2b (0, 0, 1/4), Li2 4f (1/3, 2/3, 0.583).
    Source: Huq et al., J. Appl. Phys. 101, 053514 (2007).

    Example:
        >>> len(beta_li3n())
        8
    """
    return na3as_type("N", 3.552, 6.311)


def lithium_azide() -> Structure:
    """LiN3, C2/m (12), a = 5.627, b = 3.319, c = 4.979 Å, beta = 107.4°.

    Li 2a (0, 0, 0), central N 2c (0, 0, 1/2), terminal N 4i (x, 0, z) placed at
    the 1.17 Å azide N–N bond length along the [1 0 -2] direction of the NaN3-type
    arrangement. Source of cell and arrangement: Pringle & Noakes, Acta Cryst. B 24,
    262 (1968); the terminal-N coordinate is a model (relax before use).

    Example:
        >>> lithium_azide().composition.reduced_formula
        'LiN3'
    """
    lattice = Lattice.monoclinic(5.627, 3.319, 4.979, 107.4)
    direction = lattice.get_cartesian_coords([1, 0, -2])
    step = lattice.get_fractional_coords(1.17 * direction / math.hypot(*direction))
    return Structure.from_spacegroup(
        "C2/m",
        lattice,
        ["Li", "N", "N"],
        [[0, 0, 0], [0, 0, 0.5], [step[0], 0, 0.5 + step[2]]],
    )


def li2s2() -> Structure:
    """Li2S2 in the Li2O2 structure type, P63/mmc (194), a = 3.94, c = 9.25 Å.

    Li1 2a (0, 0, 0), Li2 2c (1/3, 2/3, 1/4), S 4f (1/3, 2/3, z) with z set for a
    2.10 Å S–S bond. No experimental structure exists; the Li2O2-type model is the
    DFT ground state proposed by Feng et al., Phys. Chem. Chem. Phys. 16, 16931 (2014).
    Relax before use.

    Example:
        >>> li2s2().composition.reduced_formula
        'LiS'
    """
    c = 9.25
    z = 0.75 + 2.10 / (2 * c)
    return Structure.from_spacegroup(
        "P6_3/mmc",
        Lattice.hexagonal(3.94, c),
        ["Li", "Li", "S"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.25], [1 / 3, 2 / 3, z]],
    )


def alpha_sulfur() -> Structure:
    """alpha-S8, Fddd (70, origin choice 2), a = 10.4646, b = 12.8660, c = 24.4860 Å.

    Four S sites (32h), 128 atoms in crown-shaped S8 rings (S–S 2.02–2.10 Å).
    Source: Rettig & Trotter, Acta Cryst. C 43, 2260 (1987).

    Example:
        >>> len(alpha_sulfur())
        128
    """
    return Structure.from_spacegroup(
        "Fddd:2",
        Lattice.orthorhombic(10.4646, 12.8660, 24.4860),
        ["S"] * 4,
        [
            [0.85556, 0.95260, 0.95152],
            [0.78650, 0.03027, 0.07636],
            [0.70682, 0.97767, 0.00255],
            [0.78619, 0.90940, 0.12914],
        ],
    )


def alpha_nitrogen() -> Structure:
    """alpha-N2, Pa-3 (205), a = 5.661 Å, N at 8c (x, x, x), x for a 1.098 Å N≡N bond.

    Source: Venables & English, Acta Cryst. B 30, 929 (1974) (cell, Pa-3 ordering);
    x from the gas-phase bond length.

    Example:
        >>> alpha_nitrogen().composition.reduced_formula
        'N2'
    """
    a = 5.661
    x = 1.098 / (2 * math.sqrt(3) * a)
    return Structure.from_spacegroup("Pa-3", Lattice.cubic(a), ["N"], [[x, x, x]])


REFERENCE_BUILDERS: dict[str, Callable[[], Structure]] = {
    "Li": lithium_bcc,
    "Li2S": li2s,
    "alpha-Li3N": alpha_li3n,
    "beta-Li3N": beta_li3n,
    "LiN3": lithium_azide,
    "Li2S2": li2s2,
    "alpha-S8": alpha_sulfur,
    "alpha-N2": alpha_nitrogen,
}


def reference_phases(names: list[str] | None = None) -> dict[str, Structure]:
    """Reference phases of the Li–N–S system by name (all of them by default).

    Names: Li, Li2S, alpha-Li3N, beta-Li3N, LiN3, Li2S2, alpha-S8, alpha-N2.

    Example:
        >>> sorted(reference_phases(["Li", "Li2S"]))
        ['Li', 'Li2S']
    """
    names = list(REFERENCE_BUILDERS) if names is None else names
    unknown = [n for n in names if n not in REFERENCE_BUILDERS]
    if unknown:
        raise KeyError(f"unknown reference phase(s) {unknown}; known: {list(REFERENCE_BUILDERS)}")
    return {name: REFERENCE_BUILDERS[name]() for name in names}
