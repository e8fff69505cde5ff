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
    assert all(
        abs(p["mean_temperature_K"] - p["temperature_K"]) < 0.3 * p["temperature_K"] for p in md
    )
    assert md[1]["D_cm2_per_s"]["value"] > md[0]["D_cm2_per_s"]["value"] > 0
    assert row.sigma_300K_S_per_cm > 0 and row.sigma_300K_error_S_per_cm > 0
    assert 0.0 < row.activation_energy_eV < 1.0 and row.activation_energy_error_eV > 0
    assert sum(again.run["computed"].values()) == 0
    assert list(tmp_path.glob("md-*/md_1000K.h5")), "trajectory kept in the task's work dir"
