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
