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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SSELAB_MD_FORMAT = "sselab-md"
SSELAB_MD_VERSION = 1


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
        if self.positions_angstrom.ndim != 3 or self.positions_angstrom.shape[2] != 3:
            raise TrajectoryError(
                f"positions must have shape (n_frames, n_atoms, 3), got "
                f"{self.positions_angstrom.shape}"
            )
        if self.positions_angstrom.shape[1] != len(self.symbols):
            raise TrajectoryError(
                f"{len(self.symbols)} symbols for {self.positions_angstrom.shape[1]} atoms"
            )
        if self.cell_angstrom.shape != (3, 3) or abs(np.linalg.det(self.cell_angstrom)) < 1e-9:
            raise TrajectoryError(
                f"cell must be a non-singular 3x3 matrix, got {self.cell_angstrom}"
            )
        if not self.frame_interval_fs > 0:
            raise TrajectoryError(f"frame_interval_fs must be > 0, got {self.frame_interval_fs}")

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
            raise TrajectoryError(f"no {species} atoms in the trajectory (species: {present})")
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


def _read_sselab_h5(path: Path, include_equilibration: bool) -> Trajectory:
    import h5py

    with h5py.File(path, "r") as handle:
        if handle.attrs.get("format") != SSELAB_MD_FORMAT:
            raise TrajectoryError(f"{path}: not a sselab MD file (attribute format missing)")
        steps = handle["step"][:]
        keep = (
            np.ones(steps.size, bool)
            if include_equilibration
            else steps >= handle.attrs["equilibration_steps"]
        )
        if keep.sum() < 2:
            raise TrajectoryError(f"{path}: fewer than 2 production frames (run still going?)")
        first = int(np.argmax(keep))
        positions = handle["positions"][first:].astype(np.float64)
        interval_fs = float(handle.attrs["timestep_fs"] * handle.attrs["frame_interval_steps"])
        metadata = {k: _plain(v) for k, v in handle.attrs.items()}
        symbols = json.loads(handle.attrs["symbols"])
        return Trajectory(
            positions,
            handle["cell"][:],
            symbols,
            interval_fs,
            float(handle.attrs["temperature_K"]),
            {**metadata, "source": str(path), "first_step": int(steps[first])},
        )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _from_ase_frames(
    frames: list[Any], path: Path, frame_interval_fs: float | None, temperature_K: float | None
) -> Trajectory:
    if len(frames) < 2:
        raise TrajectoryError(f"{path}: needs at least 2 frames, found {len(frames)}")
    cells = np.array([atoms.cell.array for atoms in frames])
    if np.abs(cells - cells[0]).max() > 1e-6:
        raise TrajectoryError(
            f"{path}: the cell changes along the trajectory; "
            "only fixed-cell (NVT) runs are supported"
        )
    if frame_interval_fs is None:
        raise TrajectoryError(
            f"{path}: the file does not store the time between frames; pass frame_interval_fs "
            "(MD timestep x frames written every n steps)"
        )
    symbols = frames[0].get_chemical_symbols()
    positions = unwrap(np.array([atoms.positions for atoms in frames]), cells[0])
    return Trajectory(
        positions, cells[0], symbols, frame_interval_fs, temperature_K, {"source": str(path)}
    )


def read_trajectory(
    path: str | Path,
    frame_interval_fs: float | None = None,
    temperature_K: float | None = None,
    include_equilibration: bool = False,
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

    Returns:
        A :class:`Trajectory` with unwrapped positions.

    Raises:
        TrajectoryError: missing file, unknown format, variable cell or missing interval.

    Example:
        >>> traj = read_trajectory("md_1000K.h5")  # doctest: +SKIP
        >>> traj.duration_ps  # doctest: +SKIP
        50.0
    """
    path = Path(path)
    if not path.is_file():
        raise TrajectoryError(f"{path}: no such file")
    if path.suffix in (".h5", ".hdf5"):
        traj = _read_sselab_h5(path, include_equilibration)
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
            f"{path}: unknown trajectory format (expected sselab .h5, ASE .traj or XDATCAR)"
        )
    try:
        frames = read(path, index=":", format=fmt)
    except Exception as exc:  # ASE raises many types on malformed files
        raise TrajectoryError(f"{path}: cannot be read as {fmt}: {exc}") from exc
    return _from_ase_frames(list(frames), path, frame_interval_fs, temperature_K)


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
