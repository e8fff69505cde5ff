"""Fine-tuning on a tiny set of shipped GPAW labels: loss goes down, weights load through the
registry with the same predictions, and the model label follows the weights file's content."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calculators import get_calculator, model_label
from sselab.calibrate.finetune import (
    FineTuneSettings,
    finetune_chgnet,
    finetune_sevennet,
    fit_element_shifts,
)
from sselab.calibrate.labels import Label
from sselab.calibrate.metrics import error_metrics, parity

TINY = FineTuneSettings(epochs=2, batch_size=4, device="cpu")


def _loss(calculator, labels: list[Label]) -> float:
    """The trainers' objective: MSE of energy/atom, forces and stress / 10 (eV, Å, GPa)."""
    points = parity(calculator, labels)
    return float(
        np.mean((points.energy_model_eV_per_atom - points.energy_dft_eV_per_atom) ** 2)
        + np.mean((points.force_model_eV_per_angstrom - points.force_dft_eV_per_angstrom) ** 2)
        + 0.1 * np.mean((points.stress_model_GPa - points.stress_dft_GPa) ** 2)
    )


def test_element_shifts_recover_a_known_offset_round_trip(gpaw_labels) -> None:
    """Round trip: model = DFT − known per-element shifts; the fit returns those shifts."""
    truth = {"Li": -0.2, "N": 0.5, "S": 0.3}
    shifted = np.array(
        [
            label.energy_per_atom_eV
            - sum(
                truth[el.symbol] * label.configuration.structure.composition.get_atomic_fraction(el)
                for el in label.configuration.structure.composition
            )
            for label in gpaw_labels
        ]
    )
    fitted = fit_element_shifts(gpaw_labels, shifted)
    assert fitted == pytest.approx(truth, abs=1e-9)


@pytest.fixture(scope="module")
def chgnet_run(gpaw_labels, tmp_path_factory):
    train = [g for g in gpaw_labels if g.configuration.family != "Li3N"]
    test = [g for g in gpaw_labels if g.configuration.family == "Li3N"]
    out = tmp_path_factory.mktemp("chgnet") / "chgnet-ft.pt"
    settings = FineTuneSettings(epochs=3, batch_size=4, device="cpu", refit_references=False)
    return finetune_chgnet(train, [], test, out, settings), train, out


def test_frozen_blocks_stay_at_the_base_weights_and_the_others_move(gpaw_labels, tmp_path):
    """frozen_blocks=2: CHGNet's atom convolutions 0-1 keep the base weights, 2-3 train."""
    from chgnet.model import CHGNet

    settings = FineTuneSettings(epochs=1, device="cpu", refit_references=False, frozen_blocks=2)
    out = tmp_path / "chgnet-f2.pt"
    finetune_chgnet(gpaw_labels[:4], [], [], out, settings)
    base = CHGNet.load(model_name="0.3.0", use_device="cpu", verbose=False).state_dict()
    tuned = CHGNet.from_file(str(out)).state_dict()
    weight = "twoBody_atom.mlp_core.layers.0.weight"
    moved = {
        block: not torch.equal(base[f"{block}.{weight}"], tuned[f"{block}.{weight}"])
        for block in (f"atom_conv_layers.{i}" for i in range(4))
    }
    assert moved == {
        "atom_conv_layers.0": False,
        "atom_conv_layers.1": False,
        "atom_conv_layers.2": True,
        "atom_conv_layers.3": True,
    }


def test_a_frozen_block_count_the_model_lacks_is_refused(gpaw_labels, tmp_path) -> None:
    settings = FineTuneSettings(epochs=1, device="cpu", frozen_blocks=5)
    with pytest.raises(ValueError, match=r"frozen_blocks 5: chgnet:0\.3\.0 has 4 interaction"):
        finetune_chgnet(gpaw_labels[:2], [], [], tmp_path / "x.pt", settings)


def test_chgnet_training_lowers_the_training_loss(chgnet_run) -> None:
    result, train, _ = chgnet_run
    before = _loss(get_calculator(result.base_model, "cpu"), train)
    after = _loss(get_calculator(result.model, "cpu"), train)
    assert after < before
    assert result.n_train == len(train) and result.wall_s > 0


def test_saved_chgnet_weights_load_through_the_registry_with_the_same_predictions(chgnet_run):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    result, train, out = chgnet_run
    torch.load(out, weights_only=True)  # plain tensors: no pickle opt-in needed
    registry = get_calculator(f"chgnet:{out}", "cpu")
    direct = CHGNetCalculator(CHGNet.from_file(str(out)), use_device="cpu")
    for label in train[:2]:
        atoms = AseAtomsAdaptor.get_atoms(label.configuration.structure)
        energies = []
        for calculator in (registry, direct):
            atoms.calc = calculator
            energies.append(atoms.get_potential_energy())
        assert energies[0] == pytest.approx(energies[1], abs=1e-6)
    assert result.label == model_label(f"chgnet:{out}")
    assert error_metrics(result.test_parity_after) == result.test_after


def test_model_label_changes_when_the_weights_file_changes(chgnet_run, tmp_path: Path) -> None:
    _, _, out = chgnet_run
    copy = tmp_path / "weights.pt"
    shutil.copy(out, copy)
    first = model_label(f"chgnet:{copy}")
    state = torch.load(copy, weights_only=True)
    state["sselab"]["note"] = "edited"
    torch.save(state, copy)
    second = model_label(f"chgnet:{copy}")
    assert first != second
    assert first.split("@sha256:")[0] == second.split("@sha256:")[0] == f"chgnet:{copy}"


def test_reference_refit_removes_the_mean_energy_offset(gpaw_labels, tmp_path: Path) -> None:
    """With zero epochs, fine-tuning is the element refit alone: the training offset vanishes
    (Li, Li2S, Li3N: three compositions, three elements, so the fit is exact)."""
    train = [g for g in gpaw_labels if g.configuration.kind == "equilibrium"]
    settings = FineTuneSettings(epochs=0, device="cpu")
    result = finetune_chgnet(train, [], [], tmp_path / "refit.pt", settings)
    assert abs(result.train_before.energy_offset_meV_per_atom) > 20  # MP vs GPAW scale
    assert result.train_after.energy_meV_per_atom < 1.0
    assert set(result.element_shifts_eV) == {"Li", "N", "S"}
    assert result.test_before is None
    # the recipe's block count is filled in and recorded; the given epochs are kept
    assert (result.settings.epochs, result.settings.frozen_blocks) == (0, 0)


@pytest.mark.slow
def test_chgnet_fine_tuning_repeats_bit_for_bit(gpaw_labels, tmp_path: Path) -> None:
    train = gpaw_labels[:4]
    files = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.pt"
        finetune_chgnet(train, [], [], out, TINY)
        files.append(torch.load(out, weights_only=True)["model"]["state_dict"])
    for key, value in files[0].items():
        assert torch.equal(value, files[1][key]), key


def test_sevennet_weights_saved_without_training_reproduce_the_base_model(
    gpaw_labels, tmp_path: Path
) -> None:
    """Zero epochs, no refit: the saved checkpoint must be the base model. SevenNet-0's
    checkpoint is older than sevenn's layout; saving the converted weights under the old
    version made the loader convert them twice (energies off by up to 136 meV/atom)."""
    settings = FineTuneSettings(epochs=0, device="cpu", refit_references=False)
    result = finetune_sevennet(gpaw_labels[:3], [], [], tmp_path / "same.pth", settings)
    before = parity(get_calculator(result.base_model, "cpu"), gpaw_labels[:3])
    after = parity(get_calculator(result.model, "cpu"), gpaw_labels[:3])
    assert np.allclose(after.energy_model_eV_per_atom, before.energy_model_eV_per_atom, atol=1e-6)
    assert np.allclose(after.stress_model_GPa, before.stress_model_GPa, atol=1e-4)


@pytest.mark.slow
def test_sevennet_fine_tuning_lowers_the_loss_and_loads(gpaw_labels, tmp_path: Path) -> None:
    train = gpaw_labels[:4]
    out = tmp_path / "7net-ft.pth"
    settings = FineTuneSettings(epochs=3, batch_size=4, device="cpu", refit_references=False)
    result = finetune_sevennet(train, [], [], out, settings)
    torch.load(out, weights_only=True)
    assert result.label.startswith(f"sevennet:{out}@sha256:")
    before = _loss(get_calculator(result.base_model, "cpu"), train)
    assert _loss(get_calculator(result.model, "cpu"), train) < before
