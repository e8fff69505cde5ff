"""Structures from the wild: oxidation states of partially occupied cells and their orderings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymatgen.core import Composition, Lattice, Structure

from sselab.pipeline.study import StructureEntry, prepare_structure
from sselab.structures.conductors import validation_set
from sselab.structures.partial import (
    OCCUPANCY_TOLERANCE,
    OxidationStateError,
    clear_mobile_sites,
    guess_oxidation_states,
    order_structure,
)


def _conductor(name: str) -> Structure:
    return next(c.structure for c in validation_set() if c.name == name)


@pytest.fixture(scope="module")
def argyrodite_cif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Li6PS5Cl with S/Cl mixed on 4a (Cl 0.62) and 4c (S 0.62) and Li 48h half occupied."""
    path = tmp_path_factory.mktemp("cif") / "Li6PS5Cl.cif"
    _conductor("Li6PS5Cl").to(filename=str(path))
    return path


def test_argyrodite_orders_to_its_composition_within_tolerance(argyrodite_cif: Path) -> None:
    prepared = prepare_structure(StructureEntry(path=str(argyrodite_cif)))
    assert prepared.oxidation.label() == "Cl-1 Li+1 P+5 S-2 (guess)"
    assert not prepared.ordered
    out = order_structure(prepared.structure, n_orderings=2, n_candidates=4)
    assert out.occupancy_error <= OCCUPANCY_TOLERANCE
    assert len(out.structures) == 2
    assert out.ewald_eV_per_atom == sorted(out.ewald_eV_per_atom)
    for cell in out.structures:
        assert cell.is_ordered
        assert cell.charge == pytest.approx(0.0, abs=1e-9)
        assert len(cell) <= 200
        # Li6PS5Cl per formula unit: every element within 0.15 atoms (5 x the 0.03
        # occupancy tolerance; charge balance moves whole ions)
        units = cell.composition["P"]
        for element, amount in Composition("Li6PS5Cl").items():
            assert cell.composition.element_composition[element] / units == pytest.approx(
                amount, abs=OCCUPANCY_TOLERANCE * 5
            )
        # both halide/sulfide sites keep their mixed occupation
        chlorine = [s.specie.symbol for s in cell if s.specie.symbol in ("S", "Cl")]
        assert chlorine.count("Cl") == units


def test_unbalanceable_cif_names_file_and_element(tmp_path: Path) -> None:
    path = tmp_path / "LiNe.cif"
    Structure(Lattice.cubic(4.0), ["Li", "Ne"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(filename=str(path))
    with pytest.raises(OxidationStateError, match=rf"{path}: element Ne has no common"):
        prepare_structure(StructureEntry(path=str(path)))
    path = tmp_path / "LiS2.cif"
    Structure(Lattice.cubic(5.0), ["Li", "S", "S"], [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0]]).to(
        filename=str(path)
    )
    with pytest.raises(
        OxidationStateError, match=rf"{path}: no charge-neutral .* S would need -0.50"
    ):
        prepare_structure(StructureEntry(path=str(path)))


def test_given_states_override_the_guess_and_must_cover_every_element(
    argyrodite_cif: Path,
) -> None:
    given = {"Li": 1, "P": 5, "S": -2, "Cl": -1}
    entry = StructureEntry(path=str(argyrodite_cif), oxidation_states=given)
    assert prepare_structure(entry).oxidation.origin == "given"
    partial = StructureEntry(path=str(argyrodite_cif), oxidation_states={"Li": 1, "P": 5})
    with pytest.raises(OxidationStateError, match="gives no state for Cl, S"):
        prepare_structure(partial)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("Li2SO4", {"Li": 1, "S": 6, "O": -2}),
        ("Li6.4La3Zr1.4Ta0.6O12", {"Li": 1, "La": 3, "Zr": 4, "Ta": 5, "O": -2}),
        ("Li2.5N0.5S0.5", {"Li": 1, "N": -3, "S": -2}),
        ("Li1.3Al0.3Ti1.7P3O12", {"Li": 1, "Al": 3, "Ti": 4, "P": 5, "O": -2}),
        # H by neutrality: a hydride anion in the borohydrides, a proton in hydroxides
        ("LiBH4", {"Li": 1, "B": 3, "H": -1}),
        ("LiOH", {"Li": 1, "O": -2, "H": 1}),
        ("LiNH2", {"Li": 1, "N": -3, "H": 1}),
    ],
)
def test_guess_on_fractional_compositions(formula: str, expected: dict[str, int]) -> None:
    assert guess_oxidation_states(Composition(formula)) == dict(sorted(expected.items()))


def test_mobile_sites_lose_their_co_occupants_for_bvse() -> None:
    cleared = clear_mobile_sites(_conductor("Li6.25Al0.25La3Zr2O12"), "Li")
    assert "Al" not in cleared.composition
    assert cleared.composition["Zr"] == _conductor("Li6.25Al0.25La3Zr2O12").composition["Zr"]


def test_mixed_valence_in_the_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "Li1.5FeO2.cif"
    species = ["Li+", {"Li+": 0.5}, {"Fe2+": 0.5, "Fe3+": 0.5}, "O2-", "O2-"]
    coords = [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    Structure(Lattice.cubic(5.0), species, coords).to(filename=str(path))
    # neutral on average (Fe +2.5), but not with one integer state per element
    with pytest.raises(OxidationStateError, match=rf"{path}: the file gives Fe as \+2 and \+3"):
        prepare_structure(StructureEntry(path=str(path)))
