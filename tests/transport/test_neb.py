"""CI-NEB: a known EMT barrier, exact resume, caching, antifluorite hop geometry, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ase import Atoms
from ase.build import add_adsorbate, fcc100
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.io import read
from pymatgen.core import Lattice, Structure
from typer.testing import CliRunner

from sselab.cli import app
from sselab.reference import paper_value
from sselab.store import ResultStore
from sselab.structures import antifluorite, enumerate_orderings
from sselab.structures.cells import pseudo_cubic_a
from sselab.transport.antifluorite_sites import (
    HopEndpoints,
    hop_endpoints,
    octahedral_voids,
    tetrahedral_ions,
)
from sselab.transport.neb import (
    EndpointError,
    NEBResult,
    NEBSettings,
    hop_barrier,
    profile_figure,
    run_neb,
    write_images,
)

from .synthetic import CrashingEMT

# ASE tutorial "Surface diffusion energy barriers using the NEB method": Au on Al(100),
# hollow -> hollow over the bridge with EMT; its band plot reads 0.37 eV. A plain ASE
# run of the tutorial (3 images, CI, BFGS to 0.01 eV/Å) gives 0.3740 eV.
AU_AL100_TUTORIAL_BARRIER_EV = 0.37
AU_AL100_ASE_BARRIER_EV = 0.3740


def au_on_al100() -> tuple[Atoms, Atoms]:
    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.set_constraint(FixAtoms(mask=slab.get_tags() > 1))
    hopped = slab.copy()
    hopped[-1].x += slab.cell[0, 0] / 2
    return slab, hopped


SETTINGS = NEBSettings(n_images=3, fmax=0.01)


def test_emt_adatom_hop_recovers_ase_tutorial_barrier(tmp_path: Path) -> None:
    initial, final = au_on_al100()
    result = run_neb(initial, final, EMT(), SETTINGS, progress=False)
    assert result.converged
    barrier = result.barrier_eV
    assert barrier.value == pytest.approx(AU_AL100_ASE_BARRIER_EV, abs=0.003)
    assert barrier.value == pytest.approx(AU_AL100_TUTORIAL_BARRIER_EV, abs=0.01)
    assert barrier.error is not None and barrier.error < 0.005
    assert (barrier.unit, barrier.error_kind) == ("eV", "resolution")
    assert result.reverse_barrier_eV.value == pytest.approx(
        barrier.value - result.reaction_energy_eV
    )
    # hollow -> hollow is symmetric: no reaction energy, saddle (bridge) in the middle
    assert abs(result.reaction_energy_eV) < 0.002
    assert result.saddle_image == 2
    energies = result.image_energies_eV
    assert energies[1] == pytest.approx(energies[3], abs=0.01)
    # the climbing image sits on the bridge, a quarter cell from the start (the hop is half
    # a cell, so the minimum image may take it either way)
    au_start, au_saddle = result.images[0].positions[-1], result.images[2].positions[-1]
    assert abs(au_saddle[0] - au_start[0]) == pytest.approx(initial.cell[0, 0] / 4, abs=0.02)

    path = write_images(result, tmp_path / "band.extxyz")
    band = read(path, index=":")
    assert len(band) == 5
    assert band[2].get_potential_energy() - band[0].get_potential_energy() == pytest.approx(
        energies[2], abs=1e-9
    )
    fig = profile_figure(result, reference_eV=AU_AL100_TUTORIAL_BARRIER_EV)
    assert f"{barrier.value:.3f}" in fig.axes[0].get_title()

    # the JSON form round-trips, images with their frozen energies and forces
    again = NEBResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert again.barrier_eV == barrier and again.image_energies_eV == energies
    assert again.images[2].get_potential_energy() == result.images[2].get_potential_energy()
    np.testing.assert_array_equal(again.images[2].get_forces(), result.images[2].get_forces())


# Calculator calls: FIRE ~335 for the two endpoints + 3 per NEB step (48 steps); BFGS ~160
# + 3 per step (23 steps). The crash lands in the middle of the band optimisation.
@pytest.mark.parametrize(("optimizer", "crash_after"), [("FIRE", 420), ("BFGS", 200)])
def test_resumed_neb_equals_uninterrupted(tmp_path: Path, optimizer: str, crash_after: int) -> None:
    initial, final = au_on_al100()
    settings = replace(SETTINGS, optimizer=optimizer, checkpoint_interval_steps=4)
    reference = run_neb(
        initial, final, EMT(), settings, checkpoint_dir=tmp_path / "ref", progress=False
    )
    with pytest.raises(KeyboardInterrupt):
        run_neb(
            initial,
            final,
            CrashingEMT(crash_after),
            settings,
            checkpoint_dir=tmp_path / "cut",
            progress=False,
        )
    (checkpoint,) = (tmp_path / "cut").glob("neb-*.ckpt.npz")
    assert 0 < int(np.load(checkpoint)["nsteps"]) < reference.n_steps
    resumed = run_neb(
        initial, final, EMT(), settings, checkpoint_dir=tmp_path / "cut", progress=False
    )
    assert resumed.n_steps == reference.n_steps
    for a, b in zip(resumed.images, reference.images, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)
    assert resumed.barrier_eV == reference.barrier_eV


def test_relaxed_endpoint_survives_a_kill(tmp_path: Path) -> None:
    """Killed while relaxing the final state: the rerun reads the relaxed initial state."""
    initial, final = au_on_al100()
    reference = run_neb(initial, final, EMT(), SETTINGS, progress=False)
    # each endpoint takes 22 EMT calls, the whole run 482: die inside the final state
    with pytest.raises(KeyboardInterrupt):
        run_neb(initial, final, CrashingEMT(30), SETTINGS, checkpoint_dir=tmp_path,
                progress=False)  # fmt: skip
    assert [p.name.split(".")[-2] for p in tmp_path.glob("neb-*.npz")] == ["initial"]
    counting = CrashingEMT(10**6)
    resumed = run_neb(initial, final, counting, SETTINGS, checkpoint_dir=tmp_path,
                      progress=False)  # fmt: skip
    assert 10**6 - counting.remaining == 482 - 22  # the initial state is not relaxed again
    for a, b in zip(resumed.images, reference.images, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)
    assert resumed.barrier_eV == reference.barrier_eV


def test_finished_neb_is_a_store_lookup(store: Any) -> None:
    initial, final = au_on_al100()
    first = run_neb(initial, final, EMT(), SETTINGS, store=store, progress=False)
    again = run_neb(initial, final, EMT(), SETTINGS, store=store, progress=False)
    assert (store.misses, store.hits) == (1, 1)
    assert again.barrier_eV == first.barrier_eV
    np.testing.assert_allclose(again.images[2].positions, first.images[2].positions)


def test_bad_endpoints_and_arguments_are_named() -> None:
    initial, final = au_on_al100()
    with pytest.raises(EndpointError, match="atoms"):
        run_neb(initial, final[:-1], EMT(), SETTINGS, progress=False)
    with pytest.raises(EndpointError, match="same minimum"):
        run_neb(initial, initial.copy(), EMT(), SETTINGS, progress=False)
    with pytest.raises(ValueError, match="n_images"):
        NEBSettings(n_images=0)
    with pytest.raises(ValueError, match="optimizer"):
        NEBSettings(optimizer="LBFGS-B")
    with pytest.raises(ValueError, match="fmax"):
        NEBSettings(fmax=float("nan"))
    broken = final.copy()
    broken.positions[0, 0] = np.nan
    with pytest.raises(EndpointError, match="non-finite"):
        run_neb(initial, broken, EMT(), SETTINGS, progress=False)


@pytest.mark.parametrize("x", [0.0, 0.5])
def test_hop_geometry_follows_the_anion_sublattice(x: float) -> None:
    cell = enumerate_orderings(antifluorite(x), supercell=(2, 2, 2), n=1)[0]
    a = pseudo_cubic_a(cell)
    assert a == pytest.approx(cell.lattice.a / 2, rel=1e-9)
    voids, empty = octahedral_voids(cell)
    n_anions = 32
    assert len(voids) == n_anions
    # the 4x extra Li per conventional cell (16 here) each fill one void
    assert int((~empty).sum()) == round(4 * x * 8)
    assert len(tetrahedral_ions(cell)) == 64
    vacancy = hop_endpoints(cell, "vac-8c-8c", supercell=(1, 1, 1))
    assert vacancy.hop_distance_angstrom == pytest.approx(a / 2, rel=1e-6)
    assert len(vacancy.initial) == len(cell) - 1
    frenkel = hop_endpoints(cell, "8c-24e", supercell=(1, 1, 1))
    assert frenkel.hop_distance_angstrom == pytest.approx(np.sqrt(3) / 4 * a, rel=1e-6)
    # the anion ordering is the input's, untouched
    for ends in (vacancy, frenkel):
        assert ends.initial.composition.element_composition["N"] == round(32 * x)
        moved = ends.final.frac_coords[ends.moving_index]
        assert np.allclose(moved, ends.end_frac)
    reverse = hop_endpoints(cell, "24e-8c", supercell=(1, 1, 1))
    assert reverse.initial == frenkel.final
    assert reverse.final == frenkel.initial
    again = HopEndpoints.from_dict(json.loads(json.dumps(reverse.as_dict())))
    assert again == reverse


def test_sites_survive_relaxation_sized_distortions() -> None:
    """Random 0.3 Å displacements, like a relaxed N/S-ordered cell, keep the site count."""
    ideal = enumerate_orderings(antifluorite(0.5), supercell=(2, 2, 2), n=1)[0]
    shifts = np.random.default_rng(3).normal(0, 0.3 / 3**0.5, (len(ideal), 3))
    cell = Structure(
        ideal.lattice, ideal.species, ideal.cart_coords + shifts, coords_are_cartesian=True
    )
    voids, empty = octahedral_voids(cell)
    assert (len(voids), int(empty.sum())) == (32, 16)
    assert len(tetrahedral_ions(cell)) == 64
    a = pseudo_cubic_a(cell)
    frenkel = hop_endpoints(cell, "8c-24e", supercell=(1, 1, 1))
    assert frenkel.hop_distance_angstrom == pytest.approx(np.sqrt(3) / 4 * a, abs=0.3)
    vacancy = hop_endpoints(cell, "vac-8c-8c", supercell=(1, 1, 1))
    assert vacancy.hop_distance_angstrom == pytest.approx(a / 2, abs=0.3)


def test_sites_found_in_any_cell_setting() -> None:
    """Li2O (a = 4.61 Å) given as its 3-atom rhombohedral primitive cell, 2x2x2."""
    li2o = antifluorite(0.0, anions=("O", "N")).get_primitive_structure()
    assert len(li2o) == 3
    ends = hop_endpoints(li2o, "vac-8c-8c", supercell=(2, 2, 2))
    assert len(ends.initial) == 23
    assert ends.anion_lattice_angstrom == pytest.approx(4.61, abs=1e-6)
    assert ends.hop_distance_angstrom == pytest.approx(4.61 / 2, rel=1e-6)
    voids, empty = octahedral_voids(ends.initial)
    assert len(voids) == 8 and empty.all()


def test_non_antifluorite_cells_are_rejected() -> None:
    rocksalt = Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.13), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )
    with pytest.raises(ValueError, match="tetrahedral"):
        hop_endpoints(rocksalt, "vac-8c-8c", supercell=(1, 1, 1))
    lithium = Structure(Lattice.cubic(3.44), ["Li", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(ValueError, match="no anions"):
        hop_endpoints(lithium, "vac-8c-8c", supercell=(1, 1, 1))
    with pytest.raises(ValueError, match="hop"):
        hop_endpoints(antifluorite(0.0), "8c-4b", supercell=(1, 1, 1))


@pytest.fixture(scope="module")
def li2s_cli_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`sselab neb` on conventional Li2S with one neutral vacancy (11 atoms), CHGNet, 3 images."""
    tmp = tmp_path_factory.mktemp("neb_cli")
    poscar = tmp / "POSCAR"  # keeps the site order, so the report section hits the same key
    antifluorite(0.0).to(filename=str(poscar))
    args = ["neb", str(poscar), "--hop", "vac-8c-8c", "--supercell", "1", "1", "1"]
    args += ["--images", "3", "--fmax", "0.1", "--store", str(tmp / "s.sqlite")]
    args += ["--out", str(tmp / "neb"), "--device", "cpu"]
    result = CliRunner().invoke(app, args)
    return {"args": args, "result": result, "dir": tmp}


def test_cli_li2s_vacancy_hop_with_chgnet(li2s_cli_run: dict[str, Any]) -> None:
    result, out = li2s_cli_run["result"], li2s_cli_run["dir"] / "neb"
    assert result.exit_code == 0, result.output
    data = json.loads((out / "neb_vac-8c-8c.json").read_text())
    assert (out / "neb_vac-8c-8c.png").stat().st_size > 0
    assert len(read(out / "neb_vac-8c-8c_images.extxyz", index=":")) == 5
    assert data["paper_cineb_barrier_eV"] == paper_value("transport_computed", "cineb_barrier_eV")
    assert data["model"] == "chgnet:0.3.0"
    # a vacancy hop between equivalent 8c sites: positive barrier of a few tenths of
    # an eV (Li2S: slow conductor), symmetric profile with the saddle in the middle
    assert 0.1 < data["barrier_eV"]["value"] < 1.0
    assert data["barrier_eV"]["error"] < 0.05
    assert abs(data["reaction_energy_eV"]) < 0.02
    assert data["saddle_image"] == 2
    energies = data["image_energies_eV"]
    assert energies[1] == pytest.approx(energies[3], abs=0.02)
    assert data["n_atoms"] == 11

    again = CliRunner().invoke(app, li2s_cli_run["args"])
    assert again.exit_code == 0
    assert f"{data['barrier_eV']['value']:.3f}" in again.output


def test_report_section_rows_reuse_the_stored_neb(li2s_cli_run: dict[str, Any]) -> None:
    """The quick reproduce NEB (Li2S vacancy, 3 images, fmax 0.1) is the CLI's store row."""
    from sselab.pipeline.reproduce import NEBCase
    from sselab.report.transport import neb_section

    assert li2s_cli_run["result"].exit_code == 0
    with ResultStore(li2s_cli_run["dir"] / "s.sqlite") as store:
        quick = NEBSettings(n_images=3, fmax=0.1)
        result = hop_barrier(
            antifluorite(0.0), "vac-8c-8c", "chgnet", quick, supercell=(1, 1, 1), store=store
        )
        assert store.hits == 1 and store.misses == 0
    section = neb_section([NEBCase("Li2S", "vac-8c-8c", result)])
    data = json.loads((li2s_cli_run["dir"] / "neb" / "neb_vac-8c-8c.json").read_text())
    (row,) = section.comparisons
    assert row.sselab_value == pytest.approx(data["barrier_eV"]["value"], abs=1e-12)
    assert row.sselab_error == pytest.approx(data["barrier_eV"]["error"], abs=1e-12)
    assert row.paper_value is None  # the paper's CI-NEB is for Li2.5N0.5S0.5 only
    assert len(section.figures) == 1


def test_cli_errors_are_clean(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["neb", str(tmp_path / "nope.cif")])
    assert missing.exit_code == 1
    assert "nope.cif" in missing.output and "Traceback" not in missing.output
    cif = tmp_path / "li2s.cif"
    antifluorite(0.0).to(filename=str(cif))
    bad_hop = CliRunner().invoke(app, ["neb", str(cif), "--hop", "8c-8c"])
    assert bad_hop.exit_code == 1
    assert "vac-8c-8c" in bad_hop.output


@pytest.mark.slow
def test_li2s_adjacent_frenkel_pair_is_unstable_with_chgnet() -> None:
    """An 8c Li put in the neighbouring octahedral void of Li2S falls back (CHGNet)."""
    with pytest.raises(EndpointError, match="same minimum"):
        hop_barrier(antifluorite(0.0), "8c-24e", "chgnet", supercell=(1, 1, 1), progress=False)


@pytest.mark.slow
def test_li2s_vacancy_hop_2x2x2_with_chgnet(tmp_path: Path) -> None:
    """The paper-size cell: 95 atoms, 5 images, fmax 0.05 eV/Å (tens of minutes on CPU)."""
    result = hop_barrier(
        antifluorite(0.0), "vac-8c-8c", "chgnet", supercell=(2, 2, 2), out_dir=tmp_path
    )
    assert result.converged
    assert 0.1 < result.barrier_eV.value < 1.0
    assert abs(result.reaction_energy_eV) < 0.01
    assert result.saddle_image == 3
