"""One cheap instance of every diffraction result type, for the global round-trip test."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from pymatgen.core import Lattice, Structure

from sselab.diffraction import (
    CWNeutron,
    Dataset,
    Pattern,
    TOFBank,
    TOFNeutron,
    XRay,
    add_counting_noise,
    fit_vegard,
    refine,
    simulate_pattern,
)
from sselab.diffraction.refine import DatasetFit, Parameter, RefinementResult
from sselab.diffraction.simulate import SimulatedPattern
from sselab.diffraction.vegard import VegardFit


@cache
def _li3n() -> Structure:
    return Structure.from_spacegroup(
        "P6/mmm",
        Lattice.hexagonal(3.648, 3.875),
        ["N", "Li", "Li"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0], [0, 0, 0.5]],
    )


@cache
def simulated() -> SimulatedPattern:
    return simulate_pattern(_li3n(), "CuKa", x_range=(20, 60), step=0.02)


@cache
def refinement() -> RefinementResult:
    data = add_counting_noise(simulated().pattern, 1e4)
    return refine(_li3n(), Dataset(data, XRay(), "xray"), lattice_search=0)


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "Pattern": (Pattern, lambda: Pattern(np.arange(3.0), np.ones(3), np.ones(3))),
    "XRay": (XRay, XRay),
    "CWNeutron": (CWNeutron, lambda: CWNeutron(1.54)),
    "TOFBank": (TOFBank, TOFBank),
    "TOFNeutron": (TOFNeutron, lambda: TOFNeutron(TOFBank())),
    "SimulatedPattern": (SimulatedPattern, simulated),
    "VegardFit": (
        VegardFit,
        lambda: fit_vegard([0, 0.1, 0.2, 0.3, 0.4], [5.7, 5.66, 5.6, 5.55, 5.5]),
    ),
    "RefinementResult": (RefinementResult, refinement),
    "DatasetFit": (DatasetFit, lambda: refinement().datasets[0]),
    "Parameter": (Parameter, lambda: refinement().parameters["a"]),
}
