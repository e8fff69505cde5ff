"""First principles in sselab: GPAW (plane-wave PAW, PBE) jobs, hull check, electronic structure.

The science layer over :mod:`sselab.calculators.paw`: single points, relaxations
and densities of states as cached, checkpointed jobs (:mod:`sselab.dft.jobs`),
the cutoff / k-point convergence check that chose the default settings
(:mod:`sselab.dft.convergence`), the DFT energy above the Li2S–Li3N tie line at
MLIP geometries with parity against the MLIPs (:mod:`sselab.dft.hull`), and band
gaps / DOS figures (:mod:`sselab.dft.electronic`). GPAW is imported only when a
job runs, so ``import sselab.dft`` works without it.
"""

from sselab.calculators.paw import PawSettings
from sselab.dft.jobs import (
    DftRelaxation,
    DftRelaxSettings,
    DftSinglePoint,
    dft_relax,
    dft_single_point,
)

__all__ = [
    "DftRelaxSettings",
    "DftRelaxation",
    "DftSinglePoint",
    "PawSettings",
    "dft_relax",
    "dft_single_point",
]
