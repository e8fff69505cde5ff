"""The example set analysed once for every test of the measured area (about 10 s)."""

from __future__ import annotations

import pytest

from sselab.pipeline.measured import MeasuredResults, analyse_measured


@pytest.fixture(scope="session")
def example() -> MeasuredResults:
    """``analyse_measured("example")``: the packaged synthetic set."""
    return analyse_measured("example")
