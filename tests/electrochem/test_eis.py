"""EIS readers, circuit fit, intercept, conductivity, lin-KK and DRT."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from impedance.preprocessing import readFile
from tests.electrochem.synthetic import pellet_impedance, pellet_spectrum
from typer.testing import CliRunner

from sselab.cli import app
from sselab.electrochem.conductivity import parse_length_cm, pellet_conductivity
from sselab.electrochem.drt import drt
from sselab.electrochem.fit import (
    EISFitWarning,
    fit_circuit,
    intercept_resistance,
    pellet_circuit,
    select_circuit,
)
from sselab.electrochem.readers import INSTRUMENTS, find_format, read_eis
from sselab.electrochem.records import EISDataWarning, EISFileError, EISSpectrum
from sselab.electrochem.validity import lin_kk
from sselab.estimate import Estimate

# file -> impedance.py's instrument name (its readers are the cross-check on good files)
GOOD_FILES = {
    "exampleData.csv": None,
    "exampleDataAutolab.txt": "autolab",
    "exampleDataBioLogic.mpt": "biologic",
    "exampleDataCHInstruments.txt": "chinstruments",
    "exampleDataGamry.DTA": "gamry",
    "exampleDataParstat.txt": "parstat",
    "exampleDataPowersuite.txt": "powersuite",
    "exampleDataVersaStudio.par": "versastudio",
    "exampleDataZPlot.z": "zplot",
}


def _read_quietly(path: Path) -> EISSpectrum:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EISDataWarning)
        return read_eis(path)


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_reader_matches_impedance_py_on_every_good_file(shared_dir: Path, name: str) -> None:
    path = shared_dir / "data" / "eis" / name
    spectrum = _read_quietly(path)
    f_ref, z_ref = readFile(str(path), GOOD_FILES[name])
    order = np.argsort(-f_ref, kind="stable")
    np.testing.assert_allclose(spectrum.frequency_Hz, f_ref[order], rtol=1e-12)
    np.testing.assert_allclose(spectrum.z_ohm, z_ref[order], rtol=1e-12)
    # Sign convention: Im(Z) < 0 for the capacitive part of every real spectrum.
    assert np.median(spectrum.z_imag_ohm) < 0


def test_format_table_chooses_by_name_suffix_then_head(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "eis"
    # .txt says nothing: the head decides
    assert find_format(folder / "exampleDataAutolab.txt").name == "autolab"
    assert find_format(folder / "exampleDataCHInstruments.txt").name == "chinstruments"
    assert find_format(folder / "exampleDataPowersuite.txt").name == "powersuite"
    # the suffix decides without opening the file; cycling files have their own formats
    assert find_format(folder / "absent.par").name == "versastudio"
    assert find_format(folder / "absent.mpr", "cycling").name == "biologic"
    assert find_format(folder / "exampleDataParstat.txt", "eis", "csv").name == "csv"
    assert len(INSTRUMENTS) == len(set(INSTRUMENTS)) == 9
    with pytest.raises(EISFileError, match=r"unknown instrument 'solartron'; choose one of"):
        read_eis(folder / "exampleData.csv", "solartron")


def test_missing_frequency_column_is_a_clear_error(shared_dir: Path) -> None:
    path = shared_dir / "data" / "eis" / "exampleDataBioLogic_MissingFreq.mpt"
    with pytest.raises(EISFileError, match=r"MissingFreq\.mpt: no frequency column.*line 61"):
        read_eis(path)


def test_aborted_gamry_run_is_read_with_a_warning(shared_dir: Path) -> None:
    path = shared_dir / "data" / "eis" / "exampleDataGamryABORT.DTA"
    with pytest.warns(EISDataWarning, match=r"aborted after 72 points.*planned 0\.001 Hz"):
        spectrum = read_eis(path)
    assert spectrum.metadata["aborted"] and spectrum.frequency_Hz.min() == pytest.approx(0.0158898)


def test_aborted_gamry_run_with_a_damaged_header_value_still_reads(
    shared_dir: Path, tmp_path: Path
) -> None:
    """The fuzzer's case: a NUL in place of the tab before FREQFINAL's value made the
    planned frequency (used only in the warning) a ValueError that stopped the read."""
    text = (shared_dir / "data" / "eis" / "exampleDataGamryABORT.DTA").read_bytes()
    damaged = tmp_path / "damaged.DTA"
    damaged.write_bytes(text.replace(b"FREQFINAL\tQUANT\t", b"FREQFINAL\tQUANT\x00", 1))
    assert damaged.read_bytes() != text
    with pytest.warns(EISDataWarning, match=r"reached 0\.01589 Hz \(low-frequency data missing"):
        spectrum = read_eis(damaged)
    assert spectrum.n_points == 72


def test_truncated_zplot_export_is_flagged(shared_dir: Path) -> None:
    with pytest.warns(EISDataWarning, match="announces 56 points, the file holds 21"):
        read_eis(shared_dir / "data" / "eis" / "exampleDataZPlot.z")


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_fit_converges_on_every_readable_file(shared_dir: Path, name: str) -> None:
    spectrum = _read_quietly(shared_dir / "data" / "eis" / name)
    with warnings.catch_warnings():
        # Li-ion cell spectra are not pellets: a poor-fit warning is expected for some.
        warnings.simplefilter("ignore", EISFitWarning)
        fit = fit_circuit(spectrum, max_evaluations=3000)
    assert fit.converged
    assert np.isfinite(fit.relative_residual) and fit.relative_residual < 0.6
    assert fit.resistance_ohm.value > 0 and np.all(np.isfinite(fit.values))
    # the reported residual is the rms misfit of the returned parameters
    misfit = np.abs(fit.predict(spectrum.frequency_Hz) - spectrum.z_ohm) / np.abs(spectrum.z_ohm)
    assert fit.relative_residual == pytest.approx(np.sqrt(np.mean(misfit**2)))


def test_csv_with_header_units_negated_column_and_bad_rows(tmp_path: Path) -> None:
    f = np.logspace(6, 0, 31)
    z = pellet_impedance(f)
    lines = ["f (kHz);Zr (kOhm);-Zi (kOhm)"]
    lines += [f"{a / 1e3};{b.real / 1e3};{-b.imag / 1e3}" for a, b in zip(f, z, strict=True)]
    lines[5] = "nan;1;1"
    lines[9] = "0;1;1"
    path = tmp_path / "pellet.csv"
    path.write_text("\n".join(lines))
    with pytest.warns(EISDataWarning, match=r"dropped 2 of 31 points \(1 with NaN.*1 with freq"):
        spectrum = read_eis(path)
    keep = np.ones(f.size, bool)
    keep[[4, 8]] = False
    np.testing.assert_allclose(spectrum.frequency_Hz, f[keep])
    np.testing.assert_allclose(spectrum.z_ohm, z[keep], rtol=1e-12)


def test_column_mapping_and_unit_errors(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("omega_f,a,b\n1,2,3\n2,3,4\n3,4,5\n4,5,6\n5,6,7\n")
    with pytest.raises(EISFileError, match=r"odd\.csv: no frequency column"):
        read_eis(path)
    spectrum = read_eis(path, columns={"frequency": "omega_f", "z_real": "a", "z_imag": "-b"})
    assert spectrum.z_imag_ohm.tolist() == [-7.0, -6.0, -5.0, -4.0, -3.0]
    path.write_text("freq (V),zre,zim\n1,2,3\n2,3,4\n3,4,5\n4,5,6\n5,6,7\n")
    with pytest.raises(EISFileError, match=r"unit 'V', which is not a frequency unit"):
        read_eis(path)


def test_synthetic_pellet_fit_recovers_parameters_with_honest_errors() -> None:
    truth = {"R1": 2000.0, "CPE1_Q": 1e-9, "CPE1_n": 0.9, "CPE2_Q": 1e-6, "CPE2_n": 0.8}
    fit = fit_circuit(pellet_spectrum(noise=0.005, seed=3))
    for name, true in truth.items():
        estimate = fit.parameter(name)
        assert estimate.value == pytest.approx(true, rel=0.02), name
        assert abs(estimate.value - true) < 3 * estimate.error, name
        low, high = estimate.ci95
        assert low < estimate.value < high, name
    assert fit.parameter("R1").unit == "Ω" and fit.parameter("CPE1_Q").unit == "S s^n"
    r_ion = fit.resistance_ohm
    assert r_ion.value == pytest.approx(2000.0, rel=0.02)
    assert abs(r_ion.value - 2000.0) < 3 * r_ion.error
    assert 0.004 < fit.relative_residual < 0.01  # 0.5 % noise on each of Z', Z''


def test_standard_errors_are_calibrated_over_noise_draws() -> None:
    pulls = []
    for seed in range(8):
        fit = fit_circuit(pellet_spectrum(noise=0.005, seed=100 + seed))
        pulls.append((fit.resistance_ohm.value - 2000.0) / fit.resistance_ohm.error)
    assert 0.4 < np.std(pulls) < 2.0


def test_grain_boundary_circuit_separates_two_arcs() -> None:
    f = np.logspace(7, -1, 81)
    jw = 2j * np.pi * f
    z = 1 / (1 / 1000 + 1e-10 * jw**0.95) + 1 / (1 / 3000 + 1e-7 * jw**0.85) + 1 / (1e-5 * jw**0.8)
    fit = fit_circuit(EISSpectrum(f, z.real, z.imag), pellet_circuit(grain_boundary=True))
    assert fit.parameter("R1").value == pytest.approx(1000, rel=0.01)
    assert fit.parameter("R2").value == pytest.approx(3000, rel=0.01)
    assert fit.resistance_ohm.value == pytest.approx(4000, rel=0.01)


def test_intercept_method_agrees_with_the_fit() -> None:
    result = intercept_resistance(pellet_spectrum(seed=5))
    assert result.method == "arc_tail"
    assert result.resistance_ohm.value == pytest.approx(2000.0, rel=0.02)
    assert 0 < result.resistance_ohm.error < 40


def test_conductivity_of_a_1mm_by_10mm_pellet_equals_the_hand_value() -> None:
    resistance = Estimate.normal(2000.0, 20.0, "Ω")
    result = pellet_conductivity(resistance, parse_length_cm("1mm"), parse_length_cm("10mm"))
    hand = 0.1 / (2000.0 * np.pi * 1.0**2 / 4)  # L / (R A), cm and cm^2
    sigma = result.sigma_S_per_cm
    assert sigma.value == pytest.approx(hand, rel=1e-12)
    assert sigma.value == pytest.approx(6.3662e-5, rel=1e-4)
    assert sigma.error == pytest.approx(0.01 * hand, rel=1e-9)
    # the resistance's interval maps through L / (R A): low R, high sigma
    assert sigma.ci95[1] == pytest.approx(0.1 / (resistance.ci95[0] * np.pi / 4), rel=1e-12)
    # a resistance without error gives sigma without error: unknown, not zero
    assert pellet_conductivity(2000.0, 0.1, 1.0).sigma_S_per_cm.error is None
    # geometry errors add in quadrature, the diameter's twice
    thick = pellet_conductivity(resistance, Estimate.normal(0.1, 0.002, "cm"), 1.0)
    assert thick.sigma_S_per_cm.error == pytest.approx(hand * np.hypot(0.01, 0.02), rel=1e-9)


def test_lengths_need_sane_units() -> None:
    assert parse_length_cm("0.1 cm") == parse_length_cm("1mm") == parse_length_cm("1000um")
    with pytest.raises(ValueError, match="unknown unit 'inch'"):
        parse_length_cm("1inch")
    with pytest.raises(ValueError, match=r"--thickness: '1' has no unit; write e\.g\. 1mm or 1cm"):
        parse_length_cm("1", "--thickness")
    with pytest.raises(ValueError, match="thickness = 10 cm is outside"):
        pellet_conductivity(100.0, 10.0, 1.0)  # "10" meant mm
    with pytest.raises(ValueError, match="resistance must be a positive"):
        pellet_conductivity(float("nan"), 0.1, 1.0)


def test_lin_kk_passes_a_valid_spectrum_and_flags_drift() -> None:
    spectrum = pellet_spectrum(noise=0.005, seed=1)
    result = lin_kk(spectrum)
    assert result.valid and 0.3 < result.rms_residual_pct < 0.8  # at the noise level
    assert result.mu <= 0.85
    f = spectrum.frequency_Hz
    z = pellet_impedance(f)
    # Z' drifting up by 30 % during the sweep (e.g. a cell still equilibrating): not KK.
    drifting = EISSpectrum(f, z.real * np.linspace(1.0, 1.3, f.size), z.imag)
    flagged = lin_kk(drifting)
    assert not flagged.valid and flagged.rms_residual_pct > 2


def test_drt_finds_two_processes_with_their_resistances() -> None:
    f = np.logspace(5, -1, 61)
    z = 10 + 1000 / (1 + 2j * np.pi * f * 1e-4) + 500 / (1 + 2j * np.pi * f * 1e-1)
    result = drt(EISSpectrum(f, z.real, z.imag), capacitance=False)
    slow, fast = result.peaks
    assert abs(np.log10(fast.tau_s / 1e-4)) < 0.15 and abs(np.log10(slow.tau_s / 1e-1)) < 0.15
    assert fast.resistance_ohm.value == pytest.approx(1000, rel=0.03)
    assert slow.resistance_ohm.value == pytest.approx(500, rel=0.03)
    assert fast.resistance_ohm.error_kind == "spread"  # over lambda, not a noise error
    assert result.r_inf_ohm == pytest.approx(10, abs=1)


def test_cli_eis_fit_writes_json_and_figure(tmp_path: Path) -> None:
    spectrum = pellet_spectrum(seed=2)
    path = tmp_path / "pellet.csv"
    rows = zip(spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm, strict=True)
    path.write_text("\n".join(f"{a},{b},{c}" for a, b, c in rows))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["eis", "fit", str(path), "--thickness", "1mm", "--diameter", "10mm", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "eis_pellet.json").read_text())
    sigma = data["conductivity"]["sigma_S_per_cm"]
    assert sigma["value"] == pytest.approx(6.3662e-5, rel=0.02) and sigma["unit"] == "S/cm"
    assert data["fit"]["parameters"]["R1"]["error"] > 0
    assert data["kramers_kronig"]["valid"]
    assert (out / "eis_pellet.png").stat().st_size > 10_000
    bad = CliRunner().invoke(app, ["eis", "fit", str(path), "--thickness", "1mm"])
    assert bad.exit_code == 1 and "both --thickness and --diameter" in bad.output


def test_arc_still_open_at_the_lowest_frequency_is_fitted() -> None:
    # A poor conductor (Li2S-like, 1e-9 S/cm): the bulk arc peaks near 1 Hz and never
    # closes, so there is no valley; the resistance must come from the arc's shape.
    r_bulk = 0.1 / (1e-9 * np.pi / 4)
    fit = fit_circuit(pellet_spectrum(r_bulk, seed=0))
    assert fit.resistance_ohm.value == pytest.approx(r_bulk, rel=0.03)
    assert abs(fit.resistance_ohm.value - r_bulk) < 3 * fit.resistance_ohm.error
    assert fit.relative_residual < 0.01


def test_unreadable_mpr_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.mpr"
    path.write_bytes(b"not a BioLogic file")
    with pytest.raises(EISFileError, match=r"broken\.mpr: galvani cannot read"):
        read_eis(path)


def test_bic_selection_adds_an_arc_only_when_the_data_need_it() -> None:
    candidates = [pellet_circuit(), pellet_circuit(grain_boundary=True)]
    single, _ = select_circuit(pellet_spectrum(seed=7), candidates)
    assert single.circuit == pellet_circuit()
    f = np.logspace(7, -1, 81)
    jw = 2j * np.pi * f
    z = 1 / (1 / 1000 + 1e-10 * jw**0.95) + 1 / (1 / 3000 + 1e-7 * jw**0.85) + 1 / (1e-5 * jw**0.8)
    rng = np.random.default_rng(8)
    z = z + 0.005 * np.abs(z) * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    double, table = select_circuit(EISSpectrum(f, z.real, z.imag), candidates)
    assert double.circuit == pellet_circuit(grain_boundary=True)
    assert table[0]["bic"] < table[1]["bic"]
    assert double.resistance_ohm.value == pytest.approx(4000, rel=0.02)
