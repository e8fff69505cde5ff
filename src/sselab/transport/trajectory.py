"""Trajectories for transport analysis: one in-memory type, readers and the sselab HDF5 format.

The sselab MD format (``*.h5``, written by :mod:`sselab.transport.md`) is a small
HDF5 file, readable with plain h5py:

- ``/positions``: float32 (n_frames, n_atoms, 3), **unwrapped** Cartesian positions in Å
  (atoms are never wrapped back into the cell, so displacements are direct differences);
- ``/step``: int64 (n_frames,), MD step of each frame;
- ``/potential_energy_eV``, ``/temperature_K``: float64 (n_frames,), per-frame diagnostics;
- ``/cell``: float64 (3, 3), the fixed NVT cell in Å (rows are lattice vectors);
- ``/numbers``: int (n_atoms,), atomic numbers;
- attributes: ``format = "sselab-md"``, ``version = 1``, ``timestep_fs``,
  ``frame_interval_steps``, ``temperature_K`` (thermostat target), ``equilibration_steps``,
  ``model``, ``seed``, ``thermostat`` and ``tdamp_fs``.

Frames before ``equilibration_steps`` are kept in the file (to inspect equilibration)
and dropped by :func:`read_trajectory` unless asked for. float32 positions keep
~1e-5 Å resolution up to 100 Å of unwrapped travel, far below vibrational amplitudes.

Every reader validates what it returns and raises :class:`TrajectoryError` naming the
file and the problem: an unreadable or truncated HDF5 file, a missing dataset or
attribute, a dataset of the wrong dtype or shape, non-finite positions or cell, steps
that do not advance by exactly ``frame_interval_steps`` (a constant frame interval),
a non-positive time step or temperature, or too many frames to load within the memory
limit (:mod:`sselab.transport.resources`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sselab.transport.resources import MemoryLimitError, check_memory

SSELAB_MD_FORMAT = "sselab-md"
SSELAB_MD_VERSION = 1
# |x| beyond this is no MD trajectory (1 µm of unwrapped travel, where float32 storage
# keeps only ~1e-3 Å); the bound also keeps every MSD sum far from overflow.
MAX_COORDINATE_ANGSTROM = 1e4
# 1 ns between frames: far beyond any MD sampling, and it keeps lag^2 sums finite.
MAX_FRAME_INTERVAL_FS = 1e6
# float64 copies of the positions alive while a trajectory is loaded and analysed: the
# loaded array, the drift-corrected mobile subset and the MSD's series-major copy.
ANALYSIS_COPIES = 3
_DATASETS = ("positions", "step", "potential_energy_eV", "temperature_K", "cell", "numbers")
_ATTRIBUTES = (
    "symbols",
    "timestep_fs",
    "frame_interval_steps",
    "temperature_K",
    "equilibration_steps",
)


class TrajectoryError(ValueError):
    """A trajectory file or argument cannot be used (names the file and the problem)."""


@dataclass
class Trajectory:
    """Unwrapped positions of all atoms in a fixed cell, sampled at a constant interval.

    Attributes:
        positions_angstrom: (n_frames, n_atoms, 3) unwrapped Cartesian positions in Å.
        cell_angstrom: (3, 3) cell in Å, rows are lattice vectors.
        symbols: chemical symbol of each atom.
        frame_interval_fs: time between consecutive frames in fs.
        temperature_K: thermostat temperature (None when unknown).
        metadata: provenance (source file, model, seed, ...).

    Example:
        >>> import numpy as np
        >>> traj = Trajectory(np.zeros((10, 2, 3)), 5 * np.eye(3), ["Li", "S"], 10.0, 600.0)
        >>> traj.duration_ps, traj.indices("Li").tolist()
        (0.09, [0])
    """

    positions_angstrom: np.ndarray
    cell_angstrom: np.ndarray
    symbols: list[str]
    frame_interval_fs: float
    temperature_K: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions_angstrom = np.asarray(self.positions_angstrom)
        self.cell_angstrom = np.asarray(self.cell_angstrom, dtype=float)
        shape = self.positions_angstrom.shape
        if len(shape) != 3 or shape[2] != 3 or min(shape) == 0:
            raise TrajectoryError(
                f"positions must have shape (n_frames, n_atoms, 3) with at least one frame "
                f"and atom, got {shape}"
            )
        if self.positions_angstrom.shape[1] != len(self.symbols):
            raise TrajectoryError(
                f"{len(self.symbols)} symbols for {self.positions_angstrom.shape[1]} atoms"
            )
        if (
            self.cell_angstrom.shape != (3, 3)
            or not np.all(np.isfinite(self.cell_angstrom))
            or not 1e-9 < abs(np.linalg.det(self.cell_angstrom)) < np.inf
        ):
            raise TrajectoryError(
                "cell must be a finite non-singular 3x3 matrix, got "
                + " ".join(str(self.cell_angstrom.tolist()).split())
            )
        if not 0 < self.frame_interval_fs <= MAX_FRAME_INTERVAL_FS:
            raise TrajectoryError(
                f"frame_interval_fs must be in (0, {MAX_FRAME_INTERVAL_FS:g}] fs, got "
                f"{self.frame_interval_fs}"
            )
        if self.temperature_K is not None and not 0 < self.temperature_K < np.inf:
            raise TrajectoryError(
                f"temperature_K must be positive and finite, got {self.temperature_K}"
            )
        # min/max allocate nothing and propagate NaN; the full mask only on failure
        lowest, highest = self.positions_angstrom.min(), self.positions_angstrom.max()
        if not -MAX_COORDINATE_ANGSTROM <= lowest <= highest <= MAX_COORDINATE_ANGSTROM:
            bad = ~(np.abs(self.positions_angstrom) <= MAX_COORDINATE_ANGSTROM)
            frame, atom, _ = np.argwhere(bad)[0]
            value = self.positions_angstrom[frame, atom].tolist()
            raise TrajectoryError(
                f"positions must be finite and within {MAX_COORDINATE_ANGSTROM:g} Å; frame "
                f"{frame}, atom {atom} ({self.symbols[atom]}) is at {value}"
            )

    @property
    def source(self) -> str:
        """The file the frames were read from ("trajectory" when built in memory)."""
        return str(self.metadata.get("source", "trajectory"))

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.positions_angstrom.shape[0])

    @property
    def n_atoms(self) -> int:
        """Number of atoms."""
        return int(self.positions_angstrom.shape[1])

    @property
    def duration_ps(self) -> float:
        """Time spanned by the frames in ps ((n_frames - 1) intervals)."""
        return (self.n_frames - 1) * self.frame_interval_fs / 1000.0

    @property
    def volume_angstrom3(self) -> float:
        """Cell volume in Å^3."""
        return float(abs(np.linalg.det(self.cell_angstrom)))

    def indices(self, species: str) -> np.ndarray:
        """Indices of the atoms of one species; raises if there are none."""
        idx = np.flatnonzero(np.asarray(self.symbols) == species)
        if idx.size == 0:
            present = sorted(set(self.symbols))
            raise TrajectoryError(f"{self.source}: no {species} atoms (species: {present})")
        return idx

    def frames(self, start: int, stop: int | None = None) -> Trajectory:
        """A view on frames [start, stop) sharing cell, symbols and metadata."""
        return Trajectory(
            self.positions_angstrom[start:stop],
            self.cell_angstrom,
            self.symbols,
            self.frame_interval_fs,
            self.temperature_K,
            self.metadata,
        )


def unwrap(positions_angstrom: np.ndarray, cell_angstrom: np.ndarray) -> np.ndarray:
    """Unwrap periodic positions by chaining minimum-image frame-to-frame displacements.

    Valid when no atom moves more than half a cell width between two frames; already
    unwrapped input is returned unchanged (up to round-off).

    Args:
        positions_angstrom: (n_frames, n_atoms, 3) Cartesian positions in Å.
        cell_angstrom: (3, 3) cell, rows are lattice vectors.

    Returns:
        (n_frames, n_atoms, 3) float64 unwrapped positions in Å.

    Example:
        >>> x = np.array([[[0.9, 0, 0]], [[0.1, 0, 0]]]) * 10
        >>> unwrap(x, 10 * np.eye(3))[:, 0, 0].round(6).tolist()
        [9.0, 11.0]
    """
    inverse = np.linalg.inv(cell_angstrom)
    frac = np.asarray(positions_angstrom, dtype=float) @ inverse
    steps = np.diff(frac, axis=0)
    steps -= np.round(steps)
    unwrapped = np.concatenate([frac[:1], frac[:1] + np.cumsum(steps, axis=0)])
    return unwrapped @ cell_angstrom


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (h5py's can span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _number_attr(attrs: Any, name: str, integer: bool = False) -> float:
    value = attrs[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TrajectoryError(f"attribute {name} must be a number, got {value!r}") from None
    if integer and number != round(number):
        raise TrajectoryError(f"attribute {name} must be a whole number, got {number}")
    return number


def _dataset(handle: Any, name: str, shape: tuple[int | None, ...], kinds: str) -> Any:
    """``handle[name]`` checked for shape (None = any length) and dtype kind ("f", "iu")."""
    import h5py

    dataset = handle[name]
    if not isinstance(dataset, h5py.Dataset):
        raise TrajectoryError(f"{name} is not a dataset")
    ok_shape = len(dataset.shape) == len(shape) and all(
        want is None or got == want for got, want in zip(dataset.shape, shape, strict=True)
    )
    if not ok_shape or dataset.dtype.kind not in kinds:
        wanted = ", ".join("n" if n is None else str(n) for n in shape)
        kind = {"f": "float", "iu": "integer", "fiu": "numeric"}[kinds]
        raise TrajectoryError(
            f"dataset {name} must be {kind} of shape ({wanted}), got {dataset.dtype} "
            f"{dataset.shape}"
        )
    return dataset


def _symbols(text: Any, numbers: np.ndarray) -> list[str]:
    from ase.data import atomic_numbers

    try:
        symbols = json.loads(text)
    except (TypeError, ValueError):
        raise TrajectoryError("attribute symbols is not a JSON list of element symbols") from None
    if not isinstance(symbols, list) or not all(s in atomic_numbers for s in symbols):
        raise TrajectoryError("attribute symbols is not a JSON list of element symbols")
    if [atomic_numbers[s] for s in symbols] != numbers.tolist():
        raise TrajectoryError("attribute symbols does not match dataset numbers")
    return symbols


def trajectory_memory_bytes(n_frames: int, n_atoms: int) -> int:
    """Peak memory (bytes) of loading and analysing ``n_frames`` frames of ``n_atoms`` atoms.

    Example:
        >>> trajectory_memory_bytes(25_000, 384) / 2**30  # 50 ps every 2 fs, 2x2x2 cell
        0.6437301635742188
    """
    return ANALYSIS_COPIES * n_frames * n_atoms * 3 * 8


def check_md_layout(handle: Any) -> list[str]:
    """Check that an open h5py file has the sselab MD layout; return the atoms' symbols.

    Checks the format attribute, every dataset and attribute of the format (see the
    module docstring) with its dtype kind and shape, and that ``symbols`` matches
    ``numbers``; not the values of the per-frame data (a run killed between a flush and
    its checkpoint leaves frames that a resume truncates).

    Raises:
        TrajectoryError: what is missing or malformed (the caller adds the path).

    Example:
        >>> import h5py, io
        >>> with h5py.File(io.BytesIO(), "w") as handle:
        ...     check_md_layout(handle)
        Traceback (most recent call last):
        ...
        sselab.transport.trajectory.TrajectoryError: not a sselab MD file (attribute format missing)
    """
    attrs = handle.attrs
    if attrs.get("format") != SSELAB_MD_FORMAT:
        raise TrajectoryError("not a sselab MD file (attribute format missing)")
    missing = [name for name in _DATASETS if name not in handle]
    missing += [f"attribute {name}" for name in _ATTRIBUTES if name not in attrs]
    if missing:
        raise TrajectoryError(f"sselab MD file without {', '.join(missing)}")
    positions = _dataset(handle, "positions", (None, None, 3), "f")
    n_frames, n_atoms = positions.shape[:2]
    _dataset(handle, "step", (n_frames,), "iu")
    for name in ("potential_energy_eV", "temperature_K"):
        _dataset(handle, name, (n_frames,), "f")
    _dataset(handle, "cell", (3, 3), "fiu")
    return _symbols(attrs["symbols"], _dataset(handle, "numbers", (n_atoms,), "iu")[:])


def _sselab_h5_trajectory(
    handle: Any, include_equilibration: bool, max_memory_gb: float | None
) -> Trajectory:
    """The trajectory in an open sselab MD file; TrajectoryError (without the path) if invalid."""
    symbols = check_md_layout(handle)
    attrs = handle.attrs
    positions = handle["positions"]
    n_frames, n_atoms = positions.shape[:2]
    steps = handle["step"][:].astype(np.int64)
    cell = handle["cell"][:]
    timestep_fs = _number_attr(attrs, "timestep_fs")
    interval_steps = _number_attr(attrs, "frame_interval_steps", integer=True)
    equilibration_steps = _number_attr(attrs, "equilibration_steps", integer=True)
    if not (0 < timestep_fs < np.inf and interval_steps >= 1):
        raise TrajectoryError(
            f"timestep_fs = {timestep_fs} and frame_interval_steps = {interval_steps} must be "
            "positive"
        )
    uneven = np.flatnonzero(np.diff(steps) != interval_steps)
    if uneven.size:
        i = int(uneven[0]) + 1
        raise TrajectoryError(
            f"frame {i} is at step {steps[i]} after step {steps[i - 1]}; frames must advance "
            f"by frame_interval_steps = {interval_steps:g} (constant frame interval)"
        )
    keep = np.ones(steps.size, bool) if include_equilibration else steps >= equilibration_steps
    if keep.sum() < 2:
        raise TrajectoryError(
            f"{int(keep.sum())} production frames of {steps.size} (equilibration ends at step "
            f"{equilibration_steps:g}); at least 2 are needed (run still going?)"
        )
    first = int(np.argmax(keep))
    try:
        check_memory(
            trajectory_memory_bytes(n_frames - first, n_atoms),
            f"loading {n_frames - first} frames of {n_atoms} atoms",
            "raise max_memory_gb (SSELAB_MAX_MEMORY_GB) or analyse a run written with a "
            "larger frame interval (--frame-interval) or a shorter --time",
            max_memory_gb,
        )
    except MemoryLimitError as exc:
        raise TrajectoryError(str(exc)) from None
    metadata = {k: _plain(v) for k, v in attrs.items()}
    return Trajectory(
        positions[first:].astype(np.float64),
        cell,
        symbols,
        timestep_fs * interval_steps,
        _number_attr(attrs, "temperature_K"),
        {**metadata, "first_step": int(steps[first])},
    )


def _read_sselab_h5(
    path: Path, include_equilibration: bool, max_memory_gb: float | None
) -> Trajectory:
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise TrajectoryError(f"not a readable HDF5 file ({_one_line(exc)})") from exc
    try:
        with handle:
            return _sselab_h5_trajectory(handle, include_equilibration, max_memory_gb)
    except TrajectoryError:
        raise
    # h5py reports damaged metadata or chunks as any of these while reading
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise TrajectoryError(f"damaged sselab MD file ({_one_line(exc)})") from exc


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _from_ase_frames(
    frames: list[Any], frame_interval_fs: float | None, temperature_K: float | None
) -> Trajectory:
    from ase.data import chemical_symbols

    if len(frames) < 2:
        raise TrajectoryError(f"needs at least 2 frames, found {len(frames)}")
    cells = np.array([atoms.cell.array for atoms in frames])
    if not np.all(np.isfinite(cells)) or abs(np.linalg.det(cells[0])) < 1e-9:
        raise TrajectoryError("the cell is not finite and non-singular")
    if np.abs(cells - cells[0]).max() > 1e-6:
        raise TrajectoryError(
            "the cell changes along the trajectory; only fixed-cell (NVT) runs are supported"
        )
    if frame_interval_fs is None:
        raise TrajectoryError(
            "the file does not store the time between frames; pass frame_interval_fs "
            "(MD timestep x frames written every n steps)"
        )
    numbers = frames[0].numbers
    if any(not np.array_equal(atoms.numbers, numbers) for atoms in frames):
        raise TrajectoryError("the atoms change along the trajectory")
    if not np.all((numbers >= 1) & (numbers < len(chemical_symbols))):
        raise TrajectoryError(f"unknown atomic numbers {sorted(set(numbers.tolist()))}")
    symbols = frames[0].get_chemical_symbols()
    wrapped = np.array([atoms.positions for atoms in frames])
    if not np.all(np.isfinite(wrapped)):
        raise TrajectoryError("positions are not finite (NaN or inf)")
    return Trajectory(
        unwrap(wrapped, cells[0]), cells[0], symbols, frame_interval_fs, temperature_K, {}
    )


def read_trajectory(
    path: str | Path,
    frame_interval_fs: float | None = None,
    temperature_K: float | None = None,
    include_equilibration: bool = False,
    max_memory_gb: float | None = None,
) -> Trajectory:
    """Read a trajectory: sselab ``.h5``, ASE ``.traj`` or VASP ``XDATCAR`` (fixed cell).

    Wrapped positions (XDATCAR, most .traj files) are unwrapped frame to frame, so
    frames must be close enough that no atom moves half a cell between them.

    Args:
        path: trajectory file.
        frame_interval_fs: time between frames in fs (required for .traj and XDATCAR,
            which do not store it; ignored for sselab .h5).
        temperature_K: temperature of the run (stored in sselab .h5; optional otherwise).
        include_equilibration: keep the equilibration frames of a sselab .h5 run.
        max_memory_gb: refuse a sselab .h5 file whose frames would need more memory to
            load and analyse, GiB (default: ``resources.default_max_memory_gb()``).

    Returns:
        A :class:`Trajectory` with unwrapped positions.

    Raises:
        TrajectoryError: the message starts with the path and says what is wrong (no such
            file, unknown format, unreadable or damaged file, missing or malformed data,
            non-finite positions, uneven frame interval, variable cell, missing interval,
            too large to load).

    Example:
        >>> read_trajectory("no/such/md_1000K.h5")
        Traceback (most recent call last):
        ...
        sselab.transport.trajectory.TrajectoryError: no/such/md_1000K.h5: no such file
    """
    path = Path(path)
    try:
        traj = _read_any(
            path, frame_interval_fs, temperature_K, include_equilibration, max_memory_gb
        )
    except TrajectoryError as exc:
        raise TrajectoryError(f"{path}: {exc}") from exc
    traj.metadata["source"] = str(path)
    return traj


def _read_any(
    path: Path,
    frame_interval_fs: float | None,
    temperature_K: float | None,
    include_equilibration: bool,
    max_memory_gb: float | None,
) -> Trajectory:
    if not path.is_file():
        raise TrajectoryError("no such file")
    if path.suffix in (".h5", ".hdf5"):
        traj = _read_sselab_h5(path, include_equilibration, max_memory_gb)
        if temperature_K is not None:
            traj.temperature_K = temperature_K
        return traj
    from ase.io import read

    if path.suffix == ".traj":
        fmt = "traj"
    elif "XDATCAR" in path.name.upper():
        fmt = "vasp-xdatcar"
    else:
        raise TrajectoryError(
            "unknown trajectory format (expected sselab .h5, ASE .traj or XDATCAR)"
        )
    try:
        frames = read(path, index=":", format=fmt)
    except Exception as exc:  # ASE raises many types on malformed files
        raise TrajectoryError(f"cannot be read as {fmt}: {_one_line(exc)}") from exc
    return _from_ase_frames(list(frames), frame_interval_fs, temperature_K)


def pymatgen_diffusion_analyzer(
    trajectory: Trajectory, species: str = "Li", smoothed: bool | str = False
) -> Any:
    """The same trajectory as a pymatgen-analysis-diffusion ``DiffusionAnalyzer``.

    For cross-checks against the field's reference implementation (tests, benchmarks);
    needs ``pip install pymatgen-analysis-diffusion`` (in sselab's ``dev`` extra).

    Args:
        trajectory: unwrapped positions (Å), frame interval (fs), temperature (K).
        species: mobile element.
        smoothed: pymatgen's option; ``False`` is the plain all-origin fit (``"max"``
            fixes a 1 ps minimum lag and under-reports errors).

    Example:
        >>> analyzer = pymatgen_diffusion_analyzer(traj)  # doctest: +SKIP
        >>> analyzer.diffusivity  # cm^2/s  # doctest: +SKIP
        1.02e-05
    """
    try:
        from pymatgen.analysis.diffusion.analyzer import DiffusionAnalyzer
    except ImportError as exc:
        raise ImportError(
            "pymatgen-analysis-diffusion is not installed: pip install 'sselab[dev]'"
        ) from exc
    from pymatgen.core import Lattice, Structure

    if trajectory.temperature_K is None:
        raise TrajectoryError("the trajectory has no temperature; pymatgen's analyzer needs one")
    first = trajectory.positions_angstrom[0]
    structure = Structure(
        Lattice(trajectory.cell_angstrom), trajectory.symbols, first, coords_are_cartesian=True
    )
    displacements = np.transpose(trajectory.positions_angstrom - first, (1, 0, 2))
    return DiffusionAnalyzer(
        structure,
        displacements,
        species,
        trajectory.temperature_K,
        # pymatgen annotates time_step as int but computes with it as a float (fs)
        time_step=trajectory.frame_interval_fs,  # type: ignore[arg-type]
        step_skip=1,
        smoothed=smoothed,
    )
