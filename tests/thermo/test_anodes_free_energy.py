"""Anode builders against their space groups; free-energy terms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from sselab.thermo.anodes import ANODE_BUILDERS, REDUCIBLE_BUILDERS
from sselab.thermo.free_energy import (
    VibrationalFreeEnergy,
    configurational_entropy_kB_per_fu,
    finite_temperature_e_hull,
    phonon_supercell,
    vibrational_free_energy,
)
from sselab.units import BOLTZMANN_EV_PER_K

EXPECTED = {
    "In": ("In", 139),
    "LiIn": ("LiIn", 227),
    "Si": ("Si", 227),
    "Li15Si4": ("Li15Si4", 220),
    "C": ("C", 194),
    "LiC6": ("LiC6", 191),
    "Ti": ("Ti", 194),
    "TiS2": ("TiS2", 164),
    "LiTiS2": ("LiTiS2", 164),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builders_give_published_space_group_and_sane_distances(name: str) -> None:
    structure = {**ANODE_BUILDERS, **REDUCIBLE_BUILDERS}[name]()
    formula, number = EXPECTED[name]
    assert structure.composition.reduced_formula == formula
    assert SpacegroupAnalyzer(structure, symprec=0.01).get_space_group_number() == number
    distances = structure.distance_matrix + 99 * np.eye(len(structure))
    assert distances.min() > 1.3  # shortest real bond here: C–C 1.42 Å


def test_configurational_entropy_limits() -> None:
    assert configurational_entropy_kB_per_fu(0.0) == 0.0
    # x = 0.5: ln 2 on 4a plus 6 sites at occupancy 1/12 on 24e.
    c = 1 / 12
    expected = math.log(2) - 6 * (c * math.log(c) + (1 - c) * math.log(1 - c))
    assert configurational_entropy_kB_per_fu(0.5) == pytest.approx(expected)
    with pytest.raises(ValueError):
        configurational_entropy_kB_per_fu(1.5)


def test_finite_temperature_terms_add_up() -> None:
    flat = VibrationalFreeEnergy("X", [0.0, 300.0], [0.01, -0.02], 0, 9, [1, 1, 1], "m")
    result = finite_temperature_e_hull(0.5, 17.0, flat, flat, flat, 300.0)
    assert result.vibrational_meV_per_atom == pytest.approx(0.0, abs=1e-9)
    assert result.configurational_meV_per_atom == pytest.approx(
        -1000 * BOLTZMANN_EV_PER_K * 300 * configurational_entropy_kB_per_fu(0.5) / 3.5
    )
    assert result.g_total_meV_per_atom == pytest.approx(17.0 + result.configurational_meV_per_atom)


def test_li2s_phonons_give_zero_point_energy_and_entropy(store, settings) -> None:
    from sselab.calculators import relax
    from sselab.structures import antifluorite

    primitive = antifluorite(0.0).get_primitive_structure()
    relaxed = relax(primitive, settings.model, fmax=0.02, max_steps=60, store=store).structure
    assert phonon_supercell(relaxed, 5.0) == [2, 2, 2]
    free = vibrational_free_energy(relaxed, settings.model, (0.0, 300.0), 5.0, store=store)
    # Li2S: Debye T ~ 450-500 K -> zero-point energy of order (9/8) k theta_D ~ 45 meV/atom.
    assert 0.02 < free.at(0.0) < 0.08
    assert free.at(300.0) < free.at(0.0)
    assert free.n_imaginary_modes == 0
