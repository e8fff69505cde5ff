"""Electrochemistry from instrument files: EIS -> conductivity, Arrhenius, DC polarisation,
interface aging, symmetric-cell and full-cell cycling.

Main entry points: :func:`read_eis` / :func:`read_cycling` (readers; the supported
instrument formats are the records of :data:`FORMATS`),
:func:`fit_circuit`, :func:`intercept_resistance`, :func:`pellet_conductivity`,
:func:`lin_kk`, :func:`drt`, :func:`analyze_spectrum` (one spectrum),
:func:`arrhenius_series` (variable temperature), :func:`dc_polarisation`,
:func:`aging_series`, :func:`symmetric_cell`, :func:`critical_current_density`,
:func:`full_cell`.
"""

from sselab.electrochem.aging import AgingResult, aging_series, conductivity_retention
from sselab.electrochem.arrhenius import (
    ArrheniusResult,
    arrhenius_from_conductivities,
    arrhenius_series,
    find_series,
)
from sselab.electrochem.conductivity import Conductivity, parse_length_cm, pellet_conductivity
from sselab.electrochem.cycling import (
    critical_current_density,
    full_cell,
    half_cycles,
    symmetric_cell,
)
from sselab.electrochem.dcpol import dc_polarisation, read_dc_polarisation, steady_currents
from sselab.electrochem.drt import DRTResult, drt
from sselab.electrochem.eis import EISAnalysis, analyze_spectrum
from sselab.electrochem.fit import (
    CircuitFit,
    EISFitError,
    EISFitWarning,
    fit_circuit,
    intercept_resistance,
    pellet_circuit,
    select_circuit,
)
from sselab.electrochem.readers import (
    FORMATS,
    INSTRUMENTS,
    InstrumentFormat,
    detect_instrument,
    read_columns,
    read_cycling,
    read_eis,
)
from sselab.electrochem.records import CyclingData, EISDataWarning, EISFileError, EISSpectrum
from sselab.electrochem.validity import KKResult, lin_kk

__all__ = [
    "FORMATS",
    "INSTRUMENTS",
    "AgingResult",
    "ArrheniusResult",
    "CircuitFit",
    "Conductivity",
    "CyclingData",
    "DRTResult",
    "EISAnalysis",
    "EISDataWarning",
    "EISFileError",
    "EISFitError",
    "EISFitWarning",
    "EISSpectrum",
    "InstrumentFormat",
    "KKResult",
    "aging_series",
    "analyze_spectrum",
    "arrhenius_from_conductivities",
    "arrhenius_series",
    "conductivity_retention",
    "critical_current_density",
    "dc_polarisation",
    "detect_instrument",
    "drt",
    "find_series",
    "fit_circuit",
    "full_cell",
    "half_cycles",
    "intercept_resistance",
    "lin_kk",
    "parse_length_cm",
    "pellet_circuit",
    "pellet_conductivity",
    "read_columns",
    "read_cycling",
    "read_dc_polarisation",
    "read_eis",
    "select_circuit",
    "steady_currents",
    "symmetric_cell",
]
