"""NPT equilibration: the MLIP's own volume at temperature, a(T), before NVT production.

NVT at the 0 K volume compresses a crystal that expands on heating (and MLIPs that
under-bind expand more), which changes the hop barriers. :func:`equilibrate_npt` runs
ASE's isotropic MTK barostat with a Nose-Hoover chain (``IsotropicMTKNPT``, Martyna,
Tobias and Klein 1994; ASE >= 3.25) at the target pressure, averages the volume over
the last ``average_fraction`` of the run with a block-averaged error, and returns the
input cell scaled isotropically to that mean volume, which NVT production then uses
(:func:`sselab.transport.study.run_transport_study` with ``npt_equilibration_ps``).
The cell shape is kept (the disordered phase is cubic; an anisotropic barostat would
let a small ordered cell shear).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.md.nose_hoover_chain import IsotropicMTKNPT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from pymatgen.core import Structure
from tqdm.auto import tqdm

from sselab.calculators.resolve import calculator_label, resolve_calculator
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.md import FS_PER_PS, to_atoms

GPA_IN_EV_PER_ANGSTROM3 = units.GPa
_BLOCKS = 5


@dataclass
class NPTResult(RoundTrip):
    """Outcome of :func:`equilibrate_npt`.

    Attributes:
        temperature_K: thermostat temperature.
        pressure_GPa: barostat pressure.
        volume_angstrom3: mean volume over the averaged part, block standard error.
        volume_0K_angstrom3: volume of the input cell.
        a_angstrom: cubic constant at T, (V / n_conventional)^(1/3), for a cell of
            ``n_conventional`` conventional cells (None when not given).
        mean_temperature_K: mean kinetic temperature over the averaged part.
        time_ps: NPT time.
        model: calculator label.
        structure: the input cell scaled isotropically to the mean volume.
    """

    temperature_K: float
    pressure_GPa: float
    volume_angstrom3: Estimate
    volume_0K_angstrom3: float
    a_angstrom: Estimate | None
    mean_temperature_K: float
    time_ps: float
    model: str
    structure: Atoms

    @property
    def expansion_percent(self) -> float:
        """Volume change from the input cell in %."""
        return 100.0 * (self.volume_angstrom3.value / self.volume_0K_angstrom3 - 1.0)


def equilibrate_npt(
    structure: Structure | Atoms,
    temperature_K: float,
    calculator: Calculator | str = "chgnet",
    time_ps: float = 5.0,
    timestep_fs: float = 2.0,
    pressure_GPa: float = 0.0,
    tdamp_fs: float = 100.0,
    pdamp_fs: float = 1000.0,
    average_fraction: float = 0.5,
    seed: int = 0,
    device: str = "auto",
    n_conventional: int | None = None,
    progress: bool = True,
) -> NPTResult:
    """Isotropic NPT (MTK barostat, Nose-Hoover chain) and the mean volume at T.

    Args:
        structure: ordered cell (the cell is scaled, its shape kept).
        temperature_K: thermostat temperature in K.
        calculator: ASE calculator or registered model name (needs stress).
        time_ps: NPT time in ps; the last ``average_fraction`` of it is averaged.
        timestep_fs: time step in fs.
        pressure_GPa: external pressure in GPa.
        tdamp_fs, pdamp_fs: thermostat and barostat damping times in fs.
        average_fraction: fraction of the run (at its end) averaged.
        seed: velocity seed.
        device: device for a named model.
        n_conventional: conventional cells in the cell (for ``a_angstrom``; None: no a).
        progress: progress bar.

    Example:
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> result = equilibrate_npt(bulk("Cu", cubic=True) * 2, 300, EMT(), time_ps=0.1,
        ...                          progress=False)
        >>> result.volume_angstrom3.unit
        'Å^3'
    """
    if not 0 < average_fraction <= 1:
        raise ValueError(f"average_fraction must be in (0, 1], got {average_fraction}")
    atoms = to_atoms(structure)
    volume_0 = float(atoms.get_volume())
    atoms.calc = resolve_calculator(calculator, device)
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=temperature_K, rng=np.random.default_rng(seed)
    )
    Stationary(atoms)
    dynamics = IsotropicMTKNPT(
        atoms,
        timestep=timestep_fs * units.fs,
        temperature_K=temperature_K,
        pressure_au=pressure_GPa * GPA_IN_EV_PER_ANGSTROM3,
        tdamp=tdamp_fs * units.fs,
        pdamp=pdamp_fs * units.fs,
    )
    n_steps = max(_BLOCKS, math.ceil(time_ps * FS_PER_PS / timestep_fs - 1e-9))
    first_averaged = n_steps - max(_BLOCKS, int(average_fraction * n_steps))
    volumes, temperatures = [], []
    for step in tqdm(range(1, n_steps + 1), desc=f"NPT {temperature_K:g} K", disable=not progress):
        dynamics.step()
        if step > first_averaged:
            volumes.append(atoms.get_volume())
            temperatures.append(atoms.get_temperature())
    samples = np.asarray(volumes)
    blocks = np.array([b.mean() for b in np.array_split(samples, _BLOCKS)])
    error = float(blocks.std(ddof=1) / math.sqrt(_BLOCKS))
    volume = Estimate.normal(float(samples.mean()), error, "Å^3", dof=_BLOCKS - 1)
    scaled = to_atoms(structure)
    scaled.set_cell(scaled.cell * (volume.value / volume_0) ** (1.0 / 3.0), scale_atoms=True)
    a_estimate = None
    if n_conventional:
        a_value = (volume.value / n_conventional) ** (1.0 / 3.0)
        a_estimate = Estimate.normal(a_value, a_value * error / (3.0 * volume.value), "Å")
    return NPTResult(
        temperature_K=float(temperature_K),
        pressure_GPa=pressure_GPa,
        volume_angstrom3=volume,
        volume_0K_angstrom3=volume_0,
        a_angstrom=a_estimate,
        mean_temperature_K=float(np.mean(temperatures)),
        time_ps=n_steps * timestep_fs / FS_PER_PS,
        model=calculator_label(calculator),
        structure=scaled,
    )
