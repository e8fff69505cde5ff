"""Variable-temperature Arrhenius, DC polarisation and interface aging."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.electrochem.synthetic import arrhenius_resistances, pellet_spectrum
from typer.testing import CliRunner

from sselab.cli import app
from sselab.electrochem.aging import aging_series, conductivity_retention, time_from_name
from sselab.electrochem.arrhenius import (
    arrhenius_from_conductivities,
    find_series,
    temperature_from_name,
)
from sselab.electrochem.dcpol import dc_polarisation, steady_currents
from sselab.electrochem.records import EISFileError, EISSpectrum
from sselab.reference import paper_value

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
    assert result.activation_energy_eV == pytest.approx(0.35, abs=1e-9)
    assert result.sigma_25C_S_per_cm == pytest.approx(2.1e-4, rel=1e-9)


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
    ea, ea_err = material["activation_energy_eV"], material["activation_energy_err_eV"]
    assert ea == pytest.approx(0.35, abs=0.01)
    assert 0 < ea_err < 0.01 and abs(ea - 0.35) < 3 * ea_err
    assert material["sigma_25C_S_per_cm"] == pytest.approx(2.1e-4, rel=0.03)
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
    v, i, err = steady_currents(*_dcpol_record(r_e))
    assert v.tolist() == pytest.approx([0.10, 0.15, 0.20, 0.25])
    result = dc_polarisation(v, i, err, 0.1, 1.0, ionic_sigma_S_per_cm=2.1e-4)
    assert result.resistance_ohm == pytest.approx(r_e, rel=0.005)
    assert abs(result.resistance_ohm - r_e) < 3 * result.resistance_err_ohm
    assert result.conductivity.sigma_S_per_cm == pytest.approx(sigma_e, rel=0.005)
    paper_orders = paper_value("transport_measured", "electronic_vs_ionic_orders_of_magnitude")
    assert result.orders_of_magnitude == pytest.approx(paper_orders, abs=0.01)
    with pytest.raises(ValueError, match="does not rise with voltage"):
        dc_polarisation(v, -i)


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
    assert data["resistance_ohm"] == pytest.approx(6.0e6, rel=0.005)


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
    value, error = result.final_retention
    assert value == pytest.approx(
        paper_value("interface_aging", "retention_Li2.5N0.5S0.5"), abs=0.01
    )
    assert 0 < error < 0.01


def test_retention_error_propagation() -> None:
    result = conductivity_retention([12, 0], [200.0, 100.0], [2.0, 1.0])
    assert result.retention.tolist() == [1.0, 0.5]
    assert result.retention_err[1] == pytest.approx(0.5 * np.hypot(0.01, 0.01))
