"""MLIP energies of reference phases as pymatgen entries, under a documented energy scheme.

Energy reference schemes (``scheme``):

* ``"raw"`` (default): the MLIP total energies as they are. CHGNet and SevenNet-0 were
  both trained on MPtrj (Materials Project GGA/GGA+U relaxations); elemental N2 and S8
  get the MLIP's own energy of the molecular crystal, relaxed like every other phase.
* ``"mp2020"``: the Materials Project 2020 anion corrections (pymatgen's
  ``MaterialsProject2020Compatibility``, oxidation-state aware) are added on top: -S
  per sulfide/polysulfide S, -N per nitride N; elemental N2 and S8 and the azide
  LiN3 (N formally -1/3) get none.

Whichever is used, the energy above the Li2S-Li3N tie line of Li(2+x)N(x)S(1-x) is
the same: each correction is a constant per anion atom, and Li(2+x)N(x)S(1-x) =
x Li3N + (1 - x) Li2S holds atom by atom, so the corrections cancel. The scheme only
moves phases with a different anion type (elements, LiN3) relative to the tie line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymatgen.core import Structure
from pymatgen.entries.compatibility import MaterialsProject2020Compatibility
from pymatgen.entries.computed_entries import ComputedStructureEntry
from tqdm.auto import tqdm

from sselab.calculators import model_label, relax
from sselab.roundtrip import RoundTrip

logger = logging.getLogger(__name__)

SCHEMES = ("raw", "mp2020")


@dataclass
class PhaseEnergy(RoundTrip):
    """Relaxed MLIP energy of one phase.

    Attributes:
        name: phase label, e.g. "alpha-Li3N".
        formula: reduced formula.
        n_atoms: atoms in the relaxed cell.
        energy_eV: total energy of the cell.
        energy_per_atom_eV: energy per atom.
        converged: whether the relaxation reached fmax.
        model: model label, e.g. "chgnet:0.3.0".
        structure: relaxed structure.
    """

    name: str
    formula: str
    n_atoms: int
    energy_eV: float
    energy_per_atom_eV: float
    converged: bool
    model: str
    structure: Structure


def relax_phases(
    structures: Mapping[str, Structure],
    model: str = "chgnet",
    fmax: float = 0.05,
    max_steps: int = 300,
    store: Any | None = None,
    primitive_above_atoms: int = 40,
    progress: bool = True,
) -> dict[str, PhaseEnergy]:
    """Relax each phase (cell and positions) with the MLIP and return its energy.

    Args:
        structures: name -> ordered structure.
        model: registered MLIP name ("chgnet", "sevennet", ...).
        fmax: force threshold in eV/Å.
        max_steps: optimiser step limit.
        store: optional ResultStore (a rerun is a lookup).
        primitive_above_atoms: cells larger than this are reduced to their primitive cell
            (S8: 128 -> 32 atoms). Smaller ones are kept: CHGNet is several times slower
            per atom on skewed few-atom primitive cells (measured 1.2 s vs 0.2 s per
            force call for 4-atom primitive vs 8-atom conventional LiN3).
        progress: a progress bar over the phases.

    Returns:
        name -> PhaseEnergy.

    Example:
        >>> from sselab.structures import reference_phases
        >>> energies = relax_phases(reference_phases(["Li"]), fmax=0.1)
        >>> round(energies["Li"].energy_per_atom_eV, 1)
        -1.9
    """
    out: dict[str, PhaseEnergy] = {}
    phases = tqdm(structures.items(), desc="relax phases", leave=False, disable=not progress)
    for name, structure in phases:
        cell = structure
        if len(structure) > primitive_above_atoms:
            cell = structure.get_primitive_structure().get_reduced_structure()
        result = relax(cell, model, fmax=fmax, max_steps=max_steps, store=store)
        out[name] = PhaseEnergy(
            name=name,
            formula=result.structure.composition.reduced_formula,
            n_atoms=len(result.structure),
            energy_eV=result.energy_eV,
            energy_per_atom_eV=result.energy_per_atom_eV,
            converged=result.converged,
            model=model_label(model),
            structure=result.structure,
        )
    return out


def to_entry(
    name: str, structure: Structure, energy_eV: float, scheme: str = "raw"
) -> ComputedStructureEntry:
    """A pymatgen entry of a relaxed cell with the energy scheme applied.

    Args:
        name: label stored as ``entry.data["name"]`` (and used as entry_id).
        structure: relaxed structure.
        energy_eV: MLIP total energy of that cell.
        scheme: "raw" or "mp2020" (see module docstring).

    Example:
        >>> from sselab.structures import reference_phases
        >>> s = reference_phases(["Li2S"])["Li2S"]
        >>> round(to_entry("Li2S", s, -50.0, "mp2020").correction, 3)  # 4 S x -0.503
        -2.012
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown energy scheme '{scheme}'; choose from {SCHEMES}")
    data: dict[str, Any] = {"name": name}
    oxidation_states = {
        sp.symbol: float(oxi)
        for sp in structure.composition
        if (oxi := getattr(sp, "oxi_state", None)) is not None
    }
    if oxidation_states:
        # Known charges (Li+, S2-, N3- of the ordered cells): pymatgen's guess gives up on
        # 25+ atom cells and then corrects only the most electronegative anion, which
        # breaks the cancellation of corrections on the Li2S-Li3N tie line.
        data["oxidation_states"] = oxidation_states
    plain = structure.copy()
    plain.remove_oxidation_states()
    entry = ComputedStructureEntry(
        plain,
        energy_eV,
        parameters={"run_type": "GGA", "hubbards": {}, "is_hubbard": False},
        data=data,
        entry_id=name,
    )
    if scheme == "mp2020":
        corrected = MaterialsProject2020Compatibility(check_potcar=False).process_entry(entry)
        if corrected is None:
            raise ValueError(f"MP2020 compatibility rejected phase '{name}'")
        entry = corrected
    return entry


def entry_name(entry: Any) -> str:
    """The phase name of an entry made by :func:`to_entry` (else its reduced formula).

    Example:
        >>> from sselab.structures import reference_phases
        >>> entry_name(to_entry("Li2S", reference_phases(["Li2S"])["Li2S"], -50.0))
        'Li2S'
    """
    return str(entry.data.get("name", entry.composition.reduced_formula))


def entries_from_energies(
    energies: Mapping[str, PhaseEnergy], scheme: str = "raw"
) -> list[ComputedStructureEntry]:
    """Entries for a PhaseDiagram from :func:`relax_phases` output.

    Example:
        >>> entries_from_energies({}, "raw")
        []
    """
    return [to_entry(n, e.structure, e.energy_eV, scheme) for n, e in energies.items()]
