"""Batched MD engine: the same trajectories as the ASE reference path, and exact resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from sselab.transport.batched import ASELoopCalculator, Replica, run_md_batch
from sselab.transport.md import run_md

from .synthetic import CrashingEMT

ARGS: dict[str, Any] = {
    "time_ps": 0.2,
    "equilibration_ps": 0.04,
    "frame_interval_steps": 5,
    "checkpoint_interval_steps": 20,
    "progress": False,
}


def copper() -> Any:
    return bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)


def frames(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as handle:
        return {k: handle[k][:] for k in ("positions", "step", "temperature_K")}


def test_batched_replicas_equal_the_ase_reference_runs(tmp_path: Path) -> None:
    """Same thermostat, same forces: each replica is the single ASE run, frame by frame."""
    replicas = [Replica(copper(), 600.0, seed=1), Replica(copper(), 1200.0, seed=2)]
    runs = run_md_batch(replicas, tmp_path / "batch", ASELoopCalculator(EMT()), **ARGS)
    for replica, run in zip(replicas, runs, strict=True):
        reference = run_md(
            copper(), replica.temperature_K, tmp_path / "ase", calculator=EMT(),
            seed=replica.seed, **ARGS,
        )  # fmt: skip
        ours, theirs = frames(run.trajectory_path), frames(reference.trajectory_path)
        np.testing.assert_array_equal(ours["step"], theirs["step"])
        np.testing.assert_array_equal(ours["positions"], theirs["positions"])
        np.testing.assert_allclose(ours["temperature_K"], theirs["temperature_K"], rtol=1e-6)
        assert run.model == "EMT" and run.n_frames == reference.n_frames


def test_batched_resume_is_bit_exact(tmp_path: Path) -> None:
    replicas = [Replica(copper(), 700.0, seed=3), Replica(copper(), 900.0, seed=4)]
    reference = run_md_batch(replicas, tmp_path / "ref", ASELoopCalculator(EMT()), **ARGS)
    # 2 replicas x 49 force calls: dies between the checkpoints at steps 40 and 60
    with pytest.raises(KeyboardInterrupt):
        run_md_batch(replicas, tmp_path / "cut", ASELoopCalculator(CrashingEMT(98)), **ARGS)
    with pytest.raises(FileExistsError, match="resume"):
        run_md_batch(replicas, tmp_path / "cut", ASELoopCalculator(EMT()), **ARGS)
    resumed = run_md_batch(
        replicas, tmp_path / "cut", ASELoopCalculator(EMT()), resume=True, **ARGS
    )
    assert 0 < resumed[0].steps_this_call < reference[0].steps_this_call
    for a, b in zip(reference, resumed, strict=True):
        fa, fb = frames(a.trajectory_path), frames(b.trajectory_path)
        np.testing.assert_array_equal(fa["step"], fb["step"])
        np.testing.assert_array_equal(fa["positions"], fb["positions"])


@pytest.mark.slow
def test_chgnet_batch_gives_the_ase_calculator_forces() -> None:
    """A batch of two different cells: each gets the forces its ASE calculator gives."""
    from sselab.calculators import get_calculator
    from sselab.structures import antifluorite
    from sselab.transport.batched import CHGNetBatchCalculator
    from sselab.transport.md import prepare_md_cell, to_atoms

    cells = [to_atoms(prepare_md_cell(antifluorite(x), (1, 1, 1))) for x in (0.25, 0.5)]
    cells[1].positions += 0.05 * np.random.default_rng(0).standard_normal(cells[1].positions.shape)
    energies, forces = CHGNetBatchCalculator.load("cpu").compute(cells)
    reference = get_calculator("chgnet", device="cpu")
    for atoms, energy, force in zip(cells, energies, forces, strict=True):
        single = atoms.copy()
        single.calc = reference
        np.testing.assert_allclose(force, single.get_forces(), atol=2e-4)
        assert energy == pytest.approx(single.get_potential_energy(), abs=2e-3 * len(atoms))


class _FakeModel:
    """Stands in for CHGNet where only the device of its parameters is read."""

    def __init__(self) -> None:
        import torch

        self.weight = torch.zeros(1)

    def parameters(self) -> Any:
        return iter([self.weight])


def test_cpu_batches_are_capped_in_atoms_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from sselab.calculators.chgnet_inference import CHGNetPrediction
    from sselab.transport import batched

    batch_sizes: list[int] = []

    def predict(model: Any, structures: Any, stress: bool = False, batch_size: int = 16) -> Any:
        assert not stress  # forces only: the stress is not needed for NVT
        batch_sizes.append(batch_size)
        return [CHGNetPrediction(0.0, np.zeros((len(s), 3))) for s in structures]

    monkeypatch.setattr(batched, "predict_chgnet", predict)
    calc = batched.CHGNetBatchCalculator(_FakeModel(), "fake")
    assert calc.max_atoms_per_call == batched.CPU_MAX_ATOMS_PER_CALL
    small, large = bulk("Cu", cubic=True), bulk("Cu", cubic=True) * (3, 3, 3)
    calc.compute([small] * 8)
    calc.compute([large] * 8)
    assert batch_sizes == [8, 1]  # 8 x 4 atoms in one call, 108-atom cells one by one
