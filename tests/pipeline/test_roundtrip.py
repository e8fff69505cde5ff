"""Pipeline round trips beyond plain equality of JSON (the global test covers every type)."""

from __future__ import annotations

import json

from sselab.pipeline.reproduce import PROFILES, Profile, ReproduceResults

from .roundtrip_cases import reproduce_results


def test_profile_round_trips_to_an_equal_frozen_profile() -> None:
    profile = PROFILES["quick"]()
    assert Profile.from_dict(json.loads(json.dumps(profile.as_dict()))) == profile


def test_reproduce_results_keep_typed_stage_results() -> None:
    original = reproduce_results()
    again = ReproduceResults.from_dict(json.loads(json.dumps(original.as_dict())))
    assert again.lattice == original.lattice and again.bvse == original.bvse
    assert again.neb is not None and again.neb.cases[0].result.barrier_eV == (
        original.neb.cases[0].result.barrier_eV
    )
    assert again.transport is not None and again.transport.maps is not None
