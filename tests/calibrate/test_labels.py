"""Labels: extxyz round trip with provenance, DFT-relaxation frames as a family, GPAW labelling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import Trajectory

from sselab.calibrate.configurations import generate_configurations, li_n_s_base_cells
from sselab.calibrate.labels import (
    label_configurations,
    read_labels,
    splits_of,
    trajectory_labels,
    write_labels,
)
from sselab.dft import QUICK_DFT
from sselab.store import ResultStore


def test_extxyz_round_trip_keeps_labels_and_provenance(gpaw_labels, tmp_path: Path) -> None:
    path = write_labels(gpaw_labels, tmp_path / "labels.extxyz", {"Li": "train", "Li3N": "test"})
    back = read_labels(path)
    assert [b.configuration.name for b in back] == [g.configuration.name for g in gpaw_labels]
    for original, copy in zip(gpaw_labels, back, strict=True):
        assert copy.energy_eV == pytest.approx(original.energy_eV, abs=1e-9)
        assert np.allclose(copy.forces_eV_per_angstrom, original.forces_eV_per_angstrom)
        assert np.allclose(copy.stress_eV_per_angstrom3, original.stress_eV_per_angstrom3)
        assert copy.settings_label == "PBE-pw900-k2.5-fd0.01"
        assert copy.code.startswith("gpaw ")
    assert splits_of(path) == {"Li": "train", "Li3N": "test"}  # Li2S had no split


def test_shipped_labels_are_physical(gpaw_labels) -> None:
    by_name = {label.configuration.name: label for label in gpaw_labels}
    # compressed by 3 %, every cell pushes outwards: ASE's stress trace is negative
    for formula in ("Li", "Li2S", "Li3N"):
        squeezed = by_name[f"{formula}/volume0"].stress_eV_per_angstrom3
        relaxed = by_name[f"{formula}/equilibrium0"].stress_eV_per_angstrom3
        assert squeezed[:3].sum() < relaxed[:3].sum()
    # symmetric cells: no forces
    assert np.abs(by_name["Li2S/equilibrium0"].forces_eV_per_angstrom).max() < 1e-3


def test_trajectory_frames_without_stress_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "relax.traj"
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    energy, forces, stress = atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()
    with Trajectory(str(path), "w") as trajectory:
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
        trajectory.write(atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, stress=stress)
        trajectory.write(atoms)
    frames = trajectory_labels(path, "Cu-relax", "EMT", "ase")
    assert [f.configuration.name for f in frames] == ["Cu-relax/dft-relax0"]
    assert frames[0].configuration.kind == "dft-relax"


@pytest.mark.slow
def test_gpaw_labels_one_cell_and_repeats_from_the_store(store, tmp_path: Path) -> None:
    cell = generate_configurations(li_n_s_base_cells(), budget=1)  # bcc Li, 2 atoms
    first = label_configurations(cell, QUICK_DFT, store, tmp_path, progress=False)
    again = label_configurations(cell, QUICK_DFT, store, tmp_path, progress=False)
    assert first[0].energy_eV == again[0].energy_eV
    assert list(store.execution_counts("dft-single").values()) == [1]
    assert -1.95 < first[0].energy_per_atom_eV < -1.8  # the run of #19 gave -1.883 eV/atom


@pytest.mark.slow
def test_two_labelling_processes_give_the_serial_labels_in_order(tmp_path: Path) -> None:
    cells = [c for c in generate_configurations(li_n_s_base_cells(), 12) if c.family == "Li"]
    assert [c.kind for c in cells] == ["equilibrium", "volume"]
    with ResultStore(tmp_path / "parallel.sqlite") as store:
        parallel = label_configurations(cells, QUICK_DFT, store, tmp_path, False, workers=2)
        assert sorted(store.execution_counts("dft-single").values()) == [1, 1]
    serial = label_configurations(cells, QUICK_DFT, None, None, False)
    # each label is the serial one of the same cell, whatever order the processes finished
    for one, other in zip(parallel, serial, strict=True):
        assert one.energy_eV == pytest.approx(other.energy_eV, abs=1e-6)
    assert parallel[0].energy_eV != pytest.approx(parallel[1].energy_eV, abs=1e-4)
    # compressed by 3 %, the cell pushes outwards: ASE's stress trace falls
    squeezed, relaxed = (label.stress_eV_per_angstrom3[:3].sum() for label in parallel[::-1])
    assert squeezed < relaxed


def test_parallel_labels_refuse_an_in_memory_store() -> None:
    cells = generate_configurations(li_n_s_base_cells(), 2)
    with ResultStore(":memory:") as store, pytest.raises(ValueError, match="store on disk"):
        label_configurations(cells, QUICK_DFT, store, None, False, workers=2)
    with pytest.raises(ValueError, match="workers = 0"):
        label_configurations(cells, QUICK_DFT, None, None, False, workers=0)
