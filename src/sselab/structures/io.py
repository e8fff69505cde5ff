"""Reading user structures (CIF, POSCAR/CONTCAR, extxyz, ...) with errors that name the file."""

from __future__ import annotations

import warnings
from pathlib import Path

from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor


class StructureFileError(ValueError):
    """A structure file is missing, empty or malformed; the message names file and problem."""


def _parse(path: Path, name: str) -> Structure:
    if name.endswith((".xyz", ".extxyz")):
        from ase.io import read

        atoms = read(path, format="extxyz")
        if not atoms.pbc.any() or atoms.cell.rank < 3:
            raise StructureFileError(f"{path}: extxyz frame has no periodic cell (Lattice=)")
        return AseAtomsAdaptor.get_structure(atoms)
    return Structure.from_file(path)


def read_structure(path: str | Path) -> Structure:
    """Read a periodic structure from CIF, POSCAR/CONTCAR/vasp, extxyz/xyz or JSON.

    CIFs keep partial occupancies (disordered solid solutions stay disordered).

    Args:
        path: file path; the format is inferred from name and extension.

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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            structure = _parse(path, name)
        except StructureFileError:
            raise
        except Exception as exc:  # pymatgen/ASE raise many exception types for bad input
            detail = f"{type(exc).__name__}: {exc}".strip()
            parser_notes = "; ".join(str(w.message) for w in caught[:2])
            if parser_notes:
                detail += f" (parser: {parser_notes})"
            raise StructureFileError(f"{path}: cannot read structure: {detail}") from exc
    if len(structure) == 0:
        raise StructureFileError(f"{path}: no atoms found")
    if structure.volume <= 1e-6:
        raise StructureFileError(f"{path}: cell volume is zero")
    return structure
