"""Time-averaged probability density of a mobile species on a grid (CHGCAR, .cube, figure).

The density rho(r) counts ions per Å^3, averaged over all frames, so that its integral
over the cell is the number of ions of the species. Positions are taken in the
framework's frame (the framework's mean drift removed, as for the MSD) and wrapped into
the cell, then histogrammed on a regular grid along the lattice vectors, optionally
smoothed by a periodic Gaussian.

Files (both open in VESTA):

- ``CHGCAR`` (pymatgen :class:`~pymatgen.io.vasp.outputs.Chgcar`): VASP stores density
  times cell volume, so the file holds rho * V; VESTA divides by V and shows rho in Å^-3.
- Gaussian ``.cube`` (ASE writer): rho in Å^-3 as is (ASE converts lengths to Bohr).

The atoms written with the density are the first frame (framework-drift corrected,
wrapped), which is the frame the densities are referred to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from pymatgen.core import Lattice, Structure
from scipy.ndimage import gaussian_filter

from sselab.roundtrip import RoundTrip
from sselab.transport.trajectory import Trajectory


@dataclass
class ProbabilityDensity(RoundTrip):
    """Time-averaged density of one species on a grid spanning the cell.

    Attributes:
        species: the species.
        density_per_angstrom3: (n_a, n_b, n_c) ions per Å^3; voxel (i, j, k) starts at
            fractional coordinates (i / n_a, j / n_b, k / n_c).
        structure: reference structure (first frame, wrapped) for the files.
        n_frames: frames averaged.
        smearing_angstrom: Gaussian smoothing width applied (0 for none).
    """

    species: str
    density_per_angstrom3: np.ndarray
    structure: Structure
    n_frames: int
    smearing_angstrom: float

    @property
    def voxel_volume_angstrom3(self) -> float:
        """Volume of one voxel in Å^3."""
        return self.structure.volume / self.density_per_angstrom3.size

    @property
    def n_ions(self) -> float:
        """Integral of the density over the cell (the number of ions)."""
        return float(self.density_per_angstrom3.sum() * self.voxel_volume_angstrom3)

    def occupied_fraction(self, isovalue_per_angstrom3: float) -> float:
        """Fraction of the cell volume where the density exceeds an isovalue.

        Example:
            >>> density.occupied_fraction(1e-3)  # doctest: +SKIP
            0.31
        """
        return float(np.mean(self.density_per_angstrom3 > isovalue_per_angstrom3))

    def write_chgcar(self, path: str | Path) -> Path:
        """Write a VASP CHGCAR (data = rho x V, the VASP convention).

        Example:
            >>> density.write_chgcar("Li_density.CHGCAR")  # doctest: +SKIP
        """
        from pymatgen.io.vasp.outputs import Chgcar, Poscar

        path = Path(path)
        data = {"total": self.density_per_angstrom3 * self.structure.volume}
        Chgcar(Poscar(self.structure), data).write_file(str(path))
        return path

    def write_cube(self, path: str | Path) -> Path:
        """Write a Gaussian cube file with rho in Å^-3.

        Example:
            >>> density.write_cube("Li_density.cube")  # doctest: +SKIP
        """
        from ase.io.cube import write_cube
        from pymatgen.io.ase import AseAtomsAdaptor

        path = Path(path)
        atoms = AseAtomsAdaptor.get_atoms(self.structure)
        with path.open("w") as handle:
            write_cube(handle, atoms, data=self.density_per_angstrom3)
        return path

    def summary(self) -> dict[str, Any]:
        """JSON summary (the grid itself goes to CHGCAR / cube; :meth:`as_dict` has it all).

        Example:
            >>> from sselab.transport.trajectory import Trajectory
            >>> frames = np.full((5, 1, 3), 2.5)
            >>> rho = probability_density(Trajectory(frames, 5 * np.eye(3), ["Li"], 10.0), "Li")
            >>> rho.summary()["grid_shape"], round(rho.summary()["n_ions"], 6)
            ([25, 25, 25], 1.0)
        """
        return {
            "species": self.species,
            "grid_shape": list(self.density_per_angstrom3.shape),
            "n_frames": self.n_frames,
            "smearing_angstrom": self.smearing_angstrom,
            "n_ions": self.n_ions,
            "max_density_per_angstrom3": float(self.density_per_angstrom3.max()),
            "mean_density_per_angstrom3": float(self.density_per_angstrom3.mean()),
        }


def probability_density(
    trajectory: Trajectory,
    species: str = "Li",
    grid_spacing_angstrom: float = 0.2,
    smearing_angstrom: float = 0.0,
    frame_stride: int = 1,
) -> ProbabilityDensity:
    """Histogram the wrapped positions of ``species`` over all frames on a grid.

    Args:
        trajectory: unwrapped trajectory.
        species: the species.
        grid_spacing_angstrom: target voxel edge in Å (the grid has ceil(|a_i| / spacing)
            points along lattice vector i).
        smearing_angstrom: standard deviation of a periodic Gaussian smoothing in Å,
            applied along the lattice directions (0: raw histogram).
        frame_stride: use every n-th frame.

    Returns:
        :class:`ProbabilityDensity` with integral equal to the number of ions.

    Raises:
        ValueError: non-positive spacing or stride, negative smearing.
        TrajectoryError: no such species.

    Example:
        >>> from sselab.transport.trajectory import Trajectory
        >>> frames = np.full((5, 1, 3), 2.5)  # one Li sitting at the centre of a 5 Å cube
        >>> rho = probability_density(Trajectory(frames, 5 * np.eye(3), ["Li"], 10.0), "Li", 1.0)
        >>> rho.density_per_angstrom3.shape, round(rho.n_ions, 6)
        ((5, 5, 5), 1.0)
    """
    if not grid_spacing_angstrom > 0 or frame_stride < 1 or not smearing_angstrom >= 0:
        raise ValueError(
            f"grid_spacing_angstrom ({grid_spacing_angstrom}) must be > 0, frame_stride "
            f"({frame_stride}) >= 1 and smearing_angstrom ({smearing_angstrom}) >= 0"
        )
    mobile = trajectory.indices(species)
    cell = trajectory.cell_angstrom
    positions = trajectory.positions_angstrom[::frame_stride].astype(np.float64)
    framework = np.setdiff1d(np.arange(trajectory.n_atoms), mobile)
    if framework.size:
        drift = positions[:, framework].mean(axis=1) - positions[0, framework].mean(axis=0)
        positions = positions - drift[:, None, :]
    frac = (positions @ np.linalg.inv(cell)) % 1.0
    lengths = np.linalg.norm(cell, axis=1)
    shape = tuple(max(1, math.ceil(length / grid_spacing_angstrom)) for length in lengths)
    # floor of frac * n, guarded against frac == 1.0 from round-off in the modulo
    index = np.minimum((frac[:, mobile] * shape).astype(np.int64), np.array(shape) - 1)
    flat = np.ravel_multi_index(index.reshape(-1, 3).T, shape)
    counts = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape).astype(float)
    n_frames = positions.shape[0]
    voxel = trajectory.volume_angstrom3 / counts.size
    density = counts / (n_frames * voxel)
    if smearing_angstrom > 0:
        sigma_voxels = [
            smearing_angstrom * n / length for n, length in zip(shape, lengths, strict=True)
        ]
        density = gaussian_filter(density, sigma_voxels, mode="wrap")
    structure = Structure(Lattice(cell), trajectory.symbols, frac[0], coords_are_cartesian=False)
    return ProbabilityDensity(species, density, structure, n_frames, smearing_angstrom)


def density_figure(density: ProbabilityDensity, slice_fraction: float | None = None) -> Figure:
    """Three panels of the density: projections along a, b, c, or slices at one height.

    Args:
        density: the density.
        slice_fraction: None for projections (mean along the viewing axis, Å^-3);
            a fractional coordinate in [0, 1) for planar slices through it.

    Example:
        >>> density_figure(rho).savefig("Li_density.png")  # doctest: +SKIP
    """
    if slice_fraction is not None and not 0.0 <= slice_fraction < 1.0:
        raise ValueError(f"slice_fraction = {slice_fraction}: must lie in [0, 1)")
    grid = density.density_per_angstrom3
    fig = Figure(figsize=(12, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    names = "abc"
    for axis, ax in enumerate(axes):
        if slice_fraction is None:
            plane = grid.mean(axis=axis)
            what = f"mean along {names[axis]}"
        else:
            plane = np.take(grid, int(slice_fraction * grid.shape[axis]), axis=axis)
            what = f"{names[axis]} = {slice_fraction:g}"
        rows, cols = [names[i] for i in range(3) if i != axis]
        image = ax.imshow(
            plane.T, origin="lower", extent=(0, 1, 0, 1), cmap="magma", interpolation="bilinear"
        )
        fig.colorbar(image, ax=ax, label=f"{density.species} density (Å$^{{-3}}$)")
        ax.set_xlabel(f"{rows} (fractional)")
        ax.set_ylabel(f"{cols} (fractional)")
        ax.set_title(what)
    fig.suptitle(
        f"{density.species} probability density, {density.n_frames} frames"
        + (f", {density.smearing_angstrom:g} Å smoothing" if density.smearing_angstrom else "")
    )
    return fig
