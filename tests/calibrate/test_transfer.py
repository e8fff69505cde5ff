"""Hull check of a calibration: every model's relaxed hull orderings, GPAW at their lowest."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.calibrate.transfer import hull_transfer
from sselab.store import ResultStore


def test_a_geometry_model_must_be_one_of_the_models() -> None:
    with pytest.raises(ValueError, match=r"geometry models \['sevennet'\]"):
        hull_transfer(["chgnet"], ["sevennet"])


@pytest.mark.slow
def test_model_at_its_own_lowest_cell_gives_its_relaxed_value_and_dft_is_above_the_tie(
    tmp_path: Path,
) -> None:
    with ResultStore(tmp_path / "store.sqlite") as store:
        check = hull_transfer(
            ["chgnet"], ["chgnet"], xs=(0.5,), n_orderings=1, store=store, progress=False
        )
    (point,) = check.points
    (label,) = check.models
    # same geometries, same model: the cross-evaluation reproduces the hull's own number
    assert point.model_meV_per_atom[label] == pytest.approx(
        check.relaxed_meV_per_atom[label]["0.5"], abs=1e-3
    )
    assert 5.3 < point.a_angstrom < 5.8
    # GPAW PBE puts CHGNet-relaxed x = 1/2 cells 50-120 meV/atom above the tie
    # (docs/calibrate.md, docs/dft.md); above 0 is the physics, the rest a wide band
    assert 0 < point.dft_meV_per_atom < 200
