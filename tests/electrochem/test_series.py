"""Variable-temperature Arrhenius, DC polarisation and interface aging."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from tests.electrochem.synthetic import arrhenius_resistances, pellet_spectrum
from typer.testing import CliRunner

from sselab.cli import app
from sselab.electrochem.aging import (
    AgingResult,
    aging_series,
    conductivity_retention,
    time_from_name,
)
from sselab.electrochem.arrhenius import (
    ArrheniusResult,
    arrhenius_from_conductivities,
    find_series,
    temperature_from_name,
)
from sselab.electrochem.dcpol import DCPolarisation, dc_polarisation, steady_currents
from sselab.electrochem.records import EISFileError, EISSpectrum
from sselab.estimate import Estimate

TEMPERATURES_C = (25, 40, 55, 70, 85, 100)


def _write_spectrum(path: Path, spectrum: EISSpectrum) -> None:
    rows = zip(spectrum.frequency_Hz, spectrum.z_real_ohm, spectrum.z_imag_ohm, strict=True)
    path.write_text(
        "freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + "\n".join(f"{f},{a},{-b}" for f, a, b in rows)
    )


def test_temperatures_and_times_from_file_names() -> None:
    assert temperature_from_name("LNS_25C.mpt") == pytest.approx(298.15)
    assert temperature_from_name("pellet-60degC.DTA") == pytest.approx(333.15)
    assert temperature_from_name("run 333K.csv") == 333.0
    with pytest.raises(ValueError, match="no temperature in the file name"):
        temperature_from_name("pellet.mpt")
    assert time_from_name("Li_LNS_Li_12h.mpt") == 12.0
    with pytest.raises(ValueError, match="exactly one time"):
        time_from_name("cell.mpt")


def test_arrhenius_recovers_ea_exactly_without_noise() -> None:
    t = np.array(TEMPERATURES_C) + 273.15
    sigma = 2.1e-4 * (298.15 / t) * np.exp(-0.35 / 8.617333262e-5 * (1 / t - 1 / 298.15))
    result = arrhenius_from_conductivities(t, sigma)
    assert result.activation_energy_eV.value == pytest.approx(0.35, abs=1e-9)
    assert result.sigma_25C_S_per_cm.value == pytest.approx(2.1e-4, rel=1e-9)
    assert result.sigma_25C_S_per_cm.unit == "S/cm" and result.points[0].resistance_ohm is None


def test_arrhenius_intervals_use_student_t_and_log_space() -> None:
    t = np.array(TEMPERATURES_C) + 273.15
    rng = np.random.default_rng(3)
    sigma = 2.1e-4 * (298.15 / t) * np.exp(-0.35 / 8.617333262e-5 * (1 / t - 1 / 298.15))
    noisy = sigma * (1 + 0.03 * rng.standard_normal(t.size))
    result = arrhenius_from_conductivities(t, [Estimate.normal(s, 0.03 * s, "S/cm") for s in noisy])
    ea = result.activation_energy_eV
    quantile = stats.t.ppf(0.975, t.size - 2)  # 6 temperatures: 4 dof, q = 2.78 (not 1.96)
    half_width = quantile * ea.error
    assert ea.ci95 == pytest.approx((ea.value - half_width, ea.value + half_width))
    assert ea.ci95[0] < 0.35 < ea.ci95[1]
    s25 = result.sigma_25C_S_per_cm
    low, high = s25.ci95
    # symmetric in ln sigma: value / low == high / value, so wider above than below
    assert s25.value / low == pytest.approx(high / s25.value, rel=1e-12)
    assert high - s25.value > s25.value - low and low < 2.1e-4 < high
    again = ArrheniusResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again.as_dict() == result.as_dict() and again.sigma_25C_S_per_cm == s25


def test_vt_folder_to_ea_through_the_cli(tmp_path: Path) -> None:
    folder = tmp_path / "LNS"
    folder.mkdir()
    resistances = arrhenius_resistances(np.array(TEMPERATURES_C) + 273.15)
    for k, (celsius, r) in enumerate(zip(TEMPERATURES_C, resistances, strict=True)):
        _write_spectrum(folder / f"LNS_{celsius}C.csv", pellet_spectrum(r, seed=k))
    assert [round(t - 273.15) for _, t in find_series(folder)] == list(TEMPERATURES_C)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "eis",
            "arrhenius",
            str(folder),
            "--thickness",
            "1mm",
            "--diameter",
            "10mm",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    material = json.loads((out / "arrhenius.json").read_text())["materials"][0]
    ea, ea_err = (material["activation_energy_eV"][key] for key in ("value", "error"))
    assert ea == pytest.approx(0.35, abs=0.01)
    assert 0 < ea_err < 0.01 and abs(ea - 0.35) < 3 * ea_err
    sigma_25 = material["sigma_25C_S_per_cm"]
    assert sigma_25["value"] == pytest.approx(2.1e-4, rel=0.03)
    assert sigma_25["ci95"][0] < 2.1e-4 < sigma_25["ci95"][1]
    assert (out / "arrhenius.png").is_file()


def test_manifest_overrides_names_and_bad_rows_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("1,2,3\n")
    (tmp_path / "manifest.csv").write_text("file,temperature_C\na.csv,25\nb.csv,warm\n")
    with pytest.raises(EISFileError, match=r"manifest\.csv, line 3: bad temperature_C 'warm'"):
        find_series(tmp_path)


def _dcpol_record(r_e_ohm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chronoamperometry at 0.10-0.25 V: decaying ionic current on a steady electronic one."""
    rng = np.random.default_rng(4)
    times, volts, currents = [], [], []
    for k, bias in enumerate((0.10, 0.15, 0.20, 0.25)):
        t = np.linspace(0, 3600, 361)
        i = bias / r_e_ohm + 1e-6 * bias * np.exp(-t / 300)
        i = i * (1 + 0.002 * rng.standard_normal(t.size))
        times.append(t + k * 3601)
        volts.append(np.full(t.size, bias))
        currents.append(i)
    return np.concatenate(times), np.concatenate(volts), np.concatenate(currents)


def test_dc_polarisation_recovers_electronic_conductivity() -> None:
    sigma_e = 2.1e-8  # four orders below the paper's ionic 2.1e-4 S/cm
    r_e = 0.1 / (sigma_e * np.pi / 4)
    v, currents = steady_currents(*_dcpol_record(r_e))
    assert v.tolist() == pytest.approx([0.10, 0.15, 0.20, 0.25])
    assert all(c.error > 0 and c.unit == "A" for c in currents)
    result = dc_polarisation(v, currents, 0.1, 1.0, ionic_sigma_S_per_cm=2.1e-4)
    r = result.resistance_ohm
    assert r.value == pytest.approx(r_e, rel=0.005)
    assert abs(r.value - r_e) < 3 * r.error
    assert result.conductivity.sigma_S_per_cm.value == pytest.approx(sigma_e, rel=0.005)
    # sigma_ion / sigma_e = 2.1e-4 / 2.1e-8: four decades
    assert result.orders_of_magnitude.value == pytest.approx(4.0, abs=0.01)
    assert result.orders_of_magnitude.unit == "decades"
    again = DCPolarisation.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again.as_dict() == result.as_dict() and again.resistance_ohm == r
    with pytest.raises(ValueError, match="does not rise with voltage"):
        dc_polarisation(v, [-c.value for c in currents])


def test_cli_dcpol_reads_units_from_the_header(tmp_path: Path) -> None:
    t, v, i = _dcpol_record(6.0e6)
    path = tmp_path / "dcpol.csv"
    rows = "\n".join(f"{a},{b},{c * 1e9}" for a, b, c in zip(t, v, i, strict=True))
    path.write_text("Time (s),Voltage (V),Current (nA)\n" + rows)
    out = tmp_path / "out"
    args = ["dcpol", str(path), "--thickness", "1mm", "--diameter", "10mm", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "dcpol_dcpol.json").read_text())
    assert data["resistance_ohm"]["value"] == pytest.approx(6.0e6, rel=0.005)
    assert data["resistance_ohm"]["unit"] == "Ω"


def _cell_spectrum(r_interface_ohm: float, seed: int) -> EISSpectrum:
    """Li | SE | Li: bulk arc 600 Ω, interphase arc, no blocking tail."""
    f = np.logspace(6, -1, 71)
    jw = 2j * np.pi * f
    z = 5 + 1 / (1 / 600 + 1e-10 * jw**0.95) + 1 / (1 / r_interface_ohm + 1e-6 * jw**0.85)
    rng = np.random.default_rng(seed)
    z = z + 0.003 * np.abs(z) * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    return EISSpectrum(f, z.real, z.imag)


def test_aging_retention_of_a_stable_interface(tmp_path: Path) -> None:
    total_0 = 5 + 600 + 100.0
    # 96.5 % retained after 12 h: R(12 h) = R(0) / 0.965, all growth in the interphase
    growth = total_0 / 0.965 - total_0
    for k, hours in enumerate((0, 6, 12)):
        _write_spectrum(
            tmp_path / f"LNS_{hours}h.csv", _cell_spectrum(100 + growth * hours / 12, k)
        )
    result = aging_series(sorted(tmp_path.glob("*.csv")), material="LNS")
    assert result.time_h.tolist() == [0, 6, 12]
    final = result.final_retention
    assert final.value == pytest.approx(0.965, abs=0.01)
    assert 0 < final.error < 0.01
    again = AgingResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again.as_dict() == result.as_dict()


def test_retention_error_propagation() -> None:
    resistances = [Estimate.normal(200.0, 2.0, "Ω"), Estimate.normal(100.0, 1.0, "Ω")]
    result = conductivity_retention([12, 0], resistances)
    assert [r.value for r in result.retention] == [1.0, 0.5]
    assert result.retention[0].error == 0.0  # R(t0) / R(t0) is exactly 1
    assert result.retention[1].error == pytest.approx(0.5 * np.hypot(0.01, 0.01))
    # resistances without errors: the retention error is unknown, not zero
    assert conductivity_retention([0, 12], [100.0, 200.0]).final_retention.error is None
