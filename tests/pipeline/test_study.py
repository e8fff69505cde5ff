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
    # the full Li-N-S hull/window exists only where sselab has every reference phase
    assert {n.split(":")[0] for n in plan.notes} <= {"window", "bvse"}
    assert all(("window" in t) == n.startswith("Li2S-") for n, t in plan.tasks.items())
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
