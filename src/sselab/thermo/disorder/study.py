"""E_hull(x, T) of the disordered solid solution: cluster expansion + Monte Carlo at several x.

One call from an MLIP to the numbers the hull's ordered cells cannot give: the
expansion is trained on MLIP-relaxed decorations of 25-63-atom cells (the shipped set
for CHGNet, computed with ``relax_training_set`` otherwise), then canonical MC at each
x gives the ground state of the model (E_hull at 0 K), the configurational free energy
at 300 K, the heat capacity and the order-disorder temperature.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from sselab.calculators import model_label
from sselab.roundtrip import RoundTrip
from sselab.thermo.disorder.cluster_expansion import (
    ClusterExpansion,
    TrainingSet,
    fit_cluster_expansion,
    relax_training_set,
    training_configurations,
)
from sselab.thermo.disorder.solid_solution import DisorderedPhase, disordered_phase

logger = logging.getLogger(__name__)

# Training sets shipped with the package: model label -> file under sselab/data/disorder.
# 160 CHGNet relaxations (atoms and volume, cubic shape, fmax 0.1 eV/Å, 60 steps) of
# training_configurations(160, seed=1), exactly what disorder_study would run: 2313 s
# on 2 cores, too long for the quick profile, so it is computed once and shipped.
SHIPPED_TRAINING_SETS: dict[str, str] = {
    "chgnet:0.3.0": "ce_training_chgnet_relaxed.json.gz",
}
DISORDER_XS: tuple[float, ...] = (0.25, 0.5, 0.75)
TRAINING_SEED = 1
# the cubic lattice constant a relaxation starts from (Å): CHGNet's Li2S (5.70) contracted
# to the x = 0.5 orderings' 5.40, linear in x; the volume relaxes from there
START_A0_ANGSTROM, START_DA_DX_ANGSTROM = 5.70, -0.60
# measured: 2313 s for the 160 configurations of the shipped set (CHGNet, 2 cores)
RELAX_S_PER_CONFIGURATION = 14.5


@dataclass
class DisorderStudy(RoundTrip):
    """A cluster expansion and its Monte Carlo at several x.

    Attributes:
        model: MLIP label of the training energies.
        training_source: "shipped" (the package's set for this model) or "relaxed here".
        n_training: configurations in the training set.
        n_converged: of those, relaxations that reached fmax.
        cluster_expansion: the fitted expansion (ECIs, leave-one-out CV error).
        phases: canonical MC per x.
        wall_s: wall time of the study (s), training excluded when shipped.
    """

    model: str
    training_source: str
    n_training: int
    n_converged: int
    cluster_expansion: ClusterExpansion
    phases: list[DisorderedPhase]
    wall_s: float

    def phase(self, x: float) -> DisorderedPhase:
        """The MC result nearest to x."""
        return min(self.phases, key=lambda p: abs(p.x - x))

    def e_hull_meV_per_atom(self, x: float, temperature_K: float) -> float:
        """E above the Li2S–Li3N tie of the disordered phase (0 K: the model's ground state)."""
        return self.phase(x).e_hull_meV_per_atom(temperature_K)


def _shipped_bytes(model: str) -> bytes | None:
    name = SHIPPED_TRAINING_SETS.get(model_label(model))
    if name is None:
        return None
    return (resources.files("sselab") / "data" / "disorder" / name).read_bytes()


def shipped_training_set(model: str) -> TrainingSet | None:
    """The package's relaxed training set for this MLIP, or None when none is shipped.

    Example:
        >>> shipped_training_set("chgnet").model
        'chgnet:0.3.0'
        >>> shipped_training_set("sevennet") is None
        True
    """
    raw = _shipped_bytes(model)
    return None if raw is None else TrainingSet.from_dict(json.loads(gzip.decompress(raw)))


def shipped_training_digest(model: str) -> str | None:
    """sha256 of the shipped training file of ``model`` (a cache key), None when none.

    Example:
        >>> len(shipped_training_digest("chgnet"))
        64
    """
    raw = _shipped_bytes(model)
    return None if raw is None else hashlib.sha256(raw).hexdigest()


def disorder_study(
    model: str = "chgnet",
    xs: Sequence[float] = DISORDER_XS,
    mc_size: int = 4,
    n_sweeps: int = 300,
    n_training: int = 160,
    store: Any | None = None,
    seed: int = 0,
) -> DisorderStudy:
    """Cluster expansion of ``model``'s mixing energies and canonical MC at each x.

    Args:
        model: MLIP (the shipped training set is used when there is one for it).
        xs: N fractions for the Monte Carlo.
        mc_size: MC supercell edge in conventional cells (>= 3).
        n_sweeps: measured MC sweeps per temperature (as many again to equilibrate).
        n_training: configurations to relax when no set is shipped for the model
            (``RELAX_S_PER_CONFIGURATION`` s each with CHGNet on 2 cores).
        store: results store for the relaxations (resumable).
        seed: MC seed.

    Example:
        >>> study = disorder_study("chgnet", xs=[0.5], mc_size=3, n_sweeps=5)
        >>> study.training_source, study.cluster_expansion.cv_rmse_meV_per_atom < 20
        ('shipped', True)
    """
    start = time.perf_counter()
    data = shipped_training_set(model)
    source = "shipped"
    if data is None:
        source = "relaxed here"
        logger.warning(
            "no training set is shipped for %s: relaxing %d configurations (about %.0f min "
            "with CHGNet on 2 cores; a rerun resumes from the store)",
            model,
            n_training,
            n_training * RELAX_S_PER_CONFIGURATION / 60,
        )
        data = relax_training_set(
            training_configurations(n_training, seed=TRAINING_SEED),
            model,
            fmax=0.1,
            max_steps=60,
            store=store,
            a_of_x=lambda x: START_A0_ANGSTROM + START_DA_DX_ANGSTROM * x,
        )
    ce = fit_cluster_expansion(data)
    phases = [disordered_phase(ce, x, size=mc_size, n_sweeps=n_sweeps, seed=seed) for x in xs]
    return DisorderStudy(
        model=data.model,
        training_source=source,
        n_training=len(data.points),
        n_converged=int(np.sum([p.converged for p in data.points])),
        cluster_expansion=ce,
        phases=phases,
        wall_s=time.perf_counter() - start,
    )


__all__ = [
    "DISORDER_XS",
    "SHIPPED_TRAINING_SETS",
    "DisorderStudy",
    "disorder_study",
    "shipped_training_digest",
    "shipped_training_set",
]
