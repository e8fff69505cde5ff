"""BVSE landscapes: paper trends, BVlain cross-check, percolation logic, paths, output, CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from sselab.cli import app
from sselab.reference import paper_value
from sselab.structures import antifluorite, enumerate_orderings
from sselab.transport.antifluorite_sites import antifluorite_hop
from sselab.transport.bvse import (
    BVSEParameterError,
    BVSEResult,
    PathProfile,
    bvse_landscape,
    find_sites,
    minimum_energy_path,
    occupied_site_energy,
    percolation_barriers,
    percolation_thresholds,
    write_chgcar,
    write_cube,
)
from sselab.transport.bvse.percolation import _wrap_rank

A_ICSD = paper_value("structure", "a_Li2S_icsd_angstrom")
A_ALT = paper_value("structure", "a_Li2S_alt_angstrom")
A_LNS = paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")


def _bvlain(structure: Structure, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """BVlain's 1D/2D/3D barriers and its grid (last plane dropped: it repeats the first)."""
    from bvlain import Lain

    lain = Lain(verbose=False)
    lain.read_structure(structure, oxi_check=False)
    with warnings.catch_warnings():
        # BVlain's Coulomb term divides by zero at grid points that sit on an anion.
        warnings.simplefilter("ignore", RuntimeWarning)
        grid = lain.bvse_distribution(
            mobile_ion="Li1+", resolution=resolution, use_softbv_covalent_radii=True
        )
    energies = lain.percolation_barriers()
    barriers = np.array([energies["E_1D"], energies["E_2D"], energies["E_3D"]])
    return barriers, grid[:-1, :-1, :-1]


def _barriers(result) -> np.ndarray:
    return np.array(
        [result.barrier_1d_eV.value, result.barrier_2d_eV.value, result.barrier_3d_eV.value]
    )


def _li6mgs4() -> Structure:
    """Li2S cell with one Li -> Mg2+ and one Li vacancy: an immobile cation (Coulomb term)."""
    cell = antifluorite(0.0, a=A_ICSD)
    li = [i for i, site in enumerate(cell) if site.specie.symbol == "Li"]
    cell.replace(li[0], "Mg2+")
    cell.remove_sites([li[-1]])
    return cell


def _layered_li5ns() -> Structure:
    """Ordered Li2.5N0.5S0.5 in the conventional cell: N and S on alternating (001) planes."""
    return enumerate_orderings(antifluorite(0.5, a=A_LNS), supercell=(1, 1, 1), n=1)[0]


# Built lazily (inside the tests) so that collection stays fast.
STRUCTURES = {
    "Li2S": lambda: antifluorite(0.0, a=A_ICSD),
    "Li2S-small": lambda: antifluorite(0.0, a=A_ALT),
    "Li2.5N0.5S0.5-disordered": lambda: antifluorite(0.5, a=A_LNS),
    "Li5NS-layered": _layered_li5ns,
    "Li9NS3-2x1x1": lambda: enumerate_orderings(
        antifluorite(0.25, a=5.6), supercell=(2, 1, 1), n=1
    )[0],
    "Li6MgS4": _li6mgs4,
}


@pytest.fixture(scope="module")
def li2s_results():
    return {
        a: percolation_barriers(antifluorite(0.0, a=a), resolution_angstrom=0.15)
        for a in (A_ICSD, A_ALT)
    }


def test_li2s_barrier_rises_when_the_cell_shrinks(li2s_results):
    wide, narrow = li2s_results[A_ICSD], li2s_results[A_ALT]
    # Paper trend: 0.254 -> 0.400 eV; softBV gives 0.327 -> 0.515 eV at 0.1 Å.
    assert narrow.barrier_3d_eV.value - wide.barrier_3d_eV.value > 0.12
    assert wide.barrier_3d_eV.value == pytest.approx(0.327, abs=0.01)
    assert narrow.barrier_3d_eV.value == pytest.approx(0.515, abs=0.01)
    # Cubic: the one channel family percolates in 1, 2 and 3 directions at once.
    assert wide.barrier_1d_eV.value == pytest.approx(wide.barrier_3d_eV.value, abs=1e-9)
    assert 0 < wide.barrier_3d_eV.error < 0.02
    assert wide.barrier_3d_eV.error_kind == "resolution"


def test_paper_convention_reproduces_the_li2s_values():
    for a, key in ((A_ICSD, "bvse_barrier_Li2S_a5.719_eV"), (A_ALT, "bvse_barrier_Li2S_a5.554_eV")):
        result = percolation_barriers(
            antifluorite(0.0, a=a), resolution_angstrom=0.2, convention="paper"
        )
        # 0.2 Å grid: within 0.015 eV of the 0.1 Å values 0.254 / 0.400 eV.
        assert result.barrier_3d_eV.value == pytest.approx(
            paper_value("transport_computed", key), abs=0.02
        )


def test_li2s_sites_are_the_4b_void_and_the_8c_site(li2s_results):
    sites = find_sites(li2s_results[A_ICSD].landscape)
    by_energy = {round(s["energy_eV"], 2) for s in sites}
    assert min(by_energy) == 0.0
    eight_c = [s for s in sites if np.allclose(np.mod(s["frac_coords"], 0.5), 0.25, atol=0.01)]
    four_b = [s for s in sites if np.allclose(np.mod(s["frac_coords"], 0.5), 0.0, atol=0.01)]
    assert len(eight_c) == 8 and len(four_b) == 4
    # As BVlain reports: the empty octahedral void lies 0.12 eV below the Li site.
    assert eight_c[0]["energy_eV"] == pytest.approx(0.12, abs=0.01)
    assert four_b[0]["energy_eV"] == pytest.approx(0.0, abs=1e-6)


def test_occupied_site_is_the_8c_site_not_the_empty_4b_void(li2s_results):
    """The barriers start at the global minimum (the empty 4b void in Li2S); the occupied
    site energy is where the structure's own Li sit: 8c, 0.12 eV higher (as find_sites)."""
    result = li2s_results[A_ICSD]
    assert result.occupied_site_eV == pytest.approx(0.12, abs=0.01)
    assert occupied_site_energy(result.landscape) == result.occupied_site_eV
    assert BVSEResult.from_dict(result.as_dict()).occupied_site_eV == result.occupied_site_eV


def test_occupied_site_descends_into_its_minimum():
    """A Li position off the BVSE minimum (a Fourier-peak position, a rounded coordinate) is
    read at the minimum it belongs to, not at its own, higher, grid energy."""
    cell = antifluorite(0.0, a=A_ICSD)
    shifted = cell.copy()
    li = next(i for i, site in enumerate(cell) if site.specie.symbol == "Li")
    shifted.translate_sites([li], [0.04, 0.03, -0.05])  # ~0.4 Å off 8c
    on_site = percolation_barriers(cell, resolution_angstrom=0.3)
    off_site = percolation_barriers(shifted, resolution_angstrom=0.3)
    # the landscape ignores Li, so it is the same grid; only the start point moved
    np.testing.assert_allclose(on_site.landscape.energy_eV, off_site.landscape.energy_eV)
    raw = off_site.landscape.energy_at([shifted[li].frac_coords])[0]
    assert raw - off_site.landscape.energy_eV.min() > on_site.occupied_site_eV + 0.05
    assert off_site.occupied_site_eV == pytest.approx(on_site.occupied_site_eV, abs=1e-9)


def test_occupied_site_is_zero_where_li_sits_at_the_global_minimum():
    rock_salt = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.13), ["Li+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    result = percolation_barriers(rock_salt, resolution_angstrom=0.3)
    assert result.occupied_site_eV == pytest.approx(0.0, abs=1e-9)
    no_li = Structure(Lattice.cubic(5.0), ["Na+", "Cl-"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert percolation_barriers(no_li, resolution_angstrom=0.4).occupied_site_eV is None


@pytest.mark.parametrize("name", ["Li2S", "Li5NS-layered", "Li6MgS4"])
def test_agrees_with_bvlain_under_the_same_parameters(name):
    structure = STRUCTURES[name]()
    theirs, their_grid = _bvlain(structure, 0.2)
    # Same energy function: our landscape interpolated onto BVlain's grid points.
    landscape = bvse_landscape(structure, resolution_angstrom=0.15)
    frac = np.stack(
        np.meshgrid(*[np.arange(n) / n for n in their_grid.shape], indexing="ij"), axis=-1
    )
    ours_there = landscape.energy_at(frac.reshape(-1, 3)).reshape(their_grid.shape)
    low = their_grid < their_grid.min() + 1.0
    np.testing.assert_allclose(ours_there[low], their_grid[low], atol=0.005)
    # Same percolation answer on the same grid; BVlain bisects to 0.01 eV above it.
    ours = np.array(percolation_thresholds(their_grid)) - their_grid.min()
    assert np.all(theirs - ours > -0.002) and np.all(theirs - ours < 0.012)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Li2S", "Li5NS-layered", "Li6MgS4"])
def test_barriers_agree_with_bvlain_at_fine_resolution(name):
    structure = STRUCTURES[name]()
    # Each code on its own 0.1 Å grid: grid placement moves a sharp saddle by ~0.01 eV.
    theirs, _ = _bvlain(structure, 0.1)
    ours = _barriers(percolation_barriers(structure, resolution_angstrom=0.1))
    np.testing.assert_allclose(ours, theirs, atol=0.02)


@pytest.mark.parametrize(
    "name",
    ["Li2S-small", "Li2.5N0.5S0.5-disordered", "Li5NS-layered", "Li9NS3-2x1x1", "Li6MgS4"],
)
def test_percolation_barriers_are_ordered_by_dimension(name):
    result = percolation_barriers(STRUCTURES[name](), resolution_angstrom=0.3)
    b = _barriers(result)
    assert np.all(np.isfinite(b))
    assert b[0] <= b[1] <= b[2]


def test_layered_n_s_ordering_is_read_from_the_structure():
    # N and S on alternating (001) planes: Li runs easily within the planes and must
    # cross the other layer for 3D transport, unlike in Li2S or the averaged cell.
    layered = _layered_li5ns()
    b = _barriers(percolation_barriers(layered, resolution_angstrom=0.2))
    assert b[2] - b[1] > 0.3
    averaged = _barriers(percolation_barriers(antifluorite(0.5, a=A_LNS), resolution_angstrom=0.2))
    assert averaged[2] - averaged[0] < 1e-9


def test_supercell_and_primitive_cell_give_the_same_barriers():
    cell = antifluorite(0.0, a=A_ICSD)
    base = percolation_barriers(cell, resolution_angstrom=0.3).barrier_3d_eV.value
    supercell = percolation_barriers(cell * (2, 1, 1), resolution_angstrom=0.3).barrier_3d_eV
    assert supercell.value == pytest.approx(base, abs=0.01)
    # Rhombohedral primitive cell (60° angles): same crystal, sheared grid, which
    # samples the saddle more coarsely (0.356 / 0.338 / 0.332 eV at 0.2 / 0.12 / 0.08 Å).
    primitive = cell.get_primitive_structure()
    assert len(primitive) == 3
    oblique = percolation_barriers(primitive, resolution_angstrom=0.12).barrier_3d_eV
    assert oblique.value == pytest.approx(0.327, abs=0.015)
    assert abs(oblique.value - 0.327) < 3 * oblique.error


def test_wrap_rank_counts_independent_periodic_directions():
    mask = np.zeros((8, 8, 8), dtype=bool)
    assert _wrap_rank(mask) == 0
    mask[2, 2, 2:5] = True  # an isolated segment does not wrap
    assert _wrap_rank(mask) == 0
    diagonal = np.zeros_like(mask)
    for i in range(8):  # a [110] line wraps once, through the corner
        diagonal[i, i, 3] = True
    assert _wrap_rank(diagonal) == 1
    plane = np.zeros_like(mask)
    plane[:, :, 4] = True
    assert _wrap_rank(plane) == 2
    assert _wrap_rank(plane | diagonal) == 2
    plane[5, 5, :] = True
    assert _wrap_rank(plane) == 3


def test_named_path_matches_percolation_in_li2s(li2s_results):
    landscape = li2s_results[A_ICSD].landscape
    structure = landscape.structure
    path = minimum_energy_path(landscape, antifluorite_hop(structure, "8c-4b-8c"), "8c-4b-8c")
    barrier = path.barrier_eV
    assert barrier.value == pytest.approx(li2s_results[A_ICSD].barrier_1d_eV.value, abs=0.01)
    # The hop starts at 8c, 0.12 eV above the 4b void it passes through.
    assert path.barrier_from_start_eV.value == pytest.approx(barrier.value - 0.12, abs=0.01)
    assert path.energy_eV.min() == pytest.approx(0.0, abs=0.005)
    assert barrier.error < 0.005 and barrier.error_kind == "resolution"
    again = PathProfile.from_dict(json.loads(json.dumps(path.as_dict())))
    assert again.barrier_eV == barrier
    np.testing.assert_array_equal(again.frac_coords, path.frac_coords)


def test_named_hop_follows_the_cell_origin_and_size():
    cell = antifluorite(0.0, a=A_ICSD)
    shifted = cell.copy()
    shifted.translate_sites(range(len(shifted)), [0.1, 0.0, 0.0])
    start, via, _ = antifluorite_hop(shifted, "8c-4b-8c")
    np.testing.assert_allclose(via - start, [0.25, 0.25, 0.25], atol=1e-9)
    big = antifluorite_hop(cell * (2, 2, 2), "8c-24e-8c")
    np.testing.assert_allclose(big[0], [0.125, 0.125, 0.125], atol=1e-9)
    # the site-averaged cell (N/S sharing 4a, partial 24e Li) has the same waypoints
    averaged = antifluorite(0.5, a=A_ICSD)
    np.testing.assert_allclose(
        antifluorite_hop(averaged, "8c-4b-8c"), antifluorite_hop(cell, "8c-4b-8c"), atol=1e-9
    )


def test_cube_and_chgcar_hold_the_landscape(tmp_path, li2s_results):
    from ase.io.cube import read_cube_data
    from pymatgen.io.vasp import Chgcar

    landscape = li2s_results[A_ICSD].landscape
    data, atoms = read_cube_data(str(write_cube(landscape, tmp_path / "li2s.cube")))
    np.testing.assert_allclose(data, landscape.relative_eV, rtol=1e-5, atol=1e-5)
    assert len(atoms) == 12
    chgcar = Chgcar.from_file(str(write_chgcar(landscape, tmp_path / "CHGCAR")))
    np.testing.assert_allclose(
        chgcar.data["total"] / chgcar.structure.volume, landscape.relative_eV, atol=1e-3
    )


def test_bad_input_gives_clear_errors():
    cell = antifluorite(0.0, a=A_ICSD)
    with pytest.raises(ValueError, match="resolution_angstrom"):
        bvse_landscape(cell, resolution_angstrom=0.0)
    with pytest.raises(ValueError, match="convention"):
        bvse_landscape(cell, convention="nope")
    with pytest.raises(ValueError, match="not an element"):
        bvse_landscape(cell, mobile="Xx")
    li3p = Structure(
        Lattice.cubic(5.0),
        ["Li+", "Li+", "Li+", "P3-"],
        [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0.25, 0.25, 0.25]],
    )
    with pytest.raises(BVSEParameterError, match="Li\\+1-P-3"):
        bvse_landscape(li3p)
    broken = cell.copy()
    broken._sites[0]._frac_coords = np.array([np.nan, 0.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        bvse_landscape(broken)
    with pytest.raises(ValueError, match="hop"):
        antifluorite_hop(cell, "8c-8c")


def test_cli_writes_json_cube_and_figure(tmp_path):
    cif = tmp_path / "Li2S.cif"
    antifluorite(0.0, a=A_ICSD).to(filename=str(cif))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["bvse", str(cif), "--resolution", "0.3", "--hop", "8c-4b-8c", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "3D percolation barrier" in result.output
    payload = json.loads((out / "bvse.json").read_text())
    assert payload["barrier_3d_eV"]["value"] == pytest.approx(0.33, abs=0.03)
    assert payload["paths"][0]["hop"] == "8c-4b-8c"
    assert (out / "bvse.cube").stat().st_size > 0 and (out / "bvse.png").stat().st_size > 0


def test_cli_reports_bad_input_cleanly(tmp_path):
    missing = CliRunner().invoke(app, ["bvse", str(tmp_path / "none.cif")])
    assert missing.exit_code == 1 and "none.cif" in missing.output
    cif = tmp_path / "Li2S.cif"
    antifluorite(0.0, a=A_ICSD).to(filename=str(cif))
    bad = CliRunner().invoke(app, ["bvse", str(cif), "--resolution", "-1"])
    assert bad.exit_code == 1 and "resolution" in bad.output


def test_store_makes_a_repeat_a_lookup(tmp_path):
    from sselab.store import ResultStore

    cell = antifluorite(0.0, a=A_ICSD)
    with ResultStore(tmp_path / "store.sqlite") as store:
        first = percolation_barriers(cell, resolution_angstrom=0.4, store=store)
        again = percolation_barriers(cell, resolution_angstrom=0.4, store=store)
        assert store.hits == 1 and store.misses == 1
    assert first.landscape is not None and again.landscape is None
    assert again == first  # the grid is not part of the stored result
    assert BVSEResult.from_dict(json.loads(json.dumps(first.as_dict()))) == first


def _paper_cases(resolution: float):
    """What the reproduce BVSE stage computes: the paper's cells in both conventions."""
    from sselab.pipeline.reproduce import BVSECase, BVSECases
    from sselab.transport.bvse import CONVENTIONS

    cases = []
    for system, a, x, hop in (
        ("Li2.5N0.5S0.5", A_LNS, 0.5, "8c-24e-8c"),
        ("Li2S a=5.719", A_ICSD, 0.0, "8c-4b-8c"),
        ("Li2S a=5.554", A_ALT, 0.0, "8c-4b-8c"),
    ):
        structure = antifluorite(x, a=a)
        for convention in CONVENTIONS:
            result = percolation_barriers(structure, "Li", resolution, convention)
            path = minimum_energy_path(result.landscape, antifluorite_hop(structure, hop), hop=hop)
            cases.append(
                BVSECase(
                    system, x, a, hop, convention, result.barrier_3d_eV, path.barrier_from_start_eV
                )
            )
    return BVSECases(resolution, cases)


def test_report_section_compares_both_conventions_with_the_paper():
    from sselab.report.transport import bvse_section

    section = bvse_section(_paper_cases(0.3))
    assert len(section.comparisons) == 12
    rows = {(c.quantity, c.note.split(",")[0]): c for c in section.comparisons}
    for a, paper in ((A_ICSD, 0.254), (A_ALT, 0.400)):
        quantity = f"BVSE Li2S a={a:.3f} Å, 3D percolation (eV)"
        assert rows[(quantity, "convention=paper")].sselab_value == pytest.approx(paper, abs=0.03)
        assert rows[(quantity, "convention=softbv")].sselab_value > paper + 0.05
    assert section.figures


@pytest.mark.slow
def test_paper_convention_at_fine_resolution():
    for a, paper in ((A_ICSD, 0.254), (A_ALT, 0.400)):
        result = percolation_barriers(
            antifluorite(0.0, a=a), resolution_angstrom=0.1, convention="paper"
        )
        assert result.barrier_3d_eV.value == pytest.approx(paper, abs=0.005)
