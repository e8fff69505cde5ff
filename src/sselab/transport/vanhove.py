"""Van Hove correlation function of a mobile species: self part G_s(r, t), distinct G_d(r, t).

Definitions and normalisation (those of Zhu et al., Chem. Mater. 2015, 27, 8318, used
for Fig. 4c/4d of the seed paper), for N ions of the species in volume V, rho = N / V:

- **Self part** G_s(r, t) = (1/N) < sum_i delta(r - |r_i(t0 + t) - r_i(t0)|) > in Å^-3,
  normalised so that the integral of 4 pi r^2 G_s(r, t) dr over all r is 1;
  ``radial_self`` = 4 pi r^2 G_s is the probability per Å of having moved a distance r
  in time t (the curve usually plotted). Displacements are the real (unwrapped,
  framework-drift-corrected) ones, so r may exceed the cell size.
- **Distinct part** G_d(r, t) = 1/(N rho) < sum_i sum_{j != i} delta(r_vec - (r_i(t0 + t)
  - r_j(t0))) > averaged over directions: dimensionless, equal to the Li-Li radial
  distribution function g(r) at t = 0 and tending to 1 at large r for a homogeneous
  liquid. Distances use the minimum image, extended by whole lattice translations when
  ``r_max`` exceeds half the cell width, so small cells are counted correctly; periodic
  images of the ion itself count as distinct ions (as in an infinite periodic crystal).

Both are histograms over shells of exact volume 4/3 pi (r_{k+1}^3 - r_k^3), averaged
over ``n_origins`` evenly spaced time origins t0. Written here (vectorised over origins
and pairs with numpy) rather than taken from pymatgen-analysis-diffusion's
``VanHoveAnalysis``, which needs a ``DiffusionAnalyzer`` built from pymatgen Structures
and loops over ions, pairs and origins in Python (minutes for a 50 ps, 112-atom run).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from sselab.roundtrip import RoundTrip
from sselab.transport.analysis import drift_corrected_positions
from sselab.transport.trajectory import Trajectory, TrajectoryError

_PAIR_CHUNK_VALUES = 3_000_000  # distances per vectorised batch (~70 MB of float64 work)


@dataclass
class VanHoveResult(RoundTrip):
    """Van Hove correlation of one species.

    Attributes:
        species: the species.
        temperature_K: temperature of the run (None when unknown).
        r_angstrom: (n_bins,) shell centres in Å.
        lag_ps: (n_lags,) times t in ps.
        G_self_per_angstrom3: (n_lags, n_bins) G_s(r, t) in Å^-3.
        G_distinct: (n_lags, n_bins) dimensionless G_d(r, t).
        n_origins: time origins averaged per lag.
        n_ions: ions of the species.
    """

    species: str
    temperature_K: float | None
    r_angstrom: np.ndarray
    lag_ps: np.ndarray
    G_self_per_angstrom3: np.ndarray
    G_distinct: np.ndarray
    n_origins: int
    n_ions: int

    @property
    def bin_width_angstrom(self) -> float:
        """Width of the radial shells in Å."""
        return float(self.r_angstrom[1] - self.r_angstrom[0])

    @property
    def radial_self_per_angstrom(self) -> np.ndarray:
        """4 pi r^2 G_s(r, t): probability per Å of having moved a distance r in time t.

        Uses the exact shell volume over the shell width for 4 pi r^2, so the values
        times the bin width sum to 1 (up to what moved beyond r_max).
        """
        half = self.bin_width_angstrom / 2
        edges = np.append(self.r_angstrom - half, self.r_angstrom[-1] + half)
        return self.G_self_per_angstrom3 * _shell_volumes(edges) / self.bin_width_angstrom

    def as_dict(self) -> dict[str, Any]:
        """JSON form (arrays as nested lists) with a note on the normalisation for readers."""
        return {
            **super().as_dict(),
            "normalisation": "integral of 4 pi r^2 G_s dr = 1; G_d -> 1 at large r",
        }


def _image_translations(cell: np.ndarray, r_max: float) -> np.ndarray:
    """Lattice translations (Cartesian, Å) needed to find every vector shorter than r_max.

    A minimum-image vector has fractional components in [-1/2, 1/2]; a vector of length
    r has |f_k| <= r / w_k with w_k the cell width perpendicular to lattice plane k, so
    images up to ceil(r_max / w_k - 1/2) along k cover the sphere.
    """
    widths = 1.0 / np.linalg.norm(np.linalg.inv(cell), axis=0)
    reach = [math.ceil(r_max / w - 0.5) for w in widths]
    shifts = np.array(list(itertools.product(*(range(-n, n + 1) for n in reach))), dtype=float)
    order = np.argsort(np.abs(shifts).sum(axis=1))  # zero image first
    return shifts[order] @ cell


def _shell_volumes(edges: np.ndarray) -> np.ndarray:
    return 4.0 / 3.0 * math.pi * np.diff(edges**3)


def _default_lags(trajectory: Trajectory, n_lags: int) -> np.ndarray:
    """Frames 0 .. n_frames / 2, n_lags evenly spaced values (duplicates dropped)."""
    return np.unique(np.linspace(0, (trajectory.n_frames - 1) // 2, n_lags).round().astype(int))


def van_hove(
    trajectory: Trajectory,
    species: str = "Li",
    lag_ps: Sequence[float] | None = None,
    r_max_angstrom: float = 6.0,
    bin_width_angstrom: float = 0.05,
    n_lags: int = 40,
    n_origins: int = 100,
    progress: bool = True,
) -> VanHoveResult:
    """Self and distinct van Hove correlation functions of ``species``.

    Args:
        trajectory: unwrapped trajectory (see :func:`read_trajectory`).
        species: the mobile species.
        lag_ps: times t in ps (rounded to whole frames); default ``n_lags`` values from 0
            to half the trajectory.
        r_max_angstrom: largest distance in Å.
        bin_width_angstrom: radial shell width in Å.
        n_lags: number of default lags (ignored when ``lag_ps`` is given).
        n_origins: time origins per lag, evenly spaced over the usable frames.
        progress: progress bar over lags.

    Returns:
        :class:`VanHoveResult` (normalisation in the module docstring).

    Raises:
        TrajectoryError: unknown species, or lags longer than the trajectory.
        ValueError: non-positive r_max, bin width or origin count.

    Example:
        >>> from sselab.transport.trajectory import Trajectory
        >>> rng = np.random.default_rng(0)
        >>> walk = np.cumsum(rng.normal(0, 0.1, (200, 50, 3)), axis=0)
        >>> traj = Trajectory(walk, 10 * np.eye(3), ["Li"] * 50, 10.0, 600.0)
        >>> vh = van_hove(traj, lag_ps=[0.0, 0.5], r_max_angstrom=4.0, progress=False)
        >>> vh.G_self_per_angstrom3.shape
        (2, 80)
    """
    if not r_max_angstrom > 0 or not bin_width_angstrom > 0 or n_origins < 1:
        raise ValueError(
            f"r_max_angstrom ({r_max_angstrom}) and bin_width_angstrom ({bin_width_angstrom}) "
            f"must be > 0 and n_origins ({n_origins}) >= 1"
        )
    positions = drift_corrected_positions(trajectory, species)
    n_frames, n_ions = positions.shape[:2]
    if lag_ps is None:
        lags = _default_lags(trajectory, n_lags)
    else:
        lags = np.round(np.asarray(lag_ps, dtype=float) * 1000.0 / trajectory.frame_interval_fs)
        lags = lags.astype(int)
    if lags.size == 0 or lags.min() < 0 or lags.max() >= n_frames:
        raise TrajectoryError(
            f"lags {lags.tolist()} frames must lie in [0, {n_frames - 1}] "
            f"(trajectory of {trajectory.duration_ps:.3g} ps)"
        )
    n_bins = round(r_max_angstrom / bin_width_angstrom)
    edges = np.arange(n_bins + 1) * bin_width_angstrom
    r_max = float(edges[-1])
    shells = _shell_volumes(edges)
    cell = trajectory.cell_angstrom
    frac_positions = positions @ np.linalg.inv(cell)
    translations = _image_translations(cell, r_max)
    density = n_ions / trajectory.volume_angstrom3
    self_part = np.zeros((lags.size, n_bins))
    distinct = np.zeros((lags.size, n_bins))
    n_used = min(n_origins, n_frames - int(lags.max()))
    origins_per_batch = max(1, _PAIR_CHUNK_VALUES // (n_ions * n_ions * len(translations)))

    for k, lag in enumerate(tqdm(lags, desc=f"van Hove {species}", disable=not progress)):
        origins = np.linspace(0, n_frames - 1 - lag, n_used).round().astype(int)
        self_counts = np.zeros(n_bins + 1)
        pair_counts = np.zeros(n_bins + 1)
        for start in range(0, origins.size, origins_per_batch):
            t0 = origins[start : start + origins_per_batch]
            later, earlier = positions[t0 + lag], positions[t0]
            moved = np.linalg.norm(later - earlier, axis=-1).ravel()
            self_counts += _histogram(moved, bin_width_angstrom, n_bins)
            # i at t0 + t against j at t0, reduced to the minimum image in fractional space
            frac = frac_positions[t0 + lag][:, :, None, :] - frac_positions[t0][:, None, :, :]
            frac -= np.rint(frac)
            nearest = frac @ cell
            for index, shift in enumerate(translations):
                vectors = nearest + shift if index else nearest
                d = np.sqrt(np.einsum("...k,...k->...", vectors, vectors))
                if index == 0:
                    d[:, np.arange(n_ions), np.arange(n_ions)] = np.inf  # the self term
                pair_counts += _histogram(d.ravel(), bin_width_angstrom, n_bins)
        self_part[k] = self_counts[:n_bins] / (n_used * n_ions * shells)
        distinct[k] = pair_counts[:n_bins] / (n_used * n_ions * density * shells)

    return VanHoveResult(
        species=species,
        temperature_K=trajectory.temperature_K,
        r_angstrom=0.5 * (edges[1:] + edges[:-1]),
        lag_ps=lags * trajectory.frame_interval_fs / 1000.0,
        G_self_per_angstrom3=self_part,
        G_distinct=distinct,
        n_origins=n_used,
        n_ions=n_ions,
    )


def _histogram(distances: np.ndarray, width: float, n_bins: int) -> np.ndarray:
    """Counts per shell; the last slot collects everything at or beyond r_max."""
    index = np.minimum(distances / width, n_bins).astype(np.int64)
    return np.bincount(index, minlength=n_bins + 1)[: n_bins + 1]


def van_hove_figure(result: VanHoveResult) -> Figure:
    """Heatmaps of G_d(r, t) and 4 pi r^2 G_s(r, t) (the paper's Fig. 4c and 4d).

    Example:
        >>> fig = van_hove_figure(vh)  # doctest: +SKIP
        >>> fig.savefig("van_hove.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    edges_r = np.append(result.r_angstrom - result.bin_width_angstrom / 2, result.r_angstrom[-1])
    edges_r[-1] += result.bin_width_angstrom / 2
    lags = result.lag_ps
    step = np.diff(lags).mean() if lags.size > 1 else 1.0
    edges_t = np.append(lags - step / 2, lags[-1] + step / 2)
    panels = (
        (result.G_distinct, "$G_d(r, t)$", "distinct part"),
        (result.radial_self_per_angstrom, r"$4\pi r^2 G_s(r, t)$ (1/Å)", "self part"),
    )
    moving = lags > 0
    for ax, (values, label, title) in zip(axes, panels, strict=True):
        # the t = 0 delta of G_s and the few-pair shells at small r would saturate the
        # colour scale; the 99.5th percentile of t > 0 keeps the hopping features visible
        shown = values[moving] if moving.any() else values
        vmax = float(np.percentile(shown, 99.5)) or None
        mesh = ax.pcolormesh(
            edges_r, edges_t, values, cmap="viridis", shading="flat", vmin=0.0, vmax=vmax
        )
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_xlabel("r (Å)")
        ax.set_title(f"{result.species} {title}")
    axes[0].set_ylabel("t (ps)")
    if result.temperature_K is not None:
        fig.suptitle(f"van Hove correlation, {result.temperature_K:g} K")
    return fig
