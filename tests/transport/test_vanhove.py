"""Van Hove functions against analytic answers: Gaussian walkers, ideal gas, crystals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ase.build import bulk
from tests.transport.synthetic import random_walk

from sselab.transport.trajectory import Trajectory, TrajectoryError
from sselab.transport.vanhove import van_hove, van_hove_figure


def test_self_part_of_gaussian_walk_matches_diffusion_propagator() -> None:
    d = 0.5  # Å^2/ps
    # a 30 Å box keeps r_max below half the cell: no image translations needed
    traj = random_walk(
        (d, d, d), n_li=150, n_frames=1500, frame_interval_fs=20.0, box_angstrom=30.0, seed=2
    )
    vh = van_hove(
        traj,
        lag_ps=[0.0, 1.0, 4.0],
        r_max_angstrom=12.0,
        bin_width_angstrom=0.2,
        n_origins=120,
        progress=False,
    )
    dr = vh.bin_width_angstrom
    # normalisation: probability of having moved somewhere is 1
    np.testing.assert_allclose(vh.radial_self_per_angstrom.sum(axis=1) * dr, 1.0, atol=2e-3)
    assert vh.radial_self_per_angstrom[0, 0] * dr == pytest.approx(1.0)  # t = 0: not moved
    for k, t in ((1, 1.0), (2, 4.0)):
        r = vh.r_angstrom
        analytic = (
            4 * math.pi * r**2 * (4 * math.pi * d * t) ** -1.5 * np.exp(-(r**2) / (4 * d * t))
        )
        peak = analytic.max()
        # ~1000 independent displacements per lag over 60 shells: ~10 % noise per shell
        np.testing.assert_allclose(vh.radial_self_per_angstrom[k], analytic, atol=0.1 * peak)
        mean_square = np.sum(vh.r_angstrom**2 * vh.radial_self_per_angstrom[k]) * dr
        assert mean_square == pytest.approx(6 * d * t, rel=0.05)


def test_distinct_part_of_ideal_gas_is_one() -> None:
    rng = np.random.default_rng(5)
    positions = rng.uniform(0, 10.0, (60, 80, 3))  # uncorrelated frames
    traj = Trajectory(positions, 10.0 * np.eye(3), ["Li"] * 80, 50.0, 900.0)
    vh = van_hove(
        traj,
        lag_ps=[0.0, 0.5],
        r_max_angstrom=5.0,
        bin_width_angstrom=0.25,
        n_origins=50,
        progress=False,
    )
    far = vh.r_angstrom > 1.5  # small shells hold few pairs: too noisy to test
    np.testing.assert_allclose(vh.G_distinct[:, far], 1.0, atol=0.12)
    assert abs(vh.G_distinct[:, far].mean() - 1.0) < 0.02


@pytest.mark.parametrize("repeat", [(1, 1, 1), (3, 3, 3)])
def test_distinct_part_counts_fcc_neighbour_shells_including_images(repeat: tuple) -> None:
    # a 1x1x1 fcc cell (a = 4 Å) is narrower than r_max: neighbours are periodic images
    atoms = bulk("Cu", "fcc", a=4.0, cubic=True) * repeat
    rng = np.random.default_rng(0)
    frames = atoms.positions + 0.02 * rng.standard_normal((30, len(atoms), 3))
    traj = Trajectory(frames, atoms.cell.array, ["Li"] * len(atoms), 10.0, 300.0)
    vh = van_hove(traj, lag_ps=[0.0], r_max_angstrom=4.5, bin_width_angstrom=0.05, progress=False)
    rho = len(atoms) / traj.volume_angstrom3
    shells = 4 / 3 * math.pi * np.diff(np.append(vh.r_angstrom - 0.025, 4.5) ** 3)
    running = np.cumsum(vh.G_distinct[0] * rho * shells)

    def neighbours_within(r: float) -> float:
        return running[np.searchsorted(vh.r_angstrom, r)]

    assert neighbours_within(2.5) == pytest.approx(0.0, abs=1e-9)
    assert neighbours_within(3.2) == pytest.approx(12.0, abs=1e-6)  # a / sqrt 2 = 2.83 Å
    assert neighbours_within(4.3) == pytest.approx(18.0, abs=1e-6)  # + 6 at a = 4 Å


def test_lags_longer_than_trajectory_and_bad_grid_are_errors() -> None:
    traj = random_walk((0.1, 0.1, 0.1), n_li=5, n_frames=50)
    with pytest.raises(TrajectoryError, match="lags"):
        van_hove(traj, lag_ps=[10.0], progress=False)
    with pytest.raises(ValueError, match="bin_width"):
        van_hove(traj, bin_width_angstrom=0.0, progress=False)


def test_figure_has_both_panels() -> None:
    traj = random_walk((0.1, 0.1, 0.1), n_li=10, n_frames=200)
    vh = van_hove(traj, r_max_angstrom=3.0, n_lags=5, n_origins=10, progress=False)
    fig = van_hove_figure(vh)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["Li distinct part", "Li self part"]
    assert vh.as_dict()["G_distinct"][0][0] == 0.0
