"""One cheap instance of every electrochemistry result type, for the global round-trip test."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from sselab.electrochem import (
    CyclingData,
    EISSpectrum,
    analyze_spectrum,
    arrhenius_from_conductivities,
    conductivity_retention,
    critical_current_density,
    dc_polarisation,
    full_cell,
    symmetric_cell,
)
from sselab.electrochem.aging import AgingResult
from sselab.electrochem.arrhenius import ArrheniusResult, ConductivityPoint
from sselab.electrochem.conductivity import Conductivity
from sselab.electrochem.cycling import (
    CriticalCurrentDensity,
    CycleCapacity,
    FullCellResult,
    HalfCycle,
    ShortCircuit,
    SymmetricCellResult,
)
from sselab.electrochem.dcpol import DCPolarisation
from sselab.electrochem.drt import DRTPeak, DRTResult
from sselab.electrochem.eis import EISAnalysis
from sselab.electrochem.fit import CircuitFit, InterceptResult
from sselab.electrochem.validity import KKResult


@cache
def spectrum() -> EISSpectrum:
    """A 2000 Ω bulk arc (R ‖ CPE) with a CPE electrode tail, 61 points 1 MHz-1 Hz."""
    frequency = np.logspace(6, 0, 61)
    w = 2j * np.pi * frequency
    z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
    return EISSpectrum(frequency, z.real, z.imag)


@cache
def analysis() -> EISAnalysis:
    return analyze_spectrum(spectrum(), 0.1, 1.0)


@cache
def arrhenius() -> ArrheniusResult:
    temperature_K = np.array([298.15, 323.15, 348.15])
    sigma = 1e2 / temperature_K * np.exp(-0.35 / (8.617e-5 * temperature_K))
    return arrhenius_from_conductivities(temperature_K, sigma)


@cache
def symmetric_data() -> CyclingData:
    time_s = np.arange(40.0) * 90
    sign = np.repeat([1.0, -1.0, 1.0, -1.0], 10)
    voltage = sign * np.r_[np.full(35, 0.01), np.full(5, 1e-4)]
    return CyclingData(time_s, voltage, 0.1 * sign)


@cache
def symmetric() -> SymmetricCellResult:
    return symmetric_cell(symmetric_data(), 1.0)


@cache
def full() -> FullCellResult:
    current = np.tile(np.repeat([0.49, -0.47], 10), 3)
    return full_cell(CyclingData(np.arange(60.0) * 360, np.full(60, 3.9), current), 0.0049)


def _dcpol() -> DCPolarisation:
    voltage = np.array([0.1, 0.15, 0.2, 0.25])
    return dc_polarisation(voltage, voltage / 2.5e7 + [0, 1e-11, 0, 0], 0.1, 1.0, 2.1e-4)


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "EISSpectrum": (EISSpectrum, spectrum),
    "EISAnalysis": (EISAnalysis, analysis),
    "CircuitFit": (CircuitFit, lambda: analysis().fit),
    "InterceptResult": (InterceptResult, lambda: analysis().intercept),
    "Conductivity": (Conductivity, lambda: analysis().conductivity),
    "KKResult": (KKResult, lambda: analysis().kk),
    "DRTResult": (DRTResult, lambda: analysis().drt),
    "DRTPeak": (DRTPeak, lambda: analysis().drt.peaks[0]),
    "ArrheniusResult": (ArrheniusResult, arrhenius),
    "ConductivityPoint": (ConductivityPoint, lambda: arrhenius().points[0]),
    "DCPolarisation": (DCPolarisation, _dcpol),
    "AgingResult": (AgingResult, lambda: conductivity_retention([0, 6, 12], [100.0, 102.0, 103.6])),
    "CyclingData": (CyclingData, symmetric_data),
    "SymmetricCellResult": (SymmetricCellResult, symmetric),
    "HalfCycle": (HalfCycle, lambda: symmetric().half_cycles[0]),
    "ShortCircuit": (ShortCircuit, lambda: symmetric().short),
    "CriticalCurrentDensity": (
        CriticalCurrentDensity,
        lambda: critical_current_density(symmetric_data(), 1.0),
    ),
    "FullCellResult": (FullCellResult, full),
    "CycleCapacity": (CycleCapacity, lambda: full().cycles[0]),
}
