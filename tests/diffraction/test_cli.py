"""`sselab xrd`, `sselab refine` and `sselab vegard` through the root typer app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sselab.cli import app
from sselab.diffraction import (
    TOFNeutron,
    add_counting_noise,
    read_pattern,
    read_tof_bank,
    simulate_pattern,
    write_pattern,
)
from sselab.structures import antifluorite

runner = CliRunner()


@pytest.fixture(scope="module")
def li2s_cif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "Li2S.cif"
    antifluorite(0.0, a=5.719).to(filename=str(path))
    return path


def test_xrd_simulates_neutron_and_synchrotron(li2s_cif: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["xrd", str(li2s_cif), "--radiation", "neutron:1.54", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "Li2S.json").read_text())
    strongest = max(summary["reflections"], key=lambda r: r["intensity"])
    assert strongest["hkl"] == "200"  # negative Li length: (200) beats (111) for neutrons
    assert (tmp_path / "Li2S.png").stat().st_size > 1000
    pattern = read_pattern(tmp_path / "Li2S.xy")
    assert pattern.y.max() == pytest.approx(100.0, abs=1e-3)

    result = runner.invoke(
        app, ["xrd", str(li2s_cif), "-r", "0.69511", "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    first = json.loads((tmp_path / "s" / "Li2S.json").read_text())["reflections"][0]
    # (111) at λ = 0.69511 Å: 2θ = 2 asin(λ sqrt(3) / 2a)
    expected = 2 * np.degrees(np.arcsin(0.69511 * np.sqrt(3) / (2 * 5.719)))
    assert first["hkl"] == "111" and first["position"] == pytest.approx(expected, abs=1e-6)


def test_xrd_rejects_bad_radiation_and_missing_file(li2s_cif: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["xrd", str(li2s_cif), "-r", "MoKb", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "radiation 'MoKb' not understood" in result.output
    result = runner.invoke(app, ["xrd", str(tmp_path / "none.cif"), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no such file" in result.output


def test_refine_command_joint_xray_tof_recovers_lattice(li2s_cif: Path, tmp_path: Path) -> None:
    truth = antifluorite(0.0, a=5.7065)
    uiso = {"Li": 0.02, "S": 0.01}
    sim = simulate_pattern(truth, "CuKa", uiso_A2=uiso, background=[10])
    xray = write_pattern(add_counting_noise(sim.pattern, 2e4, seed=11), tmp_path / "li2s.xye")
    bank = tmp_path / "bank.instprm"
    bank.write_text("difC: 9300\nZero: 4.0\n2-theta: 90\n")
    tof = TOFNeutron(read_tof_bank(bank))
    tof_sim = simulate_pattern(
        truth, tof, x_range=(6000, 24000), step=1e-3, uiso_A2=uiso, background=[5]
    )
    tof_data = write_pattern(add_counting_noise(tof_sim.pattern, 1e4, seed=12), tmp_path / "b.csv")
    args = ["refine", str(xray), "--model", str(li2s_cif), "--out", str(tmp_path / "r")]
    args += ["--neutron", str(tof_data), "--neutron-radiation", f"tof:{bank}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "r" / "refine.json").read_text())
    a = summary["parameters"]["a"]
    assert abs(a["value"] - 5.7065) < 1e-4 and abs(a["value"] - 5.7065) < 3 * a["error"]
    assert {"xray.scale", "tof.scale", "tof.zero"} <= set(summary["parameters"])
    assert [d["name"] for d in summary["datasets"]] == ["xray", "tof"]
    assert summary["gof"] == pytest.approx(1.0, abs=0.05)
    fit = np.loadtxt(tmp_path / "r" / "fit_xray.csv", delimiter=",", skiprows=1)
    assert fit.shape == (7001, 6)
    assert (tmp_path / "r" / "fit_tof.csv").is_file()
    assert (tmp_path / "r" / "refine.png").stat().st_size > 1000


def test_refine_rejects_unsupported_pattern(li2s_cif: Path, tmp_path: Path) -> None:
    raw = tmp_path / "scan.raw"
    raw.write_bytes(b"\x00\x01binary")
    result = runner.invoke(app, ["refine", str(raw), "--model", str(li2s_cif)])
    assert result.exit_code == 1
    assert "scan.raw: unsupported pattern type '.raw'; use .xy, .xye or .csv" in result.output


def test_vegard_command_finds_the_solubility_limit(tmp_path: Path) -> None:
    x = np.array([0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7])
    a = np.where(x < 0.5, 5.719 - 0.522 * x, 5.458 - 0.05 * (x - 0.5))
    rng = np.random.default_rng(2)
    rows = "".join(f"{v},{w + rng.normal(0, 1e-3):.5f},0.001\n" for v, w in zip(x, a, strict=True))
    (tmp_path / "a.csv").write_text("x,a,a_err\n" + rows)
    result = runner.invoke(app, ["vegard", str(tmp_path / "a.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "vegard.json").read_text())
    assert summary["solubility_limit_x"]["value"] == pytest.approx(0.5, abs=0.05)
    breakpoint = summary["breakpoint_x"]
    assert abs(breakpoint["value"] - 0.5) < 4 * breakpoint["error"]
    assert breakpoint["ci95"][0] <= breakpoint["value"] <= breakpoint["ci95"][1]
    assert re.search(r"solubility limit: x = 0\.4\d+ ± 0\.0\d+", result.output)
    result = runner.invoke(app, ["vegard", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "missing.csv: no such file" in result.output
