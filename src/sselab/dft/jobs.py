"""DFT jobs: single point, relaxation and density of states, cached and checkpointed.

Each job is a plain function of (structure, settings) returning a typed,
round-tripping result, so one GPAW job can run per Dask worker through the
pipeline's executor. With a :class:`~sselab.store.ResultStore` a repeat is a
lookup: the key hashes the structure, the :class:`~sselab.calculators.paw.PawSettings`
(threads excluded), the job's own settings and the GPAW version. With a
checkpoint folder, GPAW ``.gpw`` files keep the last converged state and a
relaxation keeps its ASE trajectory and BFGS Hessian, so a killed job resumes
where it stopped. Progress goes to the ``sselab.dft`` logger: one line per SCF
step (DEBUG) and per ionic step (INFO).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np
from ase import Atoms
from ase.filters import FrechetCellFilter
from ase.io import Trajectory, read
from ase.optimize import BFGS
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calculators.paw import PawCalculator, PawSettings
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore, input_key

logger = logging.getLogger("sselab.dft")

EV_PER_ANGSTROM3_IN_GPA = 160.21766208
IonicStepCallback = Callable[[int, float, float], None]


def code_version() -> str:
    """The DFT code and version that results are keyed by, e.g. ``'gpaw 26.7.0'``."""
    return f"gpaw {version('gpaw')}"


def scf_logger(formula: str) -> Callable[[int, float], None]:
    def report(iteration: int, energy_eV: float) -> None:
        logger.debug("%s SCF %3d  E = %.6f eV", formula, iteration, energy_eV)

    return report


def pressure_GPa(stress_voigt_eV_per_angstrom3: np.ndarray) -> float:
    """Pressure (GPa, positive when the cell pushes outwards) from ASE's Voigt stress.

    Example:
        >>> round(pressure_GPa(np.array([-0.01, -0.01, -0.01, 0, 0, 0])), 3)
        1.602
    """
    return float(-np.mean(stress_voigt_eV_per_angstrom3[:3]) * EV_PER_ANGSTROM3_IN_GPA)


def kohn_sham_gaps(gpaw_calculator: Any) -> tuple[float, float, float, float]:
    """(gap, direct gap, valence-band maximum, conduction-band minimum) in eV.

    On the SCF k-point grid, so the gap is an upper bound of the true Kohn-Sham gap
    when the band edges lie between grid points (Γ-centred grids hold Γ and, for even
    sizes, the zone-boundary points where the edges of Li2S and Li3N lie).
    """
    n_kpoints = len(gpaw_calculator.get_ibz_k_points())
    fermi = float(gpaw_calculator.get_fermi_level())
    eigenvalues = np.array(
        [gpaw_calculator.get_eigenvalues(kpt=k, spin=0) for k in range(n_kpoints)]
    )
    occupied = np.where(eigenvalues <= fermi, eigenvalues, -np.inf)
    empty = np.where(eigenvalues > fermi, eigenvalues, np.inf)
    vbm, cbm = float(occupied.max()), float(empty.min())
    if not np.isfinite(cbm):
        raise ValueError("no empty band was computed: raise PawSettings.nbands")
    direct = float((empty.min(axis=1) - occupied.max(axis=1)).min())
    return max(cbm - vbm, 0.0), max(direct, 0.0), vbm, cbm


@dataclass
class DftSinglePoint(RoundTrip):
    """A converged SCF at fixed geometry.

    Attributes:
        formula: reduced formula.
        n_atoms: atoms in the cell.
        energy_eV: total energy (extrapolated to zero smearing).
        energy_per_atom_eV: energy per atom.
        forces_eV_per_angstrom: (n_atoms, 3) forces.
        stress_eV_per_angstrom3: Voigt stress (xx, yy, zz, yz, xz, xy), ASE sign.
        pressure_GPa: minus the mean normal stress (positive: the cell wants to expand).
        band_gap_eV: Kohn-Sham gap on the SCF k-grid (0 for a metal).
        direct_gap_eV: smallest direct gap on the grid.
        kpoint_grid: the Monkhorst-Pack grid used.
        settings: GPAW settings.
        code: DFT code and version.
        structure: the geometry computed.
        wall_s: seconds spent (0 when read back from a checkpoint without SCF).
    """

    formula: str
    n_atoms: int
    energy_eV: float
    energy_per_atom_eV: float
    forces_eV_per_angstrom: np.ndarray
    stress_eV_per_angstrom3: np.ndarray
    pressure_GPa: float
    band_gap_eV: float
    direct_gap_eV: float
    kpoint_grid: tuple[int, int, int]
    settings: PawSettings
    code: str
    structure: Structure = field(repr=False)
    wall_s: float

    @property
    def max_force_eV_per_angstrom(self) -> float:
        """Largest force on an atom."""
        return float(np.linalg.norm(self.forces_eV_per_angstrom, axis=1).max())


@dataclass(frozen=True)
class DftRelaxSettings(RoundTrip):
    """What a DFT relaxation moves and when it stops.

    Attributes:
        cell: ``"volume"`` (positions and volume, cell shape kept: a cubic cell stays
            cubic, as the MLIP hull relaxes the ordered cells), ``"full"`` (shape
            too) or ``"fixed"`` (positions only).
        fmax_eV_per_angstrom: force threshold (the cell's generalised force is the
            stress times volume over the number of atoms, ASE's FrechetCellFilter).
        max_steps: BFGS step limit over all restarts.
    """

    cell: Literal["volume", "full", "fixed"] = "volume"
    fmax_eV_per_angstrom: float = 0.02
    max_steps: int = 60


@dataclass
class DftRelaxation(RoundTrip):
    """Outcome of :func:`dft_relax`.

    Attributes:
        final: single point at the relaxed geometry (its ``structure``).
        converged: forces (and stress) below the threshold.
        n_steps: BFGS steps over all runs of this relaxation.
        resumed_from_step: steps found in the checkpoint when this run started.
        relax_settings: the relaxation settings.
        abc_angstrom: relaxed lattice lengths.
        volume_angstrom3: relaxed volume.
        wall_s: seconds spent in this run.
    """

    final: DftSinglePoint
    converged: bool
    n_steps: int
    resumed_from_step: int
    relax_settings: DftRelaxSettings
    abc_angstrom: tuple[float, float, float]
    volume_angstrom3: float
    wall_s: float


def job_inputs(structure: Structure, settings: PawSettings, **extra: Any) -> dict[str, Any]:
    """Store inputs of a DFT job: structure, settings (no threads), code, extras.

    Example:
        >>> from sselab.structures.references import li2s
        >>> sorted(job_inputs(li2s(), PawSettings()))
        ['code', 'settings', 'structure']
    """
    structure = structure.copy()
    structure.remove_oxidation_states()
    return {
        "structure": structure,
        "settings": settings.key_inputs(),
        "code": code_version(),
        **extra,
    }


def checkpoint_folder(
    checkpoint_dir: Path | None, kind: str, inputs: dict[str, Any]
) -> Path | None:
    if checkpoint_dir is None:
        return None
    folder = Path(checkpoint_dir) / f"{kind}-{input_key(kind, inputs)[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_gpw(calculator: PawCalculator, path: Path) -> None:
    """Atomic write: a kill leaves the previous file or the new one, never half of one."""
    partial = path.with_suffix(".partial.gpw")
    calculator.gpaw.write(partial)
    partial.replace(path)


def resume_gpw(calculator: PawCalculator, path: Path, atoms: Atoms) -> bool:
    """Attach the GPAW state in ``path`` when it was converged at exactly ``atoms``."""
    if not path.is_file():
        return False
    from gpaw import GPAW

    restored = GPAW(str(path), txt=None)
    saved = restored.get_atoms()
    same = (
        len(saved) == len(atoms)
        and np.array_equal(saved.numbers, atoms.numbers)
        and np.allclose(saved.cell, atoms.cell, atol=1e-10)
        and np.allclose(saved.positions, atoms.positions, atol=1e-10)
    )
    if same:
        atoms.set_cell(saved.cell)
        atoms.positions = saved.positions
        calculator.attach(restored, atoms)
        logger.info("resumed %s from %s", atoms.get_chemical_formula(), path)
    return same


def _single_point_of(
    atoms: Atoms, calculator: PawCalculator, settings: PawSettings, wall_s: float
) -> DftSinglePoint:
    atoms.calc = calculator
    energy = float(atoms.get_potential_energy())
    forces = np.asarray(atoms.get_forces())
    stress = np.asarray(atoms.get_stress())
    gap, direct, _, _ = kohn_sham_gaps(calculator.gpaw)
    structure = AseAtomsAdaptor.get_structure(atoms)
    assert calculator.grid is not None
    return DftSinglePoint(
        formula=structure.composition.reduced_formula,
        n_atoms=len(atoms),
        energy_eV=energy,
        energy_per_atom_eV=energy / len(atoms),
        forces_eV_per_angstrom=forces,
        stress_eV_per_angstrom3=stress,
        pressure_GPa=pressure_GPa(stress),
        band_gap_eV=gap,
        direct_gap_eV=direct,
        kpoint_grid=calculator.grid,
        settings=settings,
        code=code_version(),
        structure=structure,
        wall_s=wall_s,
    )


def _run_single_point(
    structure: Structure, settings: PawSettings, folder: Path | None
) -> DftSinglePoint:
    start = time.perf_counter()
    atoms = AseAtomsAdaptor.get_atoms(structure)
    formula = structure.composition.reduced_formula
    calculator = PawCalculator(settings, on_scf_step=scf_logger(formula))
    gpw = folder / "state.gpw" if folder else None
    if gpw is not None:
        resume_gpw(calculator, gpw, atoms)
    atoms.calc = calculator
    atoms.get_stress()  # energy, forces and stress in one SCF
    atoms.get_forces()
    if gpw is not None:
        write_gpw(calculator, gpw)
    result = _single_point_of(atoms, calculator, settings, time.perf_counter() - start)
    logger.info(
        "%s: %.4f eV/atom, gap %.2f eV, p %.2f GPa (%.0f s)",
        formula,
        result.energy_per_atom_eV,
        result.band_gap_eV,
        result.pressure_GPa,
        result.wall_s,
    )
    return result


def dft_single_point(
    structure: Structure,
    settings: PawSettings | None = None,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
) -> DftSinglePoint:
    """Energy, forces, stress and Kohn-Sham gap of ``structure`` with GPAW.

    Args:
        structure: ordered structure (oxidation states are ignored).
        settings: GPAW settings (default :class:`PawSettings`: PBE, 900 eV).
        store: results store; a repeat of the same (structure, settings) is a lookup.
        checkpoint_dir: folder for the ``.gpw`` state (a rerun after a kill between
            SCF and store write reads it instead of recomputing).

    Example:
        >>> from sselab.structures.references import li2s
        >>> # a GPAW run (seconds): tests/dft/test_jobs.py runs it
        >>> dft_single_point(li2s().get_primitive_structure()).band_gap_eV  # doctest: +SKIP
        3.5
    """
    settings = settings or PawSettings()
    inputs = job_inputs(structure, settings)
    folder = checkpoint_folder(checkpoint_dir, "dft-single", inputs)

    def compute() -> dict[str, Any]:
        return _run_single_point(structure, settings, folder).as_dict()

    if store is None:
        return DftSinglePoint.from_dict(compute())
    return DftSinglePoint.from_dict(store.cached("dft-single", inputs, compute))


def _relax_target(atoms: Atoms, relax_settings: DftRelaxSettings, orig_cell: np.ndarray) -> Any:
    if relax_settings.cell == "fixed":
        return atoms
    target = FrechetCellFilter(atoms, hydrostatic_strain=relax_settings.cell == "volume")
    # strain measured from the input cell in every run, so the BFGS Hessian saved by
    # an earlier run is in the same coordinates after a resume
    target.orig_cell = orig_cell
    return target


def _run_relaxation(
    structure: Structure,
    settings: PawSettings,
    relax_settings: DftRelaxSettings,
    folder: Path | None,
    on_ionic_step: IonicStepCallback | None,
) -> DftRelaxation:
    start = time.perf_counter()
    formula = structure.composition.reduced_formula
    atoms = AseAtomsAdaptor.get_atoms(structure)
    orig_cell = np.array(atoms.cell)
    # one k-grid for the whole relaxation: a density grid re-derived as the cell
    # moves would make the energy jump between steps
    fixed = settings.with_grid_for(atoms)
    calculator = PawCalculator(fixed, on_scf_step=scf_logger(formula))
    trajectory_path = folder / "relaxation.traj" if folder else None
    done = 0
    if trajectory_path is not None and trajectory_path.is_file():
        frames: list[Atoms] = read(trajectory_path, ":")  # type: ignore[assignment]
        if frames:
            last = frames[-1]
            atoms.set_cell(last.cell)
            atoms.positions = last.positions
            done = len(frames) - 1  # frame 0 is the start geometry
            logger.info("%s: resuming the relaxation after %d steps", formula, done)
    if folder is not None:
        resume_gpw(calculator, folder / "state.gpw", atoms)
    atoms.calc = calculator
    target = _relax_target(atoms, relax_settings, orig_cell)
    optimizer = BFGS(
        target,
        logfile=None,
        restart=str(folder / "bfgs.json") if folder else None,
    )

    def checkpoint() -> None:
        step = done + optimizer.nsteps
        fmax = float(np.sqrt((target.get_forces() ** 2).sum(axis=1).max()))
        energy = float(atoms.get_potential_energy())
        logger.info("%s step %3d  E = %.5f eV  fmax = %.4f", formula, step, energy, fmax)
        if trajectory_path is not None and not (done and optimizer.nsteps == 0):
            write_gpw(calculator, trajectory_path.with_name("state.gpw"))
            with Trajectory(str(trajectory_path), "a") as trajectory:
                trajectory.write(atoms)
        if on_ionic_step is not None:
            on_ionic_step(step, energy, fmax)

    optimizer.attach(checkpoint)
    remaining = max(relax_settings.max_steps - done, 0)
    converged = bool(optimizer.run(fmax=relax_settings.fmax_eV_per_angstrom, steps=remaining))
    final = _single_point_of(atoms, calculator, fixed, time.perf_counter() - start)
    lattice = final.structure.lattice
    if not converged:
        logger.warning(
            "%s: DFT relaxation not converged in %d steps", formula, done + optimizer.nsteps
        )
    return DftRelaxation(
        final=final,
        converged=converged,
        n_steps=done + optimizer.nsteps,
        resumed_from_step=done,
        relax_settings=relax_settings,
        abc_angstrom=tuple(float(v) for v in lattice.abc),  # type: ignore[arg-type]
        volume_angstrom3=float(lattice.volume),
        wall_s=time.perf_counter() - start,
    )


def dft_relax(
    structure: Structure,
    settings: PawSettings | None = None,
    relax_settings: DftRelaxSettings | None = None,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    on_ionic_step: IonicStepCallback | None = None,
) -> DftRelaxation:
    """Relax ``structure`` with GPAW (BFGS on positions and, by default, volume).

    The k-point grid is fixed from the density at the input cell for the whole
    relaxation. With ``checkpoint_dir`` every ionic step leaves a ``.gpw`` state,
    an ASE trajectory and the BFGS Hessian there; a killed relaxation called again
    with the same inputs continues from its last step.

    Args:
        structure: ordered start geometry (e.g. the MLIP-relaxed cell).
        settings: GPAW settings.
        relax_settings: degrees of freedom and thresholds.
        store: results store (a finished relaxation is a lookup).
        checkpoint_dir: folder for the per-relaxation checkpoint subfolder.
        on_ionic_step: called with (step, energy in eV, max generalised force in eV/Å)
            after each ionic step has been checkpointed.

    Example:
        >>> from sselab.structures.references import li2s
        >>> # a GPAW relaxation (a minute): tests/dft/test_jobs.py runs a short one
        >>> dft_relax(li2s().get_primitive_structure()).abc_angstrom  # doctest: +SKIP
    """
    settings = settings or PawSettings()
    relax_settings = relax_settings or DftRelaxSettings()
    inputs = job_inputs(structure, settings, relax=relax_settings.as_dict())
    folder = checkpoint_folder(checkpoint_dir, "dft-relax", inputs)

    def compute() -> dict[str, Any]:
        return _run_relaxation(structure, settings, relax_settings, folder, on_ionic_step).as_dict()

    if store is None:
        return DftRelaxation.from_dict(compute())
    return DftRelaxation.from_dict(store.cached("dft-relax", inputs, compute))
