"""DC polarisation with ion-blocking electrodes: steady currents -> U-I line -> sigma_e.

With blocking electrodes the ionic current decays away and the steady-state current
at bias U is electronic: I = U / R_e. The slope of a weighted straight-line fit
through several bias voltages (an offset absorbs instrument zero drift) gives R_e and
sigma_e = L / (R_e A), to be compared with the ionic conductivity from impedance
(the paper: four orders of magnitude lower).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sselab.electrochem.conductivity import Conductivity, pellet_conductivity
from sselab.electrochem.readers import read_columns
from sselab.electrochem.records import EISFileError
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip


@dataclass
class DCPolarisation(RoundTrip):
    """U-I fit of steady DC polarisation currents.

    Attributes:
        voltage_V: the hold voltages (V).
        current_A: the steady currents (A), with their standard errors when known.
        resistance_ohm: R_e = 1 / slope (Ω), Student-t 95 % interval (n - 2 dof).
        offset_A: intercept of the line (A).
        conductivity: sigma_e from the geometry (None without).
        ionic_sigma_S_per_cm: the ionic conductivity compared against (None if not given).
        orders_of_magnitude: log10(sigma_ion / sigma_e) (unit "decades"; None without a
            comparison).
    """

    voltage_V: np.ndarray
    current_A: list[Estimate]
    resistance_ohm: Estimate
    offset_A: Estimate
    conductivity: Conductivity | None = None
    ionic_sigma_S_per_cm: float | None = None
    orders_of_magnitude: Estimate | None = None


def steady_currents(
    time_s: np.ndarray,
    voltage_V: np.ndarray,
    current_A: np.ndarray,
    tail_fraction: float = 0.2,
    min_step_V: float = 0.005,
) -> tuple[np.ndarray, list[Estimate]]:
    """Steady current at each voltage hold of a chronoamperometry record.

    Holds are runs of constant voltage (changes below ``min_step_V``); the steady
    current is the mean over the last ``tail_fraction`` of each hold, its error the
    standard error of that mean. Holds shorter than 5 points are skipped.

    Returns:
        (hold voltages V, steady currents A with their standard errors).

    Example:
        >>> t = np.arange(200.0)
        >>> v = np.where(t < 100, 0.1, 0.2)
        >>> i = v / 1e6 * (1 + np.exp(-(t % 100) / 5))
        >>> [round(c.value, 9) for c in steady_currents(t, v, i)[1]]
        [1e-07, 2e-07]
    """
    if not 0 < tail_fraction <= 1:
        raise ValueError(f"tail_fraction must lie in (0, 1], got {tail_fraction}")
    t, v, i = (np.asarray(a, dtype=float) for a in (time_s, voltage_V, current_A))
    breaks = np.flatnonzero(np.abs(np.diff(v)) > min_step_V) + 1
    volts, currents = [], []
    for segment in np.split(np.arange(t.size), breaks):
        if segment.size < 5:
            continue
        tail = segment[math.floor(segment.size * (1 - tail_fraction)) :]
        tail = tail if tail.size >= 2 else segment[-2:]
        volts.append(float(np.median(v[segment])))
        error = float(np.std(i[tail], ddof=1) / math.sqrt(tail.size))
        currents.append(Estimate.normal(float(np.mean(i[tail])), error, "A", dof=tail.size - 1))
    return np.array(volts), currents


def dc_polarisation(
    voltage_V: np.ndarray | Sequence[float],
    current_A: Sequence[Estimate | float] | np.ndarray,
    thickness_cm: float | None = None,
    diameter_cm: float | None = None,
    ionic_sigma_S_per_cm: float | None = None,
) -> DCPolarisation:
    """Electronic resistance and conductivity from steady DC currents at several biases.

    The line I = U / R_e + I0 is fitted by least squares (weighted when every current
    has a known positive error, errors then scaled by the residual scatter).

    Args:
        voltage_V: hold voltages (>= 3 distinct).
        current_A: steady currents (A), Estimates (see :func:`steady_currents`) or numbers.
        thickness_cm, diameter_cm: pellet geometry for sigma_e.
        ionic_sigma_S_per_cm: ionic conductivity to compare with.

    Raises:
        ValueError: too few points, non-finite values, or a non-positive slope.

    Example:
        >>> v = np.array([0.10, 0.15, 0.20, 0.25])
        >>> r = dc_polarisation(v, v / 2.5e7, thickness_cm=0.1, diameter_cm=1.0)
        >>> round(r.resistance_ohm.value / 1e7, 6), r.resistance_ohm.unit
        (2.5, 'Ω')
    """
    currents = [c if isinstance(c, Estimate) else Estimate.exact(float(c), "A") for c in current_A]
    v = np.asarray(voltage_V, dtype=float)
    i = np.array([c.value for c in currents])
    if v.shape != i.shape or np.unique(v).size < 3:
        raise ValueError(f"need steady currents at >= 3 distinct voltages, got {v.tolist()} V")
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(i))):
        raise ValueError("voltages and currents must be finite")
    weighted = all(c.error is not None and c.error > 0 for c in currents)
    weights = 1 / np.array([c.error or 1.0 for c in currents]) if weighted else None
    coeffs, cov = np.polyfit(v, i, 1, w=weights, cov=True)
    slope, offset = coeffs
    if not slope > 0:
        raise ValueError(
            f"steady current does not rise with voltage (slope {slope:.3g} A/V): "
            "check the sign convention or whether the currents are steady"
        )
    slope_err, offset_err = np.sqrt(np.diag(cov))
    dof = v.size - 2
    resistance = Estimate.normal(float(1.0 / slope), float(slope_err / slope**2), "Ω", dof=dof)
    result = DCPolarisation(
        voltage_V=v,
        current_A=currents,
        resistance_ohm=resistance,
        offset_A=Estimate.normal(float(offset), float(offset_err), "A", dof=dof),
    )
    if thickness_cm is not None and diameter_cm is not None:
        result.conductivity = pellet_conductivity(resistance, thickness_cm, diameter_cm)
        if ionic_sigma_S_per_cm is not None:
            if not ionic_sigma_S_per_cm > 0:
                raise ValueError(f"ionic sigma must be > 0 S/cm, got {ionic_sigma_S_per_cm}")
            sigma_e = result.conductivity.sigma_S_per_cm
            result.ionic_sigma_S_per_cm = float(ionic_sigma_S_per_cm)
            decades = math.log10(ionic_sigma_S_per_cm / sigma_e.value)
            error = None if sigma_e.error is None else sigma_e.error / sigma_e.value / math.log(10)
            result.orders_of_magnitude = Estimate.normal(decades, error, "decades", dof=dof)
    return result


def read_dc_polarisation(path: str | Path) -> tuple[np.ndarray, list[Estimate]]:
    """Steady (voltage V, currents A) from a file.

    Either a table of steady points (voltage and current columns; the currents' errors
    unknown) or a chronoamperometry record with a time column, whose holds are reduced
    by :func:`steady_currents`.

    Example:
        >>> rows = "Voltage (V),Current (nA)\\n0.1,4\\n0.2,8\\n0.3,12\\n"
        >>> _ = Path("/tmp/ui.csv").write_text(rows)
        >>> voltage, current = read_dc_polarisation("/tmp/ui.csv")
        >>> current[2].value, current[2].error
        (1.2e-08, None)
    """
    columns = read_columns(path, ("voltage", "current"), ("time",))
    voltage, current_mA = columns["voltage"], columns["current"]
    assert voltage is not None and current_mA is not None  # required roles
    current_A = current_mA * 1e-3
    if columns["time"] is None:
        return voltage, [Estimate.exact(float(c), "A") for c in current_A]
    volts, currents = steady_currents(columns["time"], voltage, current_A)
    if volts.size < 3:
        raise EISFileError(f"{path}: found {volts.size} voltage holds, need >= 3")
    return volts, currents
