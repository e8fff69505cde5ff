"""Shared, cheap MLIP fixtures: loose relaxations cached in one store per test session."""

from __future__ import annotations

import pytest

from sselab.store import ResultStore
from sselab.thermo.hull import HullSettings

# Loose settings: the physics asserted below (which phases are on the hull, tie-line
# cancellation, reaction energies of tens to hundreds of meV/atom) survives them.
TEST_SETTINGS = HullSettings(
    model="chgnet", n_orderings=1, max_anions=4, fmax_eV_per_angstrom=0.1, max_steps=60
)
TEST_PHASES = ("Li", "Li2S", "alpha-Li3N", "alpha-S8", "alpha-N2")


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> ResultStore:
    with ResultStore(tmp_path_factory.mktemp("thermo") / "store.sqlite") as results:
        yield results


@pytest.fixture(scope="session")
def settings() -> HullSettings:
    return TEST_SETTINGS
