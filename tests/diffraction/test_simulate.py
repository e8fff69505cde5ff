"""Pattern simulation against pymatgen and against diffraction physics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pymatgen.analysis.diffraction.neutron import NDCalculator
from pymatgen.analysis.diffraction.xrd import WAVELENGTHS, XRDCalculator

from sselab.diffraction import (
    CWNeutron,
    PatternFileError,
    RadiationSpecError,
    SimulatedPattern,
    TOFBank,
    TOFNeutron,
    XRay,
    parse_radiation,
    read_pattern,
    simulate_pattern,
    write_pattern,
)
from sselab.structures import antifluorite


def _sticks(sim, hkl: str) -> float:
    return dict(sim.strongest(100))[hkl]


@pytest.mark.parametrize("x", [0.0, 0.5])
def test_positions_and_intensities_match_pymatgen_xrd(x: float) -> None:
    structure = antifluorite(x, a=5.719 if x == 0 else None)
    wavelength = WAVELENGTHS["CuKa1"]
    ours = simulate_pattern(structure, XRay(((wavelength, 1.0),), 0.5), uiso_A2=0.0)
    ref = XRDCalculator(wavelength).get_pattern(structure, two_theta_range=(10, 80))
    assert len(ref.x) == len(ours.position)
    np.testing.assert_allclose(ours.position, ref.x, atol=0.01)
    # Same scattering tables and unpolarised LP: stick intensities agree closely.
    np.testing.assert_allclose(ours.intensity, ref.y, rtol=1e-3, atol=1e-3)


def test_neutron_li2s_200_strongest_220_weak_and_matches_pymatgen() -> None:
    li2s = antifluorite(0.0, a=5.719)
    sim = simulate_pattern(li2s, CWNeutron(1.54), x_range=(10, 90), uiso_A2=0.0)
    strongest_hkl = sim.strongest(1)[0][0]
    assert strongest_hkl == "200"
    # F(220) = 4(b_S + 2 b_Li) nearly cancels because b_Li = -1.90 fm.
    assert _sticks(sim, "220") < 0.05 * _sticks(sim, "200")
    ref = NDCalculator(1.54).get_pattern(li2s, two_theta_range=(10, 90))
    np.testing.assert_allclose(sim.position, ref.x, atol=0.01)
    np.testing.assert_allclose(sim.intensity, ref.y, rtol=1e-3, atol=1e-3)
    # X-rays: (111) strongest, (220) strong -- the opposite contrast.
    xray = simulate_pattern(li2s, "CuKa")
    assert xray.strongest(1)[0][0] == "111"
    assert _sticks(xray, "220") > 30


def test_kalpha_doublet_splits_high_angle_peaks() -> None:
    sim = simulate_pattern(antifluorite(0.0, a=5.719), "CuKa", profile={"U": 0, "V": 0, "W": 4e-4})
    x, y = sim.pattern.x, sim.pattern.y
    d = 5.719 / np.sqrt(4**2 + 2**2)  # (420)
    two_theta = [2 * np.degrees(np.arcsin(w / (2 * d))) for w in (1.540593, 1.544414)]
    heights = [y[np.argmin(abs(x - t))] for t in two_theta]
    assert two_theta[1] - two_theta[0] > 0.2
    assert heights[1] / heights[0] == pytest.approx(0.5, rel=0.05)


def test_synchrotron_polarisation_and_uiso_damping() -> None:
    structure = antifluorite(0.5)
    lab = simulate_pattern(structure, "xray:0.69511", x_range=(5, 45), uiso_A2=0.0)
    sync = simulate_pattern(structure, "0.69511", x_range=(5, 45), uiso_A2=0.0)
    np.testing.assert_allclose(lab.position, sync.position)
    cos2 = np.cos(np.radians(sync.position)) ** 2
    ratio = (sync.intensity / lab.intensity) / (sync.intensity[0] / lab.intensity[0])
    expected = (2 / (1 + cos2)) / (2 / (1 + cos2[0]))
    np.testing.assert_allclose(ratio, expected, rtol=1e-6)
    warm = simulate_pattern(structure, "0.69511", x_range=(5, 45), uiso_A2=0.03)
    s2 = 1 / (4 * sync.d_angstrom**2)
    damping = (warm.intensity / sync.intensity) / (warm.intensity[0] / sync.intensity[0])
    np.testing.assert_allclose(damping, np.exp(-16 * np.pi**2 * 0.03 * (s2 - s2[0])), rtol=1e-6)


def test_tof_positions_follow_difc_difa_zero() -> None:
    bank = TOFBank(difc_us_per_angstrom=9000.0, difa_us_per_angstrom2=-3.0, zero_us=5.0)
    sim = simulate_pattern(antifluorite(0.5), TOFNeutron(bank), x_range=(3000, 30000))
    d = sim.d_angstrom
    np.testing.assert_allclose(sim.position, 5.0 + 9000.0 * d - 3.0 * d**2)
    peak = sim.position[np.argmax(sim.intensity)]
    window = np.abs(sim.pattern.x - peak) < 50
    assert sim.pattern.x[window][np.argmax(sim.pattern.y[window])] == pytest.approx(peak, abs=5)


def test_partial_occupancy_changes_intensities() -> None:
    a = 5.458
    full = simulate_pattern(antifluorite(0.5, a=a), "neutron:1.54", uiso_A2=0.0)
    assert full.intensity.size > 5
    # x = 0.5 puts 2 Li per cell on 24e: the neutron (200)/(111) ratio must differ from x = 0.4
    other = simulate_pattern(antifluorite(0.4, a=a), "neutron:1.54", uiso_A2=0.0)
    assert _sticks(full, "200") / _sticks(full, "111") != pytest.approx(
        _sticks(other, "200") / _sticks(other, "111"), rel=1e-3
    )


def test_pattern_io_roundtrip_and_errors(tmp_path: Path) -> None:
    sim = simulate_pattern(antifluorite(0.5), "CuKa")
    for suffix in (".xy", ".xye", ".csv"):
        back = read_pattern(write_pattern(sim.pattern, tmp_path / f"p{suffix}"))
        np.testing.assert_allclose(back.y, sim.pattern.y, atol=1e-5)
    (tmp_path / "p.raw").write_text("1 2\n")
    with pytest.raises(PatternFileError, match=r"p\.raw.*unsupported"):
        read_pattern(tmp_path / "p.raw")
    (tmp_path / "bad.xy").write_text("1 2\n" * 5 + "a b\n" * 6)
    with pytest.raises(PatternFileError, match=r"bad\.xy"):
        read_pattern(tmp_path / "bad.xy")


def test_parse_radiation_specs(tmp_path: Path) -> None:
    assert len(parse_radiation("CuKa").wavelengths_angstrom) == 2
    assert parse_radiation("0.69511").polarization_fraction == 1.0
    bank = tmp_path / "bank.instprm"
    bank.write_text("#GSAS-II\nType:PNT\ndifC:9200.5\ndifA:-1.5\nZero:3.0\n2-theta:90\n")
    tof = parse_radiation(f"tof:{bank}")
    assert tof.bank.difc_us_per_angstrom == 9200.5 and tof.bank.difa_us_per_angstrom2 == -1.5
    for bad in ("MoKb", "neutron:abc", "tof:/nonexistent/bank.txt", "99"):
        with pytest.raises(RadiationSpecError):
            parse_radiation(bad)


@pytest.mark.parametrize(
    "radiation", [XRay(), CWNeutron(1.54), TOFNeutron(TOFBank(tof_min_us=6000.0))]
)
def test_simulated_pattern_round_trips_through_json(radiation) -> None:
    sim = simulate_pattern(antifluorite(0.0, a=5.719), radiation)
    again = SimulatedPattern.from_dict(json.loads(json.dumps(sim.as_dict())))
    assert again.radiation == radiation  # the union field decodes to the right kind
    assert again.as_dict() == sim.as_dict()
    np.testing.assert_array_equal(again.hkl, sim.hkl)
    assert again.summary() == sim.summary()
