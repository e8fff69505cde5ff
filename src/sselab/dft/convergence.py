"""Which plane-wave cutoff and k-point density converge a GPAW PBE calculation.

:func:`convergence_scan` runs single points of one structure over a list of
cutoffs (at one k density) and of k densities (at one cutoff), and reports each
energy per atom and pressure relative to the most converged point of its series;
:func:`converged_value` picks the cheapest setting within tolerance. docs/dft.md
holds the table that chose ``PawSettings``' defaults (Li2S and α-Li3N; GPAW's N
setup needs 900 eV for 1 meV/atom where VASP used 520 eV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pymatgen.core import Structure

from sselab.calculators.paw import PawSettings
from sselab.dft.jobs import dft_single_point
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore


@dataclass
class ConvergencePoint(RoundTrip):
    """One single point of a scan, relative to the most converged one of its series.

    Attributes:
        cutoff_eV: plane-wave cutoff.
        kpoint_density_per_inv_angstrom: k-point density.
        kpoint_grid: grid the density gave.
        energy_per_atom_eV: total energy per atom.
        pressure_GPa: pressure.
        delta_energy_meV_per_atom: energy minus the reference point's.
        delta_pressure_GPa: pressure minus the reference point's.
        wall_s: seconds of the SCF.
    """

    cutoff_eV: float
    kpoint_density_per_inv_angstrom: float
    kpoint_grid: tuple[int, int, int]
    energy_per_atom_eV: float
    pressure_GPa: float
    delta_energy_meV_per_atom: float
    delta_pressure_GPa: float
    wall_s: float


@dataclass
class ConvergenceScan(RoundTrip):
    """Cutoff and k-density series for one structure.

    Attributes:
        formula: reduced formula.
        cutoff_series: points at fixed k density, increasing cutoff; the last is the
            reference.
        kpoint_series: points at fixed cutoff, increasing density; the last is the
            reference.
    """

    formula: str
    cutoff_series: list[ConvergencePoint]
    kpoint_series: list[ConvergencePoint]

    def table(self) -> str:
        """Markdown table of both series (as in docs/dft.md)."""
        lines = [
            f"{self.formula} | cutoff (eV) | k density (Å) | grid | E (eV/atom) "
            "| ΔE (meV/atom) | p (GPa) | Δp (GPa) | SCF (s)",
            "---|---|---|---|---|---|---|---|---",
        ]
        for point in self.cutoff_series + self.kpoint_series:
            grid = "x".join(map(str, point.kpoint_grid))
            lines.append(
                f" | {point.cutoff_eV:g} | {point.kpoint_density_per_inv_angstrom:g} | {grid} "
                f"| {point.energy_per_atom_eV:.5f} | {point.delta_energy_meV_per_atom:+.2f} "
                f"| {point.pressure_GPa:+.2f} | {point.delta_pressure_GPa:+.2f} "
                f"| {point.wall_s:.0f}"
            )
        return "\n".join(lines)


def _series(
    structure: Structure,
    settings: Sequence[PawSettings],
    store: ResultStore | None,
    checkpoint_dir: Path | None,
) -> list[ConvergencePoint]:
    results = [dft_single_point(structure, s, store, checkpoint_dir) for s in settings]
    reference = results[-1]
    return [
        ConvergencePoint(
            cutoff_eV=s.cutoff_eV,
            kpoint_density_per_inv_angstrom=s.kpoint_density_per_inv_angstrom,
            kpoint_grid=r.kpoint_grid,
            energy_per_atom_eV=r.energy_per_atom_eV,
            pressure_GPa=r.pressure_GPa,
            delta_energy_meV_per_atom=1000 * (r.energy_per_atom_eV - reference.energy_per_atom_eV),
            delta_pressure_GPa=r.pressure_GPa - reference.pressure_GPa,
            wall_s=r.wall_s,
        )
        for s, r in zip(settings, results, strict=True)
    ]


def convergence_scan(
    structure: Structure,
    cutoffs_eV: Sequence[float] = (400, 520, 600, 700, 800, 900, 1000, 1200),
    kpoint_densities_per_inv_angstrom: Sequence[float] = (2.5, 3.5, 4.5, 5.5),
    base: PawSettings | None = None,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
) -> ConvergenceScan:
    """Energy per atom and pressure of ``structure`` vs cutoff and vs k-point density.

    The cutoff series runs at ``base``'s k density, the k series at ``base``'s
    cutoff; each is referenced to its last (largest) value, so pass them sorted.

    Example:
        >>> from sselab.structures.references import li2s
        >>> # 12 GPAW single points (minutes): docs/dft.md shows the result
        >>> scan = convergence_scan(li2s().get_primitive_structure())  # doctest: +SKIP
        >>> converged_value(scan.cutoff_series, "cutoff_eV")  # doctest: +SKIP
        700.0
    """
    base = base or PawSettings()
    return ConvergenceScan(
        formula=structure.composition.reduced_formula,
        cutoff_series=_series(
            structure,
            [replace(base, cutoff_eV=float(c)) for c in cutoffs_eV],
            store,
            checkpoint_dir,
        ),
        kpoint_series=_series(
            structure,
            [
                replace(base, kpoint_density_per_inv_angstrom=float(k))
                for k in kpoint_densities_per_inv_angstrom
            ],
            store,
            checkpoint_dir,
        ),
    )


def converged_value(
    series: Sequence[ConvergencePoint],
    parameter: str,
    energy_tolerance_meV_per_atom: float = 1.0,
    pressure_tolerance_GPa: float = 0.5,
) -> float:
    """Smallest ``parameter`` value from which every point stays within both tolerances.

    Example:
        >>> points = [
        ...     ConvergencePoint(c, 3.5, (4, 4, 4), 0.0, 0.0, de, dp, 1.0)
        ...     for c, de, dp in [(400, 5.0, 1.0), (600, 0.8, 0.6), (800, 0.3, 0.1), (1000, 0, 0)]
        ... ]
        >>> converged_value(points, "cutoff_eV")
        800.0
    """
    value = float(getattr(series[-1], parameter))
    for point in reversed(series):
        if (
            abs(point.delta_energy_meV_per_atom) > energy_tolerance_meV_per_atom
            or abs(point.delta_pressure_GPa) > pressure_tolerance_GPa
        ):
            break
        value = float(getattr(point, parameter))
    return value
