"""Transport analysis on synthetic trajectories with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tests.transport.synthetic import random_walk

from sselab.estimate import Estimate
from sselab.transport.analysis import (
    analyze_diffusion,
    arrhenius_fit,
    arrhenius_from_results,
    msd_fft,
    nernst_einstein_sigma,
)
from sselab.transport.trajectory import TrajectoryError, unwrap
from sselab.units import BOLTZMANN_EV_PER_K

D_TRUE_CM2_PER_S = 1e-5  # 0.1 Å^2/ps


def brute_force_msd(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    return np.array([np.mean(((x[m:] - x[: n - m]) ** 2).mean(axis=1), axis=0) for m in range(n)])


def test_fft_msd_equals_direct_average_over_all_origins() -> None:
    x = np.random.default_rng(1).standard_normal((257, 4, 3)).cumsum(axis=0)
    np.testing.assert_allclose(msd_fft(x), brute_force_msd(x), rtol=1e-9, atol=1e-9)


def test_random_walk_D_recovered_within_5_percent_and_covered_by_error_bar() -> None:
    result = analyze_diffusion(random_walk((0.1, 0.1, 0.1), n_li=100, n_frames=10_000))
    d = result.D_cm2_per_s
    assert d.unit == "cm^2/s" and result.sigma_S_per_cm.unit == "S/cm"
    assert d.value == pytest.approx(D_TRUE_CM2_PER_S, rel=0.05)
    assert d.ci95[0] <= D_TRUE_CM2_PER_S <= d.ci95[1]
    assert 0.005 < d.error / d.value < 0.1
    assert result.loglog_slope == pytest.approx(1.0, abs=0.05)
    # independent walkers: no cross-correlations, so Haven ratio 1 and sigma = sigma_NE
    assert result.haven_ratio.ci95[0] <= 1.0 <= result.haven_ratio.ci95[1]
    assert result.sigma_S_per_cm.ci95[0] <= result.sigma_NE_S_per_cm.value


def test_error_bars_are_calibrated_over_many_seeds() -> None:
    covered, z_scores = 0, []
    for seed in range(40):
        d = analyze_diffusion(
            random_walk((0.1, 0.1, 0.1), n_li=20, n_frames=3000, seed=seed)
        ).D_cm2_per_s
        covered += d.ci95[0] <= D_TRUE_CM2_PER_S <= d.ci95[1]
        z_scores.append((d.value - D_TRUE_CM2_PER_S) / d.error)
    assert covered / 40 >= 0.85
    assert 0.6 < np.std(z_scores) < 1.6


def test_per_direction_D_resolves_one_dimensional_conduction() -> None:
    result = analyze_diffusion(random_walk((0.3, 0.0, 0.0), n_li=100, n_frames=6000, seed=3))
    d_x, d_y, d_z = (d.value for d in result.D_xyz_cm2_per_s)
    assert d_x == pytest.approx(3e-5, rel=0.05)
    assert abs(d_y) < 1e-7 and abs(d_z) < 1e-7
    assert result.D_cm2_per_s.value == pytest.approx(1e-5, rel=0.05)


def test_anisotropic_two_dimensional_walk() -> None:
    result = analyze_diffusion(random_walk((0.2, 0.05, 0.0), n_li=100, n_frames=6000, seed=4))
    values = [d.value for d in result.D_xyz_cm2_per_s]
    np.testing.assert_allclose(values, [2e-5, 5e-6, 0.0], rtol=0.06, atol=2e-7)


def test_nernst_einstein_matches_hand_calculation() -> None:
    # n = 80 Li / 1500 Å^3 = 5.333e22 cm^-3; q^2 = 2.56697e-38 C^2;
    # k_B T(600 K) = 8.28389e-21 J; D = 2e-6 cm^2/s
    # sigma = 5.333e22 * 2.56697e-38 * 2e-6 / 8.28389e-21 = 0.33052 S/cm
    assert nernst_einstein_sigma(2e-6, 80, 1500.0, 600.0) == pytest.approx(0.33052, rel=1e-4)
    assert nernst_einstein_sigma(2e-6, 80, 1500.0, 600.0, charge=2) == pytest.approx(
        4 * 0.33052, rel=1e-4
    )


def test_arrhenius_recovers_activation_energy_from_noisy_D() -> None:
    rng = np.random.default_rng(7)
    temps = np.array([600.0, 700.0, 800.0, 900.0, 1000.0, 1200.0])
    truth = 3e-3 * np.exp(-0.28 / (BOLTZMANN_EV_PER_K * temps))
    rel_err = 0.08
    noisy = truth * (1 + rel_err * rng.standard_normal(temps.size))
    fit = arrhenius_fit(temps, noisy, rel_err * noisy)
    ea = fit.activation_energy_eV
    assert ea.value == pytest.approx(0.28, abs=0.03)
    assert ea.ci95[0] <= 0.28 <= ea.ci95[1]
    room = fit.predict(300.0)
    true_room = 3e-3 * np.exp(-0.28 / (BOLTZMANN_EV_PER_K * 300.0))
    assert room.ci95[0] <= true_room <= room.ci95[1]
    unweighted = arrhenius_fit(temps, noisy)
    assert unweighted.activation_energy_eV.value == pytest.approx(0.28, abs=0.03)


def test_arrhenius_from_random_walks_gives_sigma_at_300K() -> None:
    temps = (600.0, 900.0, 1200.0)
    d_true = [3e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * t)) * 1e4 for t in temps]  # Å^2/ps
    results = [
        analyze_diffusion(random_walk((d, d, d), n_li=50, n_frames=4000, temperature_K=t, seed=i))
        for i, (d, t) in enumerate(zip(d_true, temps, strict=True))
    ]
    summary = arrhenius_from_results(results)
    assert summary.temperature_K == 300.0
    assert summary.fit.activation_energy_eV.value == pytest.approx(0.3, abs=0.02)
    ref = results[0]
    expected = nernst_einstein_sigma(
        summary.D_cm2_per_s.value, ref.n_ions, ref.volume_angstrom3, 300.0
    )
    assert summary.sigma_S_per_cm.value == pytest.approx(expected)
    assert summary.sigma_S_per_cm.unit == "S/cm"
    lo, hi = summary.sigma_S_per_cm.ci95
    assert lo < summary.sigma_S_per_cm.value < hi


def test_arrhenius_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        arrhenius_fit([600, 800, 1000], [1e-5, -1e-6, 1e-4])
    with pytest.raises(ValueError, match=">= 3 temperatures"):
        arrhenius_fit([600, 800], [1e-5, 1e-4])


def test_unknown_species_and_short_runs_are_clear_errors() -> None:
    traj = random_walk((0.1, 0.1, 0.1), n_li=5, n_frames=40)
    with pytest.raises(TrajectoryError, match="no Na atoms"):
        analyze_diffusion(traj, species="Na")
    with pytest.raises(TrajectoryError, match="fit window"):
        analyze_diffusion(traj, fit_window_ps=(0.1, 3.0))


def test_unwrap_restores_continuous_paths() -> None:
    traj = random_walk((0.5, 0.5, 0.5), n_li=10, n_frames=500, seed=9)
    cell = traj.cell_angstrom
    frac = traj.positions_angstrom @ np.linalg.inv(cell)
    wrapped = (frac % 1.0) @ cell
    restored = unwrap(wrapped, cell)
    shift = restored[0] - traj.positions_angstrom[0]
    np.testing.assert_allclose(restored - shift, traj.positions_angstrom, atol=1e-9)


def test_study_and_report_section_compare_with_the_paper() -> None:

    from sselab.reference import paper_value
    from sselab.report.transport import transport_section
    from sselab.transport.study import study_from_results

    temps = (600.0, 900.0, 1200.0)
    d_true = [3e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * t)) * 1e4 for t in temps]  # Å^2/ps
    results = [
        analyze_diffusion(random_walk((d, d, d), n_li=30, n_frames=1500, temperature_K=t, seed=i))
        for i, (d, t) in enumerate(zip(d_true, temps, strict=True))
    ]
    # a run without hops fits a slope of ~0 of either sign: it must not enter ln D
    no_hops = Estimate.normal(-1e-9, 1e-9, "cm^2/s")
    frozen = dataclasses.replace(results[0], temperature_K=300.0, D_cm2_per_s=no_hops)
    # a run too short to leave the cage regime: its "D" must not enter the fit either
    caged = dataclasses.replace(results[2], temperature_K=1500.0, loglog_slope=0.5)
    study = study_from_results([results[2], frozen, caged, results[0], results[1]])
    assert [r.temperature_K for r in study.results] == [300.0, *temps, 1500.0]
    assert "[300.0] K" in study.note and "[1500.0] K" in study.note  # left out, and said so
    assert study.arrhenius.fit.temperatures_K.tolist() == list(temps)
    ea = study.arrhenius.fit.activation_energy_eV
    assert ea.ci95[0] <= 0.3 <= ea.ci95[1]
    section = transport_section(study)
    by_name = {c.quantity: c for c in section.comparisons}
    assert by_name["Ea, MD (eV)"].sselab_value == ea.value
    assert by_name["Ea, MD (eV)"].paper_value == paper_value(
        "transport_computed", "aimd_activation_energy_eV"
    )
    sigma = by_name["σ(300 K), MD extrapolated (S/cm)"]
    assert sigma.sselab_value == study.arrhenius.sigma_S_per_cm.value
    assert sigma.paper_value == paper_value("transport_computed", "aimd_sigma_300K_S_per_cm")
    assert len(section.figures) == 2 and len(section.table_rows) == 5


def test_round_trip_fraction_rule_errors_are_calibrated_on_short_walks() -> None:
    """10 walkers, 300 frames (a quick-profile-sized run): 95 % intervals cover D."""
    from sselab.transport.analysis import analyze_replicas

    covered, z_scores = 0, []
    for seed in range(40):
        runs = [random_walk((0.1, 0.1, 0.1), n_li=10, n_frames=300, seed=100 + seed)]
        result = analyze_replicas(runs)
        d = result.D_cm2_per_s
        covered += d.ci95[0] <= D_TRUE_CM2_PER_S <= d.ci95[1]
        z_scores.append((d.value - D_TRUE_CM2_PER_S) / d.error)
        assert result.error_method == "fraction" and result.n_effective == pytest.approx(20.0)
    assert covered / 40 >= 0.85
    assert 0.6 < np.std(z_scores) < 1.4
    pooled = analyze_replicas([random_walk((0.1, 0.1, 0.1), 10, 300, seed=s) for s in range(3)])
    assert pooled.n_replicas == 3 and pooled.n_effective == pytest.approx(60.0)
    assert pooled.diffusive and pooled.diffusive_note == ""


def test_fraction_rule_says_why_caged_or_melted_runs_are_not_diffusive() -> None:
    from sselab.transport.analysis import analyze_replicas
    from sselab.transport.trajectory import Trajectory

    rng = np.random.default_rng(5)
    sites = rng.uniform(0, 12, (10, 3))
    caged = sites + 0.3 * rng.standard_normal((400, 10, 3))  # vibrations, no hops
    framework = rng.uniform(0, 12, (10, 3)) + 0.1 * rng.standard_normal((400, 10, 3))
    symbols = ["Li"] * 10 + ["S"] * 10
    solid = Trajectory(np.concatenate([caged, framework], 1), 12 * np.eye(3), symbols, 10.0, 900)
    result = analyze_replicas([solid])
    assert not result.diffusive and "σ" in result.diffusive_note
    walk = random_walk((0.1, 0.1, 0.1), n_li=10, n_frames=400, frame_interval_fs=10.0)
    molten_framework = np.cumsum(0.3 * rng.standard_normal((400, 20, 3)), axis=0)
    positions = walk.positions_angstrom.copy()
    positions[:, 10:] = molten_framework
    melt = Trajectory(positions, walk.cell_angstrom, walk.symbols, 10.0, 1500)
    assert "melted" in analyze_replicas([melt]).diffusive_note
    short = analyze_replicas([random_walk((0.1, 0.1, 0.1), 10, 30, frame_interval_fs=10.0)])
    assert not short.diffusive and "ballistic" in short.diffusive_note


def test_report_warns_that_single_seed_intervals_understate_the_scatter() -> None:
    from sselab.report.transport import transport_section
    from sselab.transport.analysis import analyze_replicas
    from sselab.transport.study import study_from_results

    temps = (600.0, 900.0, 1200.0)
    d_true = [3e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * t)) * 1e4 for t in temps]  # Å^2/ps
    results = [
        analyze_replicas([random_walk((d, d, d), 10, 300, temperature_K=t, seed=i)])
        for i, (d, t) in enumerate(zip(d_true, temps, strict=True))
    ]
    section = transport_section(study_from_results(results))
    assert "One velocity seed per temperature" in section.text
    assert section.settings["D fit"].startswith("fraction rule")
