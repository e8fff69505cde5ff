"""The structure validation gate: every reader and command refuses unphysical structures.

Each case below once passed silently or crashed: a NaN lattice constant made
``sselab xrd`` die with a segmentation fault, a Li 0.005 Å from S relaxed into a
collapsed cell reported as converged, and a truncated CIF either read as a smaller
structure or failed with a bare parser key.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Structure

from sselab.structures import (
    StructureFileError,
    StructureValidationError,
    antifluorite,
    read_structure,
    validate_structure,
)


@pytest.fixture
def li2s_cif(tmp_path: Path) -> Path:
    path = tmp_path / "Li2S.cif"
    antifluorite(0.0).to(filename=str(path))
    return path


def _nan_cell(li2s_cif: Path) -> Path:
    text = li2s_cif.read_text()
    bad = li2s_cif.with_name("nan_cell.cif")
    lines = [
        "_cell_length_a   nan" if line.startswith("_cell_length_a") else line
        for line in text.splitlines()
    ]
    bad.write_text("\n".join(lines) + "\n")
    return bad


def _overlap(li2s_cif: Path) -> Path:
    structure = Structure.from_file(li2s_cif)
    shifted = structure[0].coords + np.array([0.005, 0.0, 0.0])
    structure.append("Li", shifted, coords_are_cartesian=True)
    bad = li2s_cif.with_name("overlap.cif")
    structure.to(filename=str(bad))
    return bad


def test_nan_lattice_is_refused_naming_the_file(li2s_cif: Path) -> None:
    bad = _nan_cell(li2s_cif)
    with pytest.raises(StructureFileError, match=r"nan_cell\.cif: lattice is not finite"):
        read_structure(bad)


def test_typos_that_only_a_fuzzer_would_type_are_refused_not_a_crash(li2s_cif: Path) -> None:
    """Python reads "5_4435" as 54435 (digit separators): the neighbour search then tried
    to allocate 187 GB. A position of -1e300 Å made its C code fail on a NULL pointer."""
    text = li2s_cif.read_text()
    a_line = next(line for line in text.splitlines() if line.startswith("_cell_length_a"))
    typo = li2s_cif.with_name("typo.cif")
    typo.write_text(text.replace(a_line, a_line.replace(".", "_", 1) + "00000"))
    with pytest.raises(StructureFileError, match=r"typo\.cif: cell volume .* a typo in a cell"):
        read_structure(typo)
    far = antifluorite(0.0)
    far.replace(0, far[0].species, [-1e300 / far.lattice.a, 0.0, 0.0])
    with pytest.raises(StructureValidationError, match=r"Li2S: site 0 lies .* cells from the"):
        validate_structure(far, "Li2S")


def test_overlapping_atoms_are_refused_naming_both_sites(li2s_cif: Path) -> None:
    with pytest.raises(StructureFileError, match=r"overlap\.cif: site 0 .* 0\.005 Å apart"):
        read_structure(_overlap(li2s_cif))


def test_split_sites_of_a_disordered_cif_are_alternatives_not_overlaps() -> None:
    structure = antifluorite(0.0)
    a = structure.lattice.a
    # a Li split over two positions 0.3 Å apart, each half occupied: a common CIF idiom
    structure.append({"Li": 0.5}, [0.5, 0.5, 0.5])
    structure.append({"Li": 0.5}, [0.5 + 0.3 / a, 0.5, 0.5])
    assert validate_structure(structure).num_sites == 14
    structure.replace(13, {"Li": 0.8}, [0.5 + 0.3 / a, 0.5, 0.5])
    with pytest.raises(StructureValidationError, match="closer than"):
        validate_structure(structure)


@pytest.mark.parametrize("keep_chars", [419, 566, 783, 1000, 1217])
def test_truncated_cif_says_so_and_never_reads_a_smaller_structure(
    li2s_cif: Path, keep_chars: int
) -> None:
    bad = li2s_cif.with_name("truncated.cif")
    bad.write_text(li2s_cif.read_text()[:keep_chars])
    with pytest.raises(StructureFileError) as caught:
        read_structure(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}:")
    assert "truncated" in message
    assert not message.rstrip().endswith("')")  # no bare parser key as the last word


_P1_CIF = """data_toy
_cell_length_a 4.0
_cell_length_b 4.0
_cell_length_c 4.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
{rows}
"""


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # pymatgen reads "Va" as vanadium: Li0.9V0.1Cl, a cation that is not there
        (
            "Li1 Li 0 0 0 0.9\nVa1 Va 0 0 0 0.1\nCl1 Cl 0.5 0.5 0.5 1",
            "atom site Va1: type 'Va' is a vacancy",
        ),
        # pymatgen drops the row, and the structure has no Li at all
        (
            "Li1 Li 0 0 0 -0.5(1)\nCl1 Cl 0.5 0.5 0.5 1",
            "atom site Li1: _atom_site_occupancy -0.5(1) must be > 0",
        ),
        ("Li1 Li 0 0 0 0\nCl1 Cl 0.5 0.5 0.5 1", "atom site Li1: _atom_site_occupancy 0 must"),
        (
            "Li1 Li 0 0 0 1.02(3)\nCl1 Cl 0.5 0.5 0.5 1",
            "atom site Li1: _atom_site_occupancy 1.02(3) is above 1",
        ),
    ],
)
def test_cif_rows_pymatgen_would_misread_are_refused_by_label(
    tmp_path: Path, rows: str, expected: str
) -> None:
    path = tmp_path / "toy.cif"
    path.write_text(_P1_CIF.format(rows=rows))
    with pytest.raises(StructureFileError, match=rf"^{path}: {re.escape(expected)}"):
        read_structure(path)


@pytest.mark.parametrize("command", ["xrd", "relax", "bvse"])
@pytest.mark.parametrize("case", ["nan", "overlap"])
def test_commands_exit_with_one_line_not_a_crash(li2s_cif: Path, command: str, case: str) -> None:
    bad = _nan_cell(li2s_cif) if case == "nan" else _overlap(li2s_cif)
    # a subprocess: the NaN cell once killed the interpreter with SIGSEGV
    run = subprocess.run(
        [sys.executable, "-c", "from sselab.cli import app; app()", command, str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=li2s_cif.parent,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert f"error: {bad}" in run.stderr


def test_cif_row_checks_read_upper_case_tags_and_single_atom_files(tmp_path: Path) -> None:
    rows = "Li1 Li 0 0 0 -0.5\nCl1 Cl 0.5 0.5 0.5 1"
    path = tmp_path / "upper.cif"
    path.write_text(
        _P1_CIF.format(rows=rows).replace("_atom_site_occupancy", "_ATOM_SITE_OCCUPANCY")
    )
    with pytest.raises(StructureFileError, match=r"atom site Li1: _atom_site_occupancy -0\.5"):
        read_structure(path)
    single = _P1_CIF.split("loop_\n_atom_site_label")[0] + (
        "_atom_site_label Va1\n_atom_site_type_symbol Va\n_atom_site_fract_x 0\n"
        "_atom_site_fract_y 0\n_atom_site_fract_z 0\n_atom_site_occupancy 1\n"
    )
    path.write_text(single)
    with pytest.raises(StructureFileError, match=r"atom site Va1: type 'Va' is a vacancy"):
        read_structure(path)


def test_cif_with_several_structures_is_refused_but_a_publication_block_is_not(
    tmp_path: Path,
) -> None:
    one = _P1_CIF.format(rows="Li1 Li 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1")
    two = one.replace("data_toy", "data_impurity").replace("4.0", "4.4")
    path = tmp_path / "two.cif"
    path.write_text(one + "\n" + two)
    # pymatgen would take the first block without a word
    with pytest.raises(StructureFileError, match=r"holds 2 structures \(data_toy, data_impurity\)"):
        read_structure(path)
    publication = "data_global\n_publ_section_title 'A paper'\n_journal_year 2024\n\n"
    path.write_text(publication + one)
    assert read_structure(path).composition.reduced_formula == "LiCl"
