"""Li probability density: normalisation, site positions, drift, CHGCAR and cube files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ase.io.cube import read_cube_data
from pymatgen.io.vasp.outputs import Chgcar

from sselab.transport.density import density_figure, probability_density
from sselab.transport.trajectory import Trajectory

A = 6.0  # Å, cubic cell
SITES_FRAC = np.array([[0.25, 0.25, 0.25], [0.75, 0.75, 0.25], [0.25, 0.75, 0.75]])
SIGMA = 0.25  # Å, vibration amplitude


def vibrating_li(n_frames: int = 2000, drift_angstrom: float = 0.0, seed: int = 0) -> Trajectory:
    """Li vibrating around three sites, S fixed at the origin; everything drifts together."""
    rng = np.random.default_rng(seed)
    sites = SITES_FRAC * A
    li = sites + SIGMA * rng.standard_normal((n_frames, 3, 3))
    s = np.zeros((n_frames, 1, 3))
    drift = np.linspace(0, drift_angstrom, n_frames)[:, None, None] * np.array([1.0, 0.5, 0.0])
    positions = np.concatenate([li, s], axis=1) + drift
    return Trajectory(positions, A * np.eye(3), ["Li", "Li", "Li", "S"], 10.0, 300.0)


def test_density_integrates_to_ion_count_and_peaks_on_sites() -> None:
    rho = probability_density(vibrating_li(drift_angstrom=9.0), grid_spacing_angstrom=0.2)
    assert rho.density_per_angstrom3.shape == (30, 30, 30)
    assert rho.n_ions == pytest.approx(3.0, rel=1e-12)
    grid = rho.density_per_angstrom3
    n = grid.shape[0]
    centres = (np.indices(grid.shape).reshape(3, -1).T + 0.5) / n
    for site in SITES_FRAC:
        offset = (centres - site + 0.5) % 1.0 - 0.5
        r = np.linalg.norm(offset * A, axis=1)
        near = r < 3 * SIGMA
        # almost all weight of a 3D Gaussian lies within 3 sigma (97.1 %)
        weight = grid.ravel()[near].sum() * rho.voxel_volume_angstrom3
        assert weight == pytest.approx(0.971, abs=0.02)
        mean_square = np.sum(grid.ravel()[near] * r[near] ** 2) * rho.voxel_volume_angstrom3
        assert mean_square / weight == pytest.approx(3 * SIGMA**2, rel=0.1)


def test_smoothing_keeps_the_integral_and_lowers_the_peak() -> None:
    traj = vibrating_li(n_frames=500)
    raw = probability_density(traj, grid_spacing_angstrom=0.2)
    smooth = probability_density(traj, grid_spacing_angstrom=0.2, smearing_angstrom=0.3)
    assert smooth.n_ions == pytest.approx(raw.n_ions, rel=1e-9)
    assert smooth.density_per_angstrom3.max() < raw.density_per_angstrom3.max()
    # Gaussian peak of width sqrt(0.25^2 + 0.3^2) Å: 1 / (2 pi s^2)^(3/2)
    expected_peak = (2 * math.pi * (SIGMA**2 + 0.3**2)) ** -1.5
    assert smooth.density_per_angstrom3.max() == pytest.approx(expected_peak, rel=0.15)


def test_chgcar_and_cube_round_trip(tmp_path: Path) -> None:
    rho = probability_density(vibrating_li(n_frames=300), grid_spacing_angstrom=0.5)
    chgcar = Chgcar.from_file(str(rho.write_chgcar(tmp_path / "CHGCAR")))
    np.testing.assert_allclose(
        chgcar.data["total"] / chgcar.structure.volume, rho.density_per_angstrom3, rtol=1e-6
    )
    assert chgcar.structure.composition.reduced_formula == "Li3S"
    data, atoms = read_cube_data(str(rho.write_cube(tmp_path / "Li.cube")))
    np.testing.assert_allclose(data, rho.density_per_angstrom3, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(atoms.cell.array, A * np.eye(3), atol=1e-5)


def test_figure_and_bad_arguments() -> None:
    rho = probability_density(vibrating_li(n_frames=50), grid_spacing_angstrom=0.5)
    assert len(density_figure(rho).axes) == 6  # three panels and their colour bars
    assert density_figure(rho, slice_fraction=0.25).axes[0].get_title() == "a = 0.25"
    with pytest.raises(ValueError, match="slice_fraction"):
        density_figure(rho, slice_fraction=1.5)
    with pytest.raises(ValueError, match="grid_spacing_angstrom"):
        probability_density(vibrating_li(n_frames=5), grid_spacing_angstrom=-1.0)
