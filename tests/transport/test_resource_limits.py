"""Memory limits: BVSE grids, MD runs and trajectory loads refuse with the estimate first.

Issue 13: a BVSE grid at fine resolution on a large cell can exhaust memory (BVlain took
11.4 GB at 0.1 Å) and the OS kills the process without a word. With a deliberately tiny
``max_memory_gb`` every entry point refuses before allocating, giving the estimate and
the option that lowers it.
"""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from typer.testing import CliRunner

from sselab.cli import app
from sselab.structures import antifluorite
from sselab.transport.bvse import bvse_landscape, landscape_memory_bytes, percolation_barriers
from sselab.transport.md import run_md
from sselab.transport.resources import (
    GIB,
    MemoryLimitError,
    default_max_memory_gb,
    memory_limit_gb,
)
from sselab.transport.trajectory import TrajectoryError, read_trajectory

runner = CliRunner()


def test_fine_bvse_grid_on_a_large_cell_is_refused_with_estimate_and_fitting_resolution() -> None:
    cell = antifluorite(0.0, a=5.719)
    cell.make_supercell(4)  # 22.9 Å
    with pytest.raises(MemoryLimitError) as info:
        bvse_landscape(cell, resolution_angstrom=0.05, max_memory_gb=0.5)
    message = str(info.value)
    assert "BVSE grid 458 x 458 x 458" in message and "512 MB allowed" in message
    need = float(re.search(r"needs about ([\d.]+) GB", message).group(1))
    assert need == pytest.approx(landscape_memory_bytes(cell.lattice, 0.05, len(cell)) / GIB, 0.1)
    fits = float(re.search(r"--resolution ([\d.]+)", message).group(1))
    assert landscape_memory_bytes(cell.lattice, fits, len(cell)) <= 0.5 * GIB
    assert landscape_memory_bytes(cell.lattice, fits - 0.01, len(cell)) > 0.5 * GIB


def test_estimate_is_above_the_measured_peak() -> None:
    cell = antifluorite(0.0, a=5.719)
    cell.make_supercell(2)
    tracemalloc.start()
    try:
        result = percolation_barriers(cell, resolution_angstrom=0.2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.grid_shape == (58, 58, 58)
    estimate = landscape_memory_bytes(cell.lattice, 0.2, len(cell))
    # above the peak, but not so far above that it refuses what fits
    assert peak < estimate < 4 * peak


def test_bvse_cli_refuses_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "Li2S.cif"
    antifluorite(0.0, a=5.719).to(filename=str(path))
    args = ["bvse", str(path), "--resolution", "0.1", "--max-memory-gb", "0.01"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "needs about" in result.output and "--resolution" in result.output
    assert not (tmp_path / "out").exists()


def test_md_run_that_cannot_be_analysed_is_refused_before_it_starts(tmp_path: Path) -> None:
    copper = bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)
    with pytest.raises(MemoryLimitError, match="analysing the 50,001 frames of 32 atoms"):
        run_md(copper, 600, tmp_path, time_ps=100.0, equilibration_ps=0.0,
               frame_interval_steps=1, calculator=EMT(), progress=False,
               max_memory_gb=0.1)  # fmt: skip
    with pytest.raises(MemoryLimitError, match="buffering 1,000,001 frames"):
        run_md(copper, 600, tmp_path, time_ps=2000.0, equilibration_ps=0.0,
               frame_interval_steps=1, checkpoint_interval_steps=10**6, calculator=EMT(),
               progress=False, max_memory_gb=0.1)  # fmt: skip
    assert not list(tmp_path.iterdir())  # refused before writing anything


def test_trajectory_too_large_to_load_names_the_file(tmp_path: Path) -> None:
    run = run_md(bulk("Cu", cubic=True), 600, tmp_path, time_ps=0.02, equilibration_ps=0.0,
                 calculator=EMT(), progress=False)  # fmt: skip
    with pytest.raises(TrajectoryError, match=r"needs about 0\.000549 MB") as info:
        read_trajectory(run.trajectory_path, max_memory_gb=1e-9)
    assert str(info.value).startswith(f"{run.trajectory_path}: loading 2 frames of 4 atoms")


def test_limit_comes_from_the_argument_the_environment_or_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSELAB_MAX_MEMORY_GB", raising=False)
    assert 0 < default_max_memory_gb() < float("inf")
    monkeypatch.setenv("SSELAB_MAX_MEMORY_GB", "3.5")
    assert default_max_memory_gb() == 3.5 and memory_limit_gb(None) == 3.5
    assert memory_limit_gb(1.0) == 1.0
    monkeypatch.setenv("SSELAB_MAX_MEMORY_GB", "lots")
    with pytest.raises(MemoryLimitError, match="not a number"):
        default_max_memory_gb()
    with pytest.raises(MemoryLimitError, match="must be positive"):
        memory_limit_gb(0.0)
