"""Li-metal reduction products and elemental references beyond Li–N–S, for any structure.

A structure file's Li-metal stability needs the phases its reduction by Li can form.
This library ships, for the elements of the validation set (Li, O, F, Cl, Br, I, P, Al,
Ge, La, Zr, Sc, Ta, Ba; with Li–N–S in ``sselab.structures`` and In, Ti, Si, C in
``sselab.thermo.anodes``):

- the most lithiated binaries, the end points of reduction at 0 V: Li2O, LiF, LiCl,
  LiBr, LiI, Li3P, LiAl, Li15Ge4;
- the binary oxides a garnet, LLTO or a NASICON reduces through first: TiO2, GeO2,
  Al2O3, La2O3, ZrO2;
- the elements: metals at their room-temperature structures, black phosphorus, and the
  molecular elements O2, F2, Cl2, Br2 and I2 as isolated molecules in a box.

What it leaves out, and what that does to the answers: the other intermediate phases
(Ta2O5, BaO, the metal sulfides and halides such as GeS2 or ScCl3, ternaries such as
Li3PS4, Li3PO4, Li2TiO3 or Li2ZrO3) are not shipped. A reaction found with these phases is real (an
argyrodite with Li forms Li2S + Li3P + LiCl), so "reduced" holds; but the first
reduction step may run through a missing phase at a higher voltage, so the reduction
limit is a lower bound, and a compound whose reduction at 0 V stops at a missing
phase (Li2ZrO3 for a garnet) can read stable when it is not. Energies of reactions
between compounds do not depend on the elemental references, but the oxidation limit
does, and an isolated molecule lacks its crystal's sublimation energy (0.1-0.3 eV/atom
for the halogens); with no oxidised phases shipped either, the screen does not report
oxidation limits from hulls that hold these phases.

Each builder returns an ordered ``Structure`` at the cited (or stated model) geometry;
relax it with the MLIP before taking energies.

Example:
    >>> sorted(REDUCTION_BUILDERS)[:4]
    ['Al', 'Al2O3', 'Ba', 'Br2']
"""

from __future__ import annotations

from collections.abc import Callable

from pymatgen.core import Lattice, Structure

from sselab.structures.references import li2x_antifluorite, na3as_type
from sselab.thermo.anodes import cu15si4_type, natl_type

# Box edge for the molecular elements: wider than twice the 6 Å MLIP cutoff, so a
# molecule sees no periodic image.
MOLECULE_BOX_ANGSTROM = 13.0
# Bond lengths of the free molecules (Å): NIST Computational Chemistry Comparison and
# Benchmark Database, experimental diatomic data.
_BOND_ANGSTROM = {"O": 1.2075, "F": 1.4119, "Cl": 1.9879, "Br": 2.2811, "I": 2.6663}
# elements whose reference here is an isolated molecule (oxidation limits rough)
MOLECULAR_ELEMENTS = frozenset(_BOND_ANGSTROM)
_WYCKOFF = "R. W. G. Wyckoff, Crystal Structures, vol. 1, 2nd ed., Interscience (1963)"


def _rock_salt(halogen: str, a_angstrom: float) -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(a_angstrom), ["Li", halogen], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def _molecule(element: str) -> Callable[[], Structure]:
    def build() -> Structure:
        half = _BOND_ANGSTROM[element] / 2 / MOLECULE_BOX_ANGSTROM
        return Structure(
            Lattice.cubic(MOLECULE_BOX_ANGSTROM),
            [element, element],
            [[0.5, 0.5, 0.5 - half], [0.5, 0.5, 0.5 + half]],
        )

    build.__doc__ = (
        f"{element}2 molecule ({_BOND_ANGSTROM[element]} Å bond) in a "
        f"{MOLECULE_BOX_ANGSTROM:g} Å cubic box: the element reference (not its crystal)."
    )
    return build


def _hcp(element: str, a: float, c: float) -> Structure:
    return Structure.from_spacegroup(
        "P6_3/mmc", Lattice.hexagonal(a, c), [element], [[1 / 3, 2 / 3, 0.25]]
    )


def lithium_oxide() -> Structure:
    """Li2O antifluorite, Fm-3m (225), a = 4.61 Å; O 4a, Li 8c.

    Source: Wyckoff, Crystal Structures, vol. 1 (1963).

    Example:
        >>> lithium_oxide().composition.reduced_formula
        'Li2O'
    """
    return li2x_antifluorite("O", 4.61)


def lithium_phosphide() -> Structure:
    """Li3P (Na3As type), P63/mmc (194), a = 4.273, c = 7.594 Å.

    P 2c (1/3, 2/3, 1/4), Li1 2b (0, 0, 1/4), Li2 4f (1/3, 2/3, 0.583): the Na3As-type
    positions of beta-Li3N (z of 4f is that type's, a model here; relax before use).
    Source: G. Brauer, E. Zintl, Z. Phys. Chem. B 37, 323 (1937).

    Example:
        >>> len(lithium_phosphide())
        8
    """
    return na3as_type("P", 4.273, 7.594)


def lithium_aluminium() -> Structure:
    """LiAl, NaTl (B32) type (``sselab.thermo.anodes.natl_type``), a = 6.37 Å.

    Source: Zintl & Brauer, Z. Phys. Chem. B 20, 245 (1933) (the NaTl type of LiAl).

    Example:
        >>> lithium_aluminium().composition.reduced_formula
        'LiAl'
    """
    return natl_type("Al", 6.37)


def li15ge4() -> Structure:
    """Li15Ge4 (Cu15Si4 type), I-43d (220), a = 10.78 Å.

    The Cu15Si4-type coordinates of Li15Si4 (``sselab.thermo.anodes.li15si4``) in the
    germanide's cell (a model; relax before use). Source of the type and cell:
    Q. Johnson, G. S. Smith, D. Wood, Acta Cryst. 18, 131 (1965).

    Example:
        >>> li15ge4().composition.reduced_formula
        'Li15Ge4'
    """
    return cu15si4_type("Ge", 10.78)


def black_phosphorus() -> Structure:
    """Black phosphorus, Cmce (64), a = 3.3136, b = 10.478, c = 4.3763 Å; P 8f (0, y, z).

    y = 0.10168, z = 0.08056. Source: A. Brown, S. Rundqvist, Acta Cryst. 19, 684 (1965).

    Example:
        >>> len(black_phosphorus())
        8
    """
    return Structure.from_spacegroup(
        "Cmce",
        Lattice.orthorhombic(3.3136, 10.478, 4.3763),
        ["P"],
        [[0, 0.10168, 0.08056]],
    )


def lanthanum() -> Structure:
    """alpha-La (dhcp), P63/mmc (194), a = 3.770, c = 12.159 Å; La 2a (0, 0, 0), 2c.

    Source: Wyckoff, Crystal Structures, vol. 1 (1963).

    Example:
        >>> len(lanthanum())
        4
    """
    return Structure.from_spacegroup(
        "P6_3/mmc",
        Lattice.hexagonal(3.770, 12.159),
        ["La", "La"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0.25]],
    )


def rutile(metal: str, a: float, c: float, x: float) -> Structure:
    """A rutile-type dioxide MO2, P42/mnm (136); M 2a (0, 0, 0), O 4f (x, x, 0).

    Sources: TiO2 a = 4.5937, c = 2.9587 Å, x = 0.3048 (J. K. Burdett et al., J. Am.
    Chem. Soc. 109, 3639 (1987)); GeO2 a = 4.3966, c = 2.8626 Å, x = 0.3060 (W. H. Baur,
    A. A. Khan, Acta Cryst. B 27, 2133 (1971)).

    Example:
        >>> rutile("Ti", 4.5937, 2.9587, 0.3048).composition.reduced_formula
        'TiO2'
    """
    return Structure.from_spacegroup(
        "P4_2/mnm", Lattice.tetragonal(a, c), [metal, "O"], [[0, 0, 0], [x, x, 0]]
    )


def corundum_alumina() -> Structure:
    """alpha-Al2O3 (corundum), R-3c (167), hexagonal a = 4.7589, c = 12.991 Å.

    Al 12c (0, 0, 0.35216), O 18e (0.30624, 0, 1/4). Source: J. Lewis, D. Schwarzenbach,
    H. D. Flack, Acta Cryst. A 38, 733 (1982).

    Example:
        >>> len(corundum_alumina())
        30
    """
    return Structure.from_spacegroup(
        "R-3c",
        Lattice.hexagonal(4.7589, 12.991),
        ["Al", "O"],
        [[0, 0, 0.35216], [0.30624, 0, 0.25]],
    )


def lanthanum_oxide() -> Structure:
    """A-type La2O3, P-3m1 (164), a = 3.938, c = 6.136 Å.

    La 2d (1/3, 2/3, 0.2467), O1 1a (0, 0, 0), O2 2d (1/3, 2/3, 0.6470). Source:
    P. Aldebert, J. P. Traverse, Mater. Res. Bull. 14, 303 (1979).

    Example:
        >>> lanthanum_oxide().composition.reduced_formula
        'La2O3'
    """
    return Structure.from_spacegroup(
        "P-3m1",
        Lattice.hexagonal(3.938, 6.136),
        ["La", "O", "O"],
        [[1 / 3, 2 / 3, 0.2467], [0, 0, 0], [1 / 3, 2 / 3, 0.6470]],
    )


def baddeleyite() -> Structure:
    """Monoclinic ZrO2 (baddeleyite), P21/c (14), a = 5.1505, b = 5.2116, c = 5.3173 Å,
    beta = 99.23°; Zr (0.2754, 0.0395, 0.2083), O1 (0.0700, 0.3317, 0.3447),
    O2 (0.4496, 0.7569, 0.4792), all 4e.

    Source: C. J. Howard, R. J. Hill, B. E. Reichert, Acta Cryst. B 44, 116 (1988).

    Example:
        >>> baddeleyite().composition.reduced_formula
        'ZrO2'
    """
    return Structure.from_spacegroup(
        "P2_1/c",
        Lattice.monoclinic(5.1505, 5.2116, 5.3173, 99.23),
        ["Zr", "O", "O"],
        [[0.2754, 0.0395, 0.2083], [0.0700, 0.3317, 0.3447], [0.4496, 0.7569, 0.4792]],
    )


def _cubic(element: str, space_group: str, a: float, coords: list[list[float]]) -> Structure:
    return Structure.from_spacegroup(space_group, Lattice.cubic(a), [element] * len(coords), coords)


def _doc(builder: Callable[[], Structure], text: str) -> Callable[[], Structure]:
    builder.__doc__ = f"{text} Source: {_WYCKOFF}."
    return builder


REDUCTION_BUILDERS: dict[str, Callable[[], Structure]] = {
    "Li2O": lithium_oxide,
    "LiF": _doc(lambda: _rock_salt("F", 4.027), "LiF rock salt, a = 4.027 Å."),
    "LiCl": _doc(lambda: _rock_salt("Cl", 5.130), "LiCl rock salt, a = 5.130 Å."),
    "LiBr": _doc(lambda: _rock_salt("Br", 5.501), "LiBr rock salt, a = 5.501 Å."),
    "LiI": _doc(lambda: _rock_salt("I", 6.000), "LiI rock salt, a = 6.000 Å."),
    "Li3P": lithium_phosphide,
    "LiAl": lithium_aluminium,
    "Li15Ge4": li15ge4,
    "TiO2": lambda: rutile("Ti", 4.5937, 2.9587, 0.3048),
    "GeO2": lambda: rutile("Ge", 4.3966, 2.8626, 0.3060),
    "Al2O3": corundum_alumina,
    "La2O3": lanthanum_oxide,
    "ZrO2": baddeleyite,
    "P": black_phosphorus,
    "Al": _doc(lambda: _cubic("Al", "Fm-3m", 4.0495, [[0, 0, 0]]), "fcc Al, a = 4.0495 Å."),
    "Ge": _doc(
        lambda: _cubic("Ge", "F-43m", 5.6575, [[0, 0, 0], [0.25, 0.25, 0.25]]),
        "diamond Ge, a = 5.6575 Å.",
    ),
    "Ta": _doc(lambda: _cubic("Ta", "Im-3m", 3.3058, [[0, 0, 0]]), "bcc Ta, a = 3.3058 Å."),
    "Ba": _doc(lambda: _cubic("Ba", "Im-3m", 5.028, [[0, 0, 0]]), "bcc Ba, a = 5.028 Å."),
    "La": lanthanum,
    "Zr": _doc(lambda: _hcp("Zr", 3.232, 5.147), "hcp Zr, a = 3.232, c = 5.147 Å."),
    "Sc": _doc(lambda: _hcp("Sc", 3.309, 5.273), "hcp Sc, a = 3.309, c = 5.273 Å."),
    **{f"{element}2": _molecule(element) for element in sorted(_BOND_ANGSTROM)},
}
