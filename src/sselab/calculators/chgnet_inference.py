"""CHGNet energies, forces and (on demand) stress in one first-order autograd pass.

Why not CHGNet's own ``predict_structure`` / ``CHGNetCalculator``: CHGNet 0.3.0 takes
the forces and the stress as two separate ``torch.autograd.grad`` calls, both with
``create_graph=True`` (its training needs the gradient's own graph for the force and
stress losses). At inference that builds a second-order graph nobody uses, and the
stress repeats the whole backward pass: profiled on 2 CPU cores for the 14-atom
x = 0.5 cell, the backward passes were two thirds of an energy + forces + stress call.
Here the energy's gradient with respect to the positions and the strains comes from one
pass without a graph (:func:`predict_chgnet`). The numbers are CHGNet's own to float32
rounding (forces within 1e-5 eV/Å, tests/foundation/test_calculators.py); the speed is
measured in ``benchmarks/bench_calculators.py`` against ``CHGNetCalculator``.

:class:`CHGNetInferenceCalculator` is the ASE calculator the registry returns for
``chgnet``: it computes the stress only when it is asked for or was read after the
previous calculation (NEB bands, fixed-cell relaxations, phonon displacements and NVT
MD never read it; a cell relaxation or NPT step reads it every step).

Example:
    >>> from ase.build import bulk
    >>> from sselab.calculators import get_calculator
    >>> li = bulk("Li", "bcc", a=3.44, cubic=True)
    >>> li.calc = get_calculator("chgnet", device="cpu")
    >>> round(float(li.get_potential_energy() / len(li)), 1)
    -1.9
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

# eV/Å^3 -> GPa, the factor CHGNet applies to its strain derivative
EV_PER_CUBIC_ANGSTROM_TO_GPA = 160.21766208


@dataclass
class CHGNetPrediction:
    """One structure's CHGNet result.

    Attributes:
        energy_eV: total energy (CHGNet's per-atom energy times the atom count).
        forces_eV_per_angstrom: (n_atoms, 3).
        stress_GPa: (3, 3) Cauchy stress, CHGNet's sign (positive = tensile), or None
            where it was not computed.
        magmoms_muB: (n_atoms,) site magnetic moments, or None where not computed.
    """

    energy_eV: float
    forces_eV_per_angstrom: np.ndarray
    stress_GPa: np.ndarray | None = None
    magmoms_muB: np.ndarray | None = None


def predict_chgnet(
    model: Any,
    structures: Sequence[Structure],
    stress: bool = False,
    magmoms: bool = False,
    batch_size: int = 16,
) -> list[CHGNetPrediction]:
    """Energies, forces and optionally stresses of ``structures``, ``batch_size`` graphs per call.

    Args:
        model: a loaded ``chgnet.model.CHGNet``.
        structures: ordered pymatgen structures.
        stress: also the stress (GPa); a cell derivative costs little once the
            positions' gradient is taken in the same pass.
        magmoms: also CHGNet's site magnetic moments (μB).
        batch_size: graphs per model call.

    Returns:
        One :class:`CHGNetPrediction` per structure, in order.

    Example:
        >>> from pymatgen.core import Lattice, Structure
        >>> from sselab.calculators import get_calculator
        >>> model = get_calculator("chgnet", device="cpu").model
        >>> li = Structure(Lattice.cubic(3.44), ["Li", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        >>> p = predict_chgnet(model, [li], stress=True)[0]
        >>> p.forces_eV_per_angstrom.shape, p.stress_GPa.shape
        ((2, 3), (3, 3))
    """
    import torch
    from chgnet.model.model import BatchedGraph

    device = next(model.parameters()).device
    model.eval()
    predictions: list[CHGNetPrediction] = []
    per_call = max(1, batch_size)
    for start in range(0, len(structures), per_call):
        chunk = structures[start : start + per_call]
        graphs = [model.graph_converter(structure).to(device) for structure in chunk]
        with warnings.catch_warnings():
            # BatchedGraph copies each graph's volume (a tensor in the strain graph) into a
            # new tensor and torch warns once per process on every CLI run; the copy only
            # normalises the stress, which takes its gradient from the strains directly
            warnings.filterwarnings(
                "ignore", "Converting a tensor with requires_grad=True", UserWarning
            )
            batch = BatchedGraph.from_graphs(
                graphs,
                bond_basis_expansion=model.bond_basis_expansion,
                angle_basis_expansion=model.angle_basis_expansion,
                compute_stress=stress,
            )
        raw = model._compute(batch, compute_magmom=magmoms)
        atoms_per_graph = raw["atoms_per_graph"]
        # _compute returns the per-atom energy of an intensive model (divided after
        # CHGNet's own gradients were taken); the composition reference does not move
        model_energy = raw["e"] * atoms_per_graph if model.is_intensive else raw["e"]
        inputs = list(batch.atom_positions) + (list(batch.strains) if stress else [])
        gradients = torch.autograd.grad(model_energy.sum(), inputs)
        composition = 0 if model.composition_model is None else model.composition_model(graphs)
        energy = (raw["e"] + composition).detach()
        if model.is_intensive:
            energy = energy * atoms_per_graph
        for i in range(len(chunk)):
            stress_gpa = None
            if stress:
                strain_gradient = gradients[len(chunk) + i]
                stress_gpa = (
                    (strain_gradient / batch.volumes[i] * EV_PER_CUBIC_ANGSTROM_TO_GPA)
                    .cpu()
                    .numpy()
                )
            predictions.append(
                CHGNetPrediction(
                    energy_eV=float(energy[i]),
                    forces_eV_per_angstrom=-gradients[i].cpu().numpy(),
                    stress_GPa=stress_gpa,
                    magmoms_muB=raw["m"][i].detach().cpu().numpy() if magmoms else None,
                )
            )
    return predictions


class CHGNetInferenceCalculator(Calculator):
    """ASE calculator on a CHGNet model through :func:`predict_chgnet`.

    Results: ``energy`` and ``free_energy`` (eV), ``forces`` (eV/Å), ``stress``
    (eV/Å^3, 3x3, as ``CHGNetCalculator`` with its default ``stress_weight``) and
    ``magmoms`` (μB, with the stress: they ride on the same
    call). The stress is computed when asked for, or when it was read after the
    previous calculation, so a loop reading forces and stress costs one call per step.

    Attributes:
        model: the CHGNet model (shared with batched MD and fine-tuning code).
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "magmoms"]  # noqa: RUF012 (ASE declares a list)

    def __init__(self, model: Any, device: str = "cpu", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model.to(device)
        # CHGNetCalculator's default: a structure with an isolated atom warns, not raises
        self.model.graph_converter.set_isolated_atom_response("warn")
        self.stress_read_since_calculation = False

    def get_property(
        self, name: str, atoms: Atoms | None = None, allow_calculation: bool = True
    ) -> Any:
        value = super().get_property(name, atoms, allow_calculation)
        if name == "stress":  # after the calculation this read may have started
            self.stress_read_since_calculation = True
        return value

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] | None = None,
        system_changes: Sequence[str] = tuple(all_changes),
    ) -> None:
        wanted = list(properties) if properties is not None else ["stress"]
        with_stress = "stress" in wanted or "magmoms" in wanted
        with_stress = with_stress or self.stress_read_since_calculation
        self.stress_read_since_calculation = False
        super().calculate(atoms, wanted, list(system_changes))
        assert self.atoms is not None  # set by Calculator.calculate
        structure = AseAtomsAdaptor.get_structure(self.atoms)
        prediction = predict_chgnet(
            self.model, [structure], stress=with_stress, magmoms=with_stress
        )[0]
        self.results = {
            "energy": prediction.energy_eV,
            "free_energy": prediction.energy_eV,
            "forces": prediction.forces_eV_per_angstrom,
        }
        if prediction.stress_GPa is not None:
            # GPa -> eV/Å^3, the full 3x3 tensor as CHGNetCalculator stores it (ASE's
            # Atoms.get_stress turns it into Voigt form)
            self.results["stress"] = prediction.stress_GPa * units.GPa
            self.results["magmoms"] = prediction.magmoms_muB
