"""Hostile spectra: repeated points, too few frequencies and degenerate fits are refused."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from tests.electrochem.synthetic import pellet_impedance, pellet_spectrum
from typer.testing import CliRunner

from sselab.cli import app
from sselab.electrochem.fit import EISFitError, fit_circuit, intercept_resistance, pellet_circuit
from sselab.electrochem.readers import read_cycling, read_eis
from sselab.electrochem.records import CyclingData, EISDataWarning, EISFileError, EISSpectrum


def _one_error_line(output: str, path: Path) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    assert lines[0].startswith(f"error: {path}"), output
    return lines[0]


def test_cli_refuses_five_copies_of_one_point(tmp_path: Path) -> None:
    # Issue 13: five identical rows were fitted by a six-parameter circuit, with errors
    # of 1e-17 and "lin-KK valid: True".
    path = tmp_path / "same.csv"
    path.write_text("1000,100,-50\n" * 5)
    result = CliRunner().invoke(app, ["eis", "fit", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    line = _one_error_line(result.output, path)
    assert "1 distinct frequenc" in line
    assert not (tmp_path / "o").exists()


def test_repeated_frequencies_are_merged_with_a_warning(tmp_path: Path) -> None:
    spectrum = pellet_spectrum(noise=0.0)
    rows = [
        f"{float(f)!r},{float(zr)!r},{float(zi)!r}"
        for f, zr, zi in zip(
            spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm, strict=True
        )
    ]
    path = tmp_path / "repeated.csv"
    path.write_text("\n".join(rows[:10] + rows[5:7] + rows[10:]) + "\n")
    with pytest.warns(EISDataWarning, match=r"2 points repeat a frequency.*merged"):
        read = read_eis(path)
    assert read.n_points == spectrum.n_points
    np.testing.assert_allclose(read.z_ohm, spectrum.z_ohm, rtol=1e-12)


def test_fit_needs_more_distinct_frequencies_than_parameters() -> None:
    # 6 parameters: 6 distinct frequencies are one too few, 7 are enough.
    f = np.logspace(5, 0, 6)
    z = pellet_impedance(f)
    with pytest.raises(
        EISFitError, match=r"six\.csv: 6 distinct frequencies are too few.*needs at least 7"
    ):
        fit_circuit(EISSpectrum(f, z.real, z.imag, source="six.csv"))
    f = np.repeat(np.logspace(5, 0, 6), 3)  # repeats do not count
    z = pellet_impedance(f)
    with pytest.raises(EISFitError, match="6 distinct frequencies"):
        fit_circuit(EISSpectrum(f, z.real, z.imag, source="six.csv"))
    f = np.logspace(5, 0, 7)
    z = pellet_impedance(f) * (1 + 0.01 * np.cos(np.arange(7)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_circuit(EISSpectrum(f, z.real, z.imag, source="seven.csv"))
    assert np.all(np.isfinite(fit.values))


def test_fit_with_errors_below_numerical_precision_is_degenerate() -> None:
    # A pure resistor fitted by R0 alone: 2 dof, zero residual, errors of ~1e-16 ohm.
    f = np.logspace(5, 0, 11)
    with pytest.raises(EISFitError, match=r"resistor\.csv: degenerate fit of R0"):
        fit_circuit(EISSpectrum(f, np.full(11, 100.0), np.zeros(11), source="resistor.csv"), "R0")


def test_noiseless_pellet_spectrum_is_not_degenerate() -> None:
    fit = fit_circuit(pellet_spectrum(noise=0.0))
    assert fit.resistance_ohm.value == pytest.approx(2000.0, rel=1e-6)


def test_utf16_and_latin1_files_read_like_utf8(tmp_path: Path) -> None:
    spectrum = pellet_spectrum(seed=3)
    rows = zip(spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm, strict=True)
    header = "Frequency (Hz);Z' (Ohm);Z'' (Ohm);T/°C\n"
    text = header + "".join(f"{a};{b};{c};25\n" for a, b, c in rows)
    for encoding in ("utf-8", "utf-16", "latin-1"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        read = read_eis(path)
        np.testing.assert_allclose(read.z_ohm, spectrum.z_ohm, rtol=1e-12)


def test_implausible_values_are_dropped_with_a_warning(tmp_path: Path) -> None:
    spectrum = pellet_spectrum(seed=4)
    rows = [
        f"{a},{b},{c}"
        for a, b, c in zip(
            spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm, strict=True
        )
    ]
    rows[3] = f"{spectrum.frequency_Hz[3]},1e300,-5"
    rows[4] = f"1e300,{spectrum.z_real_ohm[4]},-5"
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(rows))
    with pytest.warns(EISDataWarning, match=r"dropped 2 of 61 points.*2 outside"):
        read = read_eis(path)
    assert read.n_points == 59


def test_an_empty_or_header_only_file_names_itself(tmp_path: Path) -> None:
    for name, text in (("empty.csv", ""), ("header.csv", "freq,Zre,Zim\n")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(EISFileError, match=rf"^{path}"):
            read_eis(path)
    assert pellet_circuit() == "R0-p(R1,CPE1)-CPE2"


def test_intercept_of_a_constant_spectrum_is_refused_not_shown() -> None:
    # Ten frequencies, one impedance: the "arc" is one point, whose circle fit reported
    # R = 100 ± 7e-15 Ω before.
    f = np.logspace(5, 0, 10)
    spectrum = EISSpectrum(f, np.full(10, 100.0), np.full(10, -50.0), source="const.csv")
    with pytest.raises(EISFitError, match=r"const\.csv: only 1 distinct points on the"):
        intercept_resistance(spectrum)


def test_cycling_rows_with_a_missing_cycle_number_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "land.csv"
    rows = [f"{k},3.{k},0.001,{1 + k // 4}" for k in range(8)]
    rows[2] = "2,3.2,0.001,nan"  # read as cycle -2**63 before
    path.write_text("TestTime/h,Voltage/V,Current/A,Cycle ID\n" + "\n".join(rows))
    with pytest.warns(EISDataWarning, match=r"dropped 1 of 8 rows with missing time/voltage"):
        data = read_cycling(path)
    assert data.cycle.tolist() == [1, 1, 1, 2, 2, 2, 2]
    with pytest.raises(EISFileError, match=r"cycle number 1e\+300 at row 2 is not a cycle"):
        CyclingData(np.arange(3.0), np.ones(3), np.ones(3), np.array([1, 1e300, 2]), "x.csv")
