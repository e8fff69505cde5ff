"""The validation set's quick MD predictor: cell-size rule, task inputs, the full chain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from sselab.pipeline import tasks
from sselab.pipeline.screen import MDPredictor, validate
from sselab.store import ResultStore
from sselab.structures.cells import md_supercell, perpendicular_heights_angstrom


def _rocksalt_primitive() -> Structure:
    a = 4.03 / np.sqrt(2)  # LiF: fcc primitive, 2 atoms, 2.3 Å between faces
    return Structure(
        Lattice.from_parameters(a, a, a, 60, 60, 60), ["Li", "F"], [[0, 0, 0], [0.5] * 3]
    )


@pytest.mark.parametrize("height", [5.0, 7.0, 9.0])
def test_md_supercell_reaches_the_height_and_keeps_the_crystal(height: float) -> None:
    primitive = _rocksalt_primitive()
    cell = md_supercell(primitive, height)
    assert min(perpendicular_heights_angstrom(cell.lattice.matrix)) >= height
    assert cell.composition.reduced_formula == "LiF"
    assert cell.volume == pytest.approx(primitive.volume * len(cell) / 2)
    # Li-F nearest neighbour distance is the rock salt's a/2 in any supercell
    assert min(cell.get_distance(0, j) for j in range(1, len(cell))) == pytest.approx(2.015)
    # no larger than a diagonal repeat reaching the same height (the skewed cell's 2x2x2
    # repeat still has 4.7 Å heights; the shape search is what keeps the cell small)
    assert len(cell) <= 2 * 4**3


def test_md_supercell_leaves_a_big_enough_cell_alone() -> None:
    cubic = Structure(Lattice.cubic(8.0), ["Li"], [[0, 0, 0]])
    assert len(md_supercell(cubic, 7.0)) == 1


def test_md_supercell_refuses_a_height_beyond_the_cell_budget() -> None:
    with pytest.raises(ValueError, match=r"LiF.*more than 64 cells"):
        md_supercell(_rocksalt_primitive(), 40.0)


def test_min_height_is_an_md_input_only_when_set() -> None:
    order = tasks.order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
    relaxed = tasks.relax_tasks(order, tasks.RelaxSettings())
    plain = tasks.md_tasks("Li", relaxed, tasks.MDProfile((700.0,)), "chgnet")[0]
    grown = tasks.md_tasks(
        "Li", relaxed, tasks.MDProfile((700.0,), min_height_angstrom=7.0), "chgnet"
    )[0]
    # results stored before the rule existed keep their keys
    assert "min_height_angstrom" not in plain.inputs
    assert grown.inputs["min_height_angstrom"] == 7.0 and grown.key != plain.key


def test_md_predictor_refuses_a_lag_the_analysis_has_no_msd_for() -> None:
    with pytest.raises(ValueError, match=r"lag_ps = 0\.8"):
        MDPredictor(time_ps=1.6, n_blocks=3, lag_ps=0.8)


@pytest.mark.slow
def test_md_predictor_runs_through_the_screen_tasks_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CHGNet, three small compounds, 0.4 ps: the chain works and is read back from the store."""
    import sselab.structures.conductors as conductors

    full = conductors.validation_set()
    picked = [c for c in full if c.name in ("LiCl", "alpha-Li3N", "Li2S")]
    monkeypatch.setattr(conductors, "validation_set", lambda: picked)
    # 0.4 ps: the analysis needs >= 3 blocks of >= 6 frames (0.3 ps holds 16 frames)
    md = MDPredictor(time_ps=0.4, equilibration_ps=0.05, lag_ps=0.1, max_relax_steps=5)
    with ResultStore(tmp_path / "s.sqlite") as store:
        first = validate(0.3, 100, store=store, md=md, work_dir=tmp_path, progress=False)
        again = validate(0.3, 100, store=store, md=md, work_dir=tmp_path, progress=False)
    assert [r.md_failed for r in first.rows] == [None, None, None]
    for row in first.rows:
        # rattling at 700 K: a few 0.01-0.1 Å^2 per Li, far below a hop (~6 Å^2)
        msd = row.md_msd_at(700.0)
        assert msd is not None and 0.005 < msd < 2.0
        # the trajectory was read back for the fraction rule's D
        assert row.md_runs[0].D_cm2_per_s is not None, row.md_runs[0].note
    names = [s.predictor for s in first.scores]
    assert "-(MD Li MSD at 0.1 ps, 700 K)" in names
    assert [r.md_runs for r in again.rows] == [r.md_runs for r in first.rows]
    assert again.md_wall_s is not None and again.md_wall_s < first.md_wall_s


def test_cli_validate_md_passes_the_predictor_and_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from typer.testing import CliRunner

    from sselab.cli import app
    from sselab.pipeline.screen import ValidationResult

    asked = {}

    def fake_validate(**kwargs: object) -> ValidationResult:
        asked.update(kwargs)
        return ValidationResult([], [], None, None, 1e-4, 0.35, 0.3, 0, 10, 0.0, kwargs["md"], 1.0)

    screen_module = importlib.import_module("sselab.pipeline.screen")
    monkeypatch.setattr(screen_module, "validate", fake_validate)
    runner = CliRunner()
    lonely = runner.invoke(app, ["screen", "--md", "--out", str(tmp_path)])
    assert lonely.exit_code != 0 and "--md belongs to --validate" in lonely.output
    result = runner.invoke(app, ["screen", "--validate", "--md", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert isinstance(asked["md"], MDPredictor) and asked["md"].temperature_K == 700.0
    assert asked["md_temperatures_K"] is None
    assert isinstance(asked["store"], ResultStore) and asked["work_dir"] == tmp_path / "work"
    assert "MD: chgnet, 700 K, 1.6 ps after 0.4 ps" in result.output
    hot = runner.invoke(
        app, ["screen", "--validate", "--md", "--md-temperature", "1000", "--out", str(tmp_path)]
    )
    assert hot.exit_code == 0 and asked["md_temperatures_K"] == [1000.0], hot.output
    three = [arg for t in ("700", "850", "1000") for arg in ("--md-temperature", t)]
    arrhenius = runner.invoke(app, ["screen", "--validate", "--md", *three, "--out", str(tmp_path)])
    assert arrhenius.exit_code == 0 and asked["md_temperatures_K"] == [700.0, 850.0, 1000.0]
    twice = runner.invoke(app, ["screen", "--validate", "--md", *three[:2], *three[:2]])
    assert twice.exit_code != 0 and "a temperature twice" in twice.output
    cold = runner.invoke(app, ["screen", "--validate", "--md", "--md-temperature", "0"])
    assert cold.exit_code != 0 and "--md-temperature 0: must be > 0 K" in cold.output
    alone = runner.invoke(app, ["screen", "--validate", "--md-temperature", "900"])
    assert alone.exit_code != 0 and "--md-temperature belongs to --md" in alone.output
    replicate = runner.invoke(
        app, ["screen", "--validate", "--md", "--md-seed", "1", "--out", str(tmp_path)]
    )
    assert replicate.exit_code == 0 and asked["md"].seed == 1, replicate.output
    assert "; seed 1;" in replicate.output
    windows = runner.invoke(app, ["screen", "--validate", "--li-metal", "--out", str(tmp_path)])
    assert windows.exit_code == 0, windows.output
    assert asked["md"] is None and isinstance(asked["li_metal"], MDPredictor)
    lonely_windows = runner.invoke(app, ["screen", "--li-metal", "--out", str(tmp_path)])
    assert lonely_windows.exit_code != 0 and "--li-metal belongs to --validate" in (
        lonely_windows.output
    )
    # 0 is the default seed, but given without --md it is still a mistake worth naming
    for seed in ("1", "0"):
        seed_alone = runner.invoke(app, ["screen", "--validate", "--md-seed", seed])
        assert seed_alone.exit_code != 0 and "--md-seed belongs to --md or" in seed_alone.output


def test_spearman_bootstrap_refuses_a_constant_predictor_by_name() -> None:
    from sselab.pipeline.screen import spearman_bootstrap

    with pytest.raises(ValueError, match="constant"):
        spearman_bootstrap([0.0, 0.0, 0.0], [-3.0, -8.0, -11.0], 100)
