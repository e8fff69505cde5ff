"""Study files: validation errors name the bad field; the CLI reports them cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sselab.cli import app
from sselab.pipeline.study import StudyError, load_study, parse_study, study_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD = {"name": "s", "candidates": [{"name": "a", "x": [0.5]}, {"name": "b", "x": [0.25]}]}


def _with(path: tuple, value: object) -> dict:
    import copy

    data = copy.deepcopy(GOOD)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("candidates", 1, "x"), [1.2], "candidates[1].x[0]: x = 1.2 must be in (0, 1)"),
        (("candidates", 1, "x"), [0.25, 0.3], "candidates[1].x[1]: x = 0.3 is not a multiple"),
        (("candidates", 0, "anions"), ["N", "S"], "candidates[0].anions: anions must be"),
        (("candidates", 0, "cation"), "K", "candidates[0].cation: Input should be 'Li' or 'Na'"),
        (("candidates", 0, "supercell"), [1, 0, 1], "candidates[0].supercell[1]: Input should be"),
        (("candidates", 0, "colour"), "red", "candidates[0].colour: unknown field"),
        (("candidates", 1, "name"), "a", "candidates[1].name: duplicate candidate name 'a'"),
        (("model",), "nonexistent", "model: unknown model 'nonexistent'"),
        (("stages",), ["relax", "neb"], "stages[1]: Input should be"),
        (("md",), {"temperatures_K": [-5, 600]}, "md.temperatures_K[0]: Input should be greater"),
        (("diffraction",), {"radiation": "CuKz"}, "diffraction"),
        (("candidates",), [], "candidates: List should have at least 1 item"),
    ],
)
def test_bad_field_is_named(path: tuple, value: object, expected: str) -> None:
    with pytest.raises(StudyError) as info:
        parse_study(_with(path, value), "study.toml")
    assert f"study.toml: {expected}" in str(info.value)


def test_transport_needs_two_temperatures() -> None:
    data = _with(("stages",), ["transport"])
    data["md"] = {"temperatures_K": [800]}
    with pytest.raises(StudyError, match=r"md\.temperatures_K: the transport stage needs"):
        parse_study(data)


def test_builtin_and_example_studies_plan_every_family() -> None:
    example = load_study(EXAMPLES / "study_antifluorites.toml")
    plan = study_plan(example)
    assert {c.cation + "-".join(c.anions) for c in plan.candidates} == {
        "LiS-N",
        "LiO-N",
        "LiSe-N",
        "NaS-N",
    }
    # the window exists only where sselab has every reference phase: Li-N-S and, with
    # sselab.thermo.reduction_products, Li-N-O; not Se or Na
    assert {n.split(":")[0] for n in plan.notes} <= {"window", "bvse"}
    assert all(("window" in t) == n.startswith(("Li2S-", "Li2O-")) for n, t in plan.tasks.items())
    seed = study_plan(load_study("seed"))
    assert [c.x for c in seed.candidates] == [0.25, 0.5, 0.75]


def test_cli_names_the_bad_field_without_traceback(tmp_path: Path) -> None:
    study = tmp_path / "bad.toml"
    study.write_text(
        'name = "bad"\n[[candidates]]\nname = "a"\nx = [0.5]\n'
        '[[candidates]]\nname = "b"\nx = [1.5]\n'
    )
    result = CliRunner().invoke(app, ["screen", str(study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "candidates[1].x[0]: x = 1.5 must be in (0, 1)" in result.output
    assert "Traceback" not in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    result = CliRunner().invoke(app, ["screen", str(broken)])
    assert result.exit_code == 1 and "not valid TOML" in result.output
    result = CliRunner().invoke(app, ["screen", str(tmp_path / "missing.toml")])
    assert result.exit_code == 1 and "no such study file" in result.output


def _structure_folder(folder: Path) -> Path:
    """Two usable files (ordered Li3N, disordered Li2.5N0.5S0.5) and two that are not."""
    from pymatgen.core import Lattice, Structure

    from sselab.structures import antifluorite

    folder.mkdir()
    Structure.from_spacegroup(
        "P6/mmm",
        Lattice.hexagonal(3.648, 3.875),
        ["N", "Li", "Li"],
        [[0, 0, 0], [0, 0, 0.5], [1 / 3, 2 / 3, 0]],
    ).to(filename=str(folder / "Li3N.cif"))
    antifluorite(0.5, a=5.458).to(filename=str(folder / "LNS.cif"))
    Structure(Lattice.cubic(4.0), ["Li", "Ne"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(
        filename=str(folder / "LiNe.cif")
    )
    (folder / "truncated.cif").write_text("data_x\n_cell_length_a 4.0\n")
    return folder


def test_structures_table_resolves_paths_and_refuses_per_file(tmp_path: Path) -> None:
    _structure_folder(tmp_path / "cifs")
    study = tmp_path / "study.toml"
    study.write_text(
        'name = "files"\nstages = ["bvse", "diffraction"]\n'
        '[[structures]]\npath = "cifs/Li3N.cif"\n'
        '[[structures]]\npath = "cifs/LNS.cif"\nname = "LNS x=0.5"\n'
        "oxidation_states = {Li = 1, N = -3, S = -2}\n"
        '[[structures]]\npath = "cifs/LiNe.cif"\n'
    )
    plan = study_plan(load_study(study))
    assert [s.name for s in plan.structures] == ["Li3N", "LNS x=0.5"]
    assert plan.structures[1].oxidation.origin == "given"
    assert sorted(plan.tasks["Li3N"]) == ["bvse", "diffraction"]
    assert len(plan.refused) == 1
    assert plan.refused[0].startswith(str(tmp_path / "cifs" / "LiNe.cif"))
    assert "element Ne" in plan.refused[0]


def test_structures_need_a_name_of_their_own() -> None:
    data = {
        "name": "s",
        "candidates": [{"name": "LNS", "x": [0.5]}],
        "structures": [{"path": "a/LNS.cif"}, {"path": "b/LNS.cif", "name": "LNS x=0.5"}],
    }
    with pytest.raises(StudyError, match=r"structures\[0\]\.name: duplicate candidate name 'LNS'"):
        parse_study(data)
    with pytest.raises(StudyError, match=r"structures\[0\]\.colour: unknown field"):
        parse_study({"name": "s", "structures": [{"path": "x.cif", "colour": "red"}]})


def test_cli_screens_a_folder_and_names_each_refused_file(tmp_path: Path) -> None:
    folder = _structure_folder(tmp_path / "cifs")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["screen", str(folder), "--resolution", "0.4", "--no-progress", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert f"refused: {folder / 'LiNe.cif'}: element Ne has no common oxidation state" in (
        result.output
    )
    assert f"refused: {folder / 'truncated.cif'}:" in result.output
    import json

    payload = json.loads((out / "screen.json").read_text())
    rows = {row["name"]: row for row in payload["rows"]}
    assert sorted(rows) == ["LNS", "Li3N"]
    assert rows["Li3N"]["rank"] == 1  # the lower BVSE barrier
    assert "below #1 on BVSE 3D barrier" in rows["LNS"]["rank_reason"]
    assert rows["LNS"]["li_metal_stability"].startswith("unknown")
    assert len(payload["refused"]) == 2


def test_user_phases_join_the_window_hull_where_their_elements_fit(tmp_path: Path) -> None:
    """A user's phase file completes a system sselab does not ship (Li-Se needs an Se
    reference) and stays out of the hulls of other systems; paths are the study's."""
    from pymatgen.core import Lattice, Structure

    folder = tmp_path / "cifs"
    folder.mkdir()
    Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(6.0), ["Se", "Li"], [[0, 0, 0], [0.25, 0.25, 0.25]]
    ).to(filename=str(folder / "Li2Se.cif"))
    Structure(Lattice.cubic(5.13), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]).to(
        filename=str(folder / "LiCl.cif")
    )
    Structure(Lattice.hexagonal(4.37, 4.96), ["Se"] * 3, [[0.22, 0, 1 / 3], [0, 0.22, 2 / 3],
              [0.78, 0.78, 0]]).to(filename=str(folder / "trigonal_Se.cif"))  # fmt: skip
    study = tmp_path / "study.toml"
    text = (
        'name = "phases"\nstages = ["relax", "window"]\n'
        '[[structures]]\npath = "cifs/Li2Se.cif"\n'
        '[[structures]]\npath = "cifs/LiCl.cif"\n'
        '[[phases]]\npath = "cifs/trigonal_Se.cif"\nname = "Se"\n'
    )
    study.write_text(text)
    plan = study_plan(load_study(study))
    li2se, licl = plan.tasks["Li2Se"]["window"], plan.tasks["LiCl"]["window"]
    assert "phase:Se (user)" in li2se.deps and "phase:Li" in li2se.deps
    assert "phase:Se (user)" not in licl.deps and "phase:Cl2" in licl.deps
    assert not any("Li-metal stability unknown" in note for note in plan.notes)

    half = Structure(Lattice.cubic(4.0), [{"Se": 0.5}], [[0, 0, 0]])
    # the API refuses it too (a study names the field first, below)
    from sselab.pipeline import tasks

    with pytest.raises(ValueError, match=r"extra phases \['Se'\]: partial occupancies"):
        tasks.window_task(["Li", "Se"], [], tasks.RelaxSettings(), extra_phases={"Se": half})
    half.to(filename=str(folder / "half.cif"))
    study.write_text(text.replace("trigonal_Se.cif", "half.cif"))
    with pytest.raises(StudyError, match=r"phases\[0\]: .*half\.cif: partial occupancies"):
        study_plan(load_study(study))
    study.write_text(text.replace('stages = ["relax", "window"]', 'stages = ["bvse"]'))
    with pytest.raises(StudyError, match=r"phases: phases join the window stage's hull"):
        load_study(study)
    twice = text + '[[phases]]\npath = "cifs/LiCl.cif"\nname = "Se"\n'
    study.write_text(twice)
    with pytest.raises(StudyError, match=r"phases\[1\]\.name: duplicate phase name 'Se'"):
        load_study(study)
