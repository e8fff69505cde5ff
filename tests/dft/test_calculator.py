"""GPAW behind the calculator registry, and labels that name what was computed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calculators import ModelUnavailableError, get_calculator, model_label
from sselab.calculators.paw import PawCalculator, PawSettings
from sselab.calculators.registry import parse_model
from sselab.structures.references import li2s


def test_local_weights_label_changes_with_the_file(tmp_path: Path) -> None:
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"first weights")
    first = model_label(f"mace:{weights}")
    assert first.startswith(f"mace:{weights}@sha256:")
    assert model_label(f"mace:{weights}") == first  # same file, same key
    weights.write_bytes(b"replaced weights, other training run")
    assert model_label(f"mace:{weights}") != first  # stale store rows are not reused


def test_a_weights_label_names_its_file_only_while_the_content_matches(tmp_path: Path) -> None:
    # pipeline tasks carry labels, and stages load their calculators from them
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"fine-tuned weights")
    label = model_label(f"chgnet:{weights}")
    assert parse_model(label) == ("chgnet", str(weights))
    assert model_label(label) == label
    weights.write_bytes(b"another training run")
    with pytest.raises(ModelUnavailableError, match="changed since it was labelled"):
        parse_model(label)


def test_gpaw_is_registered_with_its_settings_in_the_label() -> None:
    calculator = get_calculator("gpaw")
    assert isinstance(calculator, PawCalculator)
    assert model_label("gpaw") == calculator.sselab_label == f"gpaw:{PawSettings().label()}"
    assert model_label("gpaw:gllbsc").startswith("gpaw:GLLBSC-")


def test_kpoint_grid_is_held_while_the_cell_strains() -> None:
    atoms = AseAtomsAdaptor.get_atoms(li2s().get_primitive_structure())
    atoms.calc = PawCalculator(PawSettings(cutoff_eV=300, kpoint_density_per_inv_angstrom=2.0))
    first = atoms.get_potential_energy()
    grid = atoms.calc.grid
    # 8 % strain crosses a density grid step (ASE would pick another grid) but is one
    # relaxation: the grid stays and the energy moves smoothly
    atoms.set_cell(atoms.cell * 1.08, scale_atoms=True)
    strained = atoms.get_potential_energy()
    assert atoms.calc.grid == grid
    assert strained > first  # expanded 8 % beyond the PBE minimum
    assert atoms.get_stress().shape == (6,)
    assert atoms.get_forces() == pytest.approx(0.0, abs=1e-3)  # symmetric sites


class _Payload:
    """Stands for arbitrary code inside a pickled weights file."""


def test_pickled_weights_need_an_explicit_opt_in(tmp_path, monkeypatch) -> None:
    import torch

    from sselab.calculators.registry import (
        ALLOW_PICKLE_ENV,
        ModelUnavailableError,
        check_weights_file,
    )

    plain, pickled = tmp_path / "plain.pt", tmp_path / "pickled.pt"
    torch.save({"weights": torch.ones(3)}, plain)
    torch.save({"model": _Payload()}, pickled)
    monkeypatch.delenv(ALLOW_PICKLE_ENV, raising=False)
    check_weights_file(plain)
    with pytest.raises(ModelUnavailableError, match=f"pickled.pt: .*{ALLOW_PICKLE_ENV}=1"):
        check_weights_file(pickled)
    with pytest.raises(ModelUnavailableError, match="unpickle arbitrary code"):
        get_calculator(f"chgnet:{pickled}", device="cpu")
    check_weights_file(pickled, allow_pickle=True)
    monkeypatch.setenv(ALLOW_PICKLE_ENV, "1")
    check_weights_file(pickled)
