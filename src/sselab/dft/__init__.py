"""First principles in sselab: GPAW (plane-wave PAW, PBE) jobs, hull check, electronic structure.

The science layer over :mod:`sselab.calculators.paw`: single points, relaxations
and densities of states as cached, checkpointed jobs (:mod:`sselab.dft.jobs`,
:mod:`sselab.dft.electronic`), the cutoff / k-point convergence check that chose
the default settings (:mod:`sselab.dft.convergence`), the DFT energy above the
Li2S–Li3N tie line at MLIP geometries with parity against the MLIPs
(:mod:`sselab.dft.hull`), and DOS / gap-vs-x figures (:mod:`sselab.dft.figures`).
GPAW is imported only when a job runs, so ``import sselab.dft`` works without it.
"""

from sselab.calculators.paw import PawSettings
from sselab.dft.convergence import ConvergenceScan, converged_value, convergence_scan
from sselab.dft.electronic import ElectronicStructure, electronic_structure
from sselab.dft.hull import (
    QUICK_DFT,
    DftHullCheck,
    TieLinePoint,
    dft_hull_check,
    dft_quick_check,
    energy_above_tie_meV_per_atom,
)
from sselab.dft.jobs import (
    DftRelaxation,
    DftRelaxSettings,
    DftSinglePoint,
    dft_relax,
    dft_single_point,
)

__all__ = [
    "QUICK_DFT",
    "ConvergenceScan",
    "DftHullCheck",
    "DftRelaxSettings",
    "DftRelaxation",
    "DftSinglePoint",
    "ElectronicStructure",
    "PawSettings",
    "TieLinePoint",
    "converged_value",
    "convergence_scan",
    "dft_hull_check",
    "dft_quick_check",
    "dft_relax",
    "dft_single_point",
    "electronic_structure",
    "energy_above_tie_meV_per_atom",
]
