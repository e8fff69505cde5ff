"""Full Li–N–S hull and stability window through the task layer (8 reference relaxations: slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.pipeline.screen import screen
from sselab.pipeline.study import parse_study
from sselab.store import ResultStore


@pytest.mark.slow
def test_li5ns_window_reduction_limit_is_li_metal(tmp_path: Path) -> None:
    study = parse_study(
        {
            "name": "window",
            "stages": ["hull", "window"],
            "relax": {"fmax_eV_per_angstrom": 0.1, "max_steps": 20},
            "candidates": [{"name": "LiSN", "anions": ["S", "N"], "x": [0.5]}],
        }
    )
    with ResultStore(tmp_path / "s.sqlite") as store:
        result = screen(study, store, work_dir=tmp_path, progress=False)
        window = next(store.rows("window")).payload
    row = result.rows[0]
    assert not result.run["failed"]
    # Li2S, Li3N (x2), LiN3, Li2S2, S8, N2, Li; Li2S and alpha-Li3N shared with the tie line
    assert len(window["hull_contains"]) == 8 and result.run["computed"]["relax_phase"] == 8
    # Stable against Li metal: no Li uptake down to 0 V, and above the hull (if at all)
    # only towards Li2S + Li3N, the phases Li metal does not reduce.
    assert row.reduction_limit_V == pytest.approx(0.0, abs=1e-9)
    assert set(window["decomposition"]) <= {"Li2S", "alpha-Li3N", "beta-Li3N", "candidate"}
    assert 0.0 < row.oxidation_limit_V < 2.5
    assert row.e_hull_meV_per_atom >= 0
    # the row and the stored (typed) window result are the same numbers
    assert window["window"]["reduction_limit_V"] == row.reduction_limit_V
    assert window["e_hull_meV_per_atom"] == pytest.approx(row.e_hull_meV_per_atom)
