"""Minimum-energy paths between named sites on a BVSE landscape (string method).

Path barriers between named sites use a string method (E & Vanden-Eijnden) on a periodic
cubic-spline interpolation of the grid, started on the straight segments through the
waypoints (e.g. :func:`sselab.transport.antifluorite_sites.antifluorite_hop`, the site
finder CI-NEB shares); the barrier is the maximum along the converged path minus the
lowest energy on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.bvse.model import Landscape


@dataclass
class PathProfile(RoundTrip):
    """Energy profile along a minimum-energy path on a BVSE landscape.

    Attributes:
        hop: name of the path ("8c-4b-8c", "custom", ...).
        frac_coords: (n, 3) unwrapped fractional coordinates of the path images.
        distance_angstrom: (n,) arc length from the start, Å.
        energy_eV: (n,) energy above the landscape's global minimum, eV.
        barrier_eV: highest minus lowest energy on the path (the barrier of the hop
            repeated along a chain of such paths), eV, with its path-discretisation
            error (the change when the converged path is resampled 5x finer;
            error_kind "resolution").
        barrier_from_start_eV: highest energy minus the start site's, eV, same error.
    """

    hop: str
    frac_coords: np.ndarray
    distance_angstrom: np.ndarray
    energy_eV: np.ndarray
    barrier_eV: Estimate
    barrier_from_start_eV: Estimate


def _resample(points: np.ndarray, n: int) -> np.ndarray:
    """n points equally spaced in arc length along the polyline ``points``."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    target = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(target, arc, points[:, d]) for d in range(3)])


def minimum_energy_path(
    landscape: Landscape,
    waypoints_frac: Sequence[Sequence[float]] | np.ndarray,
    hop: str = "custom",
    n_images: int = 41,
    n_steps: int = 400,
) -> PathProfile:
    """Relax a path through ``waypoints_frac`` into a minimum-energy path (string method).

    The string starts on straight segments through the waypoints (unwrapped fractional
    coordinates, e.g. from ``antifluorite_hop``), descends the interpolated landscape
    (gradient by central differences, step capped at 0.05 Å) and is re-spaced evenly
    after every step; the ends relax into their minima. Intermediate waypoints only
    choose the valley the path starts in.

    Args:
        landscape: BVSE landscape.
        waypoints_frac: at least two fractional points, start to end.
        hop: label stored in the result.
        n_images: images on the string (>= 5).
        n_steps: descent steps.

    Returns:
        PathProfile with energies above the landscape's global minimum.

    Example:
        >>> from sselab.structures import antifluorite
        >>> s = antifluorite(0.0, a=5.719)
        >>> from sselab.transport.antifluorite_sites import antifluorite_hop
        >>> from sselab.transport.bvse.model import bvse_landscape
        >>> scape = bvse_landscape(s, resolution_angstrom=0.3)
        >>> p = minimum_energy_path(scape, antifluorite_hop(s, "8c-4b-8c"), "8c-4b-8c")
        >>> 0.25 < p.barrier_eV.value < 0.40
        True
        >>> PathProfile.from_dict(p.as_dict()).barrier_eV == p.barrier_eV
        True
    """
    waypoints = np.asarray(waypoints_frac, dtype=float)
    if waypoints.ndim != 2 or waypoints.shape[1] != 3 or len(waypoints) < 2:
        raise ValueError(f"waypoints_frac must be (n >= 2, 3), got shape {waypoints.shape}")
    if not np.all(np.isfinite(waypoints)):
        raise ValueError("waypoints_frac contains NaN or inf")
    if n_images < 5:
        raise ValueError(f"n_images = {n_images}: use at least 5")
    matrix = landscape.structure.lattice.matrix
    inverse = np.linalg.inv(matrix)
    offsets = 0.02 * np.eye(3)  # Å, central-difference step

    def energy(cart: np.ndarray) -> np.ndarray:
        return landscape.energy_at(cart @ inverse)

    def gradient(cart: np.ndarray) -> np.ndarray:
        return np.column_stack([(energy(cart + h) - energy(cart - h)) / 0.04 for h in offsets])

    string = _resample(waypoints @ matrix, n_images)
    for _ in range(n_steps):
        g = gradient(string)
        step = g * min(0.02, 0.05 / max(float(np.abs(g).max()), 1e-12))
        string = _resample(string - step, n_images)
        if np.abs(step).max() < 1e-5:
            break
    e = energy(string) - landscape.energy_eV.min()
    fine = _resample(string, 5 * n_images - 4)
    e_fine = energy(fine) - landscape.energy_eV.min()
    barrier = float(e.max() - e.min())
    error = abs(float(e_fine.max() - e_fine.min()) - barrier)
    distance = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(string, axis=0), axis=1))])
    return PathProfile(
        hop=hop,
        frac_coords=string @ inverse,
        distance_angstrom=distance,
        energy_eV=e,
        barrier_eV=Estimate.normal(barrier, error, "eV", error_kind="resolution"),
        barrier_from_start_eV=Estimate.normal(
            float(e.max() - e[0]), error, "eV", error_kind="resolution"
        ),
    )
