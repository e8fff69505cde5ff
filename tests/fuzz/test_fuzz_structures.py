"""Fuzzing the structure readers (CIF, POSCAR, extxyz, JSON): refuse with one line, or read.

Property, for every mutated file: ``read_structure`` either raises
``StructureFileError`` whose message starts with the file's path, or returns a
structure that passes the validation gate (finite cell, finite coordinates, no
overlapping atoms) — never another exception, a hang or a NaN. Mutations: those of
``tests/fuzz/mutate.py`` (truncation, byte flips, injected nan/inf/huge numbers,
repeated lines, re-encodings, empty or header-only files).

CI runs a short profile; ``SSELAB_FUZZ_EXAMPLES=2000 pytest -m slow tests/fuzz`` the long one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from tests.fuzz.mutate import LONG_EXAMPLES, fuzz_settings, mutations, time_limit

from sselab.structures import StructureFileError, antifluorite, read_structure, validate_structure

FORMATS = {"cif": "Li2S.cif", "poscar": "POSCAR", "extxyz": "Li2S.extxyz", "json": "Li2S.json"}
SECONDS_PER_FILE = 20


def _seed_files(folder: Path) -> dict[str, bytes]:
    ordered = antifluorite(0.0)
    texts = {}
    for kind, name in FORMATS.items():
        path = folder / name
        if kind == "extxyz":
            from ase.io import write
            from pymatgen.io.ase import AseAtomsAdaptor

            write(path, AseAtomsAdaptor.get_atoms(ordered), format="extxyz")
        elif kind == "cif":
            antifluorite(0.5).to(filename=str(path))  # partial occupancies
        else:
            ordered.to(filename=str(path), fmt="poscar" if kind == "poscar" else "json")
        texts[kind] = path.read_bytes()
    return texts


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _seed_files(tmp_path_factory.mktemp("seeds"))


def _check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        with time_limit(SECONDS_PER_FILE):
            structure = read_structure(path)
    except StructureFileError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:"), message
        assert "\n" not in message.strip() or "Traceback" not in message
        return
    validate_structure(structure, str(path))
    assert np.all(np.isfinite(structure.lattice.matrix))
    assert np.all(np.isfinite(structure.cart_coords))


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_structure_readers_refuse_or_read_finite(
    kind: str, seeds: dict[str, bytes], tmp_path: Path
) -> None:
    @fuzz_settings()
    @given(data=mutations(seeds[kind]))
    def run(data: bytes) -> None:
        _check(tmp_path / FORMATS[kind], data)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_structure_readers_long_profile(kind: str, seeds: dict[str, bytes], tmp_path: Path) -> None:
    @fuzz_settings(LONG_EXAMPLES, long=True)
    @given(data=mutations(seeds[kind]))
    def run(data: bytes) -> None:
        _check(tmp_path / FORMATS[kind], data)

    run()
