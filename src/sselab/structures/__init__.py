"""Structures: antifluorite solid solutions, ordered supercells, reference phases, readers."""

from sselab.structures.antifluorite import (
    PAPER_INTERSTITIAL_U,
    PARENT_A_ANGSTROM,
    antifluorite,
    nominal_composition,
)
from sselab.structures.cells import (
    SUPERCELLS,
    anion_indices,
    pseudo_cubic_a,
    supercell_for_x,
)
from sselab.structures.io import StructureFileError, read_structure
from sselab.structures.orderings import (
    actual_x,
    enumerate_orderings,
    ewald_energy_per_atom,
    lowest_energy_ordering,
)
from sselab.structures.references import REFERENCE_BUILDERS, reference_phases
from sselab.structures.validate import (
    MIN_DISTANCE_ANGSTROM,
    StructureValidationError,
    validate_structure,
)

__all__ = [
    "MIN_DISTANCE_ANGSTROM",
    "PAPER_INTERSTITIAL_U",
    "PARENT_A_ANGSTROM",
    "REFERENCE_BUILDERS",
    "SUPERCELLS",
    "StructureFileError",
    "StructureValidationError",
    "actual_x",
    "anion_indices",
    "antifluorite",
    "enumerate_orderings",
    "ewald_energy_per_atom",
    "lowest_energy_ordering",
    "nominal_composition",
    "pseudo_cubic_a",
    "read_structure",
    "reference_phases",
    "supercell_for_x",
    "validate_structure",
]
