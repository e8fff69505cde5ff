"""One validation gate for every structure sselab reads or is given.

A structure passes when its lattice is finite with a positive volume of at most
``MAX_VOLUME_PER_ATOM_ANGSTROM3`` per site, every coordinate is finite and within
``MAX_FRACTIONAL_COORDINATE`` cells of the origin, every occupancy lies in (0, 1] with
site sums <= 1, every species is a real element, and no two atoms sit closer than a
physical minimum (0.5 Å by default: the shortest bond in any solid, H2, is 0.74 Å).
Two partially occupied sites closer than that are allowed when their occupancies sum
to <= 1: they are alternatives (split sites in a disordered CIF), never both filled.

Without this gate a CIF with ``_cell_length_a nan`` crashed the diffraction code
with a segmentation fault, and a Li 0.005 Å from S relaxed "converged" into a
collapsed cell.

Example:
    >>> from sselab.structures import antifluorite
    >>> validate_structure(antifluorite(0.0), source="Li2S").num_sites
    12
"""

from __future__ import annotations

import math

import numpy as np
from pymatgen.core import Element, Structure

MIN_DISTANCE_ANGSTROM = 0.5
# Limits that only typos break: a slab with 30 Å of vacuum has ~200 Å^3 per atom, and a
# position more than 1000 cells from the origin is not a crystal coordinate.
MAX_VOLUME_PER_ATOM_ANGSTROM3 = 2000.0
MAX_FRACTIONAL_COORDINATE = 1000.0
OCCUPANCY_ROUNDING = 1e-3  # CIFs round occupancies to 3-4 digits


class StructureValidationError(ValueError):
    """A structure breaks a physical rule; the message names the source, site(s) and rule."""


def _site_label(structure: Structure, index: int) -> str:
    site = structure[index]
    label = getattr(site, "label", None) or site.species_string
    frac = ", ".join(f"{c:.4f}" for c in site.frac_coords)
    return f"site {index} ({label} at {frac})"


def validate_structure(
    structure: Structure,
    source: str = "structure",
    min_distance_angstrom: float = MIN_DISTANCE_ANGSTROM,
) -> Structure:
    """Check a structure against the rules in the module docstring and return it unchanged.

    Args:
        structure: pymatgen Structure (ordered or with partial occupancies).
        source: what to name in errors, e.g. the file path.
        min_distance_angstrom: closest allowed distance between two atoms that can
            both be present.

    Raises:
        StructureValidationError: naming ``source``, the offending site(s) and the rule.
    """
    lattice = structure.lattice.matrix
    if not np.all(np.isfinite(lattice)):
        raise StructureValidationError(
            f"{source}: lattice is not finite (a, b, c = {structure.lattice.abc})"
        )
    volume = float(structure.lattice.volume)
    if not math.isfinite(volume) or volume <= 1e-6:
        raise StructureValidationError(f"{source}: cell volume is {volume:g} Å^3, not positive")
    if len(structure) == 0:
        raise StructureValidationError(f"{source}: no atoms")
    if volume / len(structure) > MAX_VOLUME_PER_ATOM_ANGSTROM3:
        # a typo such as "5_4435" (read as 54435 Å) would otherwise reach the neighbour
        # search, which allocates by the number of cells in reach (187 GB in one case)
        raise StructureValidationError(
            f"{source}: cell volume {volume:.4g} Å^3 for {len(structure)} sites, "
            f"{volume / len(structure):.3g} Å^3 per site (solids: 5-100; limit "
            f"{MAX_VOLUME_PER_ATOM_ANGSTROM3:g}): a typo in a cell length (a, b, c = "
            f"{', '.join(f'{x:.6g}' for x in structure.lattice.abc)} Å), or not a crystal (a "
            "molecule in a box)?"
        )
    # an atom closer than the minimum to its own periodic image is an overlap too; checking
    # the cell heights first also bounds the neighbour search on a degenerate cell
    heights = volume / np.linalg.norm(np.cross(lattice[[1, 2, 0]], lattice[[2, 0, 1]]), axis=1)
    if heights.min() < min_distance_angstrom:
        raise StructureValidationError(
            f"{source}: the cell is {heights.min():.3g} Å thick along one axis, so every atom "
            f"is closer than {min_distance_angstrom} Å to its own periodic image"
        )
    frac = np.array([site.frac_coords for site in structure])
    bad = np.flatnonzero(~np.all(np.isfinite(frac), axis=1))
    if bad.size:
        raise StructureValidationError(f"{source}: site {int(bad[0])} has non-finite coordinates")
    far = np.flatnonzero(np.abs(frac).max(axis=1) > MAX_FRACTIONAL_COORDINATE)
    if far.size:
        # finite but huge (1e300 Å) positions break the neighbour search's C code
        raise StructureValidationError(
            f"{source}: site {int(far[0])} lies {np.abs(frac[far[0]]).max():.3g} cells from "
            f"the origin (limit {MAX_FRACTIONAL_COORDINATE:g}): a typo in its coordinates?"
        )
    occupancy = np.zeros(len(structure))
    for i, site in enumerate(structure):
        for species, amount in site.species.items():
            if not isinstance(getattr(species, "element", species), Element):
                raise StructureValidationError(
                    f"{source}: {_site_label(structure, i)}: '{species}' is not an element"
                )
            if not (0.0 < amount <= 1.0 + OCCUPANCY_ROUNDING):
                raise StructureValidationError(
                    f"{source}: {_site_label(structure, i)}: occupancy {amount:g} of {species} "
                    "is outside (0, 1]"
                )
        occupancy[i] = sum(site.species.values())
        if occupancy[i] > 1.0 + OCCUPANCY_ROUNDING:
            raise StructureValidationError(
                f"{source}: {_site_label(structure, i)}: occupancies sum to {occupancy[i]:.4f} > 1"
            )
    _check_distances(structure, source, min_distance_angstrom, occupancy)
    return structure


def _check_distances(
    structure: Structure, source: str, min_distance: float, occupancy: np.ndarray
) -> None:
    if len(structure) < 2 and min(structure.lattice.abc) >= min_distance:
        return
    centres, neighbours, _, distances = structure.get_neighbor_list(min_distance)
    for i, j, distance in zip(centres, neighbours, distances, strict=True):
        if i == j and distance < 1e-8:
            continue
        # split sites of a disordered CIF: alternatives that are never both occupied
        both_partial = occupancy[i] < 1.0 - OCCUPANCY_ROUNDING and occupancy[j] < 1.0
        if i != j and both_partial and occupancy[i] + occupancy[j] <= 1.0 + OCCUPANCY_ROUNDING:
            continue
        raise StructureValidationError(
            f"{source}: {_site_label(structure, int(i))} and {_site_label(structure, int(j))} "
            f"are {distance:.3f} Å apart, closer than the {min_distance} Å minimum "
            "(overlapping atoms or a wrong cell; pass min_distance_angstrom to change the limit)"
        )
