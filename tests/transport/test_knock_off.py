"""Interstitialcy (knock-off) hops: event geometry, endpoints, the barrier distribution, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import sselab.transport.neb.distribution as distribution_module
from sselab.cli import app
from sselab.estimate import Estimate
from sselab.structures import antifluorite, enumerate_orderings
from sselab.structures.cells import pseudo_cubic_a
from sselab.transport.antifluorite_sites import (
    IDEAL_8C_4B_DISTANCE_A,
    hop_endpoints,
    interstitialcy_hops,
    octahedral_voids,
    tetrahedral_ions,
)
from sselab.transport.neb import (
    BarrierDistribution,
    EndpointError,
    NEBSettings,
    barrier_distribution,
    distribution_figure,
    environments,
)


@pytest.fixture(scope="module")
def cell_222() -> Any:
    # lowest-Ewald ordering of x = 0.5 in 2x2x2: 112 atoms, every 8c environment S4 ... N4
    return enumerate_orderings(antifluorite(0.5), (2, 2, 2), n=1)[0]


def test_knock_off_events_follow_the_antifluorite_geometry(cell_222: Any) -> None:
    a = pseudo_cubic_a(cell_222)
    tetra = set(tetrahedral_ions(cell_222))
    voids, empty = octahedral_voids(cell_222)
    hops = interstitialcy_hops(cell_222)
    assert len(hops) == 200
    lattice = cell_222.lattice
    for event in hops:
        assert event.interstitial_index not in tetra
        assert event.pushed_index in tetra
        start = cell_222.frac_coords[event.pushed_index]
        step = lattice.get_all_distances(start, event.destination_frac)[0, 0]
        assert step == pytest.approx(IDEAL_8C_4B_DISTANCE_A * a, abs=0.1 * a)
        # the destination is one of the empty voids, not the interstitial's own
        nearest = lattice.get_all_distances(event.destination_frac, voids)[0]
        assert empty[int(np.argmin(nearest))]
        counts = [int(n) for n in re.findall(r"\d+", event.environment)]
        assert sum(counts) == 4
    assert list(environments(cell_222)) == ["S4", "N1S3", "N2S2", "N3S1", "N4"]


def test_knock_off_endpoints_move_exactly_two_ions() -> None:
    ends = hop_endpoints(antifluorite(0.5), "interstitialcy", supercell=(1, 1, 1))
    moved = np.flatnonzero(
        np.linalg.norm(ends.final.cart_coords - ends.initial.cart_coords, axis=1) > 1e-6
    )
    assert sorted(moved.tolist()) == sorted([ends.moving_index, ends.pushed_index])
    # the interstitial lands where the pushed 8c ion was
    np.testing.assert_allclose(
        ends.final.frac_coords[ends.moving_index], ends.initial.frac_coords[ends.pushed_index]
    )
    assert ends.environment == "N2S2"
    assert ends.pushed_index in tetrahedral_ions(ends.initial)


def test_knock_off_needs_an_interstitial() -> None:
    with pytest.raises(ValueError, match="Li2S: no interstitialcy hop"):
        hop_endpoints(antifluorite(0.0), "interstitialcy", supercell=(1, 1, 1))
    with pytest.raises(ValueError, match="no interstitialcy event"):
        barrier_distribution(antifluorite(0.0), "chgnet", supercell=(1, 1, 1))


def _fake_neb(failing: str) -> Any:
    """run_neb stand-in: barrier 0.1 eV per N in the tetrahedron; ``failing`` raises."""

    def fake(initial: Any, final: Any, calculator: Any, settings: Any, **kwargs: Any) -> Any:
        environment = kwargs["hop"].split()[-1]
        if environment == failing:
            raise EndpointError("initial and final states relaxed into the same minimum")
        n_nitrogen = int(re.search(r"N(\d)", environment).group(1)) if "N" in environment else 0
        barrier = Estimate.normal(0.2 + 0.1 * n_nitrogen, 0.01, "eV", error_kind="resolution")
        return SimpleNamespace(
            barrier_eV=barrier, reaction_energy_eV=0.0, converged=n_nitrogen != 3, n_steps=40
        )

    return fake


def test_distribution_keeps_failed_bands_as_unknown(
    cell_222: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(distribution_module, "run_neb", _fake_neb(failing="N4"))
    result = barrier_distribution(
        cell_222, object(), NEBSettings(n_images=3), supercell=(1, 1, 1), progress=False
    )
    assert [e.environment for e in result.events] == ["S4", "N1S3", "N2S2", "N3S1", "N4"]
    failed = result.events[-1]
    assert failed.barrier_eV is None and failed.reaction_energy_eV is None
    assert "same minimum" in failed.note
    assert result.events[3].note == "band not converged"
    spread = result.spread()
    assert spread is not None and spread.error_kind == "spread"
    assert spread.value == pytest.approx(0.2) and spread.ci95 == pytest.approx((0.2, 0.5))
    counts = result.events_per_environment
    expected = sum(counts[k] * v for k, v in (("S4", 0.2), ("N1S3", 0.3), ("N2S2", 0.4),
                   ("N3S1", 0.5))) / (sum(counts.values()) - counts["N4"])  # fmt: skip
    assert result.weighted_mean_eV() == pytest.approx(expected)
    assert BarrierDistribution.from_dict(json.loads(json.dumps(result.as_dict()))) == result
    figure = distribution_figure(result, 0.38, "paper")
    assert len(figure.axes[0].get_xticklabels()) == 5


def test_cli_knock_off_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sselab.calculators as calculators

    monkeypatch.setattr(distribution_module, "run_neb", _fake_neb(failing="N4"))
    monkeypatch.setattr(calculators, "get_calculator", lambda *a, **k: object())
    cif = tmp_path / "x05.cif"
    antifluorite(0.5).to(filename=str(cif))
    out = tmp_path / "neb"
    runner = CliRunner()
    args = ["neb", str(cif), "--hop", "interstitialcy", "--per-environment", "1",
            "--store", str(tmp_path / "store.sqlite"), "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "neb_distribution.json").read_text())
    assert saved["n_atoms"] == 112
    assert len(saved["events"]) == len(saved["events_per_environment"]) >= 3
    for environment in saved["events_per_environment"]:
        assert f"via {environment} " in result.output
    assert (out / "neb_distribution.png").stat().st_size > 0
    wrong = runner.invoke(app, ["neb", str(cif), "--per-environment", "1"])
    assert wrong.exit_code != 0 and "--hop interstitialcy" in wrong.output


def test_report_section_sets_the_lowest_knock_off_beside_the_paper(
    cell_222: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sselab.report.transport import neb_section

    monkeypatch.setattr(distribution_module, "run_neb", _fake_neb(failing="N4"))
    result = barrier_distribution(cell_222, object(), supercell=(1, 1, 1), progress=False)
    section = neb_section([], "full", result)
    (row,) = [c for c in section.comparisons if "knock-off" in c.quantity]
    assert row.sselab_value == pytest.approx(0.2) and row.paper_value == pytest.approx(0.38)
    assert "not an error" in row.note
    assert len(section.table_rows) == 5 and "no band" in str(section.table_rows[-1][3])
    assert len(section.figures) == 1
