"""Configuration families: budget, caps, determinism, and a split that never shares a family."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure

from sselab.calibrate.configurations import (
    SPLITS,
    SYSTEMS,
    BaseCell,
    family_splits,
    full_budget,
    generate_configurations,
    li_n_s_base_cells,
    li_n_s_with_hull_compositions,
    relaxed_base_cells,
    split_by_family,
    strained,
    variants,
)


@pytest.fixture(scope="module")
def bases():
    return li_n_s_base_cells()


@pytest.mark.parametrize("budget", [1, 6, 13, 30, 100])
def test_no_family_is_in_two_splits(bases, budget: int) -> None:
    cells = generate_configurations(bases, budget)
    parts = split_by_family(cells, family_splits(bases))
    families = {split: {c.family for c in parts[split]} for split in SPLITS}
    for first in SPLITS:
        for second in SPLITS:
            if first != second:
                assert not families[first] & families[second]
    assert sum(len(part) for part in parts.values()) == len(cells)


def test_budget_is_round_robin_and_capped(bases) -> None:
    cells = generate_configurations(bases, 100)
    assert len(cells) == sum(b.max_variants for b in bases) == 36
    first_round = generate_configurations(bases, len(bases))
    assert [c.kind for c in first_round] == ["equilibrium"] * len(bases)
    assert len({c.name for c in cells}) == len(cells)
    assert all(len(c.structure) <= 10 for c in cells)


def test_test_family_is_a_composition_the_training_set_has_but_an_unseen_ordering(bases) -> None:
    splits = family_splits(bases)
    train = {b.structure.composition.reduced_formula for b in bases if splits[b.family] == "train"}
    test = [b for b in bases if splits[b.family] == "test"]
    assert test and all(b.structure.composition.reduced_formula in train for b in test)


def test_max_atoms_drops_cells_dft_cannot_afford(bases) -> None:
    cells = generate_configurations(bases, 100, max_atoms=7)
    assert {c.family for c in cells} == {b.family for b in bases if len(b.structure) <= 7}


def test_same_seed_same_rattles(bases) -> None:
    first = variants(bases[1], np.random.default_rng(3))
    second = variants(bases[1], np.random.default_rng(3))
    for a, b in zip(first, second, strict=True):
        assert np.allclose(a.structure.cart_coords, b.structure.cart_coords)


def test_volume_strains_are_three_percent_and_shear_keeps_volume(bases) -> None:
    family = {c.name: c.structure for c in variants(bases[2], np.random.default_rng(0))}
    volume = family["Li3N/equilibrium0"].volume
    assert family["Li3N/volume0"].volume / volume == pytest.approx(0.97, abs=1e-6)
    assert family["Li3N/volume1"].volume / volume == pytest.approx(1.03, abs=1e-6)
    assert family["Li3N/shear0"].volume / volume == pytest.approx(1.0, abs=1e-3)
    sheared = strained(family["Li3N/equilibrium0"], np.zeros((3, 3)))
    assert np.allclose(sheared.lattice.matrix, family["Li3N/equilibrium0"].lattice.matrix)


def test_unknown_family_is_refused(bases) -> None:
    cells = generate_configurations(bases, 2)
    with pytest.raises(ValueError, match="has no split"):
        split_by_family(cells, {})


def _fcc_cu(a_angstrom: float, split: str, max_variants: int) -> BaseCell:
    """A Cu family EMT can relax and run MD on (EMT has no Li, N or S)."""
    positions = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
    structure = Structure(Lattice.cubic(a_angstrom), ["Cu"] * 4, positions)
    return BaseCell("Cu", structure, split, max_variants=max_variants)  # type: ignore[arg-type]


def test_md_frames_come_after_the_volume_strains_and_are_seeded() -> None:
    cu = _fcc_cu(3.61, "train", max_variants=9)
    first = generate_configurations([cu], 100, seed=4, md_calculator=EMT())
    second = generate_configurations([cu], 100, seed=4, md_calculator=EMT())
    assert [c.name for c in first] == [
        "Cu/equilibrium0", "Cu/volume0", "Cu/volume1", "Cu/md0", "Cu/rattle0", "Cu/shear0",
        "Cu/md1", "Cu/rattle1", "Cu/shear1",
    ]  # fmt: skip
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.structure.cart_coords, b.structure.cart_coords)
    moved = first[3].structure.cart_coords - cu.structure.cart_coords
    assert 0.01 < float(np.linalg.norm(moved, axis=1).max()) < 1.5  # thermal, not melted


def test_relaxed_base_cells_keep_family_split_and_shape() -> None:
    [relaxed] = relaxed_base_cells([_fcc_cu(3.5, "test", max_variants=3)], EMT())
    assert (relaxed.family, relaxed.split, relaxed.max_variants) == ("Cu", "test", 3)
    lattice = relaxed.structure.lattice
    assert lattice.a == pytest.approx(3.59, abs=0.01)  # EMT's own Cu lattice constant
    assert lattice.angles == pytest.approx((90.0, 90.0, 90.0))


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_each_system_labels_its_whole_set_at_its_default_budget(system: str) -> None:
    system_bases = SYSTEMS[system]()
    cells = generate_configurations(system_bases, 1000)
    assert len(cells) == full_budget(system_bases)
    splits = family_splits(system_bases)
    train = {
        b.structure.composition.reduced_formula for b in system_bases if splits[b.family] == "train"
    }
    # every held-out ordering is at a composition some training family has
    for base in system_bases:
        if splits[base.family] == "test":
            assert base.structure.composition.reduced_formula in train


def test_hull_set_covers_the_hull_compositions_in_conventional_cells() -> None:
    by_family = {b.family: b for b in li_n_s_with_hull_compositions()}
    for family, x, n_atoms in (
        ("Li9S3N-c0", 0.25, 13),
        ("Li5SN-c0", 0.5, 14),
        ("Li11SN3-c0", 0.75, 15),
    ):
        composition = by_family[family].structure.composition
        assert len(by_family[family].structure) == n_atoms
        assert composition["N"] / (composition["N"] + composition["S"]) == pytest.approx(x)
    # the held-out x = 1/4 ordering is another arrangement, not a copy of the trained one
    trained, held_out = by_family["Li9S3N-c0"].structure, by_family["Li9S3N-c1"].structure
    assert not StructureMatcher().fit(trained, held_out)
