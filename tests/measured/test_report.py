"""The measured half of the report: sections, the three-column claims table, the CLI, and
rendering in headless Chromium."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from tests.foundation.test_reproduce import _chromium, _headless
from tests.pipeline.roundtrip_cases import lattice_point
from tests.transport.roundtrip_cases import transport_study
from typer.testing import CliRunner

from sselab.cli import app
from sselab.pipeline.lattice import LatticeScan
from sselab.pipeline.measured import MANIFEST_NAME, MeasuredResults, example_folder
from sselab.pipeline.reproduce import PROFILES, ReproduceResults, TransportResult, reproduce
from sselab.report.claims import MEASURED_HEADER
from sselab.report.measured import EA_CLAIM, SIGMA_RT_CLAIM
from sselab.report.reproduce import reproduce_claims, write_reproduce_report


def _results(measured: MeasuredResults | None, computed: bool) -> ReproduceResults:
    results = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, ["measured"])
    results.measured = measured
    if computed:
        results.stages = ["lattice", "transport", "measured"]
        results.lattice = LatticeScan([lattice_point()])
        results.transport = TransportResult(transport_study(), None)
    return results


def _table(page: str) -> list[list[str]]:
    """Rows (text cells) of the first table of a page: the claims table."""
    table = page[page.index("<table") : page.index("</table>")]
    return [
        [
            html.unescape(re.sub(r"<.*?>", "", cell))
            for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


@pytest.fixture(scope="module")
def report(example: MeasuredResults, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("measured-report")
    return write_reproduce_report(_results(example, computed=True), out / "report.html")


def test_claims_put_measured_beside_computed_and_paper(example: MeasuredResults) -> None:
    results = _results(example, computed=True)
    claims = {c.claim: c for c in reproduce_claims(results)}
    sigma = claims[SIGMA_RT_CLAIM]
    md = results.transport.study.arrhenius  # type: ignore[union-attr]
    assert sigma.sselab == md.sigma_S_per_cm and sigma.measured == example.ionic_sigma_S_per_cm()
    factor = md.sigma_S_per_cm.value / sigma.measured.value  # type: ignore[union-attr]
    assert sigma.comparison.startswith(f"computed/measured = {factor:.2g} (95 %: ")
    assert claims[EA_CLAIM].comparison.startswith("computed − measured = ")
    lattice = claims["Lattice constant a of Li2.5N0.5S0.5"]
    assert lattice.measured == example.refinement.estimate("a")  # type: ignore[union-attr]
    assert "computed a at x = 0.5" in lattice.comparison and "spread" in lattice.comparison
    # what sselab does not compute: verdict "not computed", the measured value beside it
    ccd = claims["Critical current density (Li|SE|Li staircase)"]
    assert ccd.verdict == "not computed" and ccd.sselab is None
    assert ccd.measured == example.ccd.ccd_mA_per_cm2  # type: ignore[union-attr]
    assert all("SYNTHETIC" in c.note for c in claims.values() if c.measured is not None)


def test_report_has_measured_sections_and_the_three_column_table(report: Path) -> None:
    page = report.read_text()
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    measured = [t for t in titles if t.startswith("Measured")]
    assert measured[0] == "Measured data [SYNTHETIC]: Li2.5N0.5S0.5 (synthetic example)"
    assert len(measured) == 10 and all("[SYNTHETIC]" in t for t in measured)
    rows = _table(page)
    header = rows[0]
    computed, paper = header.index("computed (sselab)"), header.index("paper")
    mine = header.index(MEASURED_HEADER[0])
    assert paper < computed < mine
    by_claim = {row[0]: row for row in rows[1:]}
    assert by_claim["Full cell: initial Coulombic efficiency"][computed] == "not computed"
    assert by_claim["MD activation energy"][mine] == "not measured"
    # missing is said in words, never a 0
    assert not any(row[computed] in ("0", "0 eV", "0 S/cm") for row in rows[1:])
    assert "SYNTHETIC" in page[: page.index("<table")]


def test_reproduce_runs_the_measured_stage_and_a_broken_manifest_fails_only_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("synthetic_dcpol.csv", "synthetic_eis_rt_25C.csv"):
        shutil.copyfile(example_folder() / name, folder / name)
    (folder / MANIFEST_NAME).write_text("[geometry]\nthickness_mm = 1.0\ndiameter_mm = 10\n")
    run = reproduce("quick", tmp_path / "out", stages=["measured"], measured=folder)
    assert run.failed == {} and run.measured is not None
    assert run.measured.analysed == ["eis_rt", "dcpol"] and run.timings_s["measured"] > 0
    (folder / MANIFEST_NAME).write_text("[geometry\n")
    broken = reproduce("quick", tmp_path / "out", stages=["bvse", "measured"], measured=folder)
    assert set(broken.failed) == {"measured"} and "measured.toml" in broken.failed["measured"]
    assert broken.bvse is not None
    page = write_reproduce_report(broken, tmp_path / "report.html").read_text()
    assert "measured: FAILED" in page
    row = next(r for r in _table(page) if r[0] == SIGMA_RT_CLAIM)
    assert "not measured" in row
    with pytest.raises(ValueError, match="needs a folder"):
        reproduce("quick", tmp_path / "out", stages=["measured"])


def test_cli_measured_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["reproduce", "--quick", "--measured", str(tmp_path / "absent"), "--out", str(tmp_path)],
    )
    assert result.exit_code != 0 and "no such folder" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_measured_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    dom = _headless(tmp_path / "profile", "--dump-dom", report.as_uri())
    assert ":CONSOLE" not in dom.stderr, dom.stderr[-2000:]
    assert "<th>measured (yours)</th>" in dom.stdout and "<th>computed (sselab)</th>" in dom.stdout
    assert dom.stdout.count("<h2>Measured") == 10
    assert dom.stdout.count("<img") >= 10  # every measured figure drawn
