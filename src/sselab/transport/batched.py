"""Batched NVT MD: many replicas (temperatures x configurations x seeds) in lock step.

Every replica is integrated by the same Nose-Hoover chain as the ASE reference path
(:mod:`sselab.transport.md`): ASE's own ``NoseHooverChainThermostat`` (chain 3, one
loop) per replica around a velocity-Verlet step, so with the same forces a replica is
bit-for-bit the ASE run (tests/transport/test_batched.py). The only difference is where
the forces come from: one call of a :class:`BatchCalculator` for all replicas per step.
Files are those of the ASE path (one ``md_<T>K*.h5`` per replica, same layout), plus
one batch checkpoint ``<name>.batch.npz`` holding every replica's state at the same
step, replaced atomically, so a killed batch resumes bit-exactly.

Why our own integrator and not torch-sim 0.3.0 (decided by measurement, Dec 2026, CPU):
on 2 CPU cores a CHGNet step of the 14-atom Li2.5N0.5S0.5 cell costs 0.15 s through
the ASE calculator (energy, forces, stress) and 0.073 s as a forces-only batch of one;
batches of 3 and 8 cost 0.097 and 0.093 s per replica: the model's per-atom work, not
the integrator or Python, is the time, so a batched integrator gains by skipping the
stress and by batching graphs (``sselab.calculators.chgnet_inference.predict_chgnet``, up
to ``CPU_MAX_ATOMS_PER_CALL`` atoms per call on a CPU, where larger graphs run slower).
torch-sim would add 12 packages (pytables, blosc2, vesin, httpx, ...) without pulling
another torch, still needs a CHGNet wrapper, and its integrators would not reproduce
the ASE reference trajectories; ours reuses ASE's thermostat and our HDF5/checkpoint
format, so resume and the reference comparison come for free. On a GPU the same design
batches all replicas into one graph per step (``CHGNetBatchCalculator``).

Example:
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> cu = bulk("Cu", cubic=True)
    >>> runs = run_md_batch([Replica(cu, 300), Replica(cu, 600)], "/tmp/batch-doc",
    ...     ASELoopCalculator(EMT()), time_ps=0.02, equilibration_ps=0,
    ...     progress=False)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.md.nose_hoover_chain import NoseHooverChainThermostat
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from tqdm.auto import tqdm

from sselab.calculators.chgnet_inference import predict_chgnet
from sselab.calculators.resolve import calculator_label, resolve_calculator
from sselab.transport.md import (
    FS_PER_PS,
    SECONDS_PER_DAY,
    MDRun,
    MDSettings,
    ResumeError,
    _check_md_memory,
    _Writer,
    to_atoms,
)


class BatchCalculator(Protocol):
    """Energies and forces of several structures in one call."""

    label: str

    def compute(self, atoms: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(energies in eV, forces in eV/Å per structure) of ``atoms``."""


class ASELoopCalculator:
    """Any ASE calculator, evaluated replica by replica (the reference; EMT in tests).

    Example:
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> energies, forces = ASELoopCalculator(EMT()).compute([bulk("Cu")])
        >>> forces[0].shape
        (1, 3)
    """

    def __init__(self, calculator: Calculator, label: str | None = None) -> None:
        self.calculator = calculator
        self.label = label or calculator_label(calculator)

    def compute(self, atoms: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        energies, forces = [], []
        for item in atoms:
            item.calc = self.calculator
            forces.append(np.asarray(item.get_forces(md=True), dtype=float))
            energies.append(float(item.get_potential_energy()))
        return np.asarray(energies), forces


# Atoms per CHGNet call on a CPU. Measured on 2 shared cores, 1 thread: replicas of the
# 14-atom cell batched 8 at a time (112 atoms) run 1.3-1.4x the ASE loop, one 112-atom
# cell per call 1.5x, but 8 x 112 atoms in one graph only 0.6x (the larger gather and
# scatter tensors fall out of cache). On a GPU the whole batch goes in one call.
CPU_MAX_ATOMS_PER_CALL = 128


class CHGNetBatchCalculator:
    """CHGNet energies and forces (no stress) of all replicas as batches of graphs.

    ``max_atoms_per_call`` caps the atoms of one model call (default: no cap on a GPU,
    ``CPU_MAX_ATOMS_PER_CALL`` on a CPU); at least one structure goes in every call.

    Example:
        >>> calc = CHGNetBatchCalculator.load("cpu")  # doctest: +SKIP
        >>> energies, forces = calc.compute([atoms_a, atoms_b])  # doctest: +SKIP
    """

    def __init__(self, model: Any, label: str, max_atoms_per_call: int | None = None) -> None:
        self.model = model
        self.label = label
        if max_atoms_per_call is None:
            on_gpu = next(model.parameters()).device.type != "cpu"
            max_atoms_per_call = None if on_gpu else CPU_MAX_ATOMS_PER_CALL
        self.max_atoms_per_call = max_atoms_per_call

    @classmethod
    def load(cls, device: str = "auto", name: str = "chgnet") -> CHGNetBatchCalculator:
        """The model behind the registered CHGNet calculator ``name`` on ``device``."""
        calculator = resolve_calculator(name, device)
        return cls(getattr(calculator, "model"), calculator_label(name))  # noqa: B009 (mypy)

    def compute(self, atoms: Sequence[Atoms]) -> tuple[np.ndarray, list[np.ndarray]]:
        structures = [AseAtomsAdaptor.get_structure(item) for item in atoms]
        per_call = len(structures)
        if self.max_atoms_per_call is not None:
            largest = max(len(item) for item in atoms)
            per_call = max(1, min(per_call, self.max_atoms_per_call // largest))
        predictions = predict_chgnet(self.model, structures, batch_size=per_call)
        energies = np.array([p.energy_eV for p in predictions])
        return energies, [np.asarray(p.forces_eV_per_angstrom, dtype=float) for p in predictions]


def batch_calculator(model: str | Calculator | BatchCalculator, device: str = "auto") -> Any:
    """A :class:`BatchCalculator` for a model name, an ASE calculator or one already batched.

    CHGNet names batch natively; every other model (SevenNet, MACE, ...) is evaluated
    replica by replica through its ASE calculator.

    Example:
        >>> from ase.calculators.emt import EMT
        >>> batch_calculator(EMT()).label
        'EMT'
    """
    if hasattr(model, "compute") and hasattr(model, "label"):
        return model
    if isinstance(model, str) and model.split(":")[0] == "chgnet":
        return CHGNetBatchCalculator.load(device, model)
    if isinstance(model, str):
        return ASELoopCalculator(resolve_calculator(model, device), calculator_label(model))
    return ASELoopCalculator(model)


@dataclass(frozen=True)
class Replica:
    """One member of a batch: a cell, its thermostat temperature and velocity seed.

    ``name`` is the trajectory's file stem (default ``md_<T>K``, with ``_s<seed>`` for
    seed != 0); replicas of one batch need distinct names.
    """

    structure: Structure | Atoms
    temperature_K: float
    seed: int = 0
    name: str | None = None

    @property
    def stem(self) -> str:
        """File stem of the trajectory."""
        if self.name:
            return self.name
        suffix = f"_s{self.seed}" if self.seed else ""
        return f"md_{self.temperature_K:g}K{suffix}"


def _temperature(momenta: np.ndarray, masses: np.ndarray) -> float:
    """Kinetic temperature as ASE's ``Atoms.get_temperature`` (3N degrees of freedom)."""
    kinetic = 0.5 * float(np.sum(momenta**2 / masses))
    return 2.0 * kinetic / (momenta.size * units.kB)


def _batch_checkpoint_path(out: Path, stems: Sequence[str]) -> Path:
    return out / f"{stems[0]}+{len(stems) - 1}.batch.npz"


def _save_batch(path: Path, step: int, n_frames: int, state: list[dict[str, np.ndarray]]) -> None:
    arrays: dict[str, Any] = {"step": step, "n_frames": n_frames}
    for i, replica in enumerate(state):
        arrays.update({f"{key}_{i}": value for key, value in replica.items()})
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _load_batch(path: Path, n_replicas: int) -> dict[str, Any]:
    remedy = "delete it and the batch's trajectories to start again"
    try:
        with np.load(path) as data:
            loaded = {key: data[key] for key in data.files}
        keys = ("positions", "momenta", "eta", "p_eta")
        state = [{key: loaded[f"{key}_{i}"] for key in keys} for i in range(n_replicas)]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ResumeError(f"{path}: damaged batch checkpoint ({exc}); {remedy}") from exc
    return {"step": int(loaded["step"]), "n_frames": int(loaded["n_frames"]), "state": state}


def run_md_batch(
    replicas: Sequence[Replica],
    out_dir: str | Path,
    calculator: str | Calculator | BatchCalculator = "chgnet",
    device: str = "auto",
    time_ps: float = 50.0,
    timestep_fs: float = 2.0,
    equilibration_ps: float = 5.0,
    frame_interval_steps: int = 10,
    checkpoint_interval_steps: int = 1000,
    tdamp_fs: float = 100.0,
    resume: bool = False,
    progress: bool = True,
    max_memory_gb: float | None = None,
) -> list[MDRun]:
    """NVT Nose-Hoover-chain MD of all ``replicas`` together, forces batched per step.

    Arguments as :func:`sselab.transport.md.run_md`; each replica has its own
    temperature and seed and writes its own trajectory in ``out_dir``.

    Returns:
        One :class:`MDRun` per replica, in order (``wall_s`` is the batch's wall time).

    Raises:
        FileExistsError: a trajectory exists and ``resume`` is False.
        ResumeError: the batch checkpoint is damaged or belongs to other replicas.

    Example:
        >>> runs = run_md_batch([Replica(cell, t) for t in (800, 1200)], "out/md",
        ...                     time_ps=2.0)  # doctest: +SKIP
    """
    if not replicas:
        raise ValueError("no replicas to run")
    stems = [r.stem for r in replicas]
    if len(set(stems)) != len(stems):
        raise ValueError(f"replicas need distinct names, got {stems}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = [
        MDSettings(
            temperature_K=float(r.temperature_K),
            time_ps=time_ps,
            timestep_fs=timestep_fs,
            equilibration_ps=equilibration_ps,
            frame_interval_steps=frame_interval_steps,
            checkpoint_interval_steps=checkpoint_interval_steps,
            tdamp_fs=tdamp_fs,
            seed=r.seed,
        )
        for r in replicas
    ]
    atoms = [to_atoms(r.structure) for r in replicas]
    for item, setting in zip(atoms, settings, strict=True):
        _check_md_memory(len(item), setting, max_memory_gb)
    calc = batch_calculator(calculator, device)
    paths = [out / f"{stem}.h5" for stem in stems]
    ckpt = _batch_checkpoint_path(out, stems)
    existing = [p for p in paths if p.exists()]
    if existing and not resume:
        raise FileExistsError(
            f"{existing[0]} exists; pass resume=True (--resume) to continue it or choose "
            "another output folder"
        )
    checkpoint = _load_batch(ckpt, len(replicas)) if existing and ckpt.exists() else None
    if existing and checkpoint is None:
        for path in existing:
            path.unlink()
    writers: list[_Writer] = []
    try:
        for path, item, setting in zip(paths, atoms, settings, strict=True):
            writers.append(_Writer(path, item, setting, calc.label))
        masses = [item.get_masses()[:, None] for item in atoms]
        thermostats = [
            NoseHooverChainThermostat(
                num_atoms_global=len(item),
                masses=mass,
                temperature_K=setting.temperature_K,
                tdamp=setting.tdamp_fs * units.fs,
            )
            for item, mass, setting in zip(atoms, masses, settings, strict=True)
        ]
        if checkpoint is not None:
            for writer, item, setting, thermostat, state in zip(
                writers, atoms, settings, thermostats, checkpoint["state"], strict=True
            ):
                writer.check_settings(item, setting)
                writer.truncate(checkpoint["n_frames"])
                item.set_positions(state["positions"])
                item.set_momenta(state["momenta"])
                thermostat._eta = state["eta"].copy()
                thermostat._p_eta = state["p_eta"].copy()
            start_step = checkpoint["step"]
        else:
            for item, setting in zip(atoms, settings, strict=True):
                rng = np.random.default_rng(setting.seed)
                MaxwellBoltzmannDistribution(item, temperature_K=setting.temperature_K, rng=rng)
                Stationary(item)
            start_step = 0
        total = settings[0].total_steps
        wall = _integrate_batch(
            atoms, masses, thermostats, writers, calc, settings[0], ckpt, start_step, progress
        )
        results = []
        for writer, setting, path in zip(writers, settings, paths, strict=True):
            temps = writer.handle["temperature_K"][:]
            production = writer.handle["step"][:] >= setting.equilibration_steps
            steps_done = total - start_step
            results.append(
                MDRun(
                    trajectory_path=path,
                    temperature_K=setting.temperature_K,
                    n_steps=total,
                    n_frames=writer.n_frames,
                    steps_this_call=steps_done,
                    wall_s=wall,
                    ps_per_day=(
                        steps_done * timestep_fs / FS_PER_PS / wall * SECONDS_PER_DAY
                        if steps_done and wall > 0
                        else None
                    ),
                    mean_temperature_K=float(temps[production].mean())
                    if production.any()
                    else None,
                    model=calc.label,
                )
            )
    finally:
        for writer in writers:
            writer.close()
    return results


def _integrate_batch(
    atoms: list[Atoms],
    masses: list[np.ndarray],
    thermostats: list[NoseHooverChainThermostat],
    writers: list[_Writer],
    calc: BatchCalculator,
    settings: MDSettings,
    ckpt: Path,
    start_step: int,
    progress: bool,
) -> float:
    """Velocity Verlet with a Nose-Hoover chain half step on each side, as ASE's NVT."""
    dt = settings.timestep_fs * units.fs
    q = [item.get_positions() for item in atoms]
    p = [item.get_momenta() for item in atoms]
    energies, forces = calc.compute(atoms)

    def state() -> list[dict[str, np.ndarray]]:
        return [
            {"positions": qi, "momenta": pi, "eta": th._eta.copy(), "p_eta": th._p_eta.copy()}
            for qi, pi, th in zip(q, p, thermostats, strict=True)
        ]

    def record(step: int) -> None:
        for i, writer in enumerate(writers):
            writer.add_frame(step, q[i], float(energies[i]), _temperature(p[i], masses[i]))

    if start_step == 0:
        record(0)
        for writer in writers:
            writer.flush()
        _save_batch(ckpt, 0, writers[0].n_frames, state())
    start = time.perf_counter()
    total = settings.total_steps
    bar = tqdm(
        total=total, initial=start_step, unit="step", desc=f"MD x{len(atoms)}", disable=not progress
    )
    with bar:
        for step in range(start_step + 1, total + 1):
            for i, thermostat in enumerate(thermostats):
                p[i] = thermostat.integrate_nhc(p[i], dt / 2)
                p[i] += dt / 2 * forces[i]
                q[i] += dt * p[i] / masses[i]
                atoms[i].set_positions(q[i])
            energies, forces = calc.compute(atoms)
            for i, thermostat in enumerate(thermostats):
                p[i] += dt / 2 * forces[i]
                p[i] = thermostat.integrate_nhc(p[i], dt / 2)
            if step % settings.frame_interval_steps == 0:
                record(step)
            if step % settings.checkpoint_interval_steps == 0 or step == total:
                for writer in writers:
                    writer.flush()
                _save_batch(ckpt, step, writers[0].n_frames, state())
            bar.update()
    return time.perf_counter() - start
