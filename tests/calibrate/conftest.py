"""Labelled frames for the calibration tests: GPAW PBE labels shipped as test data.

``data/gpaw_small.extxyz`` holds six frames of the calibration set of #19 (bcc Li,
Li2S and alpha-Li3N, equilibrium and -3 % volume, QUICK_DFT settings), copied out
of the labelling run's store, so the tests fine-tune on real DFT labels without
running GPAW.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.calibrate.labels import Label, read_labels

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def gpaw_labels() -> list[Label]:
    """The six shipped frames, in file order (Li, Li2S, Li3N; then their -3 % volumes)."""
    return read_labels(DATA / "gpaw_small.extxyz")
