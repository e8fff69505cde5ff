"""Thermo round trips beyond plain equality of JSON (the global test covers every type)."""

from __future__ import annotations

import json

import pytest

from sselab.thermo import LiNSHull, StabilityWindow

from .roundtrip_cases import hull, window


def test_window_with_an_open_oxidation_limit_round_trips() -> None:
    # Li2S's top plateau reaches +inf: JSON keeps it (Infinity) and it comes back
    original = window()
    assert StabilityWindow.from_dict(json.loads(json.dumps(original.as_dict()))) == original


def test_hull_rebuilds_its_phase_diagram_after_a_round_trip() -> None:
    original = hull()
    again = LiNSHull.from_dict(json.loads(json.dumps(original.as_dict())))
    assert again.phase_diagram.get_e_above_hull(again.entries[1]) == pytest.approx(
        original.phase_diagram.get_e_above_hull(original.entries[1])
    )
