"""Symmetric-cell, critical-current-density and full-cell analysis on synthetic records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.electrochem.synthetic import ccd_staircase, full_cell
from typer.testing import CliRunner

from sselab.cli import app
from sselab.electrochem import cycling
from sselab.electrochem.readers import read_cycling
from sselab.electrochem.records import CyclingData, EISFileError

AREA_CM2 = 0.785  # the synthetic records' electrode: a 10 mm disc


def test_staircase_with_a_short_at_1p41_gives_ccd_1p41() -> None:
    data = ccd_staircase(short_at_mA_per_cm2=1.41, step_mA_per_cm2=0.03, area_cm2=AREA_CM2)
    ccd = cycling.critical_current_density(data, AREA_CM2)
    assert ccd.ccd_mA_per_cm2.value == pytest.approx(1.41, abs=1e-9)
    assert ccd.ccd_mA_per_cm2.error == pytest.approx(0.03, abs=1e-9)
    assert ccd.ccd_mA_per_cm2.error_kind == "resolution"  # the step size, not noise
    assert ccd.last_stable_mA_per_cm2 == pytest.approx(1.38, abs=1e-9)
    # the short starts half-way through the first 1.41 mA/cm2 half-cycle
    first = next(
        h for h in cycling.half_cycles(data, AREA_CM2) if h.current_density_mA_per_cm2 > 1.40
    )
    assert ccd.short.time_s == pytest.approx(first.start_s + 900.0)
    assert ccd.short.resistance_before_ohm_cm2 == pytest.approx(100 * 1.075, rel=0.02)


def test_stable_staircase_has_no_ccd() -> None:
    data = ccd_staircase(short_at_mA_per_cm2=10.0, step_mA_per_cm2=0.5)
    no_short = CyclingData(
        data.time_s[: data.time_s.size // 2],
        data.voltage_V[: data.time_s.size // 2],
        data.current_mA[: data.time_s.size // 2],
    )
    ccd = cycling.critical_current_density(no_short, AREA_CM2)
    assert ccd.ccd_mA_per_cm2 is None and ccd.short is None
    assert ccd.last_stable_mA_per_cm2 == pytest.approx(5.5)  # 11 of the 22 steps kept


def test_symmetric_overpotential_per_half_cycle_and_stable_hours() -> None:
    data = ccd_staircase()
    result = cycling.symmetric_cell(data, AREA_CM2)
    first = result.half_cycles[0]
    # |V| = j R (1 + 0.1 s) over the half-cycle: the plateau median is j R x ~1.075
    assert first.current_density_mA_per_cm2 == pytest.approx(0.03)
    assert first.overpotential_V == pytest.approx(0.03e-3 * 100 * 1.075, rel=0.03)
    assert first.peak_overpotential_V == pytest.approx(0.03e-3 * 100 * 1.1, rel=0.05)
    assert result.stable_hours == pytest.approx(result.short.time_s / 3600)


def test_full_cell_capacity_efficiency_and_retention() -> None:
    one_c = 140.0  # mA/g, LiCoO2
    data = full_cell(n_cycles=20, specific_mA_per_g=0.1 * one_c, coulombic_efficiency=0.964)
    result = cycling.full_cell(data, 0.0049, AREA_CM2, one_c_mA_per_g=one_c)
    assert len(result.cycles) == 20
    assert result.cycles[0].charge_mAh_per_g == pytest.approx(130.0, rel=1e-6)
    assert result.initial_discharge_mAh_per_g == pytest.approx(130.0 * 0.964, rel=1e-6)
    assert result.initial_coulombic_efficiency == pytest.approx(0.964, rel=1e-6)
    assert result.cycles[0].c_rate == pytest.approx(0.1)
    assert result.cycles[0].discharge_mAh_per_cm2 == pytest.approx(
        130.0 * 0.964 * 0.0049 / AREA_CM2, rel=1e-6
    )
    assert result.retention[-1] == pytest.approx(1 - 0.002 * 19, rel=1e-6)
    assert result.fade_per_cycle.value == pytest.approx(-0.002, rel=1e-5)
    assert result.mean_coulombic_efficiency.value == pytest.approx(0.964, rel=1e-6)
    again = cycling.FullCellResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again.as_dict() == result.as_dict()
    # without a cycle column the cycles are found from the current sign
    bare = CyclingData(data.time_s, data.voltage_V, data.current_mA)
    again = cycling.full_cell(bare, 0.0049)
    assert [c.discharge_mAh for c in again.cycles] == pytest.approx(
        [c.discharge_mAh for c in result.cycles]
    )
    with pytest.raises(ValueError, match=r"implausible for a cathode; is the active mass 4\.9 g"):
        cycling.full_cell(data, 4.9)  # milligrams given as grams


def test_read_cycling_maps_land_style_columns_and_units(tmp_path: Path) -> None:
    data = full_cell(n_cycles=3)
    path = tmp_path / "land.csv"
    rows = zip(data.time_s / 3600, data.voltage_V, data.current_mA / 1000, data.cycle, strict=True)
    body = "\n".join(f"{t},{v},{i},{c}" for t, v, i, c in rows)
    path.write_text("TestTime/h,Voltage/V,Current/A,Cycle ID\n" + body)
    read = read_cycling(path)
    np.testing.assert_allclose(read.time_s, data.time_s, rtol=1e-9)
    np.testing.assert_allclose(read.current_mA, data.current_mA, rtol=1e-9)
    assert read.cycle.tolist() == data.cycle.tolist()
    path.write_text("TestTime/h,Current/A\n1,2\n")
    with pytest.raises(EISFileError, match="no voltage column"):
        read_cycling(path)


def test_cli_cycling_symmetric_and_full(tmp_path: Path) -> None:
    staircase = ccd_staircase()
    path = tmp_path / "staircase.csv"
    rows = zip(staircase.time_s, staircase.voltage_V, staircase.current_mA, strict=True)
    path.write_text("time/s,Ewe/V,I/mA\n" + "\n".join(f"{t},{v},{i}" for t, v, i in rows))
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["cycling", str(path), "--cell", "symmetric", "--out", str(out)]
    # no default area: the paper's Li foil (6 mm) and pellet (10 mm) differ 2.8x
    no_area = runner.invoke(app, args)
    assert no_area.exit_code == 1 and "--cell symmetric needs --area" in no_area.output
    result = runner.invoke(app, [*args, "--area", str(AREA_CM2)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "cycling_staircase.json").read_text())
    ccd = data["critical_current_density"]["ccd_mA_per_cm2"]
    assert ccd["value"] == pytest.approx(1.41) and ccd["error_kind"] == "resolution"
    # the same record read as a 6 mm foil: current densities scale with 1 / area
    result = runner.invoke(app, [*args, "--area", "0.283"])
    data = json.loads((out / "cycling_staircase.json").read_text())
    ccd_6mm = data["critical_current_density"]["ccd_mA_per_cm2"]["value"]
    assert ccd_6mm == pytest.approx(1.41 * AREA_CM2 / 0.283)
    assert (out / "cycling_staircase.png").is_file()

    cell = full_cell(n_cycles=5)
    path = tmp_path / "lco.csv"
    rows = zip(cell.time_s, cell.voltage_V, cell.current_mA, cell.cycle, strict=True)
    path.write_text(
        "time/s,Ecell/V,I/mA,cycle number\n" + "\n".join(",".join(map(str, r)) for r in rows)
    )
    args = ["cycling", str(path), "--cell", "full", "--active-mass", "4.9mg", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "cycling_lco.json").read_text())
    assert data["initial_coulombic_efficiency"] == pytest.approx(0.964, rel=1e-6)
    missing = runner.invoke(app, ["cycling", str(path), "--cell", "full"])
    assert missing.exit_code == 1 and "--active-mass" in missing.output


def _biologic_gcpl(data: CyclingData) -> str:
    """An EC-Lab GCPL text export (header block, tab-separated, decimal commas)."""
    header = ["EC-Lab ASCII FILE", "Nb header lines : 5", "", "Galvanostatic Cycling", ""]
    names = "mode\ttime/s\tcontrol/V/mA\tEwe/V\tI/mA\tcycle number"
    rows = [
        f"1\t{t:.3f}\t{i:.6f}\t{v:.6f}\t{i:.6f}\t0".replace(".", ",")
        for t, v, i in zip(data.time_s, data.voltage_V, data.current_mA, strict=True)
    ]
    header[-1] = names
    return "\n".join(header + rows)


def test_biologic_gcpl_constant_current_symmetric_cell_through_the_cli(tmp_path: Path) -> None:
    hours = np.linspace(0, 100, 2001)
    # 0.1 mA/cm2, 1 h half-cycles, a stable 20 mV overpotential
    sign = np.where((hours // 1) % 2 == 0, 1.0, -1.0)
    data = CyclingData(hours * 3600, sign * 0.020, sign * 0.1 * AREA_CM2)
    path = tmp_path / "li_lns_li.mpt"
    path.write_text(_biologic_gcpl(data), encoding="latin-1")
    read = read_cycling(path)
    np.testing.assert_allclose(read.voltage_V, data.voltage_V, atol=1e-6)
    # the same export under a .txt name is recognised by its EC-Lab header
    text = tmp_path / "li_lns_li.txt"
    text.write_text(_biologic_gcpl(data), encoding="latin-1")
    np.testing.assert_allclose(read_cycling(text).current_mA, read.current_mA)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["cycling", str(path), "--cell", "symmetric", "--area", "0.785", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "cycling_li_lns_li.json").read_text())
    assert report["short"] is None
    assert report["stable_hours"] == pytest.approx(100.0)
    overpotentials = [h["overpotential_V"] for h in report["half_cycles"]]
    assert len(overpotentials) == 100 and np.allclose(overpotentials, 0.020, atol=1e-6)
    assert report["critical_current_density"]["ccd_mA_per_cm2"] is None
