"""Hop mechanisms: round trip of synthetic lattice walks with a known mechanism."""

from __future__ import annotations

import pytest

from sselab.transport.analysis import analyze_replicas
from sselab.transport.mechanism import hop_mechanisms

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
