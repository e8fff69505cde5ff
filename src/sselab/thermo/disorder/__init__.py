"""The disordered solid solution as one: lattice model, SQS, cluster expansion, Monte Carlo.

N/S on the anion sites and extra Li/vacancy on the octahedral cages (``lattice``),
special quasirandom structures (``sqs``), a pair cluster expansion of the mixing energy
trained on relaxed MLIP cells (``cluster_expansion``), canonical Monte Carlo
(``montecarlo``) and E_hull(x, T) of the disordered phase (``solid_solution``). See
docs/disorder.md for the numbers.

Example:
    >>> from sselab.thermo.disorder import Configuration
    >>> Configuration((1, 1, 1), "NSSS", "Lvvv").x
    0.25
"""

from sselab.thermo.disorder.cluster_expansion import (
    ClusterExpansion,
    ECIFigureData,
    TrainingPoint,
    TrainingSet,
    eci_figure,
    fit_cluster_expansion,
    relax_training_set,
    training_configurations,
)
from sselab.thermo.disorder.clusters import ClusterSpace, PairOrbit
from sselab.thermo.disorder.lattice import Configuration, random_configuration, to_structure
from sselab.thermo.disorder.montecarlo import (
    MCRun,
    PairHamiltonian,
    canonical_mc,
    energy_slope_peak,
    free_energy_by_integration,
    heat_capacity_peak,
    square_ising,
)
from sselab.thermo.disorder.solid_solution import DisorderedPhase, disordered_phase
from sselab.thermo.disorder.sqs import SQSResult, generate_sqs
from sselab.thermo.disorder.study import DisorderStudy, disorder_study, shipped_training_set

__all__ = [
    "ClusterExpansion",
    "ClusterSpace",
    "Configuration",
    "DisorderStudy",
    "DisorderedPhase",
    "ECIFigureData",
    "MCRun",
    "PairHamiltonian",
    "PairOrbit",
    "SQSResult",
    "TrainingPoint",
    "TrainingSet",
    "canonical_mc",
    "disorder_study",
    "disordered_phase",
    "eci_figure",
    "energy_slope_peak",
    "fit_cluster_expansion",
    "free_energy_by_integration",
    "generate_sqs",
    "heat_capacity_peak",
    "random_configuration",
    "relax_training_set",
    "shipped_training_set",
    "square_ising",
    "to_structure",
    "training_configurations",
]
