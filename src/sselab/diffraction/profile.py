"""Peak placement, Lorentz-polarisation, pseudo-Voigt profiles and Chebyshev background.

Profiles are Thompson-Cox-Hastings pseudo-Voigts (the GSAS form): a Gaussian FWHM from
Caglioti U, V, W (CW, in deg²) or sig-0/1/2 (TOF, µs²) and a Lorentzian FWHM from X, Y (CW,
deg) or gam-0/1/2 (TOF, µs) are combined into one FWHM H and mixing η. Peak asymmetry and
the TOF back-to-back exponentials are not modelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev

from sselab.diffraction.radiation import Radiation, TOFNeutron, XRay

_LN2 = np.log(2.0)


def default_profile(radiation: Radiation) -> dict[str, float]:
    """Typical instrument profile parameters for a radiation.

    CW: U, V, W (deg²), X, Y (deg). TOF: sig0 (µs²), sig1 (µs²/Å²), sig2 (µs²/Å⁴),
    gam0 (µs), gam1 (µs/Å), gam2 (µs/Å²).

    Example:
        >>> sorted(default_profile(XRay()))
        ['U', 'V', 'W', 'X', 'Y']
    """
    if isinstance(radiation, TOFNeutron):
        # Δd/d ≈ 0.25 % Gaussian, as on a backscattering bank.
        sigma_per_d = 0.0025 * radiation.bank.difc_us_per_angstrom / np.sqrt(8 * _LN2)
        return {"sig0": 0.0, "sig1": float(sigma_per_d**2), "sig2": 0.0}
    if isinstance(radiation, XRay) and radiation.polarization_fraction > 0.9:
        return {"U": 0.0004, "V": -0.0002, "W": 0.0002, "X": 0.003, "Y": 0.0}
    if isinstance(radiation, XRay):
        return {"U": 0.004, "V": -0.002, "W": 0.003, "X": 0.02, "Y": 0.005}
    return {"U": 0.05, "V": -0.08, "W": 0.06, "X": 0.02, "Y": 0.0}


def d_from_tof(tof_us: np.ndarray | float, radiation: TOFNeutron) -> np.ndarray:
    """Invert TOF = ZERO + DIFC d + DIFA d² for d (Å).

    Example:
        >>> float(d_from_tof(9330.0, TOFNeutron()))
        1.0
    """
    bank = radiation.bank
    t = np.asarray(tof_us, dtype=float) - bank.zero_us
    if abs(bank.difa_us_per_angstrom2) < 1e-12:
        return t / bank.difc_us_per_angstrom
    difc, difa = bank.difc_us_per_angstrom, bank.difa_us_per_angstrom2
    return (-difc + np.sqrt(difc**2 + 4 * difa * t)) / (2 * difa)


def d_min_for_range(radiation: Radiation, x_max: float, x_min: float) -> float:
    """Smallest d-spacing (Å) that can appear in a pattern covering [x_min, x_max].

    Example:
        >>> round(d_min_for_range(XRay(), 80.0, 10.0), 3)
        1.201
    """
    if isinstance(radiation, TOFNeutron):
        return float(d_from_tof(x_min, radiation))
    longest = max(w for w, _ in radiation.wavelengths_angstrom)
    theta = np.radians(min(x_max, 179.0) / 2)
    return float(longest / (2 * np.sin(theta)))


@dataclass
class Peaks:
    """Individual peaks on the x axis; a reflection group gives one peak per wavelength line.

    Attributes:
        position: peak centre (2θ in degrees or TOF in µs).
        factor: Lorentz(-polarisation) × line weight (dimensionless).
        group: reflection group of each peak.
        d_angstrom: d-spacing.
    """

    position: np.ndarray
    factor: np.ndarray
    group: np.ndarray
    d_angstrom: np.ndarray


def place_peaks(radiation: Radiation, inv_d2: np.ndarray, zero: float) -> Peaks:
    """Peak positions and intensity factors for reflection groups with the given 1/d² (Å⁻²).

    ``zero`` is the 2θ zero shift (deg) for CW data and is added to the bank ZERO (µs) for TOF.

    Example:
        >>> peaks = place_peaks(XRay(), np.array([1 / 3.0**2]), 0.0)
        >>> peaks.position.round(3).tolist()
        [29.756, 29.832]
    """
    d = 1.0 / np.sqrt(inv_d2)
    groups = np.arange(len(d))
    if isinstance(radiation, TOFNeutron):
        bank = radiation.bank
        tof = (
            bank.zero_us + zero + bank.difc_us_per_angstrom * d + bank.difa_us_per_angstrom2 * d**2
        )
        return Peaks(tof, d**4, groups, d)
    positions, factors, owners = [], [], []
    for wavelength, weight in radiation.wavelengths_angstrom:
        sin_theta = wavelength / (2 * d)
        ok = sin_theta < 1.0
        theta = np.arcsin(sin_theta[ok])
        lorentz = 1.0 / (np.sin(theta) ** 2 * np.cos(theta))
        if isinstance(radiation, XRay):
            k = radiation.polarization_fraction
            lorentz = lorentz * (k + (1 - k) * np.cos(2 * theta) ** 2)
        positions.append(np.degrees(2 * theta) + zero)
        factors.append(weight * lorentz)
        owners.append(groups[ok])
    group = np.concatenate(owners)
    return Peaks(np.concatenate(positions), np.concatenate(factors), group, d[group])


def peak_widths(
    radiation: Radiation, peaks: Peaks, profile: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Thompson-Cox-Hastings total FWHM H (x units) and Lorentzian fraction η of each peak.

    Example:
        >>> peaks = place_peaks(XRay(), np.array([1 / 3.0**2]), 0.0)
        >>> h, eta = peak_widths(XRay(), peaks, {"U": 0, "V": 0, "W": 0.01, "X": 0, "Y": 0})
        >>> h.round(3).tolist(), eta.tolist()
        ([0.1, 0.1], [0.0, 0.0])
    """
    if isinstance(radiation, TOFNeutron):
        d = peaks.d_angstrom
        variance = profile.get("sig0", 0.0) + profile.get("sig1", 0.0) * d**2
        variance = variance + profile.get("sig2", 0.0) * d**4
        gaussian = np.sqrt(8 * _LN2 * np.clip(variance, 1e-8, None))
        lorentzian = profile.get("gam0", 0.0) + profile.get("gam1", 0.0) * d
        lorentzian = lorentzian + profile.get("gam2", 0.0) * d**2
    else:
        tan_theta = np.tan(np.radians(peaks.position / 2))
        cos_theta = np.cos(np.radians(peaks.position / 2))
        gaussian_sq = profile["U"] * tan_theta**2 + profile["V"] * tan_theta + profile["W"]
        gaussian = np.sqrt(np.clip(gaussian_sq, 1e-8, None))
        lorentzian = profile.get("X", 0.0) / cos_theta + profile.get("Y", 0.0) * tan_theta
    lorentzian = np.clip(lorentzian, 0.0, None)
    g, lo = gaussian, lorentzian
    fwhm = (
        g**5
        + 2.69269 * g**4 * lo
        + 2.42843 * g**3 * lo**2
        + 4.47163 * g**2 * lo**3
        + 0.07842 * g * lo**4
        + lo**5
    ) ** 0.2
    q = lo / fwhm
    eta = np.clip(1.36603 * q - 0.47719 * q**2 + 0.11116 * q**3, 0.0, 1.0)
    return fwhm, eta


def profile_matrix(
    x: np.ndarray, position: np.ndarray, fwhm: np.ndarray, eta: np.ndarray
) -> np.ndarray:
    """Unit-area pseudo-Voigt of every peak sampled on increasing x, shape (len(x), n_peaks),
    1/x units.

    Example:
        >>> x = np.linspace(-5, 5, 2001)
        >>> m = profile_matrix(x, np.array([0.0]), np.array([0.2]), np.array([0.0]))
        >>> round(float(m[:, 0].sum() * (x[1] - x[0])), 4)
        1.0
    """
    # Peak-major so that each peak's window below is a contiguous slice; in-place
    # arithmetic because this function is most of the cost of a refinement step.
    half_width = 0.5 * fwhm
    t2 = np.subtract(x[None, :], position[:, None])
    t2 /= half_width[:, None]
    t2 *= t2
    matrix = np.add(t2, 1.0)
    np.divide((eta / (np.pi * half_width))[:, None], matrix, out=matrix)
    # Gaussian part only within ±6 FWHM: beyond, it is below 1e-43 of its maximum.
    lo = np.searchsorted(x, position - 6 * fwhm)
    hi = np.searchsorted(x, position + 6 * fwhm)
    gauss_norm = (1 - eta) * np.sqrt(_LN2 / np.pi) / half_width
    for j in np.flatnonzero((hi > lo) & (eta < 1)):
        window = slice(lo[j], hi[j])
        matrix[j, window] += gauss_norm[j] * np.exp(-_LN2 * t2[j, window])
    return matrix.T


def group_profile_matrix(
    x: np.ndarray,
    radiation: Radiation,
    inv_d2: np.ndarray,
    zero: float,
    profile: dict[str, float],
) -> tuple[np.ndarray, Peaks]:
    """Pattern of each reflection group for unit integrated intensity, shape (len(x), g).

    Column k is Σ over group k's peaks (one per wavelength line) of L·Ω(x - x_peak), so a
    calculated pattern is ``matrix @ (scale · m|F|²) + background``; Rietveld and Le Bail
    share it, they only differ in where the group intensities come from.

    Example:
        >>> x = np.linspace(20, 40, 2001)
        >>> m, peaks = group_profile_matrix(x, XRay(), np.array([1 / 3.0**2]), 0.0,
        ...                                 {"U": 0, "V": 0, "W": 0.01})
        >>> m.shape, peaks.position.size
        ((2001, 1), 2)
    """
    peaks = place_peaks(radiation, inv_d2, zero)
    fwhm, eta = peak_widths(radiation, peaks, profile)
    per_peak = profile_matrix(x, peaks.position, fwhm, eta).T * peaks.factor[:, None]
    order = np.argsort(peaks.group, kind="stable")
    present, starts = np.unique(peaks.group[order], return_index=True)
    columns = np.zeros((inv_d2.size, x.size))
    columns[present] = np.add.reduceat(per_peak[order], starts, axis=0)
    return columns.T, peaks


def chebyshev_basis(x: np.ndarray, n_terms: int) -> np.ndarray:
    """T_0..T_{n-1} of x mapped onto [-1, 1], shape (len(x), n_terms) (dimensionless).

    Example:
        >>> chebyshev_basis(np.array([10.0, 45.0, 80.0]), 2).tolist()
        [[1.0, -1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    x = np.asarray(x, dtype=float)
    span = x.max() - x.min()
    t = 2 * (x - x.min()) / span - 1 if span > 0 else np.zeros_like(x)
    return chebyshev.chebvander(t, n_terms - 1) if n_terms else np.zeros((x.size, 0))


def chebyshev_background(x: np.ndarray, coefficients: np.ndarray | Sequence[float]) -> np.ndarray:
    """Background Σ c_k T_k(t) with t the data range mapped onto [-1, 1] (counts).

    Example:
        >>> chebyshev_background(np.array([10.0, 45.0, 80.0]), [100.0, 20.0]).tolist()
        [80.0, 100.0, 120.0]
    """
    coefficients = np.asarray(coefficients, dtype=float)
    return chebyshev_basis(x, coefficients.size) @ coefficients
