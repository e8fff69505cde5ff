"""The shipped validation set: every structure is sound, read and gets a BVSE barrier.

The Spearman table at the screen's default 0.2 Å grid is a slow test; CI checks the
set at 0.3 Å (about 20 s on 2 cores).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Composition

from sselab.pipeline.screen import ValidationResult, validate
from sselab.report.screen import validation_table
from sselab.structures.conductors import validation_set
from sselab.structures.partial import CHARGE_TOLERANCE, oxidation_states
from sselab.structures.validate import validate_structure
from sselab.transport.bvse import softbv_pair_table

# Bond-valence sum / |oxidation state| of every cation species, occupancy-weighted over
# anion neighbours within 3.6 Å with softBV R0 and b. Fast-ion conductors underbond Li
# (0.6-0.9 is common); Ba on the garnet La site is overbonded (1.7) because it shares
# La's smaller site; the "idealised" halides (undistorted Cl packing) underbond In/Sc
# (0.83/0.90).
BVS_RANGE = (0.5, 1.8)
# An empty site may not bond Li more than this (v.u.) above the best occupied Li site of
# an ordered, fully occupied Li sublattice (see the test below).
EMPTY_SITE_BVS_MARGIN = 0.2


@pytest.fixture(scope="module")
def conductors() -> list:
    return validation_set()


def test_set_spans_the_range_with_citations(conductors: list) -> None:
    assert len(conductors) >= 25
    sigmas = [c.sigma_RT_S_per_cm for c in conductors]
    assert min(sigmas) <= 1e-10 and max(sigmas) >= 1e-2
    assert len({c.name for c in conductors}) == len(conductors)
    for c in conductors:
        assert c.structure_reference and c.sigma_reference, c.name


def _bond_valence_sum(structure, states: dict[str, int], element: str, cart) -> float:
    """softBV bond-valence sum (v.u.) of ``element`` at ``cart`` (Å): occupancy-weighted
    anions within 3.6 Å, the site itself (closer than 0.1 Å) left out."""
    pairs = softbv_pair_table()
    total = 0.0
    for neighbour in structure.get_sites_in_sphere(cart, 3.6):
        if neighbour.nn_distance <= 0.1:
            continue
        for other, occupancy in neighbour.species.items():
            key = (element, states[element], other.symbol, states[other.symbol])
            if states[other.symbol] < 0 and key in pairs:
                p = pairs[key]
                total += occupancy * math.exp(
                    (p.r0_angstrom - neighbour.nn_distance) * p.alpha_per_angstrom
                )
    return total


def _bond_valence_ratios(structure, states: dict[str, int]) -> dict[str, list[float]]:
    ratios: dict[str, list[float]] = {}
    for site in structure:
        for species in site.species:
            charge = states[species.symbol]
            if charge > 0:
                total = _bond_valence_sum(structure, states, species.symbol, site.coords)
                ratios.setdefault(species.symbol, []).append(total / charge)
    return ratios


def test_every_structure_is_sound(conductors: list) -> None:
    """Composition = formula, charge neutral, no overlaps below 1.2 Å except split sites,
    plausible bond-valence sums."""
    for c in conductors:
        structure = c.structure
        formula = Composition(c.formula)
        units = structure.composition.element_composition
        scale = units[formula.elements[0]] / formula[formula.elements[0]]
        for element, amount in formula.items():
            assert units[element] == pytest.approx(amount * scale, rel=2e-3), (c.name, element)
        states = oxidation_states(structure, c.name)
        positive = sum(units[e] * q for e, q in states.states.items() if q > 0)
        assert abs(states.net_charge_e) <= CHARGE_TOLERANCE * positive, c.name
        validate_structure(structure, c.name, min_distance_angstrom=1.2)
        for element, ratios in _bond_valence_ratios(structure, states.states).items():
            assert BVS_RANGE[0] <= min(ratios) and max(ratios) <= BVS_RANGE[1], (c.name, element)


def test_no_empty_site_bonds_li_better_than_its_own_sites(conductors: list) -> None:
    """In an ordered, fully occupied Li sublattice a refined structure puts Li on its
    best-bonded sites, so the BVSE global minimum, where it is an empty site (> 1 Å from
    every Li), must not bond Li much more strongly than the occupied Li sites do.

    Caught the "idealised" Li3InCl6/Li3ScCl6 (issue #17): Cl on the Li2MnO3 O positions
    contract the EMPTY 4g octahedron (Li BVS 1.1 against 0.76 on the Li sites), BVSE put
    its global minimum there and read the 3D barrier 0.2 eV too high. Li2S passes: its
    empty 4b void is the BVSE minimum (softBV) but bonds Li less (0.71 vs 0.85 v.u.).
    """
    from sselab.structures.partial import clear_mobile_sites, decorate
    from sselab.transport.bvse import find_sites, percolation_barriers

    checked = []
    for c in conductors:
        structure = c.structure
        li_sites = [s for s in structure if "Li" in {sp.symbol for sp in s.species}]
        if any(len(s.species) > 1 or s.species["Li"] < 1.0 - 1e-6 for s in li_sites):
            continue  # disordered Li: empty sites next to occupied ones are the point
        states = oxidation_states(structure, c.name)
        landscape = percolation_barriers(
            clear_mobile_sites(decorate(structure, states), "Li"), resolution_angstrom=0.3
        ).landscape
        deepest = np.array(find_sites(landscape)[0]["frac_coords"])
        li_frac = np.array([s.frac_coords for s in li_sites])
        if structure.lattice.get_all_distances(deepest, li_frac).min() < 1.0:
            continue
        cart = structure.lattice.get_cartesian_coords
        empty = _bond_valence_sum(structure, states.states, "Li", cart(deepest))
        occupied = max(_bond_valence_sum(structure, states.states, "Li", cart(f)) for f in li_frac)
        checked.append(c.name)
        assert empty <= occupied + EMPTY_SITE_BVS_MARGIN, (c.name, empty, occupied)
    assert "Li2S" in checked  # the test does look at empty-minimum structures


@pytest.fixture(scope="module")
def coarse() -> ValidationResult:
    return validate(resolution_angstrom=0.3, n_bootstrap=200, progress=False)


def test_every_compound_is_read_and_gets_a_finite_barrier(coarse: ValidationResult) -> None:
    print("\n" + validation_table(coarse))
    assert coarse.n_refused == 0
    for row in coarse.rows:
        assert row.refused is None, row.refused
        assert row.barrier_3d_eV is not None and math.isfinite(row.barrier_3d_eV.value), row.name
        assert 0.0 < row.barrier_1d_eV.value <= row.barrier_3d_eV.value + 1e-9
    # the right sign, with its interval printed above (it includes 0: docs/screening.md)
    assert {s.predictor: s.rho for s in coarse.scores}["BVSE 1D barrier"].value < 0
    for score in coarse.scores:
        assert score.rho.ci95 is not None and -1 <= score.rho.ci95[0] <= score.rho.ci95[1] <= 1
        assert score.n == len(coarse.rows)


def test_fast_and_slow_families_separate_where_bvse_is_known_to_work(
    coarse: ValidationResult,
) -> None:
    """Within one structure family the barrier follows sigma: argyrodites Cl < I and
    garnets Li7 < Li5 (Li-stuffing lowers the barrier)."""
    barrier = {r.name: r.barrier_3d_eV.value for r in coarse.rows if r.barrier_3d_eV}
    assert barrier["Li6PS5Cl"] < barrier["Li6PS5I"]
    assert barrier["Li7La3Zr2O12 (cubic)"] < barrier["Li5La3Ta2O12"]
    assert barrier["alpha-Li3N"] < min(barrier["LiF"], barrier["LiCl"], barrier["Li2S"])


def test_where_the_li_sit_against_where_the_barriers_start(coarse: ValidationResult) -> None:
    """The barriers start at the global BVSE minimum; the occupied-site energy says where the
    compound's own Li sit (issue #17 audit). LGPS: the global minimum is the fully occupied
    4d Li site, the c-channel Li (16h/8f) sit ~0.3 eV higher. NASICON: LiTi2(PO4)3 fills only
    M1 (the global minimum), the excess Li of LATP/LAGP sit on M2-type sites ~0.5 eV above
    it, close to the percolation level. The idealised halides' Li sit at the global minimum."""
    site = {r.name: r.occupied_site_eV for r in coarse.rows}
    assert all(v is not None and v >= 0.0 for v in site.values())
    assert 0.2 <= site["Li10GeP2S12 (LGPS)"] <= 0.45
    assert site["LiTi2(PO4)3"] < 0.05
    for name in ("Li1.3Al0.3Ti1.7(PO4)3 (LATP)", "Li1.5Al0.5Ge1.5(PO4)3 (LAGP)"):
        assert 0.4 <= site[name] <= 0.7, name
    assert site["Li3InCl6"] < 0.05 and site["Li3ScCl6"] < 0.05
    for row in coarse.rows:
        assert row.barrier_3d_from_occupied_eV is not None
        assert 0.0 <= row.barrier_3d_from_occupied_eV <= row.barrier_3d_eV.value + 1e-12


@pytest.mark.slow
def test_spearman_table_at_the_screen_resolution() -> None:
    """The ranking claim of the screen, stated with its interval (printed).

    Measured (0.2 Å, 2000 resamples, after the issue #17 audits): rho(3D barrier) = -0.14
    [-0.54, +0.27], rho(1D barrier) = -0.19 [-0.57, +0.23]: the right sign, but no
    interval excludes 0 (docs/screening.md).
    """
    result = validate(resolution_angstrom=0.2, n_bootstrap=2000, progress=False)
    print("\n" + validation_table(result))
    assert result.n_refused == 0
    rho = {s.predictor: s.rho for s in result.scores}
    assert rho["BVSE 1D barrier"].value < 0


def test_cli_validate_prints_the_table_and_writes_json(
    coarse: ValidationResult, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib
    import json

    from typer.testing import CliRunner

    from sselab.cli import app

    asked = {}

    def fake_validate(resolution_angstrom: float, progress: bool) -> ValidationResult:
        asked["resolution"] = resolution_angstrom
        return coarse

    # sselab.pipeline re-exports the function `screen`, which shadows the module name
    screen_module = importlib.import_module("sselab.pipeline.screen")
    monkeypatch.setattr(screen_module, "validate", fake_validate)
    result = CliRunner().invoke(
        app, ["screen", "--validate", "--resolution", "0.3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert asked["resolution"] == 0.3
    assert "BVSE 3D barrier" in result.output and "refused: 0" in result.output
    saved = ValidationResult.from_dict(json.loads((tmp_path / "validation.json").read_text()))
    assert saved.n_refused == 0 and len(saved.rows) == len(coarse.rows)
    assert (tmp_path / "validation.png").stat().st_size > 10_000


def test_validation_figure_plots_each_predictor_against_sigma_with_its_rho(
    coarse: ValidationResult,
) -> None:
    from dataclasses import replace

    from sselab.estimate import Estimate
    from sselab.pipeline.screen import MDPredictor, MDReading
    from sselab.report.screen import validation_figure

    barrier_only = validation_figure(coarse)
    (ax,) = barrier_only.axes
    rho = {s.predictor: s for s in coarse.scores}["BVSE 3D barrier"]
    assert f"ρ = {rho.rho.value:+.2f}" in ax.get_title() and f"n = {rho.n}" in ax.get_title()
    (points,) = ax.collections
    assert len(points.get_offsets()) == len(coarse.rows)
    lgps = next(r for r in coarse.rows if r.name.endswith("(LGPS)"))
    assert [1.2e-2, lgps.barrier_3d_eV.value] in points.get_offsets().tolist()
    assert any(text.get_text() == "LGPS" for text in ax.texts)

    # two MD temperatures: one MSD panel each and the Arrhenius sigma(300 K) panel; a
    # compound without a run at 1000 K is left out of that panel and counted
    rows = []
    for index, row in enumerate(coarse.rows):
        runs = [MDReading(700.0, 0.5 + index)]
        if index:
            runs.append(MDReading(1000.0, 1.0 + index))
        sigma = Estimate.normal(10.0**-index, 1e-9, "S/cm") if index % 2 else None
        rows.append(replace(row, md_runs=runs, md_sigma_300K_S_per_cm=sigma))
    with_md = replace(coarse, rows=rows, md=MDPredictor(), md_temperatures_K=[700.0, 1000.0])
    axes = validation_figure(with_md).axes
    assert [a.get_ylabel() for a in axes] == [
        "BVSE 3D barrier (eV)",
        "Li MSD at 0.5 ps, 700 K (Å²)",
        "Li MSD at 0.5 ps, 1000 K (Å²)",
        "MD Arrhenius σ(300 K) (S/cm)",
    ]
    assert "no rank correlation" in axes[1].get_title()  # no score of that name here
    assert [t.get_text() for t in axes[2].texts if "without" in t.get_text()] == [
        "1 without a value"
    ]
    assert axes[3].get_yscale() == "log"
    assert len(axes[3].collections[0].get_offsets()) == len(rows) // 2


def test_expected_li_metal_calls_follow_the_chemistry(conductors: list) -> None:
    """An expected call says why; where Li is the only cation nothing can be reduced, so the
    data must say "stable"; every other scored compound holds a reducible cation."""
    for conductor in conductors:
        assert conductor.li_metal_basis, conductor.name
        states = oxidation_states(conductor.structure, conductor.name).states
        only_li = [e for e, q in states.items() if q > 0] == ["Li"]
        if only_li:
            assert conductor.li_metal_expected == "stable", conductor.name
        else:
            assert conductor.li_metal_expected in ("reduced", None), conductor.name
    scored = [c for c in conductors if c.li_metal_expected]
    assert len(scored) >= 20


def test_li_metal_windows_call_a_halide_stable_and_an_indium_chloride_reduced(
    tmp_path: Path,
) -> None:
    """Physics of the window against the shipped reduction products, on two compounds of
    the set with a short relaxation (20 steps: the driving forces are eV per formula unit,
    far beyond what the last steps would change). Li3InCl6: In3+ goes to LiIn with LiCl;
    DFT puts the reduction of the Li3MCl6 chlorides at roughly 0.6-2.5 V (Wang et al.,
    Angew. Chem. 2019); LiCl has nothing to reduce."""
    from sselab.pipeline.screen import MDPredictor, ValidationRow, _li_metal_predictions
    from sselab.store import ResultStore
    from sselab.structures.partial import decorate

    rows, cells = [], {}
    for conductor in validation_set():
        if conductor.name in ("LiCl", "Li3InCl6"):
            states = oxidation_states(conductor.structure, conductor.name)
            rows.append(ValidationRow(conductor.name, conductor.formula, 1e-3))
            cells[conductor.name] = decorate(conductor.structure, states)
    quick = MDPredictor(max_relax_steps=20)
    _li_metal_predictions(rows, cells, quick, ResultStore(":memory:"), None, tmp_path, "cpu", False)
    licl, li3incl6 = sorted(rows, key=lambda r: r.name != "LiCl")
    assert licl.li_metal_call == "stable" and licl.reduction_limit_V == 0.0
    assert licl.li_metal_products == ["LiCl"]
    assert li3incl6.li_metal_call == "reduced"
    assert 0.5 < li3incl6.reduction_limit_V < 3.5
    assert li3incl6.li_metal_products == ["LiCl", "LiIn"]
    assert li3incl6.li_metal_note == "hull of Cl2, In, Li, LiCl, LiIn"


@pytest.mark.slow
def test_li_metal_calls_of_the_whole_set(tmp_path: Path) -> None:
    """The claim of docs/screening.md (5.5 min on 2 cores, one process): every scored
    compound gets the expected call, and where the first reduction step's products ship
    (argyrodites, LGPS: to Li2S + P + LiX) the limit lies within 0.1 V of the DFT window's
    1.71 V (Zhu, He & Mo 2015); elsewhere it is a lower bound."""
    from sselab.pipeline.screen import MDPredictor
    from sselab.store import ResultStore

    with ResultStore(tmp_path / "store.sqlite") as store:
        result = validate(
            resolution_angstrom=0.4,
            n_bootstrap=100,
            store=store,
            progress=False,
            li_metal=MDPredictor(),
            work_dir=tmp_path,
            device="cpu",
        )
    print("\n" + validation_table(result))
    assert result.li_metal_scored >= 20
    assert result.li_metal_agreed == result.li_metal_scored
    limit = {r.name: r.reduction_limit_V for r in result.rows}
    for name in ("Li6PS5Cl", "Li6PS5Br", "Li10GeP2S12 (LGPS)"):
        assert limit[name] == pytest.approx(1.71, abs=0.1), name
    assert 0.0 < limit["Li7La3Zr2O12 (cubic)"] < 0.1  # DFT: 0.05 V; marginal, not scored
