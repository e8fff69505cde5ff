"""Diffraction: X-ray, synchrotron and neutron (CW, TOF) powder patterns, Le Bail / Rietveld
refinement (single and joint X-ray + neutron) and Vegard analysis."""

from sselab.diffraction.crystal import orbits_from_structure
from sselab.diffraction.pattern import (
    Pattern,
    PatternDataWarning,
    PatternFileError,
    read_pattern,
    write_pattern,
)
from sselab.diffraction.radiation import (
    CWNeutron,
    Radiation,
    RadiationSpecError,
    TOFBank,
    TOFNeutron,
    XRay,
    parse_radiation,
    read_tof_bank,
)
from sselab.diffraction.refine import (
    Dataset,
    DatasetFit,
    Parameter,
    RefinementResult,
    agreement,
    difference_figure,
    refine,
)
from sselab.diffraction.simulate import (
    SimulatedPattern,
    add_counting_noise,
    pattern_figure,
    series_figure,
    simulate_pattern,
)
from sselab.diffraction.vegard import (
    VegardFit,
    VegardInputError,
    fit_vegard,
    read_vegard_csv,
    vegard_figure,
)

__all__ = [
    "CWNeutron",
    "Dataset",
    "DatasetFit",
    "Parameter",
    "Pattern",
    "PatternDataWarning",
    "PatternFileError",
    "Radiation",
    "RadiationSpecError",
    "RefinementResult",
    "SimulatedPattern",
    "TOFBank",
    "TOFNeutron",
    "VegardFit",
    "VegardInputError",
    "XRay",
    "add_counting_noise",
    "agreement",
    "difference_figure",
    "fit_vegard",
    "orbits_from_structure",
    "parse_radiation",
    "pattern_figure",
    "read_pattern",
    "read_tof_bank",
    "read_vegard_csv",
    "refine",
    "series_figure",
    "simulate_pattern",
    "vegard_figure",
    "write_pattern",
]
