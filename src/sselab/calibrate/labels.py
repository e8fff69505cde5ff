"""DFT labels: GPAW PBE energy, forces and stress of each configuration, cached; extxyz files.

Labels come from :func:`sselab.dft.dft_single_point`, so each is a results-store
lookup after its first run (keyed by structure, settings and GPAW version) and a
killed labelling run resumes where it stopped. Frames of a DFT relaxation that
already carry energy, forces and stress (ASE trajectories written by
:func:`sselab.dft.dft_relax`) join as a family of their own at no cost.

The extxyz files are the exchange format of the fine-tuning step (and of any other
MLIP trainer): energy, forces and stress in ASE units (eV, eV/Å, eV/Å^3, ASE's
stress sign) with, in each frame's ``info``, the configuration name, family, kind,
split, DFT settings label and code version.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from tqdm import tqdm

from sselab.calculators.paw import PawSettings
from sselab.calibrate.configurations import Configuration, Split
from sselab.dft import QUICK_DFT, DftSinglePoint, dft_single_point
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore

logger = logging.getLogger(__name__)


@dataclass
class Label(RoundTrip):
    """A configuration with its DFT energy, forces and stress.

    Attributes:
        configuration: what was computed.
        energy_eV: total energy.
        forces_eV_per_angstrom: (n_atoms, 3).
        stress_eV_per_angstrom3: Voigt (xx, yy, zz, yz, xz, xy), ASE sign.
        settings_label: DFT settings (``PawSettings.label()``), e.g. ``'PBE-pw900-k2.5-fd0.01'``.
        code: DFT code and version, e.g. ``'gpaw 26.7.0'``.
    """

    configuration: Configuration
    energy_eV: float
    forces_eV_per_angstrom: np.ndarray
    stress_eV_per_angstrom3: np.ndarray
    settings_label: str
    code: str

    @property
    def n_atoms(self) -> int:
        return len(self.configuration.structure)

    @property
    def energy_per_atom_eV(self) -> float:
        return self.energy_eV / self.n_atoms

    def atoms(self, split: Split | None = None) -> Atoms:
        """ASE atoms carrying the labels (SinglePointCalculator) and provenance in ``info``."""
        atoms = AseAtomsAdaptor.get_atoms(self.configuration.structure)
        atoms.info = {}  # not what an earlier file's info left in the structure's properties
        atoms.calc = SinglePointCalculator(
            atoms,
            energy=self.energy_eV,
            forces=self.forces_eV_per_angstrom,
            stress=self.stress_eV_per_angstrom3,
        )
        atoms.info.update(
            name=self.configuration.name,
            family=self.configuration.family,
            kind=self.configuration.kind,
            dft_settings=self.settings_label,
            dft_code=self.code,
        )
        if split is not None:
            atoms.info["split"] = split
        return atoms


def _label_of(configuration: Configuration, point: DftSinglePoint) -> Label:
    return Label(
        configuration,
        point.energy_eV,
        point.forces_eV_per_angstrom,
        point.stress_eV_per_angstrom3,
        point.settings.label(),
        point.code,
    )


def _single_point_in_worker(
    structure: Structure,
    settings: PawSettings,
    store_path: str | None,
    wal: bool,
    checkpoint_dir: Path | None,
) -> DftSinglePoint:
    """One label in a worker process, which opens the shared store itself.

    SQLite takes concurrent writers (``sselab.store``; WAL on one host, the rollback
    journal on a network filesystem, as the parent opened it), so each finished label
    is cached as soon as it is computed and a killed run resumes.
    """
    if store_path is None:
        return dft_single_point(structure, settings, None, checkpoint_dir)
    with ResultStore(store_path, wal=wal) as store:
        return dft_single_point(structure, settings, store, checkpoint_dir)


def label_configurations(
    configurations: Sequence[Configuration],
    settings: PawSettings = QUICK_DFT,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    progress: bool = True,
    workers: int = 1,
) -> list[Label]:
    """GPAW single points of every configuration (store lookups where already computed).

    ``workers`` > 1 runs that many GPAW processes side by side, each with
    ``settings.threads`` BLAS threads (one job per core: a 14-atom SCF runs 1.8x
    faster on one thread than on two, docs/dft.md). Labels come back in the order of
    ``configurations`` whatever the order they finish in.

    Raises:
        ValueError: ``workers`` < 1, or ``workers`` > 1 with an in-memory store (the
            worker processes could not share it).

    Example:
        >>> from sselab.calibrate.configurations import generate_configurations, li_n_s_base_cells
        >>> cells = generate_configurations(li_n_s_base_cells(), budget=1)
        >>> # GPAW, seconds per cell: tests/calibrate/test_labels.py runs it (slow)
        >>> label_configurations(cells)[0].settings_label  # doctest: +SKIP
        'PBE-pw900-k2.5-fd0.01'
    """
    if workers < 1:
        raise ValueError(f"workers = {workers}: run at least one labelling process")
    if workers == 1 or len(configurations) < 2:
        return [
            _label_of(c, dft_single_point(c.structure, settings, store, checkpoint_dir))
            for c in tqdm(configurations, desc="DFT labels", disable=not progress)
        ]
    if store is not None and store.path == ":memory:":
        raise ValueError("workers > 1 need a store on disk (an in-memory one is not shared)")
    # spawn, not fork: the parent has usually loaded torch (the sampling MLIP), whose
    # thread pools do not survive a fork.
    context = multiprocessing.get_context("spawn")
    points: dict[int, DftSinglePoint] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(
                _single_point_in_worker,
                configuration.structure,
                settings,
                store.path if store is not None else None,
                store.wal if store is not None else True,
                checkpoint_dir,
            ): index
            for index, configuration in enumerate(configurations)
        }
        for future in tqdm(
            as_completed(futures), total=len(futures), desc="DFT labels", disable=not progress
        ):
            points[futures[future]] = future.result()
    return [_label_of(c, points[index]) for index, c in enumerate(configurations)]


def trajectory_labels(path: Path, family: str, settings_label: str, code: str) -> list[Label]:
    """Frames of an ASE trajectory that carry energy, forces and stress, as a family.

    Frames without all three results (or with non-finite ones) are skipped; the
    ``settings_label`` and ``code`` are the caller's statement of how they were made.

    Example:
        >>> import tempfile
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> from ase.io import Trajectory
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "relax.traj"
        ...     atoms = bulk("Cu", cubic=True)
        ...     atoms.calc = EMT()
        ...     with Trajectory(str(path), "w") as trajectory:
        ...         trajectory.write(atoms, energy=atoms.get_potential_energy(),
        ...                          forces=atoms.get_forces(), stress=atoms.get_stress())
        ...     [label.configuration.name for label in trajectory_labels(path, "Cu", "EMT", "ase")]
        ['Cu/dft-relax0']
    """
    labels: list[Label] = []
    for atoms in read(str(path), ":"):
        calculator = atoms.calc
        if calculator is None or not all(k in calculator.results for k in ("energy", "forces")):
            continue
        results = calculator.results
        if "stress" not in results:
            continue
        energy = float(results["energy"])
        forces = np.asarray(results["forces"], dtype=float)
        stress = np.asarray(results["stress"], dtype=float).reshape(-1)
        if stress.size == 9:
            matrix = stress.reshape(3, 3)
            stress = matrix[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
        if not (np.isfinite(energy) and np.isfinite(forces).all() and np.isfinite(stress).all()):
            continue
        name = f"{family}/dft-relax{len(labels)}"
        configuration = Configuration(name, family, "dft-relax", _structure(atoms))
        labels.append(Label(configuration, energy, forces, stress, settings_label, code))
    return labels


def write_labels(labels: Sequence[Label], path: Path, splits: dict[str, Split]) -> Path:
    """Write ``labels`` to one extxyz file, each frame tagged with its family's split.

    Example:
        >>> import tempfile
        >>> from sselab.calibrate.configurations import Configuration
        >>> from sselab.structures.references import li2s
        >>> cell = Configuration("Li2S/equilibrium0", "Li2S", "equilibrium", li2s())
        >>> label = Label(cell, -47.8, np.zeros((12, 3)), np.zeros(6), "PBE", "gpaw")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = write_labels([label], Path(folder) / "l.extxyz", {"Li2S": "train"})
        ...     back = read_labels(path)
        >>> back[0].energy_eV, back[0].configuration.family
        (-47.8, 'Li2S')
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [label.atoms(splits.get(label.configuration.family)) for label in labels]
    write(str(path), frames, format="extxyz")
    return path


def _structure(atoms: Atoms) -> Structure:
    """The cell alone: pymatgen would keep ``atoms.info`` (split, energy...) as properties."""
    structure = AseAtomsAdaptor.get_structure(atoms)
    structure.properties = {}
    return structure


def read_labels(path: Path) -> list[Label]:
    """Labels back from an extxyz file written by :func:`write_labels`."""
    labels = []
    for atoms in read(str(path), ":", format="extxyz"):
        info = atoms.info
        configuration = Configuration(
            str(info["name"]),
            str(info["family"]),
            str(info["kind"]),
            _structure(atoms),
        )
        labels.append(
            Label(
                configuration,
                float(atoms.get_potential_energy()),
                np.asarray(atoms.get_forces()),
                np.asarray(atoms.get_stress()),
                str(info["dft_settings"]),
                str(info["dft_code"]),
            )
        )
    return labels


def splits_of(path: Path) -> dict[str, Split]:
    """Family -> split recorded in an extxyz file written by :func:`write_labels`."""
    return {
        str(atoms.info["family"]): atoms.info["split"]
        for atoms in read(str(path), ":", format="extxyz")
        if "split" in atoms.info
    }
