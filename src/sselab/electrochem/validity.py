"""Kramers-Kronig validity of a spectrum by the lin-KK test (Schönleitner et al. 2017).

Written here because ``impedance.validation.linKK`` crashes under numpy 2 (measured on
this stack, numpy 2.4 and impedance 1.7.1: it prints the fitted values into Python source
that it evals, numpy 2 prints them as ``np.float64(...)``, and the eval raises NameError).

The spectrum is fitted by a KK-compliant model, a series resistor, M RC elements with
time constants log-spaced over [1/(2 pi f_max), 1/(2 pi f_min)], a series inductance
and (for blocking electrodes) a series capacitance, by linear least squares weighted by
1/|Z|. M grows until the over-fit measure mu = 1 - sum|R_k<0| / sum|R_k>=0| drops below
``mu_criterion`` (0.85 in the paper). Residuals are given as a fraction of |Z|; a valid
spectrum has residuals at the noise level and no trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sselab.electrochem.records import EISSpectrum
from sselab.roundtrip import RoundTrip


@dataclass
class KKResult(RoundTrip):
    """lin-KK test outcome.

    Attributes:
        n_rc: number of RC elements chosen by the mu criterion.
        mu: the over-fit measure at ``n_rc``.
        residual_real, residual_imag: (Z - Z_KK) / |Z| per frequency (fractions).
        rms_residual_pct, max_residual_pct: summary in % of |Z|.
        valid: rms residual below ``threshold_pct``.
        threshold_pct: the criterion used.
    """

    n_rc: int
    mu: float
    residual_real: np.ndarray
    residual_imag: np.ndarray
    rms_residual_pct: float
    max_residual_pct: float
    valid: bool
    threshold_pct: float


def _design(omega: np.ndarray, tau: np.ndarray, capacitance: bool) -> np.ndarray:
    """Complex basis: R0, RC elements (unit R), inductance, 1/C."""
    columns = [np.ones_like(omega, dtype=complex)]
    columns += [1.0 / (1.0 + 1j * omega * t) for t in tau]
    columns.append(1j * omega)
    if capacitance:
        columns.append(-1j / omega)
    return np.column_stack(columns)


def _lin_kk_fit(
    spectrum: EISSpectrum, n_rc: int, capacitance: bool
) -> tuple[np.ndarray, np.ndarray]:
    f = spectrum.frequency_Hz
    omega = 2 * np.pi * f
    tau = np.logspace(np.log10(1 / omega.max()), np.log10(1 / omega.min()), n_rc)
    basis = _design(omega, tau, capacitance)
    z = spectrum.z_ohm
    weight = 1.0 / np.abs(z)
    system = np.vstack([basis.real * weight[:, None], basis.imag * weight[:, None]])
    target = np.concatenate([z.real * weight, z.imag * weight])
    # Columns differ by orders of magnitude (omega L vs 1/(omega C)): scale them.
    norms = np.linalg.norm(system, axis=0)
    norms[norms == 0] = 1.0
    params = np.linalg.lstsq(system / norms, target, rcond=None)[0] / norms
    return params, basis @ params


def lin_kk(
    spectrum: EISSpectrum,
    mu_criterion: float = 0.85,
    capacitance: bool = True,
    threshold_pct: float = 1.0,
    max_rc: int | None = None,
) -> KKResult:
    """Kramers-Kronig test of a spectrum by lin-KK (Schönleitner et al., Electrochim. Acta 2017).

    Args:
        spectrum: the data.
        mu_criterion: stop adding RC elements once mu <= this (paper: 0.85).
        capacitance: include a series capacitance (blocking electrodes, a rising tail).
        threshold_pct: rms residual (% of |Z|) below which the spectrum is called valid.
        max_rc: most RC elements tried (default: the number of points).

    Returns:
        :class:`KKResult`.

    Example:
        >>> f = np.logspace(6, 0, 61)
        >>> w = 2j * np.pi * f
        >>> z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
        >>> result = lin_kk(EISSpectrum(f, z.real, z.imag))
        >>> result.valid, round(result.rms_residual_pct, 2)
        (True, 0.12)
    """
    if not 0 < mu_criterion < 1:
        raise ValueError(f"mu_criterion must lie in (0, 1), got {mu_criterion}")
    limit = max_rc or spectrum.n_points
    n_rc, mu, z_kk = 1, 1.0, None
    for n_rc in range(3, max(limit, 3) + 1):
        params, z_kk = _lin_kk_fit(spectrum, n_rc, capacitance)
        resistances = params[1 : 1 + n_rc]
        positive = np.abs(resistances[resistances >= 0]).sum()
        negative = np.abs(resistances[resistances < 0]).sum()
        mu = 1.0 - negative / positive if positive > 0 else 0.0
        if mu <= mu_criterion:
            break
    assert z_kk is not None  # the loop above runs at least once
    z = spectrum.z_ohm
    modulus = np.abs(z)
    res_re = (z.real - z_kk.real) / modulus
    res_im = (z.imag - z_kk.imag) / modulus
    rms = float(np.sqrt(np.mean(np.concatenate([res_re, res_im]) ** 2)) * 100)
    return KKResult(
        n_rc=n_rc,
        mu=float(mu),
        residual_real=res_re,
        residual_imag=res_im,
        rms_residual_pct=rms,
        max_residual_pct=float(np.max(np.abs(np.concatenate([res_re, res_im]))) * 100),
        valid=rms <= threshold_pct,
        threshold_pct=threshold_pct,
    )
