"""Structures: antifluorite solid solutions, ordered supercells, reference phases, readers."""

from sselab.structures.antifluorite import (
    PAPER_INTERSTITIAL_U,
    PARENT_A_ANGSTROM,
    antifluorite,
    nominal_composition,
)
from sselab.structures.io import StructureFileError, read_structure
from sselab.structures.orderings import (
    actual_x,
    enumerate_orderings,
    ewald_energy_per_atom,
    lowest_energy_ordering,
)
from sselab.structures.references import REFERENCE_BUILDERS, reference_phases

__all__ = [
    "PAPER_INTERSTITIAL_U",
    "PARENT_A_ANGSTROM",
    "REFERENCE_BUILDERS",
    "StructureFileError",
    "actual_x",
    "antifluorite",
    "enumerate_orderings",
    "ewald_energy_per_atom",
    "lowest_energy_ordering",
    "nominal_composition",
    "read_structure",
    "reference_phases",
]
