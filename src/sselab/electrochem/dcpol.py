"""DC polarisation with ion-blocking electrodes: steady currents -> U-I line -> sigma_e.

With blocking electrodes the ionic current decays away and the steady-state current
at bias U is electronic: I = U / R_e. The slope of a weighted straight-line fit
through several bias voltages (an offset absorbs instrument zero drift) gives R_e and
sigma_e = L / (R_e A), to be compared with the ionic conductivity from impedance
(the paper: four orders of magnitude lower).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sselab.electrochem.conductivity import Conductivity, pellet_conductivity
from sselab.electrochem.readers import read_columns
from sselab.electrochem.records import EISFileError


@dataclass
class DCPolarisation:
    """U-I fit of steady DC polarisation currents.

    Attributes:
        voltage_V, current_A, current_err_A: the steady points (errors may be zero).
        resistance_ohm, resistance_err_ohm: R_e = 1 / slope and its error.
        offset_A, offset_err_A: intercept of the line.
        conductivity: sigma_e from the geometry (None without).
        ionic_sigma_S_per_cm: the ionic conductivity compared against (None if not given).
        orders_of_magnitude, orders_of_magnitude_err: log10(sigma_ion / sigma_e).
    """

    voltage_V: np.ndarray
    current_A: np.ndarray
    current_err_A: np.ndarray
    resistance_ohm: float
    resistance_err_ohm: float
    offset_A: float
    offset_err_A: float
    conductivity: Conductivity | None = None
    ionic_sigma_S_per_cm: float | None = None
    orders_of_magnitude: float | None = None
    orders_of_magnitude_err: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "voltage_V": self.voltage_V.tolist(),
            "current_A": self.current_A.tolist(),
            "current_err_A": self.current_err_A.tolist(),
            "resistance_ohm": self.resistance_ohm,
            "resistance_err_ohm": self.resistance_err_ohm,
            "offset_A": self.offset_A,
            "offset_err_A": self.offset_err_A,
            "conductivity": None if self.conductivity is None else self.conductivity.as_dict(),
            "ionic_sigma_S_per_cm": self.ionic_sigma_S_per_cm,
            "orders_of_magnitude": self.orders_of_magnitude,
            "orders_of_magnitude_err": self.orders_of_magnitude_err,
        }


def steady_currents(
    time_s: np.ndarray,
    voltage_V: np.ndarray,
    current_A: np.ndarray,
    tail_fraction: float = 0.2,
    min_step_V: float = 0.005,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady current at each voltage hold of a chronoamperometry record.

    Holds are runs of constant voltage (changes below ``min_step_V``); the steady
    current is the mean over the last ``tail_fraction`` of each hold, its error the
    standard error of that mean. Holds shorter than 5 points are skipped.

    Returns:
        (hold voltages V, steady currents A, their errors A).

    Example:
        >>> t = np.arange(200.0)
        >>> v = np.where(t < 100, 0.1, 0.2)
        >>> i = v / 1e6 * (1 + np.exp(-(t % 100) / 5))
        >>> steady_currents(t, v, i)[1].round(9).tolist()
        [1e-07, 2e-07]
    """
    if not 0 < tail_fraction <= 1:
        raise ValueError(f"tail_fraction must lie in (0, 1], got {tail_fraction}")
    t, v, i = (np.asarray(a, dtype=float) for a in (time_s, voltage_V, current_A))
    breaks = np.flatnonzero(np.abs(np.diff(v)) > min_step_V) + 1
    volts, currents, errors = [], [], []
    for segment in np.split(np.arange(t.size), breaks):
        if segment.size < 5:
            continue
        tail = segment[math.floor(segment.size * (1 - tail_fraction)) :]
        tail = tail if tail.size >= 2 else segment[-2:]
        volts.append(float(np.median(v[segment])))
        currents.append(float(np.mean(i[tail])))
        errors.append(float(np.std(i[tail], ddof=1) / math.sqrt(tail.size)))
    return np.array(volts), np.array(currents), np.array(errors)


def dc_polarisation(
    voltage_V: np.ndarray,
    current_A: np.ndarray,
    current_err_A: np.ndarray | None = None,
    thickness_cm: float | None = None,
    diameter_cm: float | None = None,
    ionic_sigma_S_per_cm: float | None = None,
) -> DCPolarisation:
    """Electronic resistance and conductivity from steady DC currents at several biases.

    The line I = U / R_e + I0 is fitted by least squares (weighted when all errors
    are positive, errors then scaled by the residual scatter).

    Args:
        voltage_V, current_A: steady points (>= 3 distinct voltages).
        current_err_A: optional 1-sigma errors of the currents.
        thickness_cm, diameter_cm: pellet geometry for sigma_e.
        ionic_sigma_S_per_cm: ionic conductivity to compare with.

    Raises:
        ValueError: too few points, non-finite values, or a non-positive slope.

    Example:
        >>> v = np.array([0.10, 0.15, 0.20, 0.25])
        >>> r = dc_polarisation(v, v / 2.5e7, thickness_cm=0.1, diameter_cm=1.0)
        >>> round(r.resistance_ohm / 1e7, 6)
        2.5
    """
    v = np.asarray(voltage_V, dtype=float)
    i = np.asarray(current_A, dtype=float)
    if v.shape != i.shape or np.unique(v).size < 3:
        raise ValueError(f"need steady currents at >= 3 distinct voltages, got {v.tolist()} V")
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(i))):
        raise ValueError("voltages and currents must be finite")
    err = np.zeros_like(i) if current_err_A is None else np.asarray(current_err_A, dtype=float)
    weighted = bool(np.all(err > 0))
    coeffs, cov = np.polyfit(v, i, 1, w=1 / err if weighted else None, cov=True)
    slope, offset = coeffs
    if not slope > 0:
        raise ValueError(
            f"steady current does not rise with voltage (slope {slope:.3g} A/V): "
            "check the sign convention or whether the currents are steady"
        )
    slope_err, offset_err = np.sqrt(np.diag(cov))
    resistance = 1.0 / slope
    resistance_err = float(slope_err / slope**2)
    result = DCPolarisation(
        voltage_V=v,
        current_A=i,
        current_err_A=err,
        resistance_ohm=float(resistance),
        resistance_err_ohm=resistance_err,
        offset_A=float(offset),
        offset_err_A=float(offset_err),
    )
    if thickness_cm is not None and diameter_cm is not None:
        result.conductivity = pellet_conductivity(
            resistance, thickness_cm, diameter_cm, resistance_err
        )
        if ionic_sigma_S_per_cm is not None:
            if not ionic_sigma_S_per_cm > 0:
                raise ValueError(f"ionic sigma must be > 0 S/cm, got {ionic_sigma_S_per_cm}")
            sigma_e = result.conductivity
            result.ionic_sigma_S_per_cm = float(ionic_sigma_S_per_cm)
            result.orders_of_magnitude = math.log10(ionic_sigma_S_per_cm / sigma_e.sigma_S_per_cm)
            result.orders_of_magnitude_err = (
                sigma_e.sigma_err_S_per_cm / sigma_e.sigma_S_per_cm / math.log(10)
            )
    return result


def read_dc_polarisation(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady (voltage V, current A, error A) from a file.

    Either a table of steady points (voltage and current columns) or a
    chronoamperometry record with a time column, whose holds are reduced by
    :func:`steady_currents`.

    Example:
        >>> v, i, e = read_dc_polarisation("dcpol.mpt")  # doctest: +SKIP
    """
    columns = read_columns(path, ("voltage", "current"), ("time",))
    voltage, current_A = columns["voltage"], columns["current"] * 1e-3
    if columns["time"] is None:
        return voltage, current_A, np.zeros_like(current_A)
    result = steady_currents(columns["time"], voltage, current_A)
    if result[0].size < 3:
        raise EISFileError(f"{path}: found {result[0].size} voltage holds, need >= 3")
    return result
