"""Rietveld / Le Bail refinement: synthetic patterns with a known truth are refined back."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from sselab.diffraction import (
    CWNeutron,
    Pattern,
    TOFBank,
    TOFNeutron,
    XRay,
    add_counting_noise,
    simulate_pattern,
)
from sselab.diffraction.refine import Dataset, RefinementResult, difference_figure, refine
from sselab.structures import antifluorite

A_TRUE = 5.458
OCC_FACTOR_TRUE = 0.966
UISO_TRUE = {"S": 0.012, "N": 0.012, "Li": 0.025}
XRAY_PROFILE_TRUE = {"U": 0.006, "V": -0.003, "W": 0.004, "X": 0.03, "Y": 0.005}
TOF = TOFNeutron(TOFBank(tof_min_us=5000.0, tof_max_us=30000.0))


@cache  # building the antifluorite cell takes about a second
def _truth() -> Structure:
    structure = antifluorite(0.5, a=A_TRUE)
    for i, site in enumerate(structure):
        if site.species.num_atoms < 0.5:  # the 24e interstitial Li
            scaled = {sp: occ * OCC_FACTOR_TRUE for sp, occ in site.species.items()}
            structure.replace(i, scaled, coords=site.frac_coords)
    return structure


@cache
def _start() -> Structure:
    # A realistic start: lattice 0.5 % off, Uiso 0.01 Å², nominal occupancy, default profile.
    return antifluorite(0.5, a=A_TRUE * 1.005)


@pytest.fixture(scope="module")
def xray() -> Pattern:
    sim = simulate_pattern(
        _truth(), "CuKa", uiso_A2=UISO_TRUE, profile=XRAY_PROFILE_TRUE, background=[30, -8, 3]
    )
    return add_counting_noise(sim.pattern, 1e5, seed=3)


@pytest.fixture(scope="module")
def xray_fit(xray: Pattern) -> RefinementResult:
    return refine(_start(), Dataset(xray, XRay(), "xray"), occupancies=["Li 24e"])


def _within(fit: RefinementResult, name: str, truth: float, n_sigma: float = 3.0) -> None:
    estimate = fit.estimate(name)
    value, error = estimate.value, estimate.error
    assert error is not None and np.isfinite(error) and error > 0, name
    assert abs(value - truth) < n_sigma * error, f"{name} = {value} ± {error}, truth {truth}"


def test_xray_rietveld_recovers_lattice_uiso_profile(xray_fit: RefinementResult) -> None:
    fit = xray_fit
    assert fit.datasets[0].x.size == 7001
    assert abs(fit.estimate("a").value - A_TRUE) < 1e-4
    for name, truth in (
        ("a", A_TRUE),
        ("Uiso[Li]", UISO_TRUE["Li"]),
        ("Uiso[S/N]", UISO_TRUE["S"]),
        ("occ[Li 24e]", OCC_FACTOR_TRUE),
        ("xray.zero", 0.0),
        ("xray.W", XRAY_PROFILE_TRUE["W"]),
        ("xray.X", XRAY_PROFILE_TRUE["X"]),
    ):
        _within(fit, name, truth)
    # Pure counting noise and the right model: GoF ~ 1 (σ(GoF) ~ 1/sqrt(2N) ~ 0.01).
    assert fit.gof == pytest.approx(1.0, abs=0.04)
    assert [stage for stage, _ in fit.stages][-1] == "structure"
    assert fit.stages[-1][1] < fit.stages[0][1]
    occupancy = fit.site_occupancies["Li 24e"]
    assert occupancy["Li"].value == pytest.approx(occupancy["factor"].value * 0.5 / 6)
    assert occupancy["Li"].error == pytest.approx(occupancy["factor"].error * 0.5 / 6)
    assert fit.estimate("a").unit == "Å" and fit.estimate("Uiso[Li]").unit == "Å²"
    # a fixed parameter's error is unknown, not 0
    assert not fit.parameters["xray.Y"].refined and fit.estimate("xray.Y").error is None
    assert fit.structure.lattice.a == pytest.approx(fit.estimate("a").value)


def test_neutron_rietveld_pins_24e_occupancy() -> None:
    neutron = CWNeutron(1.54)
    sim = simulate_pattern(_truth(), neutron, uiso_A2=UISO_TRUE, background=[20, -5])
    data = add_counting_noise(sim.pattern, 1e5, seed=5)
    fit = refine(_start(), Dataset(data, neutron, "neutron"), occupancies=["Li 24e"])
    assert abs(fit.estimate("a").value - A_TRUE) < 1e-4
    assert abs(fit.estimate("occ[Li 24e]").value - OCC_FACTOR_TRUE) < 0.02
    _within(fit, "occ[Li 24e]", OCC_FACTOR_TRUE)
    _within(fit, "Uiso[Li]", UISO_TRUE["Li"])
    assert fit.gof == pytest.approx(1.0, abs=0.05)


def test_joint_xray_tof_pins_li_occupancy_better_than_xray_alone(
    xray: Pattern, xray_fit: RefinementResult
) -> None:
    sim = simulate_pattern(_truth(), TOF, uiso_A2=UISO_TRUE, step=1e-3, background=[20, -5])
    tof = add_counting_noise(sim.pattern, 1e5, seed=4)
    joint = refine(
        _start(),
        [Dataset(xray, XRay(), "xray"), Dataset(tof, TOF, "tof")],
        occupancies=["Li 24e"],
    )
    assert joint.estimate("occ[Li 24e]").error < 0.8 * xray_fit.estimate("occ[Li 24e]").error
    assert abs(joint.estimate("occ[Li 24e]").value - OCC_FACTOR_TRUE) < 0.02
    _within(joint, "occ[Li 24e]", OCC_FACTOR_TRUE)
    _within(joint, "a", A_TRUE)
    # Each pattern keeps its own scale, zero and profile; the structure is shared.
    assert {"xray.scale", "tof.scale", "tof.sig1", "xray.U"} <= set(joint.parameters)
    assert [d.name for d in joint.datasets] == ["xray", "tof"]
    assert all(d.gof < 1.06 for d in joint.datasets)
    assert len(difference_figure(joint).axes) == 2


def test_le_bail_fits_as_well_as_rietveld_without_structure(
    xray: Pattern, xray_fit: RefinementResult
) -> None:
    fit = refine(_start(), Dataset(xray, XRay(), "xray"), method="lebail")
    _within(fit, "a", A_TRUE)
    assert abs(fit.estimate("a").value - A_TRUE) < 1e-4
    assert not fit.parameters["Uiso[Li]"].refined and fit.estimate("Uiso[Li]").error is None
    # Free intensities fit at least as well as the true structure model.
    assert fit.rwp <= xray_fit.rwp * 1.0005
    assert fit.gof == pytest.approx(1.0, abs=0.04)


@pytest.mark.parametrize("method", ["rietveld", "lebail"])
def test_hexagonal_cell_refines_a_and_c_independently(method: str) -> None:
    li3n = Structure.from_spacegroup(
        "P6/mmm",
        Lattice.hexagonal(3.648, 3.875),
        ["N", "Li", "Li"],
        [[0, 0, 0], [1 / 3, 2 / 3, 0], [0, 0, 0.5]],
    )
    data = add_counting_noise(simulate_pattern(li3n, "CuKa", background=[20]).pattern, 3e4, 1)
    start = li3n.copy()
    start.lattice = Lattice.hexagonal(3.648 * 1.004, 3.875 * 0.997)  # anisotropic start error
    fit = refine(start, Dataset(data, XRay(), "xray"), method=method)
    assert fit.crystal_system == "hexagonal"
    _within(fit, "a", 3.648)
    _within(fit, "c", 3.875)
    assert fit.gof == pytest.approx(1.0, abs=0.04)


def test_bad_input_gives_clear_errors(xray: Pattern) -> None:
    y = xray.y.copy()
    y[10] = np.nan
    bad = Pattern(xray.x, y, xray.sigma)
    with pytest.raises(ValueError, match="'xray': y holds NaN"):
        refine(_start(), Dataset(bad, XRay(), "xray"))
    with pytest.raises(ValueError, match=r"occupancy sites \['Li 48h'\] not in the model"):
        refine(_start(), Dataset(xray, XRay(), "xray"), occupancies=["Li 48h"])
    with pytest.raises(ValueError, match="method 'pawley' unknown"):
        refine(_start(), Dataset(xray, XRay(), "xray"), method="pawley")
    with pytest.raises(ValueError, match="names must be unique"):
        refine(_start(), [Dataset(xray, XRay(), "d"), Dataset(xray, XRay(), "d")])


def test_refinement_result_round_trips_through_json(xray_fit: RefinementResult) -> None:
    again = RefinementResult.from_dict(json.loads(json.dumps(xray_fit.as_dict())))
    assert again.as_dict() == xray_fit.as_dict()
    assert again.estimate("occ[Li 24e]") == xray_fit.estimate("occ[Li 24e]")
    np.testing.assert_array_equal(again.datasets[0].y_calc, xray_fit.datasets[0].y_calc)
    assert again.structure == xray_fit.structure
    summary = json.loads(json.dumps(xray_fit.summary()))
    assert summary["parameters"]["a"]["unit"] == "Å"
    assert "y_calc" not in summary["datasets"][0]
