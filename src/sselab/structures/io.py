"""Reading user structures (CIF, POSCAR/CONTCAR, extxyz, ...) with errors that name the file."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.structures.validate import (
    MIN_DISTANCE_ANGSTROM,
    OCCUPANCY_ROUNDING,
    StructureValidationError,
    validate_structure,
)


class StructureFileError(ValueError):
    """A structure file is missing, empty or malformed; the message names file and problem."""


# Vacancy pseudo-elements some programs write as atom-site rows; pymatgen reads "Va" as
# vanadium (it strips symbols to a valid element), which would silently add a cation.
_VACANCY_SYMBOL = re.compile(r"^(va|vac|vc)(?![a-z])", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _check_cif_rows(path: Path) -> None:
    """Refuse atom-site rows pymatgen would misread without a word, naming the row.

    pymatgen drops a row with a zero or negative occupancy (the structure then lacks
    the element, or a site), reads a vacancy row "Va" as vanadium, and refuses an
    occupancy above 1 in its own words; of a file with several structures it reads the
    first.
    """
    from pymatgen.io.cif import CifFile

    try:
        blocks = list(CifFile.from_str(path.read_text(errors="replace")).data.items())
    except Exception:  # malformed files get the parser's own message in read_structure
        return
    # CIF tags are case-insensitive, and a one-atom structure may be written without
    # loop_ (single values): every tag lower-cased, every value a list
    tables = [
        (name, {key.lower(): v if isinstance(v, list) else [v] for key, v in block.data.items()})
        for name, block in blocks
    ]
    with_atoms = [name for name, table in tables if "_atom_site_label" in table]
    if len(with_atoms) > 1:
        # pymatgen would take the first silently: an impurity phase or another temperature
        # of a variable-temperature series could be what gets screened
        raise StructureFileError(
            f"{path}: holds {len(with_atoms)} structures (data_{', data_'.join(with_atoms)}); "
            "sselab reads one structure per file: split it into one file per data block"
        )
    for _, table in tables:
        labels = table.get("_atom_site_label")
        if labels is None:
            continue
        symbols = table.get("_atom_site_type_symbol", labels)
        occupancies = table.get("_atom_site_occupancy", ["1"] * len(labels))
        for label, symbol, occupancy in zip(labels, symbols, occupancies, strict=False):
            if _VACANCY_SYMBOL.match(str(symbol)):
                raise StructureFileError(
                    f"{path}: atom site {label}: type {symbol!r} is a vacancy, not an "
                    "element; leave vacancy rows out (a site's missing occupancy is its "
                    "vacancy)"
                )
            number = _NUMBER.match(str(occupancy).strip())
            if number is not None and float(number.group(0)) <= 0:
                raise StructureFileError(
                    f"{path}: atom site {label}: _atom_site_occupancy {occupancy} must be > 0 "
                    "(remove an empty site's row)"
                )
            if number is not None and float(number.group(0)) > 1 + OCCUPANCY_ROUNDING:
                # refined occupancies can exceed 1 within their error; which value the
                # site really has is the user's call, not a silent rescaling
                raise StructureFileError(
                    f"{path}: atom site {label}: _atom_site_occupancy {occupancy} is above 1; "
                    "write 1 if the site is full within its error"
                )


def _parse(path: Path, name: str) -> Structure:
    if name.endswith((".xyz", ".extxyz")):
        from ase.io import read

        atoms = read(path, format="extxyz", index=-1)
        assert not isinstance(atoms, list)  # index=-1 reads one frame
        if not atoms.pbc.any() or atoms.cell.rank < 3:
            raise StructureFileError(f"{path}: extxyz frame has no periodic cell (Lattice=)")
        return AseAtomsAdaptor.get_structure(atoms)
    return Structure.from_file(path)


def _explain(exc: Exception) -> str:
    """Parser internals in words a user can act on (pymatgen's CIF errors are terse)."""
    text = str(exc).strip()
    if isinstance(exc, ZeroDivisionError) or "is not a multiple of" in text:
        return f"a CIF loop has a value count that does not fit its columns ({text}): truncated?"
    if isinstance(exc, KeyError):
        return f"required field {text} is missing: truncated or incomplete file?"
    if "zip() argument" in text:
        return f"a CIF loop is incomplete ({text}): truncated?"
    return f"{type(exc).__name__}: {text}"


def read_structure(
    path: str | Path, min_distance_angstrom: float = MIN_DISTANCE_ANGSTROM
) -> Structure:
    """Read a periodic structure from CIF, POSCAR/CONTCAR/vasp, extxyz/xyz or JSON.

    CIFs keep partial occupancies (disordered solid solutions stay disordered). Every
    structure passes :func:`sselab.structures.validate.validate_structure` (finite
    cell, finite coordinates, occupancies in (0, 1], no overlapping atoms); a CIF
    whose atoms disagree with its own ``_chemical_formula_sum`` (a truncated atom
    loop reads as a smaller structure) is refused.

    Args:
        path: file path; the format is inferred from name and extension.
        min_distance_angstrom: closest allowed distance between atoms (Å).

    Returns:
        pymatgen Structure.

    Raises:
        StructureFileError: file missing, empty, unreadable, or holding no atoms or no
            periodic cell; the message names the file and the problem.

    Example:
        >>> from sselab.structures import antifluorite
        >>> _ = antifluorite(0.5).to(filename="/tmp/li25.cif")
        >>> read_structure("/tmp/li25.cif").composition.reduced_composition.alphabetical_formula
        'Li5 N1 S1'
    """
    path = Path(path)
    if not path.exists():
        raise StructureFileError(f"{path}: no such file")
    if path.is_dir():
        raise StructureFileError(f"{path}: is a directory, expected a structure file")
    if path.stat().st_size == 0 or not path.read_bytes().strip():
        raise StructureFileError(f"{path}: file is empty")
    name = path.name.lower()
    if name.endswith(".cif"):
        _check_cif_rows(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            structure = _parse(path, name)
        except StructureFileError:
            raise
        except Exception as exc:  # pymatgen/ASE raise many exception types for bad input
            detail = _explain(exc)
            parser_notes = "; ".join(
                " ".join(str(w.message).split()) for w in caught[:2] if "'" not in str(w.message)
            )
            if parser_notes:
                detail += f" (parser: {parser_notes})"
            raise StructureFileError(f"{path}: cannot read structure: {detail}") from exc
    for warning in caught:
        message = " ".join(str(warning.message).split())
        if message.startswith(("Incorrect stoichiometry", "Missing elements")):
            raise StructureFileError(
                f"{path}: the atoms read do not match the file's _chemical_formula_sum "
                f"(truncated atom list or missing sites): {message}"
            )
    if len(structure) == 0:
        raise StructureFileError(f"{path}: no atoms found")
    try:
        validate_structure(structure, str(path), min_distance_angstrom)
    except StructureValidationError as exc:
        raise StructureFileError(str(exc)) from exc
    return structure
