"""Every electrochemistry result survives JSON: T.from_dict(json(obj.as_dict())) == obj."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from tests.electrochem.synthetic import ccd_staircase, pellet_spectrum

from sselab.electrochem import cycling
from sselab.electrochem.eis import EISAnalysis, analyze_spectrum
from sselab.electrochem.fit import CircuitFit, InterceptResult
from sselab.electrochem.records import CyclingData, EISSpectrum


def _again(obj: Any) -> Any:
    return type(obj).from_dict(json.loads(json.dumps(obj.as_dict())))


def test_eis_analysis_and_its_parts_round_trip() -> None:
    analysis = analyze_spectrum(pellet_spectrum(seed=4), 0.1, 1.0)
    again = _again(analysis)
    assert isinstance(again, EISAnalysis)
    assert again.as_dict() == analysis.as_dict()
    assert again.fit.parameters == analysis.fit.parameters  # Estimates compare exactly
    np.testing.assert_array_equal(again.fit.covariance, analysis.fit.covariance)
    np.testing.assert_allclose(
        again.fit.predict(again.spectrum.frequency_Hz),
        analysis.fit.predict(analysis.spectrum.frequency_Hz),
    )
    assert again.conductivity == analysis.conductivity
    assert again.drt.peaks == analysis.drt.peaks
    for part in (analysis.spectrum, analysis.fit, analysis.intercept, analysis.kk, analysis.drt):
        assert _again(part).as_dict() == part.as_dict()
    assert isinstance(_again(analysis.fit), CircuitFit)
    assert isinstance(_again(analysis.intercept), InterceptResult)
    assert isinstance(again.spectrum, EISSpectrum)
    # the CLI's summary is the readable subset: no arrays
    summary = json.loads(json.dumps(analysis.summary()))
    assert "covariance" not in summary["fit"] and "tau_s" not in summary["drt"]


@pytest.mark.parametrize("short_at", [1.41, 10.0])
def test_symmetric_cell_and_ccd_round_trip(short_at: float) -> None:
    data = ccd_staircase(short_at_mA_per_cm2=short_at, step_mA_per_cm2=0.5)
    if short_at > 5:  # keep only the first half: a staircase without a short
        half = data.time_s.size // 2
        data = CyclingData(data.time_s[:half], data.voltage_V[:half], data.current_mA[:half])
    result = cycling.symmetric_cell(data, 0.785)
    ccd = cycling.critical_current_density(data, 0.785)
    assert _again(result) == result
    assert _again(ccd) == ccd
    again = _again(data)
    np.testing.assert_array_equal(again.cycle, data.cycle)
    np.testing.assert_array_equal(again.voltage_V, data.voltage_V)
