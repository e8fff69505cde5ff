"""Damaged trajectories: one line naming the file and the problem, never a traceback.

Issue 13: ``sselab diffusion`` on a corrupt HDF5 file printed a Python traceback
(``OSError: bad superblock version number``). Every trajectory read (``read_trajectory``,
MD ``--resume``) now raises ``TrajectoryError`` (or ``ResumeError`` for a checkpoint)
naming the file, and the CLI prints one line and exits 1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.transport.analysis import analyze_diffusion
from sselab.transport.md import ResumeError, run_md
from sselab.transport.trajectory import Trajectory, TrajectoryError, read_trajectory

MD_ARGS = {
    "time_ps": 0.06,
    "equilibration_ps": 0.002,
    "frame_interval_steps": 1,
    "checkpoint_interval_steps": 10,
    "progress": False,
}


def copper() -> object:
    return bulk("Cu", "fcc", a=3.61, cubic=True)


@pytest.fixture(scope="module")
def good_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 4-atom EMT run: 32 frames, 31 after equilibration."""
    folder = tmp_path_factory.mktemp("md")
    return run_md(copper(), 600, folder, calculator=EMT(), **MD_ARGS).trajectory_path


def _copy(good_h5: Path, tmp_path: Path) -> Path:
    path = tmp_path / good_h5.name
    shutil.copy(good_h5, path)
    return path


def _sselab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from sselab.cli import app; app()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_diffusion_cli_on_a_corrupt_hdf5_file_prints_one_line(tmp_path: Path) -> None:
    # an HDF5 signature followed by a superblock of an unknown version
    corrupt = tmp_path / "md_900K.h5"
    corrupt.write_bytes(b"\x89HDF\r\n\x1a\n\x07" + bytes(range(256)) * 4)
    result = _sselab("diffusion", str(corrupt), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {corrupt}:"), result.stderr
    assert "superblock" in lines[0]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda h: h.__delitem__("step"), "without step"),
        (lambda h: h.attrs.__delitem__("timestep_fs"), "without attribute timestep_fs"),
        (lambda h: h["positions"].__setitem__((5, 1, 2), np.nan), "frame 4, atom 1"),
        (lambda h: h["positions"].__setitem__((7, 0, 0), 1e30), "frame 6, atom 0"),
        (lambda h: h["step"].__setitem__(slice(3, 5), [4, 3]), "frame 3 is at step 4 after"),
        (lambda h: h["step"].__setitem__(slice(3, None), h["step"][3:] + 1), "constant frame"),
        (lambda h: h.attrs.__setitem__("timestep_fs", -2.0), "must be positive"),
        (lambda h: h.attrs.__setitem__("temperature_K", np.nan), "temperature_K must be"),
        (lambda h: h.attrs.__setitem__("equilibration_steps", 10**6), "at least 2 are needed"),
        (lambda h: h.attrs.__setitem__("symbols", '["Cu"]'), "does not match dataset numbers"),
    ],
)
def test_each_rule_is_named(good_h5: Path, tmp_path: Path, damage: object, message: str) -> None:
    path = _copy(good_h5, tmp_path)
    with h5py.File(path, "r+") as handle:
        damage(handle)  # type: ignore[operator]
    with pytest.raises(TrajectoryError, match=message) as info:
        read_trajectory(path)
    assert str(info.value).startswith(f"{path}: ")


def test_wrong_dtype_and_shape_are_named(good_h5: Path, tmp_path: Path) -> None:
    path = _copy(good_h5, tmp_path)
    with h5py.File(path, "r+") as handle:
        positions = handle["positions"][:]
        del handle["positions"]
        handle["positions"] = positions[:, :, :2]
    with pytest.raises(TrajectoryError, match=r"positions must be float of shape \(n, n, 3\)"):
        read_trajectory(path)
    with h5py.File(path, "r+") as handle:
        del handle["positions"]
        handle["positions"] = positions.astype("S8")
    with pytest.raises(TrajectoryError, match="positions must be float"):
        read_trajectory(path)


def test_too_few_frames_for_the_blocks_is_a_clear_error(good_h5: Path) -> None:
    traj = read_trajectory(good_h5)
    assert traj.n_frames == 31
    assert analyze_diffusion(traj, species="Cu", n_blocks=3).D_cm2_per_s.unit == "cm^2/s"
    assert analyze_diffusion(traj, species="Cu", n_blocks=5).n_blocks == 5
    with pytest.raises(TrajectoryError, match="31 frames are too few for 6 blocks") as info:
        analyze_diffusion(traj, species="Cu", n_blocks=6)
    assert str(info.value).startswith(f"{good_h5}: ")
    with pytest.raises(TrajectoryError, match=f"{good_h5}: no Li atoms"):
        analyze_diffusion(traj, species="Li")


def test_in_memory_trajectories_refuse_non_finite_input() -> None:
    positions = np.zeros((4, 1, 3))
    positions[2, 0, 1] = np.inf
    with pytest.raises(TrajectoryError, match="frame 2, atom 0"):
        Trajectory(positions, 5 * np.eye(3), ["Li"], 10.0)
    with pytest.raises(TrajectoryError, match="frame_interval_fs"):
        Trajectory(np.zeros((4, 1, 3)), 5 * np.eye(3), ["Li"], float("nan"))
    with pytest.raises(TrajectoryError, match="cell"):
        Trajectory(np.zeros((4, 1, 3)), np.full((3, 3), np.nan), ["Li"], 10.0)


def test_resume_of_a_corrupt_trajectory_or_checkpoint_names_the_file(tmp_path: Path) -> None:
    run = run_md(copper(), 700, tmp_path, calculator=EMT(), **MD_ARGS)
    checkpoint = run.trajectory_path.with_suffix(".ckpt.npz")
    good_checkpoint = checkpoint.read_bytes()
    checkpoint.write_bytes(good_checkpoint[:100])
    with pytest.raises(ResumeError, match=f"{checkpoint}: damaged checkpoint"):
        run_md(copper(), 700, tmp_path, calculator=EMT(), resume=True, **MD_ARGS)
    checkpoint.write_bytes(good_checkpoint)
    data = run.trajectory_path.read_bytes()
    run.trajectory_path.write_bytes(data[: len(data) // 3])
    with pytest.raises(TrajectoryError, match=f"{run.trajectory_path}: cannot be opened"):
        run_md(copper(), 700, tmp_path, calculator=EMT(), resume=True, **MD_ARGS)
