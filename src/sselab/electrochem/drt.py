"""Distribution of relaxation times by Tikhonov regularisation (non-negative).

Written with scipy because pyDRTtools, the usual tool, does not import without a
display. Z(omega) = R_inf + sum_k R_k / (1 + j omega tau_k) (+ 1/(j omega C) for a
blocking tail), R_k >= 0 on a log-spaced tau grid one decade wider than the measured
range on each side; residuals are weighted by 1/|Z| and the second difference of R_k
is penalised with weight lambda. The non-negative problem is solved exactly by
``scipy.optimize.nnls`` on the augmented system [A; sqrt(lambda) D] x = [b; 0].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

from sselab.electrochem.records import EISSpectrum
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip


@dataclass
class DRTPeak(RoundTrip):
    """One relaxation process.

    Attributes:
        tau_s: time constant at the peak maximum.
        frequency_Hz: 1 / (2 pi tau).
        resistance_ohm: summed R_k between the neighbouring minima; its error is the
            spread of that sum when lambda changes by 10x either way (error kind
            "spread": the regularisation, not the noise, dominates DRT uncertainty).
    """

    tau_s: float
    frequency_Hz: float
    resistance_ohm: Estimate


@dataclass
class DRTResult(RoundTrip):
    """DRT of a spectrum.

    Attributes:
        tau_s: time-constant grid (s).
        gamma_ohm: distribution gamma(ln tau) in Ω (R_k / Δln tau).
        resistance_ohm: R_k per grid point (Ω).
        r_inf_ohm: series resistance (Ω).
        capacitance_F: series capacitance (None when none was fitted or it vanished).
        regularisation: lambda used.
        relative_residual: rms |Z_DRT - Z| / |Z|.
        peaks: relaxation processes, slow to fast.
    """

    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    resistance_ohm: np.ndarray
    r_inf_ohm: float
    capacitance_F: float | None
    regularisation: float
    relative_residual: float
    peaks: list[DRTPeak] = field(default_factory=list)


def _solve(
    spectrum: EISSpectrum, tau: np.ndarray, regularisation: float, capacitance: bool
) -> tuple[np.ndarray, float, float | None, np.ndarray]:
    omega = 2 * np.pi * spectrum.frequency_Hz
    z = spectrum.z_ohm
    scale = float(np.abs(z).max())
    columns = [np.ones_like(omega, dtype=complex)]
    columns += [1.0 / (1.0 + 1j * omega * t) for t in tau]
    if capacitance:
        # Unknown is scale / (C * omega_min): the same order as the resistances.
        columns.append(-1j * omega.min() / omega)
    basis = np.column_stack(columns)
    weight = 1.0 / np.abs(z)
    system = np.vstack([basis.real * weight[:, None], basis.imag * weight[:, None]])
    target = np.concatenate([z.real * weight, z.imag * weight]) / scale
    n = tau.size
    second = np.zeros((n - 2, system.shape[1]))
    for k in range(n - 2):
        second[k, 1 + k : 4 + k] = (1.0, -2.0, 1.0)
    augmented = np.vstack([system, np.sqrt(regularisation) * second])
    solution, _ = nnls(
        augmented, np.concatenate([target, np.zeros(n - 2)]), maxiter=50 * augmented.shape[1]
    )
    solution *= scale
    c_term = solution[-1] if capacitance else 0.0
    capacitance_F = 1.0 / (c_term * omega.min()) if c_term > 0 else None
    return solution[1 : 1 + n], float(solution[0]), capacitance_F, basis @ solution


def _peak_sums(resistance: np.ndarray) -> list[tuple[int, float]]:
    """(index of maximum, summed R between neighbouring minima) for each peak."""
    maxima, _ = find_peaks(np.concatenate([[0.0], resistance, [0.0]]))
    maxima = maxima - 1
    threshold = 0.01 * resistance.sum()
    out = []
    for m in maxima:
        left = m
        while left > 0 and resistance[left - 1] <= resistance[left]:
            left -= 1
        right = m
        while right < resistance.size - 1 and resistance[right + 1] <= resistance[right]:
            right += 1
        total = float(resistance[left : right + 1].sum())
        if total > threshold:
            out.append((int(m), total))
    return out


def drt(
    spectrum: EISSpectrum,
    regularisation: float = 1e-5,
    points_per_decade: int = 10,
    capacitance: bool = True,
) -> DRTResult:
    """Distribution of relaxation times by non-negative Tikhonov regularisation.

    Args:
        spectrum: the data.
        regularisation: lambda (dimensionless: residuals are relative, resistances
            scaled by max |Z|); larger smooths more.
        points_per_decade: tau grid density.
        capacitance: fit a series capacitance for a blocking-electrode tail.

    Returns:
        :class:`DRTResult` with peaks; each peak's resistance error is its change when
        lambda is varied 10x either way (a spread, not a standard error).

    Example:
        >>> f = np.logspace(5, -1, 61)
        >>> z = 10 + 1000 / (1 + 2j * np.pi * f * 1e-3)
        >>> result = drt(EISSpectrum(f, z.real, z.imag), capacitance=False)
        >>> peak = result.peaks[0]
        >>> round(peak.tau_s, 4), round(peak.resistance_ohm.value, -1)
        (0.001, 1010.0)
    """
    if not regularisation > 0:
        raise ValueError(f"regularisation (lambda) must be > 0, got {regularisation}")
    f = spectrum.frequency_Hz
    low = np.log10(1 / (2 * np.pi * f.max())) - 1
    high = np.log10(1 / (2 * np.pi * f.min())) + 1
    tau = np.logspace(low, high, round((high - low) * points_per_decade) + 1)
    resistance, r_inf, cap, z_fit = _solve(spectrum, tau, regularisation, capacitance)
    alternatives = [
        _peak_sums(_solve(spectrum, tau, regularisation * factor, capacitance)[0])
        for factor in (0.1, 10.0)
    ]
    peaks = []
    for index, total in _peak_sums(resistance):
        spread = 0.0
        for other in alternatives:
            if other:
                nearest = min(other, key=lambda item: abs(item[0] - index))
                spread = max(spread, abs(nearest[1] - total))
            else:
                spread = max(spread, total)
        peak_resistance = Estimate(total, spread, None, "Ω", "spread")
        peaks.append(
            DRTPeak(float(tau[index]), float(1 / (2 * np.pi * tau[index])), peak_resistance)
        )
    peaks.sort(key=lambda p: -p.tau_s)
    z = spectrum.z_ohm
    delta_ln_tau = np.log(tau[1] / tau[0])
    return DRTResult(
        tau_s=tau,
        gamma_ohm=resistance / delta_ln_tau,
        resistance_ohm=resistance,
        r_inf_ohm=r_inf,
        capacitance_F=cap,
        regularisation=regularisation,
        relative_residual=float(np.sqrt(np.mean(np.abs(z_fit - z) ** 2 / np.abs(z) ** 2))),
        peaks=peaks,
    )
