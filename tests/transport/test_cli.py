"""`sselab md` and `sselab diffusion` through the root typer app."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.io import write
from pymatgen.core import Lattice, Structure
from tests.transport.synthetic import random_walk
from typer.testing import CliRunner

from sselab.cli import app
from sselab.units import BOLTZMANN_EV_PER_K

runner = CliRunner()


def write_traj(path: Path, temperature_K: float, d_angstrom2_per_ps: float, seed: int) -> Path:
    d = d_angstrom2_per_ps
    traj = random_walk((d, d, d), n_li=30, n_frames=600, temperature_K=temperature_K, seed=seed)
    frames = [
        Atoms(traj.symbols, positions=p, cell=traj.cell_angstrom, pbc=True)
        for p in traj.positions_angstrom
    ]
    write(path, frames)
    return path


def test_diffusion_command_fits_arrhenius_from_ase_trajectories(tmp_path: Path) -> None:
    temps = [600.0, 900.0, 1200.0]
    d_true = [3e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * t)) * 1e4 for t in temps]  # Å^2/ps
    paths = [
        write_traj(tmp_path / f"run{i}.traj", t, d, seed=i)
        for i, (t, d) in enumerate(zip(temps, d_true, strict=True))
    ]
    out = tmp_path / "out"
    args = ["diffusion", *map(str, paths), "--frame-interval-fs", "100", "--out", str(out)]
    for t in temps:
        args += ["--temperature", str(t)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Ea =" in result.output
    data = json.loads((out / "transport.json").read_text())
    assert [r["temperature_K"] for r in data["results"]] == temps
    ea = data["arrhenius"]["fit"]["activation_energy_eV"]
    assert ea["ci95"][0] <= 0.3 <= ea["ci95"][1]
    assert abs(ea["value"] - 0.3) < 0.05
    for name in ("msd.png", "arrhenius.png", "van_hove_900K.json", "Li_density_900K.CHGCAR"):
        assert (out / name).is_file(), name


def test_diffusion_command_gives_clean_errors(tmp_path: Path) -> None:
    path = write_traj(tmp_path / "run.traj", 600.0, 0.1, seed=0)
    result = runner.invoke(app, ["diffusion", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "frame_interval_fs" in result.output and "run.traj" in result.output
    result = runner.invoke(app, ["diffusion", str(tmp_path / "missing.h5")])
    assert result.exit_code == 1 and "no such file" in result.output


@pytest.fixture
def li_metal(tmp_path: Path) -> Path:
    path = tmp_path / "Li.cif"
    Structure(Lattice.cubic(3.44), ["Li", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(
        filename=str(path)
    )
    return path


def test_md_command_runs_resumes_and_analyses(li_metal: Path, tmp_path: Path) -> None:
    out = tmp_path / "md"
    # hot bcc Li (2 atoms, CHGNet, no relaxation): fast, and the commands run end to end
    args = [
        "md", str(li_metal), "--temps", "600", "900", "--time", "60fs",
        "--equilibration", "4fs", "--frame-interval", "1", "--checkpoint-interval", "10",
        "--supercell", "1", "1", "1", "--no-relax", "--no-maps", "--device", "cpu",
        "--out", str(out),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    runs = json.loads((out / "md.json").read_text())
    assert [r["n_frames"] for r in runs] == [33, 33]  # 0..64 fs every 2 fs
    assert runs[0]["model"] == "chgnet:0.3.0"  # the full label, as relax and NEB record
    data = json.loads((out / "transport.json").read_text())
    assert data["results"][0]["duration_ps"] == pytest.approx(0.06)  # equilibration dropped
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "--resume" in again.output
    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert all(r["steps_this_call"] == 0 for r in json.loads((out / "md.json").read_text()))


def test_md_command_rejects_bad_times_and_temperatures(li_metal: Path) -> None:
    result = runner.invoke(app, ["md", str(li_metal), "--time", "fifty"])
    assert result.exit_code == 1 and "cannot read the time 'fifty'" in result.output
    result = runner.invoke(app, ["md", str(li_metal), "--temps", "600", "hot"])
    assert result.exit_code == 1 and "unexpected argument 'hot'" in result.output


def test_diffusion_command_fraction_rule_and_bad_choices(tmp_path: Path) -> None:
    paths = [
        write_traj(tmp_path / f"run{i}.traj", t, 0.1, seed=i) for i, t in enumerate((600, 900))
    ]
    args = ["diffusion", *map(str, paths), "--frame-interval-fs", "100", "--rule", "fraction"]
    args += ["--temperature", "600", "--temperature", "900", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--no-maps"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "o" / "transport.json").read_text())
    assert {r["error_method"] for r in data["results"]} == {"fraction"}
    bad = runner.invoke(app, [*args, "--rule", "guess"])
    assert bad.exit_code == 1 and "--rule" in bad.output
    structure = tmp_path / "Cu.cif"
    Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]]).to(filename=str(structure))
    bad = runner.invoke(app, ["md", str(structure), "--engine", "gpu", "--out", str(tmp_path)])
    assert bad.exit_code == 1 and "--engine" in bad.output
