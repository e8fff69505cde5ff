"""Fuzzing the powder-pattern reader (.xy, .xye, .csv): refuse with one line, or read clean data.

Property, for every mutated file: ``read_pattern`` either raises ``PatternFileError``
with a one-line message that starts with the file's path, or returns a pattern whose x
are finite and strictly increasing, y finite (and >= 0 unless negative counts were
allowed), σ finite and positive — never another exception, a hang or a NaN. Mutations:
random truncation, byte flips, numbers replaced by nan/inf/negative/huge/zero, a line
repeated, the text re-encoded (UTF-16, Latin-1 accents), the empty file and the header
alone.

CI runs a short profile; ``SSELAB_FUZZ_EXAMPLES=2000 pytest -m slow tests/fuzz`` the long one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz.mutate import LONG_EXAMPLES, fuzz_settings, mutations, time_limit

from sselab.diffraction import (
    Pattern,
    PatternFileError,
    add_counting_noise,
    read_pattern,
    simulate_pattern,
    write_pattern,
)
from sselab.structures import antifluorite

FORMATS = {"xy": "Li2S.xy", "xye": "Li2S.xye", "csv": "Li2S.csv"}
SECONDS_PER_FILE = 10


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    simulated = simulate_pattern(antifluorite(0.0), x_range=(20.0, 60.0), step=0.1).pattern
    measured = add_counting_noise(simulated, 1e3, background_counts=20, seed=1)
    return {
        kind: write_pattern(measured, folder / name).read_bytes() for kind, name in FORMATS.items()
    }


def _check(path: Path, data: bytes, allow_negative: bool) -> None:
    path.write_bytes(data)
    try:
        with time_limit(SECONDS_PER_FILE), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sorted or background-subtracted: said, not wrong
            pattern: Pattern = read_pattern(path, allow_negative=allow_negative)
    except PatternFileError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message.strip(), message
        return
    for values in (pattern.x, pattern.y, pattern.sigma):
        assert np.all(np.isfinite(values))
    assert np.all(np.diff(pattern.x) > 0) and np.all(pattern.sigma > 0)
    assert allow_negative or np.all(pattern.y >= 0)


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_pattern_reader_refuses_or_reads_clean_data(
    kind: str, seeds: dict[str, bytes], tmp_path: Path
) -> None:
    @fuzz_settings()
    @given(data=mutations(seeds[kind]), allow_negative=st.booleans())
    def run(data: bytes, allow_negative: bool) -> None:
        _check(tmp_path / FORMATS[kind], data, allow_negative)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_pattern_reader_long_profile(kind: str, seeds: dict[str, bytes], tmp_path: Path) -> None:
    @fuzz_settings(LONG_EXAMPLES, long=True)
    @given(data=mutations(seeds[kind]), allow_negative=st.booleans())
    def run(data: bytes, allow_negative: bool) -> None:
        _check(tmp_path / FORMATS[kind], data, allow_negative)

    run()
