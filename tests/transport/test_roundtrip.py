"""Every transport result type survives JSON: T.from_dict(json(obj.as_dict())) is obj."""

from __future__ import annotations

import json

import pytest

from .roundtrip_cases import ROUND_TRIP_CASES


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_CASES))
def test_result_round_trips_through_json(name: str) -> None:
    cls, build = ROUND_TRIP_CASES[name]
    original = build()
    data = json.loads(json.dumps(original.as_dict()))
    again = cls.from_dict(data)
    assert type(again) is cls
    # same record, field by field (arrays, structures and Atoms compared through JSON)
    assert json.dumps(again.as_dict(), sort_keys=True) == json.dumps(data, sort_keys=True)


def test_unknown_values_are_none_not_nan() -> None:
    fit = ROUND_TRIP_CASES["ArrheniusFit"][1]()
    assert fit.reduced_chi2 is None
    run = ROUND_TRIP_CASES["MDRun"][1]()
    assert json.loads(json.dumps(run.as_dict()))["ps_per_day"] is None
