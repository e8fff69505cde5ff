"""Cheap GPAW settings and cells for the short DFT tests (seconds each on 2 cores)."""

from __future__ import annotations

import pytest
from pymatgen.core import Structure

from sselab.calculators.paw import PawSettings
from sselab.structures.references import li2s


@pytest.fixture
def cheap() -> PawSettings:
    """300 eV, 2 k-points per Å⁻¹ (Li2S primitive: a 4x4x4 grid holding Γ and X)."""
    return PawSettings(cutoff_eV=300, kpoint_density_per_inv_angstrom=2.0)


@pytest.fixture
def li2s_primitive() -> Structure:
    """3-atom fcc cell of Li2S at the ICSD lattice constant 5.719 Å."""
    return li2s().get_primitive_structure()
