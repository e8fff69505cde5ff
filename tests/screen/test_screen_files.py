"""Screening structure files end to end: ordered supercells relaxed, Li-metal stability
where sselab has the reference phases, "unknown" (never a guess) where it has not."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure

from sselab.pipeline.screen import ScreenResult, screen
from sselab.pipeline.study import parse_study
from sselab.store import ResultStore
from sselab.structures import antifluorite


def _screen(folder: Path, stages: list[str]) -> ScreenResult:
    antifluorite(0.5, a=5.458).to(filename=str(folder / "LNS.cif"))
    Structure(Lattice.cubic(4.6), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(
        filename=str(folder / "LiCl.cif")
    )
    # Se: no reference phase shipped, so its Li-metal stability stays unknown
    Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(6.0), ["Se", "Li"], [[0, 0, 0], [0.25, 0.25, 0.25]]
    ).to(filename=str(folder / "Li2Se.cif"))
    study = parse_study(
        {
            "name": "files",
            "stages": stages,
            "relax": {"fmax_eV_per_angstrom": 0.1, "max_steps": 3},
            "bvse": {"resolution_angstrom": 0.4},
            "ordering": {"n_orderings": 2, "n_candidates": 4},
            "structures": [
                {"path": str(folder / name)} for name in ("LNS.cif", "LiCl.cif", "Li2Se.cif")
            ],
        }
    )
    with ResultStore(folder / "store.sqlite") as store:
        return screen(study, store, work_dir=folder / "work", device="cpu", progress=False)


def test_disordered_file_is_ordered_and_relaxed(tmp_path: Path) -> None:
    """About 10 s of CPU: two 3-step CHGNet relaxations of the 7-atom Li5NS orderings."""
    rows = {r.name: r for r in _screen(tmp_path, ["relax", "bvse"]).rows}
    lns = rows["LNS"]
    assert lns.notes == ""
    assert lns.n_atoms == 7  # Li5NS: smallest supercell with integer N/S and extra Li
    assert lns.occupancy_error == 0.0
    assert lns.oxidation_states == "Li+1 N-3 S-2 (file)"
    assert lns.barrier_3d_eV is not None and lns.dimensionality == 3
    assert lns.li_metal_stability == "unknown (needs the relax and window stages)"
    assert rows["LiCl"].n_atoms == 2  # ordered file: its primitive cell


@pytest.mark.slow
def test_window_where_reference_phases_exist_unknown_elsewhere(tmp_path: Path) -> None:
    """Relaxes the eight Li-N-S reference phases and Li-Cl's three (about 60 s of CPU)."""
    screened = _screen(tmp_path, ["relax", "window", "bvse", "diffraction"])
    rows = {r.name: r for r in screened.rows}
    lns, licl, li2se = rows["LNS"], rows["LiCl"], rows["Li2Se"]
    assert lns.reduction_limit_V is not None
    assert lns.li_metal_stability.startswith(("stable", "reduced"))
    assert lns.strongest_peak_hkl is not None
    # LiCl: only Li can be reduced, and it is already Li+ (sselab.thermo.reduction_products)
    assert licl.li_metal_stability == "stable vs Li metal"
    assert licl.hull_contains == "Cl2, Li, LiCl" and licl.li_metal_products == "LiCl"
    # the library ships the reduced side only: no oxidation limit, and the row says why
    assert licl.oxidation_limit_V is None and "oxidation limit not reported" in licl.notes
    assert lns.oxidation_limit_V is not None and lns.notes == ""
    assert li2se.reduction_limit_V is None
    assert li2se.li_metal_stability == "unknown (sselab has no reference phases for these elements)"
    assert any(n.startswith("Li2Se: Li-metal stability unknown") for n in screened.notes)
    assert screened.refused == []


def test_sodium_conductor_gets_a_na_barrier(tmp_path: Path) -> None:
    """No Li in the file: Na is the mobile ion (antifluorite Na2S, a = 6.54 Å)."""
    from sselab.pipeline.study import StructureEntry, prepare_structure
    from sselab.pipeline.tasks import TaskContext, structure_bvse_stage, structure_bvse_task

    path = tmp_path / "Na2S.cif"
    Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(6.54), ["S", "Na"], [[0, 0, 0], [0.25, 0.25, 0.25]]
    ).to(filename=str(path))
    prepared = prepare_structure(StructureEntry(path=str(path)))
    assert (prepared.mobile, prepared.oxidation.label()) == ("Na", "Na+1 S-2 (guess)")
    task = structure_bvse_task(prepared.structure, prepared.mobile, 0.3)
    result = structure_bvse_stage(dict(task.inputs), {}, TaskContext(tmp_path))
    assert result.mobile == "Na"
    # Na+ in the larger Na2S cell meets a barrier of the same order as Li+ in Li2S
    assert 0.2 < result.barrier_3d_eV.value < 0.8


def test_structure_files_run_md_in_cells_grown_to_seven_angstrom(tmp_path: Path) -> None:
    """Planning only: a 2-atom LiCl primitive cell must not be the MD cell."""
    from sselab.pipeline.study import STRUCTURE_MD_MIN_HEIGHT_ANGSTROM, study_plan

    Structure(Lattice.cubic(5.13), ["Li", "Cl"] * 4, [
        [0, 0, 0], [0.5, 0, 0], [0.5, 0.5, 0], [0, 0.5, 0],
        [0.5, 0, 0.5], [0, 0, 0.5], [0, 0.5, 0.5], [0.5, 0.5, 0.5],
    ]).to(filename=str(tmp_path / "LiCl.cif"))  # fmt: skip
    data = {
        "name": "md",
        "stages": ["md"],
        "md": {"temperatures_K": [700.0]},
        "structures": [{"path": str(tmp_path / "LiCl.cif")}],
    }
    md_task = study_plan(parse_study(data)).tasks["LiCl"]["md"][0]
    assert md_task.inputs["min_height_angstrom"] == STRUCTURE_MD_MIN_HEIGHT_ANGSTROM == 7.0
    data["md"]["min_height_angstrom"] = 10.0
    assert study_plan(parse_study(data)).tasks["LiCl"]["md"][0].inputs["min_height_angstrom"] == 10
