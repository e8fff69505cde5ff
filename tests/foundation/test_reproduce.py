"""`sselab reproduce` end to end on a tiny profile: tasks, typed results, report, claims."""

from __future__ import annotations

import importlib
import json
import math
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from sselab.calculators import model_label
from sselab.calibrate.finetune import FineTuneResult, FineTuneSettings
from sselab.calibrate.workflow import CalibrationResult
from sselab.estimate import Estimate
from sselab.pipeline.reproduce import Profile, ReproduceResults, reproduce
from sselab.pipeline.tasks import TaskContext
from sselab.report.claims import verdict
from sselab.report.reproduce import reproduce_claims, write_reproduce_report
from sselab.store import ResultStore

# the package attribute `reproduce` is the function; the module is reached by name
reproduce_module = importlib.import_module("sselab.pipeline.reproduce")

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


class TinyRun:
    """A tiny lattice + diffraction reproduction and its report."""

    def __init__(self, results: ReproduceResults, report: Path, store: Path) -> None:
        self.results, self.report, self.store = results, report, store


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    out = tmp_path_factory.mktemp("reproduce")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(reproduce_module.PROFILES, "quick", lambda: TINY)
        results = reproduce("quick", out, stages=["lattice", "diffraction"])
    return TinyRun(results, write_reproduce_report(results, out / "report.html"), out)


def test_report_has_claims_lattice_and_diffraction_with_paper_comparison(tiny_run: TinyRun) -> None:
    assert tiny_run.results.failed == {}
    page = tiny_run.report.read_text()
    # the claims table opens the report; each section keeps its own comparisons
    assert page.index("<h2>Claims of the paper</h2>") < page.index("<h2>Lattice constant vs x")
    assert "<h2>Paper vs sselab</h2>" not in page and "<th>paper</th>" in page
    assert "<h2>Lattice constant vs x</h2>" in page
    assert "Diffraction: simulated PXRD series and Vegard analysis" in page
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


def test_results_round_trip_and_the_rerun_is_all_cached(tiny_run: TinyRun) -> None:
    results = tiny_run.results
    again = ReproduceResults.from_dict(json.loads(json.dumps(results.as_dict())))
    assert again.lattice == results.lattice and again.profile == results.profile
    # the diffraction stage reads the lattice task: one task, computed once
    assert results.run["computed"] == {"reproduce-lattice": 1}
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(reproduce_module.PROFILES, "quick", lambda: TINY)
        rerun = reproduce("quick", tiny_run.store, stages=["diffraction"])
    assert rerun.run["computed"] == {} and rerun.run["cached"] == {"reproduce-lattice": 1}
    assert rerun.lattice == results.lattice


def test_lattice_claim_is_judged_and_unrun_stages_are_not_computed(tiny_run: TinyRun) -> None:
    claims = {c.claim: c for c in reproduce_claims(tiny_run.results)}
    lattice = claims["Lattice constant a of Li2.5N0.5S0.5"]
    half = tiny_run.results.lattice.closest(0.5)
    assert lattice.sselab == half.a_angstrom
    expected = "reproduced" if abs(half.a_angstrom.value - 5.458) <= 0.05 else "not reproduced"
    assert lattice.verdict == expected
    others = [c for name, c in claims.items() if name != lattice.claim]
    assert {c.verdict for c in others} == {"not computed"}


def test_failed_stage_is_reported_and_others_still_run(
    tiny_profile: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(inputs: dict, deps: dict, context: object) -> None:
        raise RuntimeError("phonons exploded")

    monkeypatch.setattr(reproduce_module, "thermo_stage", broken)
    results = reproduce("quick", tmp_path, stages=["bvse", "thermodynamics"])
    assert set(results.failed) == {"thermodynamics"}
    assert "phonons exploded" in results.failed["thermodynamics"]
    assert results.bvse is not None and results.thermodynamics is None
    page = write_reproduce_report(results, tmp_path / "report.html").read_text()
    assert "thermodynamics: FAILED" in page and "Bond-valence site energy barriers" in page
    claims = {c.claim: c for c in reproduce_claims(results)}
    assert claims["BVSE barrier Li2S, a = 5.719 Å"].verdict == "calibrated to the paper"
    assert claims["Metastable: E above the Li2S–Li3N tie line of Li2.5N0.5S0.5"].verdict == (
        "not computed"
    )
    with ResultStore(tmp_path / "sselab.sqlite") as store:
        assert store.keys("reproduce-thermodynamics") == set()  # nothing partial stored
    with pytest.raises(ValueError, match="unknown stage"):
        reproduce("quick", tmp_path, stages=["nmr"])


@pytest.mark.parametrize(
    ("paper", "value", "second", "options", "expected"),
    [
        # paper inside the 95 % interval of a standard error
        (0.28, Estimate.normal(0.30, 0.02, "eV"), None, {}, "reproduced"),
        # outside the interval, but within the stated tolerance
        (0.28, Estimate.normal(0.32, 0.005, "eV"), None, {"tolerance": 0.05}, "reproduced"),
        (0.28, Estimate.normal(0.45, 0.02, "eV"), None, {"tolerance": 0.05}, "not reproduced"),
        # a spread over orderings is no error bar: its interval does not count
        (17.0, Estimate.from_samples([40.0, 10.0, 90.0], best=40.0), None, {}, "not reproduced"),
        # two MLIPs: both agree / straddle the paper / one agrees / differ in sign
        (17.0, Estimate.exact(20.0), Estimate.exact(15.0), {"tolerance": 10.0}, "reproduced"),
        (17.0, Estimate.exact(40.0), Estimate.exact(2.0), {"tolerance": 10.0}, "model-dependent"),
        (17.0, Estimate.exact(21.0), Estimate.exact(45.0), {"tolerance": 10.0}, "model-dependent"),
        (17.0, Estimate.exact(50.0), Estimate.exact(60.0), {"tolerance": 10.0}, "not reproduced"),
        (0.0, Estimate.exact(-30.0), Estimate.exact(30.0), {}, "model-dependent"),
        # conductivities agree within a factor
        (8.31e-3, Estimate.exact(2e-2), None, {"tolerance_factor": 3.0}, "reproduced"),
        (8.31e-3, Estimate.exact(1e-1), None, {"tolerance_factor": 3.0}, "not reproduced"),
        # labels that override agreement
        (0.254, Estimate.exact(0.254), None, {"calibrated": True}, "calibrated to the paper"),
        (0.966, Estimate.exact(0.95), None, {"round_trip": True}, "round trip"),
        (0.38, None, None, {"calibrated": True}, "not computed"),
    ],
)
def test_verdict_rule(
    paper: float, value: Estimate | None, second: Estimate | None, options: dict, expected: str
) -> None:
    assert verdict(paper, value, second=second, **options) == expected


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
    tiny_run: TinyRun, tmp_path: Path
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


def _fake_calibrate_stage(inputs: dict, deps: dict, context: TaskContext) -> CalibrationResult:
    """Stands in for GPAW + training: writes one weights file per model family."""
    context.work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for family in inputs["models"]:
        path = context.work_dir / f"{family}-finetuned.pt"
        path.write_bytes(family.encode())
        name = f"{family}:{path}"
        results.append(
            FineTuneResult(
                base_model=model_label(family),
                model=name,
                label=model_label(name),
                settings=FineTuneSettings(),
                element_shifts_eV={},
                n_train=3,
                train_before=None,
                train_after=None,
                test_before=None,
                test_after=None,
                validation_after=None,
                test_parity_before=None,
                test_parity_after=None,
                wall_s=0.0,
                device="cpu",
                code="fake",
            )
        )
    return CalibrationResult(
        "Li-N-S", 3, "PBE", {}, {}, 0.0, results, [], context.work_dir / "labels.extxyz"
    )


def test_calibrate_stage_hands_its_weights_to_every_later_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = replace(
        TINY, name="full", second_model="sevennet", calibrate_system="Li-N-S", calibrate_budget=3
    )
    monkeypatch.setitem(reproduce_module.PROFILES, "full", lambda: full)
    monkeypatch.setattr(reproduce_module, "calibrate_stage", _fake_calibrate_stage)
    results = reproduce("full", tmp_path, stages=["calibrate"])
    assert results.failed == {} and results.skipped == {}
    assert results.model.startswith("chgnet:") and "chgnet-finetuned.pt@sha256:" in results.model
    assert results.profile.second_model is not None
    assert "sevennet-finetuned.pt" in results.profile.second_model
    # the later stages' tasks are keyed by the fine-tuned label
    assert results.calibration is not None
    fine_tuned = results.calibration.models[0].model
    tasks = reproduce_module.stage_tasks(results.profile, fine_tuned)
    assert tasks["lattice"].inputs["model"] == results.model
    again = ReproduceResults.from_dict(json.loads(json.dumps(results.as_dict(), default=str)))
    assert again.calibration is not None and again.calibration.models[0].label == results.model
    page = write_reproduce_report(results, tmp_path / "report.html").read_text()
    assert "calibrate: MLIPs fine-tuned on GPAW PBE labels" in page
    # weights gone but the calibration stored: a clear failure and the foundation models
    Path(fine_tuned.partition(":")[2]).unlink()
    rerun = reproduce("full", tmp_path, stages=["calibrate"])
    assert "chgnet-finetuned.pt are missing or changed" in rerun.failed["calibrate"]
    assert rerun.model == "chgnet:0.3.0" and rerun.run["computed"] == {}


def test_quick_profile_skips_calibration_and_says_why(tiny_profile: None, tmp_path: Path) -> None:
    results = reproduce("quick", tmp_path, stages=["calibrate"])
    assert results.failed == {} and results.calibration is None
    assert results.skipped["calibrate"].startswith("skipped in the quick profile")
    page = write_reproduce_report(results, tmp_path / "report.html").read_text()
    assert "calibrate: skipped" in page and "sselab calibrate" in page
