"""NVT molecular dynamics with an MLIP: checkpointed, resumable, one file per temperature.

Thermostat: Nose-Hoover chain (ASE ``NoseHooverChainNVT``, chain length 3, damping
100 fs by default). Chosen over Langevin because it is deterministic and acts on the
total kinetic energy only, so it does not add per-atom friction and random kicks that
slow single-ion dynamics (Langevin with a strong friction lowers D); it samples the
canonical ensemble like the paper's VASP Nose-Hoover AIMD, and its state (positions,
momenta and the chain variables) is small enough to checkpoint exactly, so a resumed
run is bit-for-bit the uninterrupted one.

Output per temperature in ``out_dir`` (format documented in
:mod:`sselab.transport.trajectory`):

- ``md_<T>K.h5``: unwrapped float32 positions every ``frame_interval_steps`` steps;
- ``md_<T>K.ckpt.npz``: the last checkpoint (float64 state), replaced atomically.

Frames are buffered in memory and appended to the HDF5 file only at checkpoints,
followed by the checkpoint; on ``resume`` the HDF5 file is truncated to the frames
the checkpoint knows about, so a run killed at any moment continues with no gap and
no duplicated frame.
"""

from __future__ import annotations

import json
import logging
import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.md.nose_hoover_chain import NoseHooverChainNVT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from tqdm.auto import tqdm

from sselab.calculators.resolve import calculator_label, resolve_calculator
from sselab.roundtrip import RoundTrip
from sselab.transport.resources import check_memory
from sselab.transport.trajectory import (
    SSELAB_MD_FORMAT,
    SSELAB_MD_VERSION,
    TrajectoryError,
    check_md_layout,
    trajectory_memory_bytes,
)

logger = logging.getLogger(__name__)

FS_PER_PS = 1000.0
SECONDS_PER_DAY = 86400.0
# A buffered frame besides its float32 positions: the tuple, the array header and two
# Python floats (measured with sys.getsizeof, rounded up).
_FRAME_OVERHEAD_BYTES = 256
_CHECKPOINT_ARRAYS = ("step", "n_frames", "positions", "momenta", "eta", "p_eta")


class ResumeError(ValueError):
    """A run cannot be resumed (settings differ from the checkpoint, or files clash)."""


class Executor(Protocol):
    """Anything with a concurrent.futures-like ``submit`` (ThreadPool, dask Client, ...)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Schedule ``fn(*args, **kwargs)``; return a future with ``.result()``."""


@dataclass(frozen=True)
class MDSettings:
    """Settings of one NVT run.

    Attributes:
        temperature_K: thermostat temperature.
        time_ps: production time (after equilibration).
        timestep_fs: integration step (2 fs as in the paper).
        equilibration_ps: time run first and excluded from analysis.
        frame_interval_steps: a frame is stored every this many steps.
        checkpoint_interval_steps: checkpoint period (a multiple of frame_interval_steps).
        tdamp_fs: Nose-Hoover chain damping time.
        seed: seed of the Maxwell-Boltzmann initial velocities.
    """

    temperature_K: float
    time_ps: float = 50.0
    timestep_fs: float = 2.0
    equilibration_ps: float = 5.0
    frame_interval_steps: int = 10
    checkpoint_interval_steps: int = 1000
    tdamp_fs: float = 100.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature_K <= 0 or self.time_ps <= 0 or self.timestep_fs <= 0:
            raise ValueError("temperature_K, time_ps and timestep_fs must be positive")
        if self.equilibration_ps < 0:
            raise ValueError("equilibration_ps must be >= 0")
        if self.frame_interval_steps < 1 or self.checkpoint_interval_steps < 1:
            raise ValueError("frame and checkpoint intervals must be >= 1 step")
        if self.checkpoint_interval_steps % self.frame_interval_steps:
            raise ValueError(
                f"checkpoint_interval_steps ({self.checkpoint_interval_steps}) must be a "
                f"multiple of frame_interval_steps ({self.frame_interval_steps})"
            )

    def _steps(self, duration_ps: float) -> int:
        """Steps for a duration, rounded up to whole frames."""
        steps = int(np.ceil(duration_ps * FS_PER_PS / self.timestep_fs - 1e-9))
        return -(-steps // self.frame_interval_steps) * self.frame_interval_steps

    @property
    def equilibration_steps(self) -> int:
        """Steps of equilibration (a multiple of the frame interval)."""
        return self._steps(self.equilibration_ps)

    @property
    def total_steps(self) -> int:
        """Equilibration plus production steps."""
        return self.equilibration_steps + self._steps(self.time_ps)


@dataclass
class MDRun(RoundTrip):
    """Outcome of :func:`run_md`.

    Attributes:
        trajectory_path: the HDF5 trajectory.
        temperature_K: thermostat temperature.
        n_steps: steps completed (equilibration + production).
        n_frames: frames stored.
        steps_this_call: steps integrated in this call (0 for an already finished run).
        wall_s: wall time of this call.
        ps_per_day: simulated ps per wall-clock day in this call; None when this call
            integrated nothing (a finished run resumed).
        mean_temperature_K: mean kinetic temperature of the production frames; None
            before production starts.
        model: calculator label, e.g. "chgnet:0.3.0" or "EMT".
    """

    trajectory_path: Path
    temperature_K: float
    n_steps: int
    n_frames: int
    steps_this_call: int
    wall_s: float
    ps_per_day: float | None
    mean_temperature_K: float | None
    model: str


def trajectory_path_for(out_dir: str | Path, temperature_K: float) -> Path:
    """Path of the trajectory of one temperature, e.g. ``out/md_1000K.h5``.

    Example:
        >>> trajectory_path_for("out", 1000).name
        'md_1000K.h5'
    """
    return Path(out_dir) / f"md_{temperature_K:g}K.h5"


def _checkpoint_path(trajectory_path: Path) -> Path:
    return trajectory_path.with_suffix(".ckpt.npz")


def to_atoms(structure: Structure | Atoms) -> Atoms:
    """ASE Atoms of an ordered structure (oxidation states dropped)."""
    if isinstance(structure, Atoms):
        return structure.copy()
    if not structure.is_ordered:
        raise ValueError(
            f"{structure.composition.reduced_formula} has partial occupancies; order it first "
            "(sselab.structures.enumerate_orderings or prepare_md_cell)"
        )
    plain = structure.copy()
    plain.remove_oxidation_states()
    return AseAtomsAdaptor.get_atoms(plain)


def prepare_md_cell(
    structure: Structure,
    supercell: Sequence[int] = (2, 2, 2),
    seed: int = 0,
    calculator: Calculator | str | None = None,
    fmax: float = 0.05,
    store: Any | None = None,
    max_steps: int = 500,
) -> Structure:
    """Ordered MD cell: lowest-Ewald ordering of the supercell, optionally MLIP-relaxed.

    Args:
        structure: ordered or disordered (partial occupancies) structure.
        supercell: repetitions along a, b, c.
        seed: seed of the ordering sampler.
        calculator: if given, relax positions and volume with it (NVT then runs at the
            MLIP's 0 K lattice constant); the cell keeps its shape, as the disordered
            cubic phase does (a small ordered cell would otherwise shear).
        fmax: relaxation force threshold in eV/Å.
        store: optional ResultStore caching that relaxation (the same entry as
            ``lowest_energy_ordering``'s relaxation of that ordering with equal
            ``fmax`` and ``max_steps``: both use ``ORDERING_OPTIMIZER``).
        max_steps: relaxation step limit.

    Example:
        >>> from sselab.structures import antifluorite
        >>> prepare_md_cell(antifluorite(0.5), (1, 1, 1)).composition.reduced_formula
        'Li5SN'
    """
    from sselab.structures import enumerate_orderings

    ordered = enumerate_orderings(structure, supercell=tuple(supercell), n=1, seed=seed)[0]
    if calculator is None:
        return ordered
    from sselab.calculators.relax import ORDERING_OPTIMIZER, relax

    return relax(
        ordered,
        calculator,
        fmax=fmax,
        max_steps=max_steps,
        keep_cell_shape=True,
        store=store,
        optimizer=ORDERING_OPTIMIZER,
    ).structure


class _Writer:
    """Append-only HDF5 frame writer with buffered frames and atomic checkpoints."""

    def __init__(self, path: Path, atoms: Atoms, settings: MDSettings, model: str) -> None:
        import h5py

        self.path = path
        self.buffer: list[tuple[int, np.ndarray, float, float]] = []
        exists = path.exists()
        try:
            self.handle = h5py.File(path, "a", libver="latest")
        except OSError as exc:
            raise TrajectoryError(
                f"{path}: cannot be opened as HDF5 ({' '.join(str(exc).split())}); delete it "
                "and its checkpoint to start the run again"
            ) from exc
        if exists:
            try:
                check_md_layout(self.handle)
            except TrajectoryError as exc:
                self.handle.close()
                raise TrajectoryError(
                    f"{path}: {exc}; delete it and its checkpoint to start the run again"
                ) from exc
        else:
            n_atoms = len(atoms)
            chunk_frames = max(1, min(256, 2**20 // (12 * n_atoms)))
            self.handle.create_dataset(
                "positions",
                (0, n_atoms, 3),
                maxshape=(None, n_atoms, 3),
                dtype="f4",
                chunks=(chunk_frames, n_atoms, 3),
            )
            for name, dtype in (
                ("step", "i8"),
                ("potential_energy_eV", "f8"),
                ("temperature_K", "f8"),
            ):
                self.handle.create_dataset(
                    name, (0,), maxshape=(None,), dtype=dtype, chunks=(chunk_frames * 16,)
                )
            self.handle["cell"] = atoms.cell.array
            self.handle["numbers"] = atoms.numbers
            attrs = {
                "format": SSELAB_MD_FORMAT,
                "version": SSELAB_MD_VERSION,
                "symbols": json.dumps(atoms.get_chemical_symbols()),
                "model": model,
                "thermostat": "Nose-Hoover chain (ASE NoseHooverChainNVT, tchain=3)",
                **asdict(settings),
                "equilibration_steps": settings.equilibration_steps,
            }
            self.handle.attrs.update(attrs)

    @property
    def n_frames(self) -> int:
        return int(self.handle["step"].shape[0]) + len(self.buffer)

    def check_settings(self, atoms: Atoms, settings: MDSettings) -> None:
        wanted = asdict(settings)
        # A longer production time than first asked is allowed: the run simply continues.
        wanted.pop("time_ps")
        missing = [k for k in wanted if k not in self.handle.attrs]
        if missing:
            raise TrajectoryError(f"{self.path}: no attribute {', '.join(missing)} to resume")
        stored = {k: _plain(self.handle.attrs[k]) for k in wanted}
        differing = {k: (stored[k], wanted[k]) for k in wanted if stored[k] != wanted[k]}
        if differing:
            raise ResumeError(
                f"{self.path}: settings differ from the run being resumed "
                f"(stored, requested): {differing}"
            )
        if not np.array_equal(self.handle["numbers"][:], atoms.numbers):
            raise ResumeError(f"{self.path}: the structure differs from the run being resumed")
        self.handle.attrs["time_ps"] = settings.time_ps

    def truncate(self, n_frames: int) -> None:
        for name in ("positions", "step", "potential_energy_eV", "temperature_K"):
            dataset = self.handle[name]
            if dataset.shape[0] < n_frames:
                raise ResumeError(
                    f"{self.path}: holds {dataset.shape[0]} frames but the checkpoint expects "
                    f"{n_frames}; the file does not belong to this checkpoint"
                )
            dataset.resize(n_frames, axis=0)

    def add(self, step: int, atoms: Atoms) -> None:
        self.add_frame(
            step,
            atoms.positions,
            float(atoms.get_potential_energy()),
            float(atoms.get_temperature()),
        )

    def add_frame(
        self, step: int, positions: np.ndarray, energy_eV: float, temperature_K: float
    ) -> None:
        self.buffer.append((step, positions.astype(np.float32), energy_eV, temperature_K))

    def flush(self) -> None:
        if not self.buffer:
            return
        steps, positions, energies, temps = zip(*self.buffer, strict=True)
        start = int(self.handle["step"].shape[0])
        stop = start + len(steps)
        for name, values in (
            ("positions", np.stack(positions)),
            ("step", np.asarray(steps)),
            ("potential_energy_eV", np.asarray(energies)),
            ("temperature_K", np.asarray(temps)),
        ):
            self.handle[name].resize(stop, axis=0)
            self.handle[name][start:stop] = values
        self.handle.flush()
        self.buffer.clear()

    def close(self) -> None:
        self.handle.close()


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _load_checkpoint(path: Path, n_atoms: int) -> dict[str, np.ndarray]:
    """The arrays of a checkpoint, checked; ResumeError naming the file when damaged."""
    remedy = "delete it and its trajectory to start the run again"
    try:
        with np.load(path) as data:  # allow_pickle=False: a checkpoint holds no objects
            checkpoint = {name: data[name] for name in _CHECKPOINT_ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ResumeError(
            f"{path}: damaged checkpoint ({' '.join(str(exc).split())}); {remedy}"
        ) from exc
    for name in ("positions", "momenta"):
        if checkpoint[name].shape != (n_atoms, 3) or not np.all(np.isfinite(checkpoint[name])):
            raise ResumeError(f"{path}: {name} are not {n_atoms} finite 3-vectors; {remedy}")
    return checkpoint


def _check_md_memory(n_atoms: int, settings: MDSettings, max_memory_gb: float | None) -> None:
    """Refuse a run whose buffered frames, or whose frames loaded for analysis, cannot fit."""
    per_checkpoint = min(settings.checkpoint_interval_steps, settings.total_steps)
    buffered = per_checkpoint // settings.frame_interval_steps + 1
    check_memory(
        buffered * (12 * n_atoms + _FRAME_OVERHEAD_BYTES),
        f"MD at {settings.temperature_K:g} K buffering {buffered:,} frames of {n_atoms} atoms "
        "between checkpoints",
        "lower --checkpoint-interval or raise --frame-interval",
        max_memory_gb,
    )
    production = (settings.total_steps - settings.equilibration_steps) // (
        settings.frame_interval_steps
    ) + 1
    check_memory(
        trajectory_memory_bytes(production, n_atoms),
        f"analysing the {production:,} frames of {n_atoms} atoms of MD at "
        f"{settings.temperature_K:g} K",
        "raise --frame-interval or shorten --time",
        max_memory_gb,
    )


def _chain_state(
    dynamics: NoseHooverChainNVT, restore: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """The Nose-Hoover chain's positions and momenta ("eta", "p_eta"); ``restore`` sets them.

    ASE has no public API for the chain state (NoseHooverChainNVT keeps it in
    ``_thermostat._eta`` / ``._p_eta``, checked against ASE 3.24.0, 3.25.0 and 3.29.0),
    but without it a resumed run is not the uninterrupted one. This is the one place
    that touches those private attributes; tests/transport/test_md.py fails if ASE
    renames them (the resumed trajectory would differ).
    """
    thermostat = dynamics._thermostat
    if restore is not None:
        thermostat._eta = restore["eta"].copy()
        thermostat._p_eta = restore["p_eta"].copy()
    return {"eta": thermostat._eta.copy(), "p_eta": thermostat._p_eta.copy()}


def _save_checkpoint(
    path: Path, step: int, n_frames: int, atoms: Atoms, dynamics: NoseHooverChainNVT
) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    arrays: dict[str, Any] = {
        "step": step,
        "n_frames": n_frames,
        "positions": atoms.get_positions(),
        "momenta": atoms.get_momenta(),
        **_chain_state(dynamics),
    }
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def run_md(
    structure: Structure | Atoms,
    temperature_K: float,
    out_dir: str | Path,
    time_ps: float = 50.0,
    timestep_fs: float = 2.0,
    equilibration_ps: float = 5.0,
    frame_interval_steps: int = 10,
    checkpoint_interval_steps: int = 1000,
    tdamp_fs: float = 100.0,
    seed: int = 0,
    calculator: Calculator | str = "chgnet",
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    max_memory_gb: float | None = None,
) -> MDRun:
    """Run (or resume) an NVT Nose-Hoover-chain MD and store the trajectory.

    Args:
        structure: ordered structure (pymatgen or ASE); the cell is kept fixed.
        temperature_K: thermostat temperature in K.
        out_dir: folder for ``md_<T>K.h5`` and its checkpoint.
        time_ps: production time in ps (after equilibration).
        timestep_fs: time step in fs.
        equilibration_ps: equilibration time in ps (stored, excluded from analysis).
        frame_interval_steps: store a frame every this many steps.
        checkpoint_interval_steps: checkpoint every this many steps.
        tdamp_fs: thermostat damping time in fs.
        seed: seed of the initial Maxwell-Boltzmann velocities.
        calculator: ASE calculator or registered model name ("chgnet", "sevennet", ...).
        device: device for a named model ("auto" uses a GPU when present).
        resume: continue from the checkpoint (starts fresh when there is none).
        progress: show a progress bar with ps/day.
        max_memory_gb: memory limit in GiB (default
            :func:`sselab.transport.resources.default_max_memory_gb`).

    Returns:
        :class:`MDRun`.

    Raises:
        FileExistsError: the trajectory exists and ``resume`` is False.
        ResumeError: the checkpoint belongs to different settings or structure, or is
            damaged.
        TrajectoryError: the trajectory to resume is not a readable sselab MD file.
        MemoryLimitError: the frames buffered between checkpoints, or the production
            frames loaded for the analysis, would need more than ``max_memory_gb``.

    Example:
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> run = run_md(bulk("Cu", cubic=True), 300, "/tmp/md-doc", time_ps=0.02,
        ...              equilibration_ps=0, calculator=EMT(), progress=False)  # doctest: +SKIP
        >>> run.n_frames  # doctest: +SKIP
        2
    """
    settings = MDSettings(
        temperature_K=float(temperature_K),
        time_ps=time_ps,
        timestep_fs=timestep_fs,
        equilibration_ps=equilibration_ps,
        frame_interval_steps=frame_interval_steps,
        checkpoint_interval_steps=checkpoint_interval_steps,
        tdamp_fs=tdamp_fs,
        seed=seed,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traj_path = trajectory_path_for(out, settings.temperature_K)
    ckpt_path = _checkpoint_path(traj_path)
    atoms = to_atoms(structure)
    _check_md_memory(len(atoms), settings, max_memory_gb)
    calc, model = resolve_calculator(calculator, device), calculator_label(calculator)

    checkpoint = None
    if traj_path.exists():
        if not resume:
            raise FileExistsError(
                f"{traj_path} exists; pass resume=True (--resume) to continue it or choose "
                "another output folder"
            )
        if ckpt_path.exists():
            checkpoint = _load_checkpoint(ckpt_path, len(atoms))
        else:
            logger.warning("%s has no checkpoint; starting it again", traj_path)
            traj_path.unlink()

    writer = _Writer(traj_path, atoms, settings, model)
    try:
        if checkpoint is not None:
            writer.check_settings(atoms, settings)
            writer.truncate(int(checkpoint["n_frames"]))
            atoms.set_positions(checkpoint["positions"])
            atoms.set_momenta(checkpoint["momenta"])
            start_step = int(checkpoint["step"])
        else:
            MaxwellBoltzmannDistribution(
                atoms, temperature_K=settings.temperature_K, rng=np.random.default_rng(seed)
            )
            Stationary(atoms)  # no centre-of-mass drift that would look like diffusion
            start_step = 0
        atoms.calc = calc
        dynamics = NoseHooverChainNVT(
            atoms,
            timestep=settings.timestep_fs * units.fs,
            temperature_K=settings.temperature_K,
            tdamp=settings.tdamp_fs * units.fs,
        )
        if checkpoint is not None:
            _chain_state(dynamics, restore=checkpoint)
        else:
            writer.add(0, atoms)
            writer.flush()
            _save_checkpoint(ckpt_path, 0, writer.n_frames, atoms, dynamics)
        steps_done = _integrate(dynamics, atoms, writer, ckpt_path, settings, start_step, progress)
        temperatures = writer.handle["temperature_K"][:]
        production = writer.handle["step"][:] >= settings.equilibration_steps
        mean_temperature = float(temperatures[production].mean()) if production.any() else None
        n_frames = writer.n_frames
    finally:
        writer.close()
    return MDRun(
        trajectory_path=traj_path,
        temperature_K=settings.temperature_K,
        n_steps=settings.total_steps,
        n_frames=n_frames,
        steps_this_call=steps_done.steps,
        wall_s=steps_done.wall_s,
        ps_per_day=steps_done.ps_per_day(settings.timestep_fs),
        mean_temperature_K=mean_temperature,
        model=model,
    )


@dataclass
class _Progress:
    steps: int
    wall_s: float

    def ps_per_day(self, timestep_fs: float) -> float | None:
        if self.steps == 0 or self.wall_s <= 0:
            return None
        return self.steps * timestep_fs / FS_PER_PS / self.wall_s * SECONDS_PER_DAY


def _integrate(
    dynamics: NoseHooverChainNVT,
    atoms: Atoms,
    writer: _Writer,
    ckpt_path: Path,
    settings: MDSettings,
    start_step: int,
    progress: bool,
) -> _Progress:
    start = time.perf_counter()
    bar = tqdm(
        total=settings.total_steps,
        initial=start_step,
        unit="step",
        desc=f"MD {settings.temperature_K:g} K",
        disable=not progress,
    )
    with bar:
        for step in range(start_step + 1, settings.total_steps + 1):
            dynamics.step()
            if step % settings.frame_interval_steps == 0:
                writer.add(step, atoms)
            if step % settings.checkpoint_interval_steps == 0 or step == settings.total_steps:
                writer.flush()
                _save_checkpoint(ckpt_path, step, writer.n_frames, atoms, dynamics)
            bar.update()
            if step % 50 == 0:
                speed = _Progress(step - start_step, time.perf_counter() - start).ps_per_day(
                    settings.timestep_fs
                )
                if speed is not None:
                    bar.set_postfix(ps_per_day=f"{speed:.1f}")
    return _Progress(settings.total_steps - start_step, time.perf_counter() - start)


def run_md_temperatures(
    structure: Structure | Atoms,
    temperatures_K: Sequence[float],
    out_dir: str | Path,
    executor: Executor | None = None,
    **md_kwargs: Any,
) -> list[MDRun]:
    """Run :func:`run_md` at several temperatures, serially or through an executor.

    Args:
        structure: ordered structure.
        temperatures_K: thermostat temperatures in K.
        out_dir: one folder for all ``md_<T>K.h5`` files.
        executor: optional object with ``submit(fn, *args, **kwargs)`` returning futures
            (concurrent.futures executor, dask.distributed Client); None runs in-process.
        **md_kwargs: passed to :func:`run_md` (time_ps, calculator, resume, ...). Pass the
            calculator by name when using a process/cluster executor so each worker loads
            its own model; a thread pool would share one calculator between temperatures,
            which ASE calculators do not support (use processes, e.g. a dask Client).

    Returns:
        One :class:`MDRun` per temperature, in the given order.

    Example:
        >>> runs = run_md_temperatures(cell, [600, 1200], "out/md")  # doctest: +SKIP
    """
    if len(set(temperatures_K)) != len(temperatures_K):
        raise ValueError(f"duplicate temperatures in {list(temperatures_K)}")
    if executor is None:
        return [run_md(structure, t, out_dir, **md_kwargs) for t in temperatures_K]
    futures = [executor.submit(run_md, structure, t, out_dir, **md_kwargs) for t in temperatures_K]
    return [future.result() for future in futures]
