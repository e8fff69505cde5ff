"""MD and transport stages through the task layer (CHGNet MD is minutes on a CPU: slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.pipeline.screen import screen
from sselab.pipeline.study import parse_study
from sselab.store import ResultStore


@pytest.mark.slow
def test_md_and_arrhenius_sigma_with_errors(tmp_path: Path) -> None:
    study = parse_study(
        {
            "name": "md",
            "stages": ["md", "transport"],
            "relax": {"fmax_eV_per_angstrom": 0.1, "max_steps": 4},
            "md": {
                "temperatures_K": [1000, 1400],
                "time_ps": 0.6,
                "equilibration_ps": 0.1,
                "frame_interval_steps": 2,
                "n_blocks": 3,
            },
            "candidates": [{"name": "LiSN", "anions": ["S", "N"], "x": [0.5]}],
        }
    )
    with ResultStore(tmp_path / "s.sqlite") as store:
        result = screen(study, store, work_dir=tmp_path, progress=False)
        md = sorted((r.payload for r in store.rows("md")), key=lambda p: p["temperature_K"])
        again = screen(study, store, work_dir=tmp_path, progress=False)
    row = result.rows[0]
    assert not result.run["failed"] and row.formula == "Li5SN"
    assert [p["temperature_K"] for p in md] == [1000.0, 1400.0]
    assert md[1]["D_cm2_per_s"]["value"] > md[0]["D_cm2_per_s"]["value"] > 0
    sigma, ea = row.sigma_300K_S_per_cm, row.activation_energy_eV
    assert sigma is not None and sigma.value > 0 and sigma.error > 0
    assert ea is not None and 0.0 < ea.value < 1.0 and ea.error > 0
    assert sum(again.run["computed"].values()) == 0
    assert list(tmp_path.glob("md-*/md_1000K.h5")), "trajectory kept in the task's work dir"
