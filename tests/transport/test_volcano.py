"""sigma(x) volcano plumbing on a toy potential (the real run is a GPU job)."""

from __future__ import annotations

import json
from pathlib import Path

from ase.calculators.lj import LennardJones

from sselab.transport.study import FULL_PROFILE, ConductivityVsX, conductivity_vs_x, volcano_figure


def test_volcano_runs_every_x_over_configurations_and_round_trips(tmp_path: Path) -> None:
    toy = LennardJones(sigma=1.6, epsilon=0.02, rc=4.0)
    volcano = conductivity_vs_x(
        [0.25, 0.5], [1000.0, 1500.0], tmp_path, supercell=(1, 1, 1), n_configurations=2,
        time_ps=0.12, equilibration_ps=0.0, npt_equilibration_ps=0.0, model=toy,
        relax=False, progress=False, frame_interval_steps=2,
    )  # fmt: skip
    assert [p.x for p in volcano.points] == [0.25, 0.5]
    assert all(p.n_configurations == 2 for p in volcano.points)
    # 2 x-values x 2 orderings x 2 temperatures, one trajectory each
    assert len(list(tmp_path.glob("x*/md_*K_c*.h5"))) == 8
    # too short to diffuse: no fit, and each point says why
    assert all(p.sigma_300K_S_per_cm is None and "no Arrhenius" in p.note for p in volcano.points)
    saved = json.loads((tmp_path / "volcano.json").read_text())
    assert ConductivityVsX.from_dict(saved) == volcano
    volcano_figure(volcano)
    assert FULL_PROFILE["md_time_ps"] >= 100 and FULL_PROFILE["md_supercell"] == (2, 2, 2)
