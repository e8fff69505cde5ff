"""Synthetic electrochemical data with known answers for the electrochem tests."""

from __future__ import annotations

import numpy as np

from sselab.electrochem.records import CyclingData, EISSpectrum
from sselab.units import BOLTZMANN_EV_PER_K, T_25C_K


def pellet_impedance(
    frequency_Hz: np.ndarray,
    r_bulk_ohm: float = 2000.0,
    q_bulk: float = 1e-9,
    n_bulk: float = 0.9,
    q_tail: float = 1e-6,
    n_tail: float = 0.8,
) -> np.ndarray:
    """R_bulk ‖ CPE in series with a blocking-electrode CPE tail (complex Ω)."""
    jw = 2j * np.pi * np.asarray(frequency_Hz)
    return 1.0 / (1.0 / r_bulk_ohm + q_bulk * jw**n_bulk) + 1.0 / (q_tail * jw**n_tail)


def pellet_spectrum(
    r_bulk_ohm: float = 2000.0,
    noise: float = 0.005,
    seed: int = 0,
    points_per_decade: int = 10,
    **kwargs: float,
) -> EISSpectrum:
    """1 Hz - 1 MHz pellet spectrum with proportional Gaussian noise on Z' and Z''."""
    f = np.logspace(6, 0, 6 * points_per_decade + 1)
    z = pellet_impedance(f, r_bulk_ohm, **kwargs)
    rng = np.random.default_rng(seed)
    z = z + noise * np.abs(z) * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    return EISSpectrum(f, z.real, z.imag, source=f"synthetic R={r_bulk_ohm:g}")


def arrhenius_resistances(
    temperatures_K: np.ndarray,
    activation_energy_eV: float = 0.35,
    sigma_25C_S_per_cm: float = 2.1e-4,
    thickness_cm: float = 0.1,
    diameter_cm: float = 1.0,
) -> np.ndarray:
    """Pellet resistances (Ω) following sigma T = A exp(-Ea / kB T)."""
    t = np.asarray(temperatures_K, dtype=float)
    prefactor = (
        sigma_25C_S_per_cm * T_25C_K * np.exp(activation_energy_eV / (BOLTZMANN_EV_PER_K * T_25C_K))
    )
    sigma = prefactor * np.exp(-activation_energy_eV / (BOLTZMANN_EV_PER_K * t)) / t
    return thickness_cm / (sigma * np.pi * diameter_cm**2 / 4)


def ccd_staircase(
    short_at_mA_per_cm2: float = 1.41,
    step_mA_per_cm2: float = 0.03,
    area_cm2: float = 0.785,
    ohm_cm2: float = 100.0,
    half_cycle_s: float = 1800.0,
    points_per_half_cycle: int = 30,
    seed: int = 0,
) -> CyclingData:
    """Li|SE|Li staircase: one charge/discharge pair per current step, short at a given step.

    Before the short, |V| = j R_area (+ a small rise within each half-cycle, + noise);
    from the middle of the first half-cycle at ``short_at`` on, V collapses to 2 % of it.
    """
    rng = np.random.default_rng(seed)
    n_steps = round(short_at_mA_per_cm2 / step_mA_per_cm2) + 2
    times, volts, currents = [], [], []
    t0, shorted = 0.0, False
    for k in range(1, n_steps + 1):
        j = round(k * step_mA_per_cm2, 10)
        for sign in (1.0, -1.0):
            t = t0 + np.linspace(0, half_cycle_s, points_per_half_cycle, endpoint=False)
            v = sign * j * 1e-3 * ohm_cm2 * (1 + 0.1 * np.linspace(0, 1, t.size))
            if not shorted and abs(j - short_at_mA_per_cm2) < 1e-9:
                shorted = True
                v[t.size // 2 :] *= 0.02
            elif shorted:
                v *= 0.02
            v = v + 1e-4 * rng.standard_normal(t.size)
            times.append(t)
            volts.append(v)
            currents.append(np.full(t.size, sign * j * area_cm2))
            t0 += half_cycle_s
    return CyclingData(np.concatenate(times), np.concatenate(volts), np.concatenate(currents))


def full_cell(
    n_cycles: int = 20,
    active_mass_g: float = 0.0049,
    specific_mA_per_g: float = 14.0,
    first_charge_mAh_per_g: float = 130.0,
    coulombic_efficiency: float = 0.964,
    fade_per_cycle: float = 0.002,
    points_per_half: int = 50,
) -> CyclingData:
    """LiCoO2|SE|Li galvanostatic cycling with known capacities, CE and linear fade.

    Cycle k (1-based) charges Q_c(k) = Q1 (1 - fade (k - 1)) and discharges CE * Q_c(k),
    at a constant current of ``specific_mA_per_g`` x ``active_mass_g``.
    """
    current = specific_mA_per_g * active_mass_g
    times, volts, currents, cycles = [], [], [], []
    t0 = 0.0
    for k in range(1, n_cycles + 1):
        q_charge = first_charge_mAh_per_g * (1 - fade_per_cycle * (k - 1)) * active_mass_g
        for sign, q in ((1.0, q_charge), (-1.0, coulombic_efficiency * q_charge)):
            duration = q / current * 3600.0
            t = t0 + np.linspace(0, duration, points_per_half + 1)
            frac = np.linspace(0, 1, t.size)
            v = 3.7 + 0.6 * frac if sign > 0 else 4.2 - 1.1 * frac
            times.append(t[:-1] if sign > 0 else t)
            volts.append(v[:-1] if sign > 0 else v)
            n = t.size - 1 if sign > 0 else t.size
            currents.append(np.full(n, sign * current))
            cycles.append(np.full(n, k))
            t0 += duration
    time = np.concatenate(times)
    # A rest point between half-cycles shares its time stamp; nudge to keep time increasing.
    time = time + np.arange(time.size) * 1e-6
    return CyclingData(
        time, np.concatenate(volts), np.concatenate(currents), np.concatenate(cycles)
    )
