"""NPT equilibration recovers the potential's own equilibrium volume."""

from __future__ import annotations

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS

from sselab.transport.npt import equilibrate_npt


def test_npt_recovers_the_relaxed_volume_at_low_temperature() -> None:
    """EMT Cu: a 20 K NPT run started 1.7 % off in a finds the 0 K volume within 0.5 %."""
    relaxed = bulk("Cu", "fcc", a=3.7, cubic=True) * (2, 2, 2)
    relaxed.calc = EMT()
    BFGS(FrechetCellFilter(relaxed), logfile=None).run(fmax=1e-4)
    start = bulk("Cu", "fcc", a=3.65, cubic=True) * (2, 2, 2)
    result = equilibrate_npt(
        start, 20.0, EMT(), time_ps=0.6, pdamp_fs=300.0, progress=False, n_conventional=8
    )
    assert result.volume_angstrom3.value == pytest.approx(relaxed.get_volume(), rel=5e-3)
    # classical thermal expansion: a little above the 0 K volume, never below it by much
    assert result.volume_angstrom3.value > relaxed.get_volume() * (1 - 1e-3)
    assert result.structure.get_volume() == pytest.approx(result.volume_angstrom3.value)
    assert result.a_angstrom.value == pytest.approx((relaxed.get_volume() / 8) ** (1 / 3), rel=2e-3)
    assert result.mean_temperature_K == pytest.approx(20.0, rel=0.5)
