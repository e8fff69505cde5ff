"""MD engine: trajectory format, thermostat and exact resume after a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.transport.md import ResumeError, run_md, run_md_temperatures
from sselab.transport.trajectory import read_trajectory

from .synthetic import CrashingEMT

MD_ARGS: dict[str, Any] = {
    "time_ps": 0.4,
    "timestep_fs": 2.0,
    "equilibration_ps": 0.1,
    "frame_interval_steps": 5,
    "checkpoint_interval_steps": 20,
    "seed": 11,
    "progress": False,
}


def copper() -> Any:
    return bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)


def read_all(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as handle:
        return {k: handle[k][:] for k in ("positions", "step", "temperature_K")}


def test_resumed_run_equals_uninterrupted_run(tmp_path: Path) -> None:
    reference = run_md(copper(), 700, tmp_path / "ref", calculator=EMT(), **MD_ARGS)
    # 57 force calls: dies after the checkpoint at step 40, with frames 45, 50, 55 buffered
    with pytest.raises(KeyboardInterrupt):
        run_md(copper(), 700, tmp_path / "cut", calculator=CrashingEMT(57), **MD_ARGS)
    partial = read_all(tmp_path / "cut" / "md_700K.h5")
    assert partial["step"][-1] == 40
    with pytest.raises(FileExistsError, match="resume"):
        run_md(copper(), 700, tmp_path / "cut", calculator=EMT(), **MD_ARGS)
    resumed = run_md(copper(), 700, tmp_path / "cut", calculator=EMT(), resume=True, **MD_ARGS)
    assert resumed.steps_this_call == reference.n_steps - 40
    assert resumed.model == "EMT"
    a, b = read_all(reference.trajectory_path), read_all(resumed.trajectory_path)
    np.testing.assert_array_equal(b["step"], np.arange(0, reference.n_steps + 1, 5))
    np.testing.assert_array_equal(a["step"], b["step"])
    np.testing.assert_array_equal(a["positions"], b["positions"])
    # resuming a finished run is a no-op
    again = run_md(copper(), 700, tmp_path / "cut", calculator=EMT(), resume=True, **MD_ARGS)
    assert again.steps_this_call == 0 and again.n_frames == a["step"].size
    assert again.ps_per_day is None  # nothing integrated in this call: unknown, not NaN


def test_resume_refuses_changed_settings(tmp_path: Path) -> None:
    run_md(copper(), 500, tmp_path, calculator=EMT(), **{**MD_ARGS, "time_ps": 0.1})
    with pytest.raises(ResumeError, match="seed"):
        run_md(copper(), 500, tmp_path, calculator=EMT(), resume=True, **{**MD_ARGS, "seed": 1})


def test_trajectory_is_unwrapped_thermostatted_and_excludes_equilibration(tmp_path: Path) -> None:
    run = run_md(
        copper(), 1500, tmp_path, calculator=EMT(), **{**MD_ARGS, "time_ps": 1.0, "seed": 2}
    )
    traj = read_trajectory(run.trajectory_path)
    assert traj.frame_interval_fs == pytest.approx(10.0)
    assert traj.temperature_K == 1500
    assert traj.metadata["first_step"] == 50  # 0.1 ps of 2 fs steps excluded
    assert traj.n_frames == 101
    full = read_trajectory(run.trajectory_path, include_equilibration=True)
    assert full.n_frames == traj.n_frames + 10
    # NHC keeps the kinetic temperature near the target (32 atoms: large fluctuations)
    assert run.mean_temperature_K == pytest.approx(1500, rel=0.35)
    # no wrapping: frame-to-frame displacements are small everywhere
    steps = np.abs(np.diff(traj.positions_angstrom, axis=0)).max()
    assert steps < 1.0


def test_temperatures_through_an_executor(tmp_path: Path) -> None:
    # a process pool pickles the calculator like dask does, so each task owns a copy
    from concurrent.futures import ProcessPoolExecutor

    args = {**MD_ARGS, "time_ps": 0.1, "equilibration_ps": 0.0, "calculator": EMT()}
    with ProcessPoolExecutor(max_workers=2) as pool:
        runs = run_md_temperatures(copper(), [300, 600], tmp_path, executor=pool, **args)
    assert [r.temperature_K for r in runs] == [300, 600]
    assert all(r.trajectory_path.exists() and r.n_frames == 11 for r in runs)


def test_transport_study_runs_md_then_writes_analysis_and_maps(tmp_path: Path) -> None:
    from sselab.transport.study import run_transport_study

    study, maps = run_transport_study(
        copper(), [900, 1300], tmp_path, time_ps=0.12, equilibration_ps=0.02, model=EMT(),
        frame_interval_steps=2, progress=False, species="Cu",
    )  # fmt: skip
    assert [r.temperature_K for r in study.results] == [900, 1300]
    # a solid: Cu vibrates but does not diffuse, and the study says why it has no Ea
    assert study.arrhenius is None and "no Arrhenius fit" in study.note
    assert not any(r.diffusive for r in study.results)
    assert all(m["atom_steps_per_s"] > 0 and m["n_atoms"] == 32 for m in study.md)
    assert maps.van_hove.temperature_K == 900  # nearest the paper's 900 K
    assert maps.density.n_ions == pytest.approx(32.0)
    saved = json.loads((tmp_path / "transport.json").read_text())
    assert saved["note"] == study.note and len(saved["md"]) == 2
    assert {p.name for p in maps.files} >= {"van_hove_900K.png", "Cu_density_900K.CHGCAR"}
