"""MLIP registry and relaxation against experimental lattice constants."""

from __future__ import annotations

import pytest
from ase.build import bulk

from sselab.calculators import (
    ModelUnavailableError,
    get_calculator,
    model_label,
    parse_model,
    relax,
)
from sselab.structures import antifluorite, enumerate_orderings


def test_parse_model_and_errors() -> None:
    assert parse_model("chgnet") == ("chgnet", "0.3.0")
    assert parse_model("SevenNet:7net-l3i5") == ("sevennet", "7net-l3i5")
    assert model_label("sevennet") == "sevennet:7net-0"
    with pytest.raises(ModelUnavailableError, match="unknown model"):
        get_calculator("nonexistent")
    with pytest.raises(ModelUnavailableError, match="local"):
        get_calculator("mace")  # weights are never downloaded
    with pytest.raises(ModelUnavailableError, match=r"not installed|Not found"):
        get_calculator("mace:/no/such/file.model")
    with pytest.raises(ModelUnavailableError, match="bundled"):
        get_calculator("chgnet:9.9.9")


def test_chgnet_loads_offline_and_is_cached() -> None:
    calc = get_calculator("chgnet", device="cpu")
    assert get_calculator("chgnet", device="cpu") is calc
    atoms = bulk("Li", "bcc", a=3.44)
    atoms.calc = calc
    assert -2.5 < atoms.get_potential_energy() / len(atoms) < -1.5  # Li cohesive scale (MP-like)


def test_chgnet_computes_the_stress_only_where_it_is_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    from chgnet.model.dynamics import CHGNetCalculator

    from sselab.calculators import chgnet_inference

    calc = get_calculator("chgnet", device="cpu")
    assert "CHGNet" not in capsys.readouterr().out  # no banner on stdout
    reference = CHGNetCalculator(model=calc.model, use_device="cpu")  # CHGNet's own two passes
    atoms = bulk("Li", "bcc", a=3.44, cubic=True) * (2, 1, 1)
    atoms.rattle(0.05, seed=1)
    atoms.cell[0, 1] = 0.2  # a sheared cell: off-diagonal stress too
    with_stress: list[bool] = []
    predict = chgnet_inference.predict_chgnet

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        with_stress.append(kwargs["stress"])
        return predict(*args, **kwargs)

    monkeypatch.setattr(chgnet_inference, "predict_chgnet", spy)
    atoms.calc = calc
    forces = atoms.get_forces()
    twin = atoms.copy()
    twin.calc = reference
    # one first-order pass gives CHGNet's numbers to float32 rounding
    np.testing.assert_allclose(forces, twin.get_forces(), atol=1e-5)
    assert atoms.get_potential_energy() == pytest.approx(twin.get_potential_energy(), abs=1e-5)
    np.testing.assert_allclose(atoms.get_stress(), twin.get_stress(), atol=1e-7)  # eV/Å^3
    assert np.abs(atoms.get_stress()[3:]).max() > 1e-5  # the shear component is compared
    del with_stress[:]
    for _ in range(2):  # a cell relaxation or NPT step reads both: one call each
        atoms.positions[0, 0] += 0.01
        atoms.get_forces()
        atoms.get_stress()
    for _ in range(2):  # an NEB or NVT step reads forces only
        atoms.positions[0, 0] += 0.01
        atoms.get_forces()
    assert with_stress == [True, True, True, False]


def test_li2s_relaxes_to_experimental_lattice(store) -> None:
    start = antifluorite(0.0, a=5.5)  # start compressed so the cell must move
    result = relax(start, "chgnet", fmax=0.02, store=store)
    assert result.converged
    assert result.abc_angstrom[0] == pytest.approx(5.70, rel=0.015)  # experiment 5.70 Å
    assert result.angles_deg == pytest.approx((90, 90, 90), abs=0.01)


def test_relax_cache_hit(store) -> None:
    start = antifluorite(0.0, a=5.6)
    first = relax(start, "chgnet", fmax=0.05, store=store)
    assert (store.hits, store.misses) == (0, 1)
    second = relax(antifluorite(0.0, a=5.6), "chgnet", fmax=0.05, store=store)
    assert (store.hits, store.misses) == (1, 1)
    assert second.energy_eV == first.energy_eV
    assert second.structure.lattice.abc == pytest.approx(first.structure.lattice.abc)
    relax(start, "chgnet", fmax=0.02, store=store)  # other settings: a new computation
    assert store.misses == 2


def test_fire2_reaches_fires_minimum_in_fewer_steps(store) -> None:
    # the measurement behind lowest_energy_ordering's FIRE2 default, on the lowest-Ewald
    # x = 0.5 ordering at fixed shape: the same minimum within 2 meV/atom (fmax 0.05
    # leaves ~1) and 0.02 A
    cell = enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=1)[0]
    fire = relax(cell, "chgnet", fmax=0.05, keep_cell_shape=True, store=store)
    fire2 = relax(cell, "chgnet", fmax=0.05, keep_cell_shape=True, store=store, optimizer="FIRE2")
    assert store.misses == 2  # the optimiser is part of the cache key
    assert fire.converged and fire2.converged
    assert fire2.n_steps < fire.n_steps
    assert fire2.energy_per_atom_eV == pytest.approx(fire.energy_per_atom_eV, abs=2e-3)
    assert fire2.abc_angstrom[0] == pytest.approx(fire.abc_angstrom[0], abs=0.02)


def test_relax_rejects_unknown_optimizer() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'LBFGS'"):
        relax(antifluorite(0.0), "chgnet", optimizer="LBFGS")


def test_relax_cli_names_a_bad_optimizer(tmp_path) -> None:
    from typer.testing import CliRunner

    from sselab.cli import app

    cif = tmp_path / "Li2S.cif"
    antifluorite(0.0).to(filename=str(cif))
    result = CliRunner().invoke(app, ["relax", str(cif), "--optimizer", "BFGS"])
    assert result.exit_code == 1
    assert "--optimizer BFGS: choose from ['FIRE', 'FIRE2']" in result.output


def test_relax_rejects_disordered() -> None:
    with pytest.raises(ValueError, match="partial occupancies"):
        relax(antifluorite(0.5), "chgnet")


def test_sevennet_backend_relaxes_li2s() -> None:
    result = relax(antifluorite(0.0), "sevennet", fmax=0.05)
    assert result.abc_angstrom[0] == pytest.approx(5.70, rel=0.015)
    assert result.model == "sevennet:7net-0"


def test_n_substitution_contracts_the_lattice(store) -> None:
    from sselab.pipeline.lattice import lattice_vs_x

    points = lattice_vs_x([0.0, 0.5], n_orderings=1, max_anions=4, fmax=0.05, store=store)
    li2s, half = points
    assert half.x_actual == 0.5 and half.n_atoms == 14
    assert half.a_angstrom.value < li2s.a_angstrom.value - 0.1  # paper: 5.719 -> 5.458 Å
    assert 5.25 < half.a_angstrom.value < 5.60


def test_ordered_candidates_relax_stably() -> None:
    cells = enumerate_orderings(antifluorite(0.25), supercell=(1, 1, 1), n=1)
    result = relax(cells[0], "chgnet", fmax=0.1, max_steps=200)
    assert result.converged
    assert result.structure.composition.reduced_formula == "Li9S3N"
