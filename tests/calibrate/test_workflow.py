"""E above the Li2S–Li3N tie line from labels, by DFT and by a model, at the same geometries."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes

from sselab.calibrate.configurations import Configuration, generate_configurations
from sselab.calibrate.configurations import li_n_s_base_cells as bases
from sselab.calibrate.labels import Label
from sselab.calibrate.workflow import tie_comparisons

ELEMENT_EV = {"Li": -1.9, "N": -8.3, "S": -4.1}


class Additive(Calculator):
    """Energy a sum of per-element constants: every mixture lies on its tie line."""

    implemented_properties = ("energy",)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results["energy"] = sum(ELEMENT_EV[s] for s in self.atoms.get_chemical_symbols())


def _label(configuration: Configuration, above_meV: float) -> Label:
    structure = configuration.structure
    energy = sum(ELEMENT_EV[site.specie.symbol] for site in structure) + above_meV / 1000 * len(
        structure
    )
    return Label(configuration, energy, np.zeros((len(structure), 3)), np.zeros(6), "toy", "toy")


def test_tie_comparison_recovers_a_planted_mixing_energy_round_trip() -> None:
    """Round trip: DFT energies built 40 meV/atom above the additive model's tie line."""
    cells = {c.family: c for c in generate_configurations(bases(), budget=6)}
    labels = [
        _label(cells["Li2S"], 0.0),
        _label(cells["Li3N"], 0.0),
        _label(cells["Li5SN-o1"], 40.0),
        _label(cells["Li"], 0.0),  # not on the Li–N–S mixture line: skipped
    ]
    [row] = tie_comparisons(labels, {"Li5SN-o1": "test"}, {"additive": Additive()})
    assert row.cell == "Li5SN-o1/equilibrium0" and row.split == "test"
    assert row.dft_meV_per_atom == pytest.approx(40.0, abs=1e-9)
    assert row.model_meV_per_atom["additive"] == pytest.approx(0.0, abs=1e-9)


def test_no_end_member_no_comparison() -> None:
    cells = {c.family: c for c in generate_configurations(bases(), budget=6)}
    assert tie_comparisons([_label(cells["Li5SN-o0"], 0.0)], {}, {"a": Additive()}) == []


def test_learning_rate_scan_keeps_the_best_on_validation_not_on_test(monkeypatch, tmp_path):
    """A stand-in trainer whose validation error is lowest at 1e-3 and test error at 4e-3:
    the scan must pick 1e-3 and copy that file to the weights path."""
    from dataclasses import replace

    from tests.calibrate.roundtrip_cases import finetune_result

    from sselab.calibrate import workflow
    from sselab.calibrate.finetune import FineTuneSettings
    from sselab.calibrate.metrics import ErrorMetrics

    validation_meV = {2e-4: 30.0, 1e-3: 6.0, 4e-3: 12.0}
    test_meV = {2e-4: 30.0, 1e-3: 9.0, 4e-3: 1.0}

    def fake(train, validation, test, out, settings):
        rate = settings.learning_rate
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"weights at {rate}, {settings.frozen_blocks} frozen")
        unfrozen_gain_meV = 2.0 if settings.frozen_blocks == 0 else 0.0
        return replace(
            finetune_result(),
            model=f"chgnet:{out}",
            settings=settings,
            validation_after=ErrorMetrics(
                2, validation_meV.get(rate, 99.0) - unfrozen_gain_meV, 50.0, 0.1, 0.0
            ),
            test_after=ErrorMetrics(2, test_meV.get(rate, 99.0), 50.0, 0.1, 0.0),
        )

    monkeypatch.setitem(workflow.FINETUNERS, "chgnet", (fake, "pt"))
    monkeypatch.setattr(workflow, "model_label", lambda name: f"{name}@sha256:x")
    parts = {"train": ["t"], "validation": ["v"], "test": ["x"]}
    weights = tmp_path / "chgnet-finetuned.pt"
    result, trials = workflow.finetune_with_scan(
        "chgnet", parts, weights, FineTuneSettings(), learning_rates=(2e-4, 1e-3, 4e-3)
    )
    assert [t.learning_rate for t in trials] == [2e-4, 1e-3, 4e-3]
    assert [t.score for t in trials] == pytest.approx([11.0, 3.0, 5.0])  # E/3 + F/50
    assert weights.read_text() == "weights at 0.001, None frozen"
    assert result.model == f"chgnet:{weights}" and result.label.endswith("@sha256:x")
    assert result.test_after.energy_meV_per_atom == 9.0  # the chosen trial's own test error

    grid_result, grid = workflow.finetune_with_scan(
        "chgnet", parts, weights, FineTuneSettings(), (2e-4, 1e-3), frozen_blocks=(3, 0)
    )
    assert [(t.learning_rate, t.frozen_blocks) for t in grid] == [
        (2e-4, 3),
        (2e-4, 0),
        (1e-3, 3),
        (1e-3, 0),
    ]
    assert grid[3].weights.name == "chgnet-lr0.001-frozen0.pt"
    assert weights.read_text() == "weights at 0.001, 0 frozen"  # the grid's best point
    assert (grid_result.settings.learning_rate, grid_result.settings.frozen_blocks) == (1e-3, 0)

    _, block_trials = workflow.finetune_with_scan(
        "chgnet", parts, weights, FineTuneSettings(), frozen_blocks=(3, 1)
    )
    assert [(t.learning_rate, t.frozen_blocks) for t in block_trials] == [(None, 3), (None, 1)]
    assert block_trials[1].weights.name == "chgnet-frozen1.pt"

    no_validation = {**parts, "validation": []}
    single, none = workflow.finetune_with_scan(
        "chgnet", no_validation, weights, FineTuneSettings(), learning_rates=(2e-4, 4e-3)
    )
    assert none == [] and single.settings.learning_rate is None  # no scan without validation


def test_reproduce_calibrate_key_carries_each_models_recipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New fine-tuning defaults must retrain, not read back weights trained by the old ones."""
    import importlib

    from sselab.calibrate import finetune
    from sselab.pipeline.reproduce import PROFILES, calibrate_task

    task = calibrate_task(PROFILES["full"](), "chgnet")
    assert task.inputs["recipes"] == {
        "chgnet": {"epochs": 200, "frozen_blocks": 0},
        "sevennet": {"epochs": 30, "frozen_blocks": 3},
    }
    recipes = {**finetune.RECIPES, "chgnet": finetune.FineTuneRecipe(epochs=100, frozen_blocks=0)}
    # the module, not the function sselab.pipeline re-exports under the same name
    monkeypatch.setattr(importlib.import_module("sselab.pipeline.reproduce"), "RECIPES", recipes)
    assert calibrate_task(PROFILES["full"](), "chgnet").key != task.key
