"""``sselab dft single`` end to end at a cheap setting, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sselab.cli import app
from sselab.structures import antifluorite
from sselab.structures.references import li2s


def test_dft_single_writes_json_and_repeats_from_the_store(tmp_path: Path) -> None:
    cif = tmp_path / "li2s.cif"
    li2s().get_primitive_structure().to(filename=str(cif))
    args = ["dft", "single", str(cif), "--cutoff", "300", "--kdensity", "2",
            "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ck")]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "gap" in first.output
    payload = json.loads((tmp_path / "out" / "single_li2s.json").read_text())
    assert 3.2 < payload["band_gap_eV"] < 3.6
    assert "Li2S: " in first.output  # the job's progress line: it ran
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "Li2S: " not in second.output  # a store lookup
    assert second.output.splitlines()[-2:] == first.output.splitlines()[-2:]


def test_dft_refuses_disordered_and_unknown_cell(tmp_path: Path) -> None:
    cif = tmp_path / "disordered.cif"
    antifluorite(0.5).to(filename=str(cif))
    result = CliRunner().invoke(app, ["dft", "single", str(cif)])
    assert result.exit_code == 1 and "ordered" in result.output
    result = CliRunner().invoke(app, ["dft", "relax", str(cif), "--cell", "cubic"])
    assert result.exit_code == 1 and "--cell" in result.output


def test_dft_scf_failure_and_bad_functional_are_one_line(tmp_path: Path, monkeypatch) -> None:
    from gpaw import KohnShamConvergenceError

    import sselab.dft

    def no_convergence(*args: object, **kwargs: object) -> None:
        raise KohnShamConvergenceError("Did not converge!")

    monkeypatch.setattr(sselab.dft, "dft_single_point", no_convergence)
    cif = tmp_path / "li2s.cif"
    li2s().get_primitive_structure().to(filename=str(cif))
    args = ["dft", "single", str(cif), "--store", str(tmp_path / "s.sqlite")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "did not converge" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["dft", "dos", str(cif), "--xc", "HSE07"])
    assert result.exit_code == 1 and "--xc HSE07" in result.output
