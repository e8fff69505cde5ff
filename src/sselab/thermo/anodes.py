"""Anode and reducible-electrolyte reference phases from published crystallographic data.

Each builder returns an ordered pymatgen ``Structure`` at the experimental geometry
(space group, lattice and Wyckoff positions cited in its docstring). Relax with the
MLIP before taking energies; where a coordinate is a model rather than a measurement
the docstring says so.
"""

from __future__ import annotations

from collections.abc import Callable

from pymatgen.core import Lattice, Structure


def indium() -> Structure:
    """Indium, I4/mmm (139), a = 3.2523, c = 4.9461 Å, In at 2a (0, 0, 0).

    Source: Smith & Schneider, J. Less-Common Met. 7, 17 (1964).

    Example:
        >>> len(indium())
        2
    """
    return Structure.from_spacegroup(
        "I4/mmm", Lattice.tetragonal(3.2523, 4.9461), ["In"], [[0, 0, 0]]
    )


def natl_type(metal: str, a_angstrom: float) -> Structure:
    """LiM in the NaTl (B32) type, Fd-3m (227): Li 8a, M 8b (origin choice 1).

    Written in its F-43m description: Li at 4a (0, 0, 0) and 4c (1/4, 1/4, 1/4), M at
    4b (1/2, 1/2, 1/2) and 4d (3/4, 3/4, 3/4), i.e. two interpenetrating diamond lattices.

    Example:
        >>> natl_type("In", 6.80).composition.reduced_formula
        'LiIn'
    """
    return Structure.from_spacegroup(
        "F-43m",
        Lattice.cubic(a_angstrom),
        ["Li", "Li", metal, metal],
        [[0, 0, 0], [0.25, 0.25, 0.25], [0.5, 0.5, 0.5], [0.75, 0.75, 0.75]],
    )


def lithium_indium() -> Structure:
    """LiIn, NaTl (B32) type (:func:`natl_type`), a = 6.80 Å.

    Source: Zintl & Brauer, Z. Phys. Chem. B 20, 245 (1933).

    Example:
        >>> lithium_indium().composition.reduced_formula
        'LiIn'
    """
    return natl_type("In", 6.80)


def silicon() -> Structure:
    """Diamond Si, Fd-3m (227), a = 5.431 Å (Si 4a + 4c in the F-43m description).

    Source: Okada & Tokumaru, J. Appl. Phys. 56, 314 (1984).

    Example:
        >>> len(silicon())
        8
    """
    return Structure.from_spacegroup(
        "F-43m", Lattice.cubic(5.431), ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]]
    )


def cu15si4_type(metal: str, a_angstrom: float) -> Structure:
    """Li15M4 in the Cu15Si4 type, I-43d (220): Li1 12a (3/8, 0, 1/4), Li2 48e (0.1146,
    0.1570, 0.9580), M 16c (0.4590, x, x) (the type's coordinates; relax before use).

    Example:
        >>> len(cu15si4_type("Si", 10.685))
        76
    """
    return Structure.from_spacegroup(
        "I-43d",
        Lattice.cubic(a_angstrom),
        ["Li", "Li", metal],
        [[0.375, 0, 0.25], [0.1146, 0.1570, 0.9580], [0.4590, 0.4590, 0.4590]],
    )


def li15si4() -> Structure:
    """Li15Si4 (Cu15Si4 type), I-43d (220), a = 10.685 Å.

    Li1 12a (3/8, 0, 1/4), Li2 48e (0.1146, 0.1570, 0.9580), Si 16c (0.4590, x, x).
    Source: Obrovac & Christensen, Electrochem. Solid-State Lett. 7, A93 (2004) (cell and
    type); coordinates of the Cu15Si4 type (Mattern & Hofmann); relax before use.

    Example:
        >>> li15si4().composition.reduced_formula
        'Li15Si4'
    """
    return cu15si4_type("Si", 10.685)


def graphite() -> Structure:
    """Hexagonal (AB) graphite, P63/mmc (194), a = 2.464, c = 6.711 Å; C 2b and 2c.

    Source: Trucano & Chen, Nature 258, 136 (1975). The MLIPs (PBE-trained) lack
    van der Waals binding, so the interlayer spacing is poorly described; the
    in-plane energy, which dominates, is not.

    Example:
        >>> len(graphite())
        4
    """
    return Structure.from_spacegroup(
        "P6_3/mmc",
        Lattice.hexagonal(2.464, 6.711),
        ["C", "C"],
        [[0, 0, 0.25], [1 / 3, 2 / 3, 0.25]],
    )


def lic6() -> Structure:
    """LiC6, P6/mmm (191), a = 4.305, c = 3.706 Å; Li 1a (0, 0, 0), C 6k (1/3, 0, 1/2).

    Source: Guérard & Hérold, Carbon 13, 337 (1975).

    Example:
        >>> lic6().composition.reduced_formula
        'LiC6'
    """
    return Structure.from_spacegroup(
        "P6/mmm", Lattice.hexagonal(4.305, 3.706), ["Li", "C"], [[0, 0, 0], [1 / 3, 0, 0.5]]
    )


def titanium() -> Structure:
    """alpha-Ti, P63/mmc (194), a = 2.9506, c = 4.6835 Å, Ti at 2c (1/3, 2/3, 1/4).

    Source: Wood, Proc. Phys. Soc. 80, 783 (1962).

    Example:
        >>> len(titanium())
        2
    """
    return Structure.from_spacegroup(
        "P6_3/mmc", Lattice.hexagonal(2.9506, 4.6835), ["Ti"], [[1 / 3, 2 / 3, 0.25]]
    )


def tis2() -> Structure:
    """TiS2 (CdI2 type), P-3m1 (164), a = 3.4073, c = 5.6953 Å; Ti 1a, S 2d z = 0.2501.

    Source: Chianelli, Scanlon & Thompson, Mater. Res. Bull. 10, 1379 (1975).

    Example:
        >>> tis2().composition.reduced_formula
        'TiS2'
    """
    return Structure.from_spacegroup(
        "P-3m1",
        Lattice.hexagonal(3.4073, 5.6953),
        ["Ti", "S"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.2501]],
    )


def litis2() -> Structure:
    """LiTiS2, P-3m1 (164), a = 3.4567, c = 6.1941 Å; Ti 1a, Li 1b (0, 0, 1/2), S 2d.

    Li in the octahedral sites of the van der Waals gap of TiS2; S z = 0.25 is a model
    value (relax before use). Source of cell: Dahn, Py & Haering, Can. J. Phys. 60,
    307 (1982). Ti is formally Ti3+: Li metal reduces it (LiTiS2 + 3 Li -> Ti + 2 Li2S),
    which makes it the "deliberately reducible" control of the interface tests.

    Example:
        >>> litis2().composition.reduced_formula
        'LiTiS2'
    """
    return Structure.from_spacegroup(
        "P-3m1",
        Lattice.hexagonal(3.4567, 6.1941),
        ["Ti", "Li", "S"],
        [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0.25]],
    )


ANODE_BUILDERS: dict[str, Callable[[], Structure]] = {
    "In": indium,
    "LiIn": lithium_indium,
    "Si": silicon,
    "Li15Si4": li15si4,
    "C": graphite,
    "LiC6": lic6,
}

REDUCIBLE_BUILDERS: dict[str, Callable[[], Structure]] = {
    "Ti": titanium,
    "TiS2": tis2,
    "LiTiS2": litis2,
}

# Reference phases each anode's chemical space needs besides Li-N-S (Li is there).
ANODE_SYSTEMS: dict[str, tuple[str, ...]] = {
    "Li": (),
    "In": ("In", "LiIn"),
    "LiIn": ("In", "LiIn"),
    "Si": ("Si", "Li15Si4"),
    "Li15Si4": ("Si", "Li15Si4"),
    "C": ("C", "LiC6"),
    "LiC6": ("C", "LiC6"),
}
