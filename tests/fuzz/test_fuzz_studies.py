"""Fuzzing the study reader: a mutated study TOML gives one StudyError line or a valid Study.

Seeds: the shipped example study and the built-in seed study. Mutations: those of
``tests/fuzz/mutate.py``. Property: ``load_study`` raises ``StudyError`` whose message
starts with the file's path (one line), or returns a Study whose every x lies in
(0, 1) — never another exception, a hang or a silently accepted out-of-range value.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from tests.fuzz.mutate import EXAMPLES, LONG_EXAMPLES, fuzz_settings, mutations, time_limit

from sselab.pipeline.study import StudyError, load_study

REPO = Path(__file__).resolve().parents[2]
SEEDS = {
    "example": (REPO / "examples" / "study_antifluorites.toml").read_bytes(),
    "seed": (resources.files("sselab.data") / "studies" / "seed.toml").read_bytes(),
}
SECONDS_PER_FILE = 10


def _check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        with time_limit(SECONDS_PER_FILE):
            study = load_study(path)
    except StudyError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:"), message
        assert "Traceback" not in message
        return
    for family in study.candidates:
        assert all(0.0 < x < 1.0 for x in family.x), family


def _run(name: str, tmp_path: Path, examples: int) -> None:
    @fuzz_settings(examples, long=examples > EXAMPLES)
    @given(data=mutations(SEEDS[name]))
    def run(data: bytes) -> None:
        _check(tmp_path / "study.toml", data)

    run()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_study_reader_refuses_or_reads_valid(name: str, tmp_path: Path) -> None:
    _run(name, tmp_path, EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_study_reader_long_profile(name: str, tmp_path: Path) -> None:
    _run(name, tmp_path, LONG_EXAMPLES)
