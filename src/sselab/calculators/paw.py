"""GPAW plane-wave PAW (PBE) as an ASE calculator with settings that stay fixed.

GPAW is a first-principles code (DFT with projector augmented waves) on PyPI; its PAW
setups come from the ``gpaw-data`` wheel, so nothing is downloaded at run time. This
module wraps it in :class:`PawCalculator`, an ordinary ASE ``Calculator`` that
``get_calculator("gpaw")`` returns and that the relaxation, MD and NEB code use like
any MLIP. Two choices differ from a bare ``GPAW(kpts={"density": ...})``:

- the k-point grid is chosen from the density once per structure and then held
  fixed while positions and the cell move (GPAW re-derives a density grid at every
  cell change, so energies jump by meV/atom when a relaxation crosses a grid step);
- symmetry (k-point reduction by the point group) is on by default, because it makes
  small high-symmetry cells 5-10x cheaper; where GPAW's symmetry analysis gives up
  (``SymmetryAnalysisBug`` on some ordered Li(2+x)N(x)S(1-x) cells) that structure
  runs with symmetry off, with a warning; the energies do not depend on it.

Threads: GPAW runs here without MPI; its dense linear algebra runs in OpenBLAS,
whose thread count :class:`PawCalculator` limits to ``PawSettings.threads`` around
each calculation (default 1, so one job per Dask worker uses one core). The
defaults were chosen by the convergence check in :mod:`sselab.dft.convergence`
(docs/dft.md): 900 eV and 3.5 points per Å⁻¹ converge Li2S and α-Li3N to
1 meV/atom and 0.5 GPa against 1200 eV and 5.5 per Å⁻¹; VASP's 520 eV does not
converge GPAW's N setup (α-Li3N: 115 meV/atom and -6.7 GPa off).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes, kpts2sizeandoffsets

from sselab.roundtrip import RoundTrip

logger = logging.getLogger(__name__)

HARTREE_EV = 27.211386245988  # CODATA 2018, the value ASE uses
# Lattice lengths may move this much (relative) inside one relaxation before the k-grid
# is chosen again; a larger change means a different structure, not a relaxation step.
SAME_CELL_TOLERANCE = 0.15


@dataclass(frozen=True)
class PawSettings(RoundTrip):
    """Numerical settings of a GPAW plane-wave PAW calculation.

    Attributes:
        xc: exchange-correlation functional, ``"PBE"`` or ``"GLLBSC"`` (gap-corrected;
            energies only, no forces).
        cutoff_eV: plane-wave kinetic-energy cutoff.
        kpoint_density_per_inv_angstrom: Monkhorst-Pack points per Å⁻¹ of reciprocal
            length (ASE's ``kpts={"density": ...}``, 2π included), Γ-centred.
        kpoint_grid: a fixed grid that overrides the density (e.g. for a relaxation
            restarted on another machine).
        smearing_eV: Fermi-Dirac width; energies are extrapolated to zero width.
        symmetry: use the cell's point group to reduce k-points (see the module doc).
        scf_energy_tolerance_eV_per_electron: SCF stops when the energy changes less.
        nbands: bands to compute, GPAW spelling (``None``: occupied plus a few;
            ``"150%"`` for a DOS that shows the conduction band).
        threads: OpenBLAS threads per calculation.

    Example:
        >>> PawSettings().label()
        'PBE-pw900-k3.5-fd0.01'
        >>> PawSettings.from_dict(PawSettings(kpoint_grid=(4, 4, 4)).as_dict()).kpoint_grid
        (4, 4, 4)
    """

    xc: str = "PBE"
    cutoff_eV: float = 900.0
    kpoint_density_per_inv_angstrom: float = 3.5
    kpoint_grid: tuple[int, int, int] | None = None
    smearing_eV: float = 0.01
    symmetry: bool = True
    scf_energy_tolerance_eV_per_electron: float = 5e-5
    nbands: int | str | None = None
    threads: int = 1

    def label(self) -> str:
        """Short text naming the physics-relevant settings (threads excluded)."""
        kpts = (
            "k" + "x".join(map(str, self.kpoint_grid))
            if self.kpoint_grid
            else f"k{self.kpoint_density_per_inv_angstrom:g}"
        )
        parts = [self.xc, f"pw{self.cutoff_eV:g}", kpts, f"fd{self.smearing_eV:g}"]
        if not self.symmetry:
            parts.append("nosym")
        if self.nbands is not None:
            parts.append(f"nb{self.nbands}")
        return "-".join(parts)

    def key_inputs(self) -> dict[str, Any]:
        """Settings that change results (for a results-store key): all but ``threads``."""
        data = self.as_dict()
        data.pop("threads")
        return data

    def with_grid_for(self, atoms: Atoms) -> PawSettings:
        """These settings with the density turned into a fixed grid for ``atoms``.

        Example:
            >>> from ase.build import bulk
            >>> PawSettings().with_grid_for(bulk("Si", "diamond", a=5.43)).kpoint_grid
            (8, 8, 8)
        """
        return replace(self, kpoint_grid=kpoint_grid(atoms, self))


def kpoint_grid(atoms: Atoms, settings: PawSettings) -> tuple[int, int, int]:
    """Γ-centred Monkhorst-Pack grid of ``settings`` for the cell of ``atoms``.

    Example:
        >>> from ase.build import bulk
        >>> kpoint_grid(bulk("Li", "bcc", a=3.44), PawSettings(kpoint_density_per_inv_angstrom=2))
        (6, 6, 6)
    """
    if settings.kpoint_grid is not None:
        return tuple(int(n) for n in settings.kpoint_grid)  # type: ignore[return-value]
    size, _ = kpts2sizeandoffsets(
        density=settings.kpoint_density_per_inv_angstrom, gamma=True, atoms=atoms
    )
    return tuple(int(n) for n in size)  # type: ignore[return-value]


def gpaw_parameters(settings: PawSettings, grid: tuple[int, int, int]) -> dict[str, Any]:
    """Keyword arguments of ``gpaw.GPAW`` for ``settings`` on a fixed k-point ``grid``.

    Example:
        >>> gpaw_parameters(PawSettings(), (4, 4, 4))["kpts"]
        {'size': (4, 4, 4), 'gamma': True}
    """
    parameters: dict[str, Any] = {
        "mode": {"name": "pw", "ecut": settings.cutoff_eV},
        "xc": settings.xc,
        "kpts": {"size": grid, "gamma": True},
        "occupations": {"name": "fermi-dirac", "width": settings.smearing_eV},
        "convergence": {"energy": settings.scf_energy_tolerance_eV_per_electron},
    }
    if not settings.symmetry:
        parameters["symmetry"] = "off"
    if settings.nbands is not None:
        parameters["nbands"] = settings.nbands
    return parameters


ScfCallback = Callable[[int, float], None]


class PawCalculator(Calculator):
    """ASE calculator running GPAW plane-wave PAW with :class:`PawSettings`.

    One instance may see many structures: a new GPAW calculation (and k-grid) starts
    when the atoms change identity (species, count, or a lattice length by more than
    ``SAME_CELL_TOLERANCE``); moving atoms or straining the cell reuses the grid and
    the wave functions.

    Args:
        settings: numerical settings.
        txt: GPAW's text log (``None``: silent; ``"-"``: stdout).
        on_scf_step: called with (iteration, energy in eV) after each SCF step.

    Example:
        >>> from ase.build import bulk
        >>> atoms = bulk("Li", "bcc", a=3.44)
        >>> atoms.calc = PawCalculator(PawSettings(cutoff_eV=300, kpoint_grid=(4, 4, 4)))
        >>> # a GPAW run: skipped here, tests/dft/test_calculator.py runs the same
        >>> round(atoms.get_potential_energy(), 1)  # doctest: +SKIP
        -3.8
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]  # noqa: RUF012

    def __init__(
        self,
        settings: PawSettings | None = None,
        txt: str | Path | None = None,
        on_scf_step: ScfCallback | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or PawSettings()
        self.txt = txt
        self.on_scf_step = on_scf_step
        self.grid: tuple[int, int, int] | None = None
        self.sselab_label = f"gpaw:{self.settings.label()}"
        self._gpaw: Any = None
        self._identity: tuple[tuple[int, ...], np.ndarray] | None = None

    @property
    def gpaw(self) -> Any:
        """The underlying GPAW calculator of the last structure (None before the first)."""
        return self._gpaw

    def attach(self, gpaw_calculator: Any, atoms: Atoms) -> None:
        """Continue from an existing GPAW calculator (e.g. read from a ``.gpw`` file)."""
        self._gpaw = gpaw_calculator
        self.grid = kpoint_grid(atoms, self.settings)
        self._identity = (tuple(atoms.numbers), atoms.cell.lengths().copy())
        self._hook()

    def _is_new_structure(self, atoms: Atoms) -> bool:
        if self._identity is None:
            return True
        numbers, lengths = self._identity
        if tuple(atoms.numbers) != numbers:
            return True
        change = np.abs(atoms.cell.lengths() / lengths - 1)
        return bool(change.max() > SAME_CELL_TOLERANCE)

    def _hook(self) -> None:
        if self.on_scf_step is None:
            return
        callback = self.on_scf_step
        gpaw_calculator = self._gpaw
        if not hasattr(gpaw_calculator, "hooks"):
            # GPAW hands GLLB-SC to its old calculator, which reports through observers
            # (called with no arguments every SCF iteration) instead of hooks
            def observe() -> None:
                callback(
                    int(gpaw_calculator.scf.niter),
                    float(gpaw_calculator.hamiltonian.e_total_extrapolated) * HARTREE_EV,
                )

            gpaw_calculator.attach(observe, 1)
            return

        def report(ctx: Any) -> None:
            callback(int(ctx.niter), float(ctx.ham.e_total_extrapolated) * HARTREE_EV)

        gpaw_calculator.hooks["scf_step"] = report

    def _start(self, atoms: Atoms) -> None:
        from gpaw import GPAW

        self.grid = kpoint_grid(atoms, self.settings)
        logger.info(
            "GPAW %s on %s (%d atoms), k-grid %s",
            self.settings.label(),
            atoms.get_chemical_formula(),
            len(atoms),
            self.grid,
        )
        self._gpaw = GPAW(**gpaw_parameters(self.settings, self.grid), txt=self.txt)
        self._identity = (tuple(atoms.numbers), atoms.cell.lengths().copy())
        self._hook()

    def _energy_with_symmetry_fallback(self, atoms: Atoms) -> float:
        from gpaw.new.symmetry import SymmetryAnalysisBug

        try:
            return float(self._gpaw.get_potential_energy(atoms))
        except SymmetryAnalysisBug:
            # GPAW's own analysis gives up on some ordered cells (it asks for an
            # spglib-standardised cell); k-point symmetry only saves time, so this
            # structure runs without it
            logger.warning(
                "GPAW symmetry analysis failed on %s: running it with symmetry off",
                atoms.get_chemical_formula(),
            )
            assert self.grid is not None
            parameters = gpaw_parameters(replace(self.settings, symmetry=False), self.grid)
            from gpaw import GPAW

            self._gpaw = GPAW(**parameters, txt=self.txt)
            self._hook()
            return float(self._gpaw.get_potential_energy(atoms))

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Any = ("energy",),
        system_changes: Any = all_changes,
    ) -> None:
        from threadpoolctl import threadpool_limits

        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        if self._gpaw is None or self._is_new_structure(self.atoms):
            self._start(self.atoms)
        start = time.perf_counter()
        with threadpool_limits(limits=self.settings.threads):
            work = self.atoms.copy()
            energy = self._energy_with_symmetry_fallback(work)
            self.results["energy"] = energy
            self.results["free_energy"] = float(self._gpaw.get_property("free_energy", work))
            if "forces" in properties:
                self.results["forces"] = np.asarray(self._gpaw.get_forces(work))
            if "stress" in properties:
                self.results["stress"] = np.asarray(self._gpaw.get_stress(work))
        logger.debug("GPAW %s: %.3f s", properties, time.perf_counter() - start)


def load_gpaw(variant: str, device: str) -> Calculator:
    """Registry loader: ``gpaw`` / ``gpaw:pbe`` or ``gpaw:gllbsc`` with default settings.

    GPAW runs on the CPU here; ``device`` is accepted for the registry's signature.
    """
    del device
    return PawCalculator(PawSettings(xc=GPAW_VARIANTS[variant]))


# registry variant -> GPAW xc name
GPAW_VARIANTS: dict[str, str] = {"pbe": "PBE", "gllbsc": "GLLBSC"}
