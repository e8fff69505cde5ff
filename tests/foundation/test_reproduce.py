"""`sselab reproduce` end to end on a tiny profile: report content, failures, headless view."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sselab.pipeline import reproduce as reproduce_module
from sselab.pipeline.reproduce import Profile, ReproduceRun, reproduce

TINY = Profile(
    name="quick",
    lattice_xs=(0.0, 0.125, 0.25, 0.375, 0.5),  # the Vegard fit needs five points
    n_orderings=1,
    max_anions=8,
    fmax_eV_per_angstrom=0.1,
    thermo_quick=True,
    second_model=None,
    bvse_resolution_angstrom=0.3,
    md_supercell=(1, 1, 1),
    md_temperatures_K=(1000.0,),
    md_time_ps=0.1,
    md_equilibration_ps=0.02,
)


@pytest.fixture
def tiny_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(reproduce_module.PROFILES, "quick", lambda: TINY)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> ReproduceRun:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(reproduce_module.PROFILES, "quick", lambda: TINY)
        return reproduce(
            "quick", tmp_path_factory.mktemp("reproduce"), stages=["lattice", "diffraction"]
        )


def test_report_has_lattice_and_diffraction_with_paper_comparison(tiny_run: ReproduceRun) -> None:
    assert tiny_run.failed == {}
    page = tiny_run.report.read_text()
    assert "<h2>Lattice constant vs x</h2>" in page
    assert "Diffraction: simulated PXRD series and Vegard analysis" in page
    assert "Paper vs sselab" in page
    # the paper's a(0.5) = 5.458 Å is quoted next to ours
    assert "5.458" in page
    # self-contained: figures inline, nothing fetched
    assert page.count("data:image/png;base64,") >= 3
    assert not re.search(r"(src|href)=['\"]https?://", page)
    # diffraction row of x = 0.5: a and the Cu Kα1 (220) angle obey Bragg's law
    cell = r"<td>([\d.]+)</td>"
    (row,) = re.findall(rf"<tr><td>0\.5</td>{cell}{cell}{cell}</tr>", page)
    a, two_theta_220 = float(row[0]), float(row[2])
    assert 5.3 < a < 5.6
    bragg = 2 * math.degrees(math.asin(1.540593 / (2 * a / math.sqrt(8))))
    assert two_theta_220 == pytest.approx(bragg, abs=0.01)


def test_failed_stage_is_reported_and_others_still_run(tiny_profile: None, tmp_path: Path) -> None:
    run = reproduce("quick", tmp_path, stages=["diffraction"])
    assert set(run.failed) == {"diffraction"}
    assert "needs the lattice stage" in run.failed["diffraction"]
    assert "diffraction: FAILED" in run.report.read_text()
    with pytest.raises(ValueError, match="unknown stage"):
        reproduce("quick", tmp_path, stages=["nmr"])


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _headless(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium as the workplace does (no network, console to stderr)."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium_without_errors(
    tiny_run: ReproduceRun, tmp_path: Path
) -> None:
    screenshot = tmp_path / "report.png"
    uri = tiny_run.report.as_uri()
    shot = _headless(tmp_path / "p1", f"--screenshot={screenshot}", "--window-size=1200,2400", uri)
    assert screenshot.stat().st_size > 20_000, shot.stderr[-2000:]
    dom = _headless(tmp_path / "p2", "--dump-dom", uri)
    # Chromium logs every console message (errors, uncaught exceptions) as ":CONSOLE"
    for run in (shot, dom):
        assert ":CONSOLE" not in run.stderr, run.stderr[-2000:]
    assert dom.stdout.count("<img") >= 3
    assert "<h2>Provenance</h2>" in dom.stdout
