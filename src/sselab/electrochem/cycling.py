"""Galvanostatic cycling: symmetric Li | SE | Li cells and Li | SE | cathode full cells.

Symmetric cells: the record is cut into half-cycles (runs of one current sign and
magnitude), each gets its overpotential (median |V| over its second half, the
plateau, and the peak |V|). A short circuit is a sudden collapse of the cell's
apparent resistance |V| / |j| to below ``collapse_fraction`` of the previous
half-cycle's plateau, lasting to the end of the half-cycle. On a current staircase the
critical current density (CCD) is the current density of the step in which the short
happens; the true threshold lies between the last stable step and it, so the step
size is its uncertainty (error kind "resolution"). Current densities need the
electrode area: there is no default, since the paper's Li foil (6 mm) and its pellet
(10 mm) differ by a factor 2.8 in area.

Full cells: per cycle, charge and discharge capacity by integrating the current
(each sample's current held until the next time stamp, as potentiostats apply it), in
mAh/g of active mass and mAh/cm², Coulombic efficiency = discharge / charge,
retention = discharge / discharge of a reference cycle, and the linear fade rate with
its standard error.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sselab.electrochem.records import CyclingData
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip


@dataclass
class HalfCycle(RoundTrip):
    """One constant-current half-cycle of a symmetric cell."""

    index: int
    start_s: float
    end_s: float
    current_mA: float
    current_density_mA_per_cm2: float
    overpotential_V: float
    peak_overpotential_V: float


@dataclass
class ShortCircuit(RoundTrip):
    """Where a symmetric cell short-circuited."""

    time_s: float
    half_cycle: int
    current_density_mA_per_cm2: float
    resistance_before_ohm_cm2: float
    resistance_after_ohm_cm2: float


@dataclass
class SymmetricCellResult(RoundTrip):
    """Half-cycles, short circuit (if any) and stable duration of a Li | SE | Li cell."""

    half_cycles: list[HalfCycle]
    short: ShortCircuit | None
    area_cm2: float
    stable_hours: float


@dataclass
class CriticalCurrentDensity(RoundTrip):
    """CCD from a current-density staircase.

    Attributes:
        ccd_mA_per_cm2: current density of the step that shorted (None: no short); its
            error is the step size, error kind "resolution" (the threshold lies in
            (last stable, CCD]).
        last_stable_mA_per_cm2: highest step completed without short.
        steps_mA_per_cm2: the staircase levels.
        short: details of the short.
    """

    ccd_mA_per_cm2: Estimate | None
    last_stable_mA_per_cm2: float | None
    steps_mA_per_cm2: list[float]
    short: ShortCircuit | None


def half_cycles(
    data: CyclingData, area_cm2: float, rest_mA: float | None = None
) -> list[HalfCycle]:
    """Cut a symmetric-cell record into constant-current half-cycles.

    Args:
        data: the record.
        area_cm2: electrode area for current densities.
        rest_mA: currents below this are rest (default 1 % of the largest |I|).

    Example:
        >>> t = np.arange(8.0) * 900
        >>> v, i = np.array([0.01, 0.011, -0.01, -0.011] * 2), np.array([0.1, 0.1, -0.1, -0.1] * 2)
        >>> d = CyclingData(t, v, i)
        >>> [h.current_mA for h in half_cycles(d, 1.0)]
        [0.1, -0.1, 0.1, -0.1]
    """
    _check_area(area_cm2)
    current = data.current_mA
    threshold = 0.01 * float(np.max(np.abs(current))) if rest_mA is None else rest_mA
    active = np.abs(current) > threshold
    level = np.where(active, current, 0.0)
    # A new half-cycle starts where the sign flips or the magnitude changes by > 2 %.
    change = np.abs(np.diff(level)) > 0.02 * np.maximum(np.abs(level[1:]), np.abs(level[:-1]))
    bounds = np.concatenate([[0], np.flatnonzero(change) + 1, [current.size]])
    out: list[HalfCycle] = []
    for start, stop in itertools.pairwise(bounds):
        if not active[start] or stop - start < 2:
            continue
        segment = slice(start, stop)
        volts = np.abs(data.voltage_V[segment])
        plateau = volts[volts.size // 2 :]
        i_mean = float(np.mean(current[segment]))
        out.append(
            HalfCycle(
                index=len(out),
                start_s=float(data.time_s[start]),
                end_s=float(data.time_s[stop - 1]),
                current_mA=i_mean,
                current_density_mA_per_cm2=abs(i_mean) / area_cm2,
                overpotential_V=float(np.median(plateau)),
                peak_overpotential_V=float(volts.max()),
            )
        )
    return out


def _check_area(area_cm2: float) -> None:
    if not (math.isfinite(area_cm2) and 0.01 <= area_cm2 <= 100):
        raise ValueError(f"electrode area must be 0.01-100 cm², got {area_cm2}")


def detect_short(
    data: CyclingData,
    area_cm2: float,
    collapse_fraction: float = 0.2,
    cycles: list[HalfCycle] | None = None,
) -> ShortCircuit | None:
    """First sudden collapse of |V| / |j| that lasts to the end of its half-cycle.

    Example:
        >>> t = np.arange(40.0) * 90  # four 15-min half-cycles at ±0.1 mA on 1 cm²
        >>> sign = np.repeat([1.0, -1.0, 1.0, -1.0], 10)
        >>> v = sign * np.r_[np.full(35, 0.01), np.full(5, 0.0001)]  # collapses at 52.5 min
        >>> detect_short(CyclingData(t, v, 0.1 * sign), 1.0).time_s
        3150.0
    """
    if not 0 < collapse_fraction < 1:
        raise ValueError(f"collapse_fraction must lie in (0, 1), got {collapse_fraction}")
    cycles = half_cycles(data, area_cm2) if cycles is None else cycles
    t = data.time_s
    for previous, current in itertools.pairwise(cycles):
        baseline = previous.overpotential_V / previous.current_density_mA_per_cm2
        inside = (t >= current.start_s) & (t <= current.end_s)
        apparent = np.abs(data.voltage_V[inside]) / current.current_density_mA_per_cm2
        low = apparent < collapse_fraction * baseline
        if not low.any():
            continue
        # collapsed from some point to the end of the half-cycle (suffix of True)
        stays = np.flatnonzero(~low)
        first = 0 if stays.size == 0 else stays[-1] + 1
        if first < low.size and low[first:].all() and low.size - first >= 2:
            times = t[inside]
            return ShortCircuit(
                time_s=float(times[first]),
                half_cycle=current.index,
                current_density_mA_per_cm2=current.current_density_mA_per_cm2,
                resistance_before_ohm_cm2=baseline * 1e3,
                resistance_after_ohm_cm2=float(np.median(apparent[first:])) * 1e3,
            )
    return None


def symmetric_cell(
    data: CyclingData, area_cm2: float, collapse_fraction: float = 0.2
) -> SymmetricCellResult:
    """Overpotential per half-cycle, short-circuit detection and stable duration.

    Example:
        >>> t = np.arange(40.0) * 90
        >>> sign = np.repeat([1.0, -1.0, 1.0, -1.0], 10)
        >>> v = sign * np.r_[np.full(35, 0.01), np.full(5, 0.0001)]
        >>> symmetric_cell(CyclingData(t, v, 0.1 * sign), 1.0).stable_hours
        0.875
    """
    cycles = half_cycles(data, area_cm2)
    if len(cycles) < 2:
        raise ValueError(f"{data.source}: fewer than two constant-current half-cycles found")
    short = detect_short(data, area_cm2, collapse_fraction, cycles)
    end = short.time_s if short is not None else float(data.time_s[-1])
    return SymmetricCellResult(cycles, short, area_cm2, (end - float(data.time_s[0])) / 3600)


def critical_current_density(
    data: CyclingData, area_cm2: float, collapse_fraction: float = 0.2
) -> CriticalCurrentDensity:
    """CCD of a staircase (current density raised step by step until the cell shorts).

    Example:
        >>> j = np.repeat([0.1, 0.2, 0.3], 20) * np.tile(np.repeat([1.0, -1.0], 10), 3)
        >>> v = 0.1 * j  # 100 Ω cm² ...
        >>> v[-5:] *= 0.01  # ... until a short in the last 0.3 mA/cm² half-cycle
        >>> ccd = critical_current_density(CyclingData(np.arange(60.0) * 60, v, j), 1.0)
        >>> print(ccd.ccd_mA_per_cm2)
        0.300 ± 0.100 mA/cm² (resolution)
    """
    cycles = half_cycles(data, area_cm2)
    short = detect_short(data, area_cm2, collapse_fraction, cycles)
    levels: list[float] = []
    for h in cycles:
        j = h.current_density_mA_per_cm2
        if not levels or abs(j - levels[-1]) > 0.02 * levels[-1]:
            levels.append(j)
    if short is None:
        return CriticalCurrentDensity(None, levels[-1] if levels else None, levels, None)
    step = next(
        k for k, j in enumerate(levels) if abs(j - short.current_density_mA_per_cm2) <= 0.02 * j
    )
    last_stable = levels[step - 1] if step > 0 else 0.0
    return CriticalCurrentDensity(
        ccd_mA_per_cm2=Estimate(
            levels[step], levels[step] - last_stable, None, "mA/cm²", "resolution"
        ),
        last_stable_mA_per_cm2=last_stable if step > 0 else None,
        steps_mA_per_cm2=levels,
        short=short,
    )


@dataclass
class CycleCapacity(RoundTrip):
    """Capacities of one full-cell cycle."""

    cycle: int
    charge_mAh: float
    discharge_mAh: float
    charge_mAh_per_g: float
    discharge_mAh_per_g: float
    charge_mAh_per_cm2: float | None
    discharge_mAh_per_cm2: float | None
    coulombic_efficiency: float
    c_rate: float


@dataclass
class FullCellResult(RoundTrip):
    """Capacity, Coulombic efficiency and retention per cycle of a full cell.

    Attributes:
        cycles: per-cycle capacities.
        active_mass_g, area_cm2, one_c_mA_per_g: inputs.
        reference_cycle: cycle whose discharge capacity is 100 % retention.
        retention: discharge / reference discharge, per cycle.
        fade_per_cycle: slope of retention vs cycle (fraction per cycle, negative =
            fading), standard error and Student-t interval (n - 2 dof).
        mean_coulombic_efficiency: mean CE after the first cycle with its standard error
            (None with one such cycle).
    """

    cycles: list[CycleCapacity]
    active_mass_g: float
    area_cm2: float | None
    one_c_mA_per_g: float
    reference_cycle: int
    retention: np.ndarray
    fade_per_cycle: Estimate
    mean_coulombic_efficiency: Estimate

    @property
    def initial_discharge_mAh_per_g(self) -> float:
        """Discharge capacity of the first cycle (mAh/g)."""
        return self.cycles[0].discharge_mAh_per_g

    @property
    def initial_coulombic_efficiency(self) -> float:
        """CE of the first cycle."""
        return self.cycles[0].coulombic_efficiency

    def summary(self) -> dict[str, Any]:
        """JSON-able record with the derived first-cycle and final numbers up front."""
        return {
            "initial_discharge_mAh_per_g": self.initial_discharge_mAh_per_g,
            "initial_coulombic_efficiency": self.initial_coulombic_efficiency,
            "final_retention": float(self.retention[-1]),
            **self.as_dict(),
        }


def cycle_index(data: CyclingData) -> np.ndarray:
    """Cycle number per point: the file's, else a new cycle at each start of charge (I > 0).

    Example:
        >>> d = CyclingData(np.arange(6.0), np.ones(6), np.array([1, 1, -1, -1, 1, -1.0]))
        >>> cycle_index(d).tolist()
        [1, 1, 1, 1, 2, 2]
    """
    if data.cycle is not None and np.all(data.cycle >= 0):
        return data.cycle
    charging = data.current_mA > 0
    starts = np.flatnonzero(charging[1:] & ~charging[:-1]) + 1
    index = np.ones(data.time_s.size, dtype=int)
    for start in starts:
        if np.any(data.current_mA[:start] < 0):
            index[start:] += 1
    return index


def full_cell(
    data: CyclingData,
    active_mass_g: float,
    area_cm2: float | None = None,
    one_c_mA_per_g: float = 140.0,
    reference_cycle: int = 1,
) -> FullCellResult:
    """Charge/discharge capacity, CE, C-rate and retention per cycle of a full cell.

    Charge is positive current. Capacities integrate each sample's current over the
    interval to the next sample.

    Args:
        data: the record.
        active_mass_g: cathode active mass (g), e.g. 6.24 mg/cm² x 0.785 cm² = 0.0049 g.
        area_cm2: electrode area for mAh/cm² (optional).
        one_c_mA_per_g: the stated 1C (paper: 140 mA/g for LiCoO2).
        reference_cycle: 100 % of the retention.

    Example:
        >>> current = np.tile(np.repeat([0.49, -0.47], 10), 3)  # mA, 1 h charge, 1 h discharge
        >>> data = CyclingData(np.arange(60.0) * 360, np.full(60, 3.9), current)
        >>> result = full_cell(data, 0.0049)
        >>> first = result.cycles[0]
        >>> round(first.discharge_mAh_per_g, 1), round(first.coulombic_efficiency, 3)
        (95.9, 0.959)
    """
    if not (math.isfinite(active_mass_g) and 1e-6 <= active_mass_g <= 10):
        raise ValueError(f"active mass must be 1e-6-10 g, got {active_mass_g} (give grams)")
    if area_cm2 is not None:
        _check_area(area_cm2)
    if not one_c_mA_per_g > 0:
        raise ValueError(f"1C must be > 0 mA/g, got {one_c_mA_per_g}")
    numbers = cycle_index(data)
    dt_h = np.diff(data.time_s) / 3600.0
    dq = data.current_mA[:-1] * dt_h
    cycles = []
    for n in np.unique(numbers):
        mask = numbers[:-1] == n
        charge = float(dq[mask & (dq > 0)].sum())
        discharge = float(-dq[mask & (dq < 0)].sum())
        if charge <= 0 or discharge <= 0:
            continue  # an incomplete (e.g. last, interrupted) cycle
        charging = mask & (data.current_mA[:-1] > 0)
        c_rate = float(np.median(data.current_mA[:-1][charging])) / (active_mass_g * one_c_mA_per_g)
        cycles.append(
            CycleCapacity(
                cycle=int(n),
                charge_mAh=charge,
                discharge_mAh=discharge,
                charge_mAh_per_g=charge / active_mass_g,
                discharge_mAh_per_g=discharge / active_mass_g,
                charge_mAh_per_cm2=None if area_cm2 is None else charge / area_cm2,
                discharge_mAh_per_cm2=None if area_cm2 is None else discharge / area_cm2,
                coulombic_efficiency=discharge / charge,
                c_rate=c_rate,
            )
        )
    if len(cycles) < 2:
        raise ValueError(f"{data.source}: fewer than two complete charge/discharge cycles")
    first = cycles[0].charge_mAh_per_g
    if not 1.0 <= first <= 1500.0:
        # Cathodes store ~100-300 mAh/g: far outside means the mass unit is wrong.
        raise ValueError(
            f"first charge of {first:.3g} mAh/g is implausible for a cathode; "
            f"is the active mass {active_mass_g:g} g given in grams?"
        )
    numbers_done = [c.cycle for c in cycles]
    if reference_cycle not in numbers_done:
        raise ValueError(f"reference cycle {reference_cycle} not among cycles {numbers_done}")
    reference = cycles[numbers_done.index(reference_cycle)].discharge_mAh
    retention = np.array([c.discharge_mAh / reference for c in cycles])
    after = [k for k, c in enumerate(cycles) if c.cycle >= reference_cycle]
    fit = stats.linregress(np.array(numbers_done)[after], retention[after])
    efficiencies = np.array([c.coulombic_efficiency for c in cycles[1:]])
    return FullCellResult(
        cycles=cycles,
        active_mass_g=active_mass_g,
        area_cm2=area_cm2,
        one_c_mA_per_g=one_c_mA_per_g,
        reference_cycle=reference_cycle,
        retention=retention,
        fade_per_cycle=Estimate.normal(
            float(fit.slope),
            float(fit.stderr) if len(after) > 2 else None,  # two points: a line, no error
            "1/cycle",
            dof=len(after) - 2,
        ),
        mean_coulombic_efficiency=Estimate.normal(
            float(efficiencies.mean()),
            (
                float(efficiencies.std(ddof=1) / math.sqrt(efficiencies.size))
                if efficiencies.size > 1
                else None
            ),
            "",
            dof=efficiencies.size - 1,
        ),
    )
