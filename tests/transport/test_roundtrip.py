"""Transport results record unknown values as None (round trip: tests/test_roundtrip.py)."""

from __future__ import annotations

import json

from .roundtrip_cases import ROUND_TRIP_CASES


def test_unknown_values_are_none_not_nan() -> None:
    fit = ROUND_TRIP_CASES["ArrheniusFit"][1]()
    assert fit.reduced_chi2 is None
    run = ROUND_TRIP_CASES["MDRun"][1]()
    assert json.loads(json.dumps(run.as_dict()))["ps_per_day"] is None
