"""The validation set of the screen: Li conductors with measured sigma_RT and published structures.

The data live in ``sselab/data/validation/conductors.toml`` (one ``[[conductor]]`` per
compound: space group, lattice, Wyckoff sites with occupancies, or a CIF beside it;
sigma_RT in S/cm, Ea in eV where reported; a citation for the structure and one for
sigma_RT). Structures are expanded with pymatgen ``Structure.from_spacegroup`` and
keep their partial occupancies, as a CIF from the literature would.

Example:
    >>> conductors = validation_set()
    >>> len(conductors) >= 25, conductors[0].name
    (True, 'Li2S')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from pymatgen.core import Lattice, Structure

from sselab.structures.validate import validate_structure

_PACKAGE = "sselab.data"
_FOLDER = "validation"


@dataclass(frozen=True)
class Conductor:
    """One compound of the validation set.

    Attributes:
        name: compound name as the literature writes it.
        formula: composition of the structure (the refined one where it differs).
        structure: site-averaged structure, partial occupancies kept.
        sigma_RT_S_per_cm: measured ionic conductivity near 25 °C (S/cm).
        activation_energy_eV: measured activation energy (eV) or None.
        structure_reference / sigma_reference: citations.
        note: caveats (idealised positions, extrapolations).
        li_metal_expected: "stable" or "reduced" against Li metal (None: marginal, not
            scored); li_metal_basis: why (chemistry or a cited DFT window).
    """

    name: str
    formula: str
    structure: Structure
    sigma_RT_S_per_cm: float
    activation_energy_eV: float | None
    structure_reference: str
    sigma_reference: str
    note: str = ""
    li_metal_expected: str | None = None
    li_metal_basis: str = ""


def _lattice(values: dict[str, float]) -> Lattice:
    a = values["a"]
    return Lattice.from_parameters(
        a,
        values.get("b", a),
        values.get("c", a),
        values.get("alpha", 90.0),
        values.get("beta", 90.0),
        values.get("gamma", 90.0),
    )


def _structure(entry: dict[str, Any]) -> Structure:
    folder = resources.files(_PACKAGE) / _FOLDER
    if "cif" in entry:
        text = (folder / entry["cif"]).read_text("utf-8")
        return Structure.from_str(text, fmt="cif")
    group = entry["space_group"]
    sites = entry["sites"]
    return Structure.from_spacegroup(
        group,
        _lattice(entry["lattice"]),
        [site["species"] for site in sites],
        [site["coords"] for site in sites],
        tol=1e-3,
    )


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    text = (resources.files(_PACKAGE) / _FOLDER / "conductors.toml").read_text("utf-8")
    return tuple(tomllib.loads(text)["conductor"])


def validation_set() -> list[Conductor]:
    """Every compound of the validation set, in file order (structures validated; each call
    returns fresh copies, the space-group expansion runs once per process).

    Example:
        >>> li3n = next(c for c in validation_set() if c.name == "alpha-Li3N")
        >>> li3n.structure.composition.reduced_formula, li3n.sigma_RT_S_per_cm
        ('Li3N', 0.0012)
    """
    return [replace(c, structure=c.structure.copy()) for c in _conductors()]


@cache
def _conductors() -> tuple[Conductor, ...]:
    out = []
    for entry in _entries():
        expected = entry.get("li_metal_expected")
        if expected not in (None, "stable", "reduced") or not entry.get("li_metal_basis"):
            raise ValueError(
                f"validation set: {entry['name']}: li_metal_expected = {expected!r} must be "
                "'stable', 'reduced' or absent, with a li_metal_basis saying why"
            )
        structure = validate_structure(_structure(entry), f"validation set: {entry['name']}")
        out.append(
            Conductor(
                name=entry["name"],
                formula=entry["formula"],
                structure=structure,
                sigma_RT_S_per_cm=float(entry["sigma_RT_S_per_cm"]),
                activation_energy_eV=entry.get("activation_energy_eV"),
                structure_reference=entry["structure_reference"],
                sigma_reference=entry["sigma_reference"],
                note=entry.get("note", ""),
                li_metal_expected=expected,
                li_metal_basis=entry["li_metal_basis"],
            )
        )
    return tuple(out)
