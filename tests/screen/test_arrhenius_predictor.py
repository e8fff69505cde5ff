"""The validation set's three-temperature Arrhenius predictor, on synthetic Li walks.

The MD tasks are replaced by stored-looking payloads and the trajectories by random
walks whose D(T) we choose: recovering the Ea fed in is a round trip of the analysis
chain (fraction rule -> study_from_results -> rank), not a test of any MLIP.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sselab.estimate import Estimate
from sselab.pipeline.executor import RunSummary, task_work_dir
from sselab.pipeline.screen import (
    MDPredictor,
    MDReading,
    ValidationRow,
    _md_predictions,
    arrhenius_predictor,
)
from sselab.structures import antifluorite
from sselab.transport.analysis import nernst_einstein_sigma
from sselab.transport.md import trajectory_path_for
from sselab.transport.trajectory import Trajectory
from sselab.units import BOLTZMANN_EV_PER_K

TEMPERATURES_K = (700.0, 850.0, 1000.0)
FED_EA_EV = 0.30
FED_D_1000K_CM2_PER_S = 1e-5
FRAME_FS = 20.0  # MDPredictor: 2 fs x 10 steps
N_FRAMES = 81  # 1.6 ps
N_LI, N_FRAMEWORK = 120, 16


def _walk(d_cm2_per_s: float, temperature_K: float, seed: int) -> Trajectory:
    """Li random walk with tracer D (3D), a rattling fixed framework, a 12 Å cell."""
    rng = np.random.default_rng(seed)
    # D = <dr^2> / (6 dt): a per-axis step of sqrt(2 D dt); 1 cm^2/s = 1e4 Å^2/ps
    step = np.sqrt(2.0 * d_cm2_per_s * 1e4 * FRAME_FS / 1000.0)
    li = np.cumsum(rng.normal(0.0, step, (N_FRAMES, N_LI, 3)), axis=0)
    li += rng.normal(0.0, 0.1, (N_FRAMES, N_LI, 3))  # rattling on top of the walk
    li += rng.uniform(0.0, 12.0, (1, N_LI, 3))
    frame = rng.uniform(0.0, 12.0, (1, N_FRAMEWORK, 3)) + rng.normal(
        0.0, 0.05, (N_FRAMES, N_FRAMEWORK, 3)
    )
    positions = np.concatenate([li, frame], axis=1)
    symbols = ["Li"] * N_LI + ["S"] * N_FRAMEWORK
    return Trajectory(positions, 12.0 * np.eye(3), symbols, FRAME_FS, temperature_K)


def _arrhenius_d(temperature_K: float) -> float:
    exponent = -FED_EA_EV / BOLTZMANN_EV_PER_K * (1.0 / temperature_K - 1.0 / 1000.0)
    return FED_D_1000K_CM2_PER_S * np.exp(exponent)


# D per compound and temperature; 0 = rattling only (no walk)
COMPOUNDS = {
    "walker": _arrhenius_d,
    "hot only": lambda t: FED_D_1000K_CM2_PER_S if t == 1000.0 else 0.0,
    "frozen": lambda t: 0.0,
    "lost": _arrhenius_d,  # its 850 K trajectory is missing from the work folder
    "broken": _arrhenius_d,  # its 1000 K MD failed
}


@pytest.fixture
def rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[ValidationRow]:
    screen_module = importlib.import_module("sselab.pipeline.screen")
    trajectory_module = importlib.import_module("sselab.transport.trajectory")
    predictors = [MDPredictor(temperature_K=t) for t in TEMPERATURES_K]
    # a cell per compound: equal inputs would be one task (the label is not in its key)
    structures = {name: antifluorite(0.5, a=5.4 + 0.01 * k) for k, name in enumerate(COMPOUNDS)}
    walks: dict[Path, Trajectory] = {}
    payloads = {}
    for k, (name, d_of_t) in enumerate(COMPOUNDS.items()):
        for j, p in enumerate(predictors):
            task = p.tasks(structures[name], name)
            path = trajectory_path_for(task_work_dir(tmp_path, task), p.temperature_K)
            walk = _walk(d_of_t(p.temperature_K), p.temperature_K, seed=10 * k + j)
            if not (name == "lost" and p.temperature_K == 850.0):
                path.parent.mkdir(parents=True)
                path.touch()
                walks[path] = walk
            lag = np.linspace(0.0, 0.53, 27)
            if name == "broken" and p.temperature_K == 1000.0:
                continue
            payloads[task.key] = SimpleNamespace(lag_ps=lag, msd_angstrom2=lag)

    def fake_run_tasks(tasks: object, *args: object) -> RunSummary:
        return RunSummary(payloads=payloads)

    monkeypatch.setattr(screen_module, "run_tasks", fake_run_tasks)
    monkeypatch.setattr(trajectory_module, "read_trajectory", lambda path: walks[Path(path)])
    rows = [ValidationRow(name, "Li5NS", 1e-3) for name in COMPOUNDS]
    _md_predictions(rows, structures, predictors, None, None, tmp_path, "cpu", False)  # type: ignore[arg-type]
    return rows


def test_the_fed_activation_energy_comes_back(rows: list[ValidationRow]) -> None:
    """Round trip: Ea 0.30 eV fed into the walks, read back by the fraction rule's fit."""
    walker = rows[0]
    assert [r.temperature_K for r in walker.md_runs] == list(TEMPERATURES_K)
    assert all(r.diffusive for r in walker.md_runs), [r.note for r in walker.md_runs]
    ea = walker.md_activation_energy_eV
    assert ea is not None and ea.ci95 is not None
    assert ea.ci95[0] <= FED_EA_EV <= ea.ci95[1]
    assert ea.value == pytest.approx(FED_EA_EV, abs=0.08)
    # D(300 K) of the fed law through Nernst-Einstein, inside the extrapolated interval
    sigma = walker.md_sigma_300K_S_per_cm
    assert sigma is not None and sigma.ci95 is not None
    truth = nernst_einstein_sigma(_arrhenius_d(300.0), N_LI, 12.0**3, 300.0)
    assert sigma.ci95[0] <= truth <= sigma.ci95[1]


def test_the_rank_rule_named_before_the_runs(rows: list[ValidationRow]) -> None:
    """Tiers of docs/screening.md: a fit, then one diffusive run, then none; gaps left out."""
    walker, hot_only, frozen, lost, broken = rows
    assert walker.arrhenius_rank_key()[0] == 2  # type: ignore[index]
    assert hot_only.md_sigma_300K_S_per_cm is None
    assert "fewer than two temperatures with diffusion" in hot_only.md_arrhenius_note
    assert hot_only.arrhenius_rank_key() == pytest.approx((1, -1000.0, -5.0), abs=0.2)
    assert frozen.arrhenius_rank_key() == (0, 0.0, 0.0)
    assert not any(r.diffusive for r in frozen.md_runs)
    # a missing trajectory: the row says where it looked and stays out of the ranking
    assert lost.md_runs[1].D_cm2_per_s is None and "not found" in lost.md_runs[1].note
    assert lost.arrhenius_rank_key() is None
    # a failed temperature keeps the other runs' readings but gives no rank
    assert broken.md_failed is not None and broken.md_failed.startswith("1000 K: ")
    assert [r.temperature_K for r in broken.md_runs] == [700.0, 850.0]
    assert broken.arrhenius_rank_key() is None
    ranks = arrhenius_predictor(rows)
    assert ranks[0] < ranks[1] < ranks[2] and np.isnan(ranks[3]) and np.isnan(ranks[4])


def test_one_diffusive_run_ranks_higher_the_colder_it_is() -> None:
    D = Estimate.normal(1e-6, 1e-7, "cm^2/s")

    def row(diffusive_K: float) -> ValidationRow:
        runs = [MDReading(t, 1.0, D, t == diffusive_K) for t in TEMPERATURES_K]
        return ValidationRow(f"moves at {diffusive_K:g} K", "Li", 1e-4, md_runs=runs)

    ranks = arrhenius_predictor([row(1000.0), row(850.0)])
    assert ranks[1] < ranks[0]  # the 850 K mover is the faster (rho < 0 convention)
