"""One cheap instance of every result type of the measured stage, for the global round-trip
test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sselab.electrochem import dc_polarisation
from sselab.pipeline.measured import MeasuredManifest, MeasuredResults


def _manifest() -> MeasuredManifest:
    return MeasuredManifest(
        folder="/data/pellet",
        sample="Li2.5N0.5S0.5",
        x=0.5,
        geometry={"thickness_mm": 1.0, "diameter_mm": 10.0},
        files={"dcpol": ["dcpol.csv"], "eis_rt": ["rt.mpt"]},
        discovered=["dcpol"],
        truth={"a_angstrom": 5.452},
        problems=["measured.toml [geometry] thicknes: unknown field (ignored)"],
    )


def _results() -> MeasuredResults:
    volts = np.array([0.10, 0.15, 0.20, 0.25])
    return MeasuredResults(
        _manifest(),
        dcpol=dc_polarisation(volts, volts / 2.5e7 + [0, 1e-11, 0, 0], 0.1, 1.0, 2e-4),
        errors={"eis_rt": "[files] eis_rt 'rt.mpt': no such file"},
        warnings={"dcpol": ["2 points dropped"]},
        timings_s={"dcpol": 0.01, "eis_rt": 0.0},
    )


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "MeasuredManifest": (MeasuredManifest, _manifest),
    "MeasuredResults": (MeasuredResults, _results),
}
