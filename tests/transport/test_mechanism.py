"""Hop mechanisms: round trip of synthetic lattice walks with a known mechanism."""

from __future__ import annotations

import numpy as np
import pytest

from sselab.transport.analysis import analyze_replicas
from sselab.transport.mechanism import hop_mechanisms
from sselab.transport.trajectory import Trajectory

from .synthetic import lattice_walk


def test_round_trip_vacancy_walk_is_classified_as_vacancy_hops() -> None:
    walk = lattice_walk("vacancy", n_events=40)
    result = hop_mechanisms(walk, diffusion=analyze_replicas([walk]))
    assert result.lattice_a_angstrom == pytest.approx(5.6, rel=1e-3)
    assert result.jump_counts == {"8c-8c": 40, "8c-oct": 0, "oct-8c": 0, "oct-oct": 0}
    assert result.event_counts["vacancy"] == 40
    assert sum(result.event_counts.values()) == 40
    assert result.site_fraction["8c"] > 0.95
    assert result.occupancy_24e_per_excess_li is None  # Li2S with a vacancy: no excess Li
    # 40 jumps of a/2 = 2.8 Å by 63 Li in 7.99 ps
    assert result.D_jumps_cm2_per_s.value == pytest.approx(
        40 * 2.8**2 / (6 * 63 * 7.99) * 1e-4, rel=1e-3
    )
    assert result.correlation_factor is not None


def test_round_trip_interstitialcy_walk_is_classified_as_knock_off() -> None:
    result = hop_mechanisms(lattice_walk("interstitialcy", n_events=30, seed=1))
    assert result.jump_counts["oct-8c"] == 30 and result.jump_counts["8c-oct"] == 30
    assert result.event_counts["interstitialcy"] == 30
    assert sum(result.event_counts.values()) == 30
    # one of 65 Li is always in an octahedron, nearest its 4b centre
    assert result.site_fraction["4b"] == pytest.approx(1 / 65, rel=0.2)
    assert result.occupancy_24e_per_excess_li == pytest.approx(0.0, abs=0.05)


def test_round_trip_an_interstitial_on_24e_is_counted_as_the_excess_li() -> None:
    """Li2S-like 8c lattice plus one Li at 24e (u = 0.28): all the excess Li is on 24e."""
    walk = lattice_walk("interstitialcy", n_events=1, frames_per_event=10, noise_angstrom=0.02)
    positions = walk.positions_angstrom[:1].repeat(10, axis=0)
    positions[:, 64] = np.array([0.5 + 0.22, 0.5, 0.5]) * 5.6  # 4b + (1/2 - u) a along x
    static = Trajectory(positions, walk.cell_angstrom, walk.symbols, 10.0, 300.0)
    result = hop_mechanisms(static)
    assert result.site_fraction["24e"] == pytest.approx(1 / 65)
    assert result.occupancy_24e_per_excess_li == pytest.approx(1.0)
    assert result.n_jumps == 0 and sum(result.event_counts.values()) == 0
    assert result.site_occupancy["8c"] == pytest.approx(1.0)
