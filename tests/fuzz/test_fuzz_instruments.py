"""Fuzzing the instrument readers and the spectrum analysis: refuse with one line, or give
finite numbers.

Seeds: every instrument file in ``../shared/data/eis`` (skipped when the folder is
missing). Property, for every mutated file: ``read_eis`` (and, in the second test,
``analyze_spectrum`` with a short fit budget) either raises ``EISFileError`` or
``EISFitError`` with a one-line message that starts with the file's path, or returns a
spectrum and an analysis whose every number is finite (no NaN/inf in the spectrum, the
fitted values, their errors or anything the CLI's JSON shows) — never another
exception, a hang (bounded per example) or a NaN. Mutations: random truncation, byte
flips, numbers replaced by nan/inf/negative/huge/zero, a data line repeated, the text
re-encoded (UTF-16, Latin-1 accents), the empty file and the header alone.

CI runs a short profile; ``SSELAB_FUZZ_EXAMPLES=2000 pytest -m slow tests/fuzz`` the long one.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from tests.fuzz.mutate import EXAMPLES, LONG_EXAMPLES, fuzz_settings, mutations, time_limit

from sselab.electrochem.eis import analyze_spectrum
from sselab.electrochem.fit import EISFitError
from sselab.electrochem.readers import read_cycling, read_eis
from sselab.electrochem.records import CyclingData, EISFileError, EISSpectrum

SECONDS_PER_FILE = 20
FIT_EVALUATIONS = 20  # least_squares budget per start: the property, not the fit quality

# The analysis costs ~0.2-0.5 s an example on a shared core: a fifth of the reader's examples.
ANALYSED = max(EXAMPLES // 5, 5)


def _cycling_seeds() -> dict[str, bytes]:
    """A LAND/Neware-style CSV and an EC-Lab GCPL text export of one short record."""
    hours = np.linspace(0.0, 4.0, 41)
    sign = np.where((hours // 1) % 2 == 0, 1.0, -1.0)
    voltage, current_mA, cycle = 3.7 + 0.1 * sign, 0.05 * sign, (hours // 2).astype(int) + 1
    land = "TestTime/h,Voltage/V,Current/A,Cycle ID\n" + "".join(
        f"{h:.3f},{v:.4f},{i / 1000:.6f},{c}\n"
        for h, v, i, c in zip(hours, voltage, current_mA, cycle, strict=True)
    )
    header = ["EC-Lab ASCII FILE", "Nb header lines : 5", "", "Galvanostatic Cycling"]
    names = "mode\ttime/s\tcontrol/V/mA\tEwe/V\tI/mA\tcycle number"
    rows = [
        f"1\t{3600 * h:.3f}\t{i:.6f}\t{v:.6f}\t{i:.6f}\t{c}".replace(".", ",")
        for h, v, i, c in zip(hours, voltage, current_mA, cycle, strict=True)
    ]
    gcpl = "\n".join([*header, names, *rows]) + "\n"
    return {"land.csv": land.encode(), "gcpl.mpt": gcpl.encode("latin-1")}


CYCLING = _cycling_seeds()


def _instrument_files() -> list[str]:
    from tests.conftest import SHARED

    folder = SHARED / "data" / "eis"
    return sorted(p.name for p in folder.glob("exampleData*")) if folder.is_dir() else []


FILES = _instrument_files() or ["(no shared data)"]


@pytest.fixture
def seed(shared_dir: Path, request: pytest.FixtureRequest) -> tuple[str, bytes]:
    name = request.param
    return name, (shared_dir / "data" / "eis" / name).read_bytes()


def _finite_numbers(value: Any, where: str) -> None:
    """Every float in a JSON-like structure is finite."""
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_numbers(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for k, item in enumerate(value):
            _finite_numbers(item, f"{where}[{k}]")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} = {value}"


def _assert_one_line_naming(path: Path, exc: Exception) -> None:
    message = str(exc)
    assert message.startswith(str(path)), message
    assert "\n" not in message.strip(), message


def _read(path: Path) -> EISSpectrum | None:
    try:
        with time_limit(SECONDS_PER_FILE), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped points, aborted runs: said, not wrong
            spectrum = read_eis(path)
    except EISFileError as exc:
        _assert_one_line_naming(path, exc)
        return None
    for values in (spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm):
        assert np.all(np.isfinite(values))
    assert np.all(spectrum.frequency_Hz > 0) and np.all(np.diff(spectrum.frequency_Hz) < 0)
    return spectrum


def _read_cycling(path: Path) -> None:
    try:
        with time_limit(SECONDS_PER_FILE), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped rows: said, not wrong
            data: CyclingData = read_cycling(path)
    except EISFileError as exc:
        _assert_one_line_naming(path, exc)
        return
    for values in (data.time_s, data.voltage_V, data.current_mA):
        assert np.all(np.isfinite(values))
    assert np.all(np.diff(data.time_s) >= 0) and math.isfinite(data.duration_h)
    assert np.all(np.abs(data.cycle.astype(float)) < 2**31), data.cycle  # int64 min: from NaN


def _analyse(path: Path, spectrum: EISSpectrum) -> None:
    try:
        with time_limit(SECONDS_PER_FILE), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # poor fits and step limits are warnings
            analysis = analyze_spectrum(spectrum, 0.1, 1.0, max_evaluations=FIT_EVALUATIONS)
    except EISFitError as exc:
        _assert_one_line_naming(path, exc)
        return
    _finite_numbers(analysis.summary(), "summary")
    assert np.all(np.isfinite(analysis.fit.values))
    for estimate in [*analysis.fit.parameters.values(), analysis.fit.resistance_ohm]:
        assert estimate.error is None or math.isfinite(estimate.error)


def _fuzz(seed: tuple[str, bytes], folder: Path, examples: int, analyse: bool, long: bool) -> None:
    name, text = seed

    @fuzz_settings(examples, long)
    @given(data=mutations(text))
    def run(data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        spectrum = _read(path)
        if analyse and spectrum is not None:
            _analyse(path, spectrum)

    run()


@pytest.mark.parametrize("seed", FILES, indirect=True)
def test_instrument_readers_refuse_or_read_finite(seed: tuple[str, bytes], tmp_path: Path) -> None:
    _fuzz(seed, tmp_path, EXAMPLES, analyse=False, long=False)


@pytest.mark.parametrize("seed", FILES, indirect=True)
def test_spectrum_analysis_refuses_or_gives_finite_numbers(
    seed: tuple[str, bytes], tmp_path: Path
) -> None:
    _fuzz(seed, tmp_path, ANALYSED, analyse=True, long=False)


@pytest.mark.parametrize("long", [False, pytest.param(True, marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", sorted(CYCLING))
def test_cycling_readers_refuse_or_read_finite(name: str, long: bool, tmp_path: Path) -> None:
    @fuzz_settings(LONG_EXAMPLES if long else EXAMPLES, long)
    @given(data=mutations(CYCLING[name]))
    def run(data: bytes) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        _read_cycling(path)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("seed", FILES, indirect=True)
def test_instrument_readers_and_analysis_long_profile(
    seed: tuple[str, bytes], tmp_path: Path
) -> None:
    _fuzz(seed, tmp_path, max(EXAMPLES, 300), analyse=True, long=True)
