"""Landscape files for VESTA: Gaussian .cube and VASP CHGCAR (eV above the global minimum)."""

from __future__ import annotations

from pathlib import Path

from ase import Atoms
from pymatgen.core import Structure

from sselab.transport.bvse.model import Landscape


def _atoms_for_output(structure: Structure) -> Atoms:
    """ASE Atoms with the majority species of each site (cube files hold no occupancies)."""
    numbers = [max(site.species.items(), key=lambda kv: kv[1])[0].Z for site in structure]
    return Atoms(
        numbers=numbers, cell=structure.lattice.matrix, positions=structure.cart_coords, pbc=True
    )


def write_cube(landscape: Landscape, path: str | Path) -> Path:
    """Write the landscape (eV above the global minimum) as a Gaussian .cube file (VESTA).

    Example:
        >>> import tempfile, pathlib
        >>> from sselab.structures import antifluorite
        >>> from sselab.transport.bvse.model import bvse_landscape
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> out = write_cube(scape, pathlib.Path(tempfile.mkdtemp()) / "li2s.cube")
        >>> out.suffix
        '.cube'
    """
    from ase.io.cube import write_cube as ase_write_cube

    path = Path(path)
    with path.open("w") as handle:
        ase_write_cube(
            handle,
            _atoms_for_output(landscape.structure),
            data=landscape.relative_eV,
            comment=f"sselab BVSE of {landscape.mobile} ({landscape.convention}), eV above min",
        )
    return path


def write_chgcar(landscape: Landscape, path: str | Path) -> Path:
    """Write the landscape in VASP CHGCAR format (pymatgen Chgcar) for VESTA.

    CHGCAR stores values times the cell volume; VESTA divides by it on reading, so it
    shows eV above the global minimum.

    Example:
        >>> import tempfile, pathlib
        >>> from sselab.structures import antifluorite
        >>> from sselab.transport.bvse.model import bvse_landscape
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> write_chgcar(scape, pathlib.Path(tempfile.mkdtemp()) / "CHGCAR").name
        'CHGCAR'
    """
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.vasp import Chgcar, Poscar

    path = Path(path)
    ordered = AseAtomsAdaptor.get_structure(_atoms_for_output(landscape.structure))
    data = {"total": landscape.relative_eV * landscape.structure.volume}
    Chgcar(Poscar(ordered), data).write_file(str(path))
    return path
