"""Errors of a model against DFT labels: energy, force and stress MAE, and parity data.

Any ASE calculator is evaluated the same way (CHGNet, SevenNet, a fine-tuned file
loaded through the registry, EMT in tests), so "before" and "after" are measured
by one function on the same frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase.calculators.calculator import Calculator
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calibrate.labels import Label
from sselab.roundtrip import RoundTrip

EV_PER_ANGSTROM3_IN_GPA = 160.21766208


@dataclass
class Parity(RoundTrip):
    """Model vs DFT values of one set of frames, for parity plots.

    Attributes:
        names: configuration names, one per frame.
        energy_dft_eV_per_atom: DFT energy per atom of each frame.
        energy_model_eV_per_atom: the model's.
        force_dft_eV_per_angstrom: every force component of every frame, flattened.
        force_model_eV_per_angstrom: the model's, same order.
        stress_dft_GPa: the six Voigt components of every frame, flattened (ASE sign).
        stress_model_GPa: the model's, same order.
    """

    names: list[str]
    energy_dft_eV_per_atom: np.ndarray
    energy_model_eV_per_atom: np.ndarray
    force_dft_eV_per_angstrom: np.ndarray
    force_model_eV_per_angstrom: np.ndarray
    stress_dft_GPa: np.ndarray
    stress_model_GPa: np.ndarray


@dataclass
class ErrorMetrics(RoundTrip):
    """Mean absolute errors of a model on a set of labelled frames.

    Attributes:
        n_frames: frames evaluated.
        energy_meV_per_atom: MAE of the energy per atom.
        force_meV_per_angstrom: MAE over all force components.
        stress_GPa: MAE over the six stress components (None without frames).
        energy_offset_meV_per_atom: mean signed error of the energy per atom (model − DFT):
            the part of the energy error a per-element reference refit removes.
    """

    n_frames: int
    energy_meV_per_atom: float
    force_meV_per_angstrom: float
    stress_GPa: float | None
    energy_offset_meV_per_atom: float


def parity(calculator: Calculator, labels: Sequence[Label]) -> Parity:
    """Predict every labelled frame with ``calculator``.

    Example:
        >>> from ase.calculators.emt import EMT
        >>> from sselab.calibrate.labels import Label
        >>> from sselab.calibrate.configurations import Configuration
        >>> from pymatgen.core import Lattice, Structure
        >>> cu = Structure(Lattice.cubic(3.61), ["Cu"] * 4,
        ...                [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
        >>> label = Label(Configuration("Cu/eq", "Cu", "equilibrium", cu), 0.0,
        ...               np.zeros((4, 3)), np.zeros(6), "zero", "none")
        >>> round(float(parity(EMT(), [label]).energy_model_eV_per_atom[0]), 3)
        -0.006
    """
    energies, forces, stresses = [], [], []
    for label in labels:
        atoms = AseAtomsAdaptor.get_atoms(label.configuration.structure)
        atoms.calc = calculator
        energies.append(float(atoms.get_potential_energy()) / len(atoms))
        forces.append(np.asarray(atoms.get_forces()).reshape(-1))
        stresses.append(np.asarray(atoms.get_stress(voigt=True)) * EV_PER_ANGSTROM3_IN_GPA)
    return Parity(
        names=[label.configuration.name for label in labels],
        energy_dft_eV_per_atom=np.array([label.energy_per_atom_eV for label in labels]),
        energy_model_eV_per_atom=np.array(energies),
        force_dft_eV_per_angstrom=np.concatenate(
            [label.forces_eV_per_angstrom.reshape(-1) for label in labels]
        ),
        force_model_eV_per_angstrom=np.concatenate(forces),
        stress_dft_GPa=np.concatenate(
            [label.stress_eV_per_angstrom3 * EV_PER_ANGSTROM3_IN_GPA for label in labels]
        ),
        stress_model_GPa=np.concatenate(stresses),
    )


def error_metrics(points: Parity) -> ErrorMetrics:
    """MAEs of a :class:`Parity` set.

    Example:
        >>> p = Parity(["a"], np.array([-1.0]), np.array([-1.002]), np.zeros(3),
        ...            np.array([0.03, 0.0, 0.0]), np.zeros(6), np.full(6, 0.5))
        >>> m = error_metrics(p)
        >>> round(m.energy_meV_per_atom, 3), round(m.force_meV_per_angstrom, 3), m.stress_GPa
        (2.0, 10.0, 0.5)
    """
    energy_error = points.energy_model_eV_per_atom - points.energy_dft_eV_per_atom
    force_error = points.force_model_eV_per_angstrom - points.force_dft_eV_per_angstrom
    return ErrorMetrics(
        n_frames=len(points.names),
        energy_meV_per_atom=float(1000 * np.abs(energy_error).mean()),
        force_meV_per_angstrom=float(1000 * np.abs(force_error).mean()),
        stress_GPa=float(np.abs(points.stress_model_GPa - points.stress_dft_GPa).mean())
        if points.names
        else None,
        energy_offset_meV_per_atom=float(1000 * energy_error.mean()),
    )


# The acceptance targets of #19 on held-out frames; they are also the units in which a
# learning-rate scan weighs energy against force errors.
ENERGY_TARGET_MEV_PER_ATOM = 3.0
FORCE_TARGET_MEV_PER_ANGSTROM = 50.0


def target_score(metrics: ErrorMetrics) -> float:
    """Energy MAE / 3 meV/atom + force MAE / 50 meV/Å: 2.0 means both targets just met.

    One number to rank fine-tuning settings on the validation family; stress is left
    out because the targets do not name it (it still enters training).

    Example:
        >>> target_score(ErrorMetrics(2, 6.0, 50.0, 0.1, 0.0))
        3.0
    """
    return (
        metrics.energy_meV_per_atom / ENERGY_TARGET_MEV_PER_ATOM
        + metrics.force_meV_per_angstrom / FORCE_TARGET_MEV_PER_ANGSTROM
    )
