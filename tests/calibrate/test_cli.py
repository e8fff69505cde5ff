"""``sselab calibrate`` refuses bad input with one line naming the option, before any DFT."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sselab.cli import app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--system", "Na-P-S"], "--system Na-P-S: known systems are Li-N-S"),
        (["--budget", "0"], "--budget 0"),
        (["--models", "mace"], "--models mace: fine-tuning exists for chgnet, sevennet"),
        (["--test-trajectory", "missing.traj"], "--test-trajectory missing.traj: no such file"),
        (["--learning-rate", "5"], "--learning-rate 5.0: must lie in (0, 1)"),
        (["--workers", "0"], "--workers 0: run at least one labelling process"),
        (["--frozen-blocks", "5"], "--frozen-blocks 5: must lie in 0..4 (chgnet has 4, "),
        (["--models", "sevennet", "--frozen-blocks", "-1"], "--frozen-blocks -1: must lie in 0..5"),
    ],
)
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["calibrate", *args, "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_trajectory_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "relax.traj"
    bad.write_text("not a trajectory")
    result = CliRunner().invoke(app, ["calibrate", "--test-trajectory", str(bad)])
    assert result.exit_code == 1
    assert f"--test-trajectory {bad}: not a readable ASE trajectory" in result.output


def test_an_unknown_sampling_model_is_named_before_any_dft(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["calibrate", "--sampling-model", "nosuchmodel", "--store", str(tmp_path / "s.db"),
         "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "nosuchmodel" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "labels.extxyz").exists()
