"""Structure relaxation with any registered MLIP (ASE optimiser + FrechetCellFilter)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator
from ase.filters import FrechetCellFilter
from ase.optimize import FIRE
from ase.optimize.fire2 import FIRE2
from ase.optimize.optimize import Optimizer
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calculators.registry import get_calculator
from sselab.calculators.resolve import calculator_label
from sselab.roundtrip import RoundTrip

logger = logging.getLogger(__name__)

# ASE optimisers by name. FIRE2 (Guenole et al., Comput. Mater. Sci. 175 (2020) 109584)
# is ASE's revised FIRE, the ORDERING_OPTIMIZER: on the fixed-shape antifluorite
# orderings (CHGNet 0.3.0, fmax 0.05 eV/A, 2026-12-07) it took 20-30 % fewer steps than
# FIRE (14 atoms: 27-29 vs 34-38; 29 atoms: 67 vs 93) and ended within 1.2 meV/atom and
# 0.02 A of FIRE's minimum. It is not the default: on LiN3 (free cell) neither converges
# in 300 steps and FIRE2 stops 50 meV/atom higher, which moves the oxidation window; BFGS
# was faster still but relaxed two of four x = 0.5 cells into reconstructions 13-128
# meV/atom lower (another answer).
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {"FIRE": FIRE, "FIRE2": FIRE2}
# what relaxes the ordered cells of a solid solution (lowest_energy_ordering, MD cells)
ORDERING_OPTIMIZER = "FIRE2"


@dataclass
class RelaxResult(RoundTrip):
    """Outcome of :func:`relax`.

    Attributes:
        structure: relaxed structure (oxidation states of the input kept).
        energy_eV: total energy of the relaxed cell.
        energy_per_atom_eV: energy per atom.
        abc_angstrom: lattice lengths a, b, c.
        angles_deg: lattice angles alpha, beta, gamma.
        volume_angstrom3: cell volume.
        converged: True when max force (and stress, for cell relaxations) fell below fmax.
        n_steps: optimiser steps taken.
        max_force_eV_per_angstrom: largest residual force component norm.
        model: model label, e.g. "chgnet:0.3.0".
        wall_s: seconds spent.
    """

    structure: Structure
    energy_eV: float
    energy_per_atom_eV: float
    abc_angstrom: tuple[float, float, float]
    angles_deg: tuple[float, float, float]
    volume_angstrom3: float
    converged: bool
    n_steps: int
    max_force_eV_per_angstrom: float
    model: str
    wall_s: float


def _relax_uncached(
    structure: Structure,
    calculator: Calculator,
    label: str,
    fmax: float,
    relax_cell: bool,
    max_steps: int,
    keep_cell_shape: bool,
    optimizer_name: str,
) -> RelaxResult:
    start = time.perf_counter()
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = calculator
    target = FrechetCellFilter(atoms, hydrostatic_strain=keep_cell_shape) if relax_cell else atoms
    optimizer = OPTIMIZERS[optimizer_name](target, logfile=None)
    converged = bool(optimizer.run(fmax=fmax, steps=max_steps))
    forces = atoms.get_forces()
    energy = float(atoms.get_potential_energy())
    relaxed = AseAtomsAdaptor.get_structure(atoms)
    if any(hasattr(sp, "oxi_state") for sp in structure.composition):
        relaxed.add_oxidation_state_by_site([getattr(s.specie, "oxi_state", 0) for s in structure])
    lattice = relaxed.lattice
    result = RelaxResult(
        structure=relaxed,
        energy_eV=energy,
        energy_per_atom_eV=energy / len(atoms),
        abc_angstrom=(float(lattice.a), float(lattice.b), float(lattice.c)),
        angles_deg=(float(lattice.alpha), float(lattice.beta), float(lattice.gamma)),
        volume_angstrom3=float(lattice.volume),
        converged=converged,
        n_steps=int(optimizer.nsteps),
        max_force_eV_per_angstrom=float(np.linalg.norm(forces, axis=1).max()),
        model=label,
        wall_s=time.perf_counter() - start,
    )
    if not converged:
        logger.warning(
            "relaxation of %s not converged after %d steps (max force %.3f eV/Å)",
            structure.composition.reduced_formula,
            max_steps,
            result.max_force_eV_per_angstrom,
        )
    return result


def relax(
    structure: Structure,
    calculator: Calculator | str = "chgnet",
    fmax: float = 0.02,
    relax_cell: bool = True,
    max_steps: int = 500,
    store: Any | None = None,
    keep_cell_shape: bool = False,
    optimizer: str = "FIRE",
) -> RelaxResult:
    """Relax atomic positions (and the cell) of an ordered structure.

    Uses an ASE optimiser (FIRE by default) on a FrechetCellFilter, which relaxes cell shape and
    volume together with positions (stress converged to fmax in eV/Å^3 scaled by the
    filter).

    Args:
        structure: ordered pymatgen Structure (no partial occupancies).
        calculator: ASE calculator or registered model name ("chgnet", "sevennet", ...).
        fmax: force convergence in eV/Å.
        relax_cell: also relax the cell (True) or positions only.
        max_steps: optimiser step limit; ``converged`` tells whether fmax was reached.
        store: optional ``sselab.pipeline.ResultStore``; a repeated relaxation of the
            same (structure, model, settings) is then a lookup.
        keep_cell_shape: relax the volume only (hydrostatic strain), keeping the cell's
            shape. Small ordered cells of a disordered cubic solid solution can shear
            into a layered compound (CHGNet turns the 14-atom Li5NS cell tetragonal,
            c/a = 1.18, and 27 meV/atom lower); keeping the shape models the cubic
            average structure that the experiment sees.
        optimizer: a name in :data:`OPTIMIZERS` ("FIRE" or "FIRE2", see there for the
            measured difference).

    Returns:
        RelaxResult with the relaxed structure, energies in eV and lattice in Å.

    Raises:
        ValueError: the structure has partial occupancies, or ``optimizer`` is unknown.

    Example:
        >>> from sselab.structures import antifluorite
        >>> result = relax(antifluorite(0.0), "chgnet", fmax=0.05)
        >>> round(result.abc_angstrom[0], 1)  # Li2S, experiment 5.70 Å
        5.7
    """
    if not structure.is_ordered:
        raise ValueError(
            f"{structure.composition.reduced_formula} has partial occupancies: relax an ordered "
            "supercell (sselab.structures.enumerate_orderings) instead"
        )
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{optimizer}'; choose from {sorted(OPTIMIZERS)}")
    label = calculator_label(calculator)

    def compute() -> dict[str, Any]:
        calc = get_calculator(calculator) if isinstance(calculator, str) else calculator
        return _relax_uncached(
            structure, calc, label, fmax, relax_cell, max_steps, keep_cell_shape, optimizer
        ).as_dict()

    if store is None:
        return RelaxResult.from_dict(compute())
    inputs = {
        "structure": structure,
        "model": label,
        "fmax": fmax,
        "relax_cell": relax_cell,
        "max_steps": max_steps,
        "keep_cell_shape": keep_cell_shape,
    }
    if optimizer != "FIRE":
        # FIRE relaxations keep the cache keys they had before the optimiser was a setting
        inputs["optimizer"] = optimizer
    return RelaxResult.from_dict(store.cached("relax", inputs, compute))
