"""The Li-metal reduction products and element references shipped for screened structures."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from sselab.thermo.reduction_products import (
    MOLECULAR_ELEMENTS,
    MOLECULE_BOX_ANGSTROM,
    REDUCTION_BUILDERS,
)
from sselab.thermo.systems import phases_in_system

# name -> (reduced formula, space group number) of the cited structure type
EXPECTED = {
    "Li2O": ("Li2O", 225),
    "LiF": ("LiF", 225),
    "LiCl": ("LiCl", 225),
    "LiBr": ("LiBr", 225),
    "LiI": ("LiI", 225),
    "Li3P": ("Li3P", 194),
    "LiAl": ("LiAl", 227),
    "Li15Ge4": ("Li15Ge4", 220),
    "P": ("P", 64),
    "Al": ("Al", 225),
    "Ge": ("Ge", 227),
    "Ta": ("Ta", 229),
    "Ba": ("Ba", 229),
    "La": ("La", 194),
    "Zr": ("Zr", 194),
    "Sc": ("Sc", 194),
    "TiO2": ("TiO2", 136),
    "GeO2": ("GeO2", 136),
    "Al2O3": ("Al2O3", 167),
    "La2O3": ("La2O3", 164),
    "ZrO2": ("ZrO2", 14),
}
# metal-oxygen coordination of the oxides (published polyhedra; O within 2.8 Å)
COORDINATION = {"TiO2": 6, "GeO2": 6, "Al2O3": 6, "La2O3": 7, "ZrO2": 7}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_crystals_have_their_space_group_and_sane_bonds(name: str) -> None:
    structure = REDUCTION_BUILDERS[name]()
    formula, number = EXPECTED[name]
    assert structure.composition.reduced_formula == formula
    assert SpacegroupAnalyzer(structure, symprec=0.01).get_space_group_number() == number
    distances = structure.distance_matrix + 99 * np.eye(len(structure))
    assert distances.min() > 1.8  # shortest here: Al-O 1.86 Å in corundum
    if name in COORDINATION:
        metal = next(site for site in structure if site.specie.symbol != "O")
        oxygens = [n for n in structure.get_neighbors(metal, 2.8) if n.specie.symbol == "O"]
        assert len(oxygens) == COORDINATION[name]


@pytest.mark.parametrize("element", sorted(MOLECULAR_ELEMENTS))
def test_molecules_see_no_periodic_image_within_the_mlip_cutoff(element: str) -> None:
    molecule = REDUCTION_BUILDERS[f"{element}2"]()
    assert len(molecule) == 2 and molecule.composition.reduced_formula in (element, f"{element}2")
    # neighbours within 6 Å: only the partner atom (no image of the molecule)
    assert [len(molecule.get_neighbors(site, 6.0)) for site in molecule] == [1, 1]
    assert MOLECULE_BOX_ANGSTROM - molecule.get_distance(0, 1) > 6.0


def test_the_validation_set_elements_all_have_a_system() -> None:
    """Every element of the validation set has an elemental reference, so no compound's
    window is 'unknown' for want of one; an argyrodite's system holds its full reduction
    products (Li2S, Li3P, LiCl)."""
    from sselab.structures.conductors import validation_set

    for conductor in validation_set():
        elements = {el.symbol for el in conductor.structure.composition.elements}
        assert phases_in_system(elements), conductor.name
    assert {"Li2S", "Li3P", "LiCl", "P", "Cl2"} <= set(phases_in_system(["Li", "P", "S", "Cl"]))
