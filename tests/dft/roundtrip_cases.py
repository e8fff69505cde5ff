"""One instance of every DFT result type, built from made-up numbers (no GPAW run).

The round trip checks the serialisation, not the physics, so the values only need
the right types and shapes; tests/dft checks real GPAW results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sselab.calculators.paw import PawSettings
from sselab.dft.convergence import ConvergencePoint, ConvergenceScan
from sselab.dft.electronic import ElectronicStructure
from sselab.dft.hull import DftHullCheck, TieLinePoint
from sselab.dft.jobs import DftRelaxation, DftRelaxSettings, DftSinglePoint
from sselab.estimate import Estimate
from sselab.structures import antifluorite


def _point(cutoff_eV: float) -> ConvergencePoint:
    return ConvergencePoint(cutoff_eV, 3.5, (7, 7, 7), -4.12, -0.01, 0.3, -0.01, 8.0)


def single_point() -> DftSinglePoint:
    structure = antifluorite(0.0)
    return DftSinglePoint(
        formula="Li2S",
        n_atoms=len(structure),
        energy_eV=-49.4,
        energy_per_atom_eV=-4.117,
        forces_eV_per_angstrom=np.zeros((len(structure), 3)),
        stress_eV_per_angstrom3=np.array([1e-4, 1e-4, 1e-4, 0.0, 0.0, 0.0]),
        pressure_GPa=-0.016,
        band_gap_eV=3.54,
        direct_gap_eV=3.6,
        kpoint_grid=(4, 4, 4),
        settings=PawSettings(),
        code="gpaw 26.7.0",
        structure=structure,
        wall_s=8.0,
    )


def tie_line_point() -> TieLinePoint:
    return TieLinePoint(0.5, 0, "Li5NS", 14, -4.02, -3.89, -11.0, 51.1, 1.94, -1.2, 0.4, False)


def hull_check() -> DftHullCheck:
    return DftHullCheck(
        model="chgnet:0.3.0",
        settings=PawSettings(kpoint_density_per_inv_angstrom=2.5),
        end_members={"Li2S": single_point()},
        points=[tie_line_point()],
        relaxed_points=[],
        energy_offset_meV_per_atom=Estimate.from_samples([131.0, 59.0, 139.0], "meV/atom"),
        rank_spearman={"0.5": 1.0, "0.25": None},
    )


def electronic() -> ElectronicStructure:
    energies = np.linspace(-5, 5, 11)
    return ElectronicStructure(
        formula="Li2S",
        xc="GLLBSC",
        band_gap_eV=3.99,
        direct_gap_eV=3.6,
        vbm_eV=1.2,
        cbm_eV=4.59,
        vbm_kpoint=(0.0, 0.0, 0.0),
        cbm_kpoint=(0.5, 0.0, 0.5),
        energies_eV=energies,
        dos_states_per_eV=np.abs(energies),
        pdos_states_per_eV={"S-p": np.abs(energies) / 2},
        smearing_eV=0.1,
        settings=PawSettings(),
        code="gpaw 26.7.0",
        wall_s=350.0,
        derivative_discontinuity_eV=2.06,
        quasiparticle_gap_eV=6.05,
    )


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "PawSettings": (PawSettings, lambda: PawSettings(kpoint_grid=(3, 3, 3), threads=2)),
    "ConvergencePoint": (ConvergencePoint, lambda: _point(900.0)),
    "ConvergenceScan": (
        ConvergenceScan,
        lambda: ConvergenceScan("Li2S", [_point(520.0), _point(900.0)], [_point(900.0)]),
    ),
    "DftSinglePoint": (DftSinglePoint, single_point),
    "DftRelaxSettings": (DftRelaxSettings, lambda: DftRelaxSettings(cell="full", max_steps=5)),
    "DftRelaxation": (
        DftRelaxation,
        lambda: DftRelaxation(
            single_point(), True, 7, 0, DftRelaxSettings(), (5.73, 5.73, 5.73), 188.1, 43.0
        ),
    ),
    "TieLinePoint": (TieLinePoint, tie_line_point),
    "DftHullCheck": (DftHullCheck, hull_check),
    "ElectronicStructure": (ElectronicStructure, electronic),
}
