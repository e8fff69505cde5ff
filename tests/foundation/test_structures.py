"""Antifluorite builder, orderings, reference phases and file reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Composition

from sselab.structures import (
    StructureFileError,
    actual_x,
    antifluorite,
    enumerate_orderings,
    read_structure,
    reference_phases,
)


def _charge(structure) -> float:
    return sum(sp.oxi_state * n for sp, n in structure.composition.items())


@pytest.mark.parametrize("x", [0.1, 0.25, 0.5, 0.7, 0.95])
def test_antifluorite_composition_and_neutrality(x: float) -> None:
    s = antifluorite(x)
    comp = s.composition.element_composition
    n_anion = comp["N"] + comp["S"]
    assert n_anion == pytest.approx(4.0)  # conventional cell: 4 formula units
    assert comp["Li"] / n_anion == pytest.approx(2 + x)
    assert comp["N"] / n_anion == pytest.approx(x)
    assert _charge(s) == pytest.approx(0.0, abs=1e-9)


def test_antifluorite_site_occupancies() -> None:
    x = 0.5
    s = antifluorite(x)
    assert s.get_space_group_info()[1] == 225
    by_occupancy: dict[str, list] = {}
    for site in s:
        occ = {str(sp.element): round(f, 6) for sp, f in site.species.items()}
        by_occupancy.setdefault(str(sorted(occ.items())), []).append(site)
    occupations = {key: len(sites) for key, sites in by_occupancy.items()}
    assert occupations[str(sorted({"S": 0.5, "N": 0.5}.items()))] == 4  # 4a
    assert occupations[str([("Li", 1.0)])] == 8  # 8c
    assert occupations[str([("Li", round(x / 6, 6))])] == 24  # 24e


def test_other_chemistries_and_bad_x() -> None:
    assert antifluorite(0.3, anions=("O", "N")).composition.reduced_formula.startswith("Li")
    na = antifluorite(0.5, anions=("S", "N"), cation="Na")
    assert na.lattice.a > antifluorite(0.5).lattice.a
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="outside"):
            antifluorite(bad)
    with pytest.raises(ValueError, match="divalent, trivalent"):
        antifluorite(0.5, anions=("N", "S"))


def test_orderings_count_distinct_and_valid() -> None:
    cells = enumerate_orderings(antifluorite(0.5), supercell=(1, 1, 1), n=6, seed=1)
    assert 2 <= len(cells) <= 6
    for cell in cells:
        assert cell.is_ordered
        assert actual_x(cell) == pytest.approx(0.5)
        assert _charge(cell) == pytest.approx(0.0, abs=1e-9)
        assert cell.composition["Li+"] == 10
        li_extra = [site for site in cell if site.specie.symbol == "Li"]
        assert len(li_extra) == 10
    # distinct: no two candidates match under symmetry
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher = StructureMatcher(primitive_cell=False, attempt_supercell=False, scale=False)
    for i in range(len(cells)):
        for j in range(i + 1, len(cells)):
            assert not matcher.fit(cells[i], cells[j])
    # Ewald-ranked
    from sselab.structures import ewald_energy_per_atom

    energies = [ewald_energy_per_atom(c) for c in cells]
    assert energies == sorted(energies)
    # same seed, same candidates
    again = enumerate_orderings(antifluorite(0.5), supercell=(1, 1, 1), n=6, seed=1)
    assert [c.composition for c in again] == [c.composition for c in cells]
    assert np.allclose(again[0].cart_coords, cells[0].cart_coords)


def test_orderings_respect_interstitial_cutoff() -> None:
    cells = enumerate_orderings(antifluorite(0.375), supercell=(2, 1, 1), n=3, seed=0)
    for cell in cells:
        interstitial = [
            i
            for i, site in enumerate(cell)
            if site.specie.symbol == "Li"
            # 8c sits on multiples of 1/4 of the parent cell; 24e does not
            and not np.allclose(
                site.frac_coords * [8, 4, 4], np.round(site.frac_coords * [8, 4, 4]), atol=1e-6
            )
        ]
        assert len(interstitial) == 3
        d = cell.distance_matrix[np.ix_(interstitial, interstitial)]
        assert d[np.triu_indices(3, 1)].min() >= 2.0


def test_reference_phases_compositions() -> None:
    phases = reference_phases()
    formulas = {name: s.composition.reduced_formula for name, s in phases.items()}
    assert formulas == {
        "Li": "Li",
        "Li2S": "Li2S",
        "alpha-Li3N": "Li3N",
        "beta-Li3N": "Li3N",
        "LiN3": "LiN3",
        "Li2S2": "LiS",
        "alpha-S8": "S",
        "alpha-N2": "N2",
    }
    # molecular crystals: every S has two S neighbours at 2.0-2.1 Å (S8 rings)
    s8 = phases["alpha-S8"]
    neighbours = [len(s8.get_neighbors(site, 2.2)) for site in s8]
    assert set(neighbours) == {2}
    with pytest.raises(KeyError, match="unknown reference"):
        reference_phases(["Li3P"])


def test_read_structure_round_trip_and_errors(tmp_path: Path) -> None:
    cif = tmp_path / "li25.cif"
    antifluorite(0.5).to(filename=str(cif))
    back = read_structure(cif)
    assert not back.is_ordered
    assert back.composition.element_composition.reduced_composition.almost_equals(
        Composition("Li5NS")
    )

    malformed = tmp_path / "broken.cif"
    malformed.write_text("data_x\n_cell_length_a 5.0\nloop_\n_atom_site_label\nLi1 0 0\n")
    with pytest.raises(StructureFileError, match=r"broken\.cif"):
        read_structure(malformed)
    empty = tmp_path / "empty.cif"
    empty.write_text("")
    with pytest.raises(StructureFileError, match="empty"):
        read_structure(empty)
    with pytest.raises(StructureFileError, match="no such file"):
        read_structure(tmp_path / "missing.cif")
    poscar = tmp_path / "POSCAR"
    poscar.write_text("Li\n1.0\n3 0 0\n")
    with pytest.raises(StructureFileError, match="POSCAR"):
        read_structure(poscar)


def _interstitial_anion_distances(cell) -> np.ndarray:
    """Distance of every interstitial Li to its nearest anion.

    Interstitial: a partially occupied Li site of a disordered cell, or in an ordered cell
    a Li without the 8c signature (4 equidistant anions).
    """
    symbols = [{sp.symbol for sp in site.species.elements} for site in cell]
    anions = [i for i, s in enumerate(symbols) if "Li" not in s]
    distances = []
    for i, site in enumerate(cell):
        if symbols[i] != {"Li"}:
            continue
        to_anions = np.sort(cell.distance_matrix[i, anions])
        tetrahedral = (
            np.allclose(to_anions[:4], to_anions[0], atol=1e-3)
            if cell.is_ordered
            else site.species.num_atoms > 0.999
        )
        if not tetrahedral:
            distances.append(to_anions[0])
    return np.array(distances)


@pytest.mark.parametrize("x", [0.125, 0.25, 0.5, 0.75, 0.875])
def test_interstitial_li_is_not_on_top_of_an_anion(x: float) -> None:
    """Issue #15: the paper's u = 0.28 put the extra Li 1.52 Å from an anion at a = 5.44 Å."""
    cell = antifluorite(x)
    distances = _interstitial_anion_distances(cell)
    assert distances.size == 24
    assert distances.min() >= 1.7
    for ordering in enumerate_orderings(cell, supercell=(2, 1, 1), n=3, seed=0):
        distances = _interstitial_anion_distances(ordering)
        assert distances.size == round(8 * x)
        if distances.size:
            assert distances.min() >= 1.7


def test_paper_u_is_still_available() -> None:
    from sselab.structures.antifluorite import INTERSTITIAL_U, PAPER_INTERSTITIAL_U

    paper = antifluorite(0.5, a=5.44, u=PAPER_INTERSTITIAL_U)
    assert _interstitial_anion_distances(paper).min() == pytest.approx(0.28 * 5.44, abs=1e-3)
    assert INTERSTITIAL_U > PAPER_INTERSTITIAL_U
