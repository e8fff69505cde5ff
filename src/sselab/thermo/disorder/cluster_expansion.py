"""Cluster expansion of the mixing energy of Li(2+x)N(x)S(1-x), trained on relaxed MLIP cells.

The fitted quantity is the mixing energy per formula unit (per anion site),

    E_mix = E_cell / n_fu - [(1 - x) E(Li2S) + x E(Li3N)]   (eV per formula unit),

the energy above the Li2S–Li3N tie line, with both end members relaxed by the same
model (Li3N: the lower of alpha/beta). E_mix / (3 + x) is the paper's E_hull per atom.
It is expanded in the point and pair correlations of :mod:`.clusters` (ridge-regularised
least squares) and judged by its leave-one-out cross-validation error.

Example:
    >>> from sselab.thermo.disorder.lattice import Configuration
    >>> ce = ClusterExpansion(1.25, ClusterSpace(1.25).labels, [0.0] * 11, 0.0, 0.0, 0, 0.0, "toy")
    >>> ce.e_above_tie_meV_per_atom(Configuration((1, 1, 1), "NNSS", "LLvv"))
    0.0
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sselab.roundtrip import RoundTrip
from sselab.thermo.disorder.clusters import DEFAULT_CUTOFF_A, ClusterSpace
from sselab.thermo.disorder.lattice import Configuration, random_configuration, to_structure

logger = logging.getLogger(__name__)

# Cells of 25-63 atoms: 2x1x1 (8 formula units, 24 + n_N atoms) and 2x2x1 (16, 48 + n_N).
TRAINING_SUPERCELLS: tuple[tuple[int, int, int], ...] = ((2, 1, 1), (2, 2, 1))
RIDGE_ALPHAS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


@dataclass
class TrainingPoint(RoundTrip):
    """One relaxed configuration.

    Attributes:
        configuration: decoration.
        energy_eV: relaxed MLIP energy of the whole cell.
        n_atoms: atoms in the cell.
        converged: the relaxation reached its force threshold.
    """

    configuration: Configuration
    energy_eV: float
    n_atoms: int
    converged: bool


@dataclass
class TrainingSet(RoundTrip):
    """Relaxed configurations and the end-member energies of the same model.

    Attributes:
        model: model label.
        li2s_eV_per_fu: relaxed Li2S energy per formula unit.
        li3n_eV_per_fu: relaxed Li3N (lowest polymorph) energy per formula unit.
        points: relaxed configurations.
        fmax_eV_per_angstrom: force threshold of the relaxations.
        wall_s: seconds spent relaxing.
    """

    model: str
    li2s_eV_per_fu: float
    li3n_eV_per_fu: float
    points: list[TrainingPoint]
    fmax_eV_per_angstrom: float
    wall_s: float = 0.0

    def mixing_energy_eV_per_fu(self, point: TrainingPoint) -> float:
        """E_mix of one point (see the module docstring)."""
        x = point.configuration.x
        tie = (1 - x) * self.li2s_eV_per_fu + x * self.li3n_eV_per_fu
        return point.energy_eV / point.configuration.n_sites - tie


def training_configurations(
    n: int,
    seed: int = 0,
    supercells: Sequence[tuple[int, int, int]] = TRAINING_SUPERCELLS,
) -> list[Configuration]:
    """Random charge-balanced decorations, x uniform over the realisable 0 < x < 1, distinct.

    Example:
        >>> configs = training_configurations(5)
        >>> len(configs), all(c.is_charge_balanced for c in configs)
        (5, True)
    """
    rng = np.random.default_rng(seed)
    seen: set[tuple] = set()
    configs: list[Configuration] = []
    for _ in range(50 * n):
        if len(configs) == n:
            break
        cell = tuple(supercells[int(rng.integers(len(supercells)))])
        n_sites = 4 * int(np.prod(cell))
        config = random_configuration(cell, int(rng.integers(1, n_sites)), rng)  # type: ignore[arg-type]
        key = (config.supercell, config.anions, config.cages)
        if key not in seen:
            seen.add(key)
            configs.append(config)
    return configs


def relax_training_set(
    configs: Sequence[Configuration],
    model: str = "chgnet",
    fmax: float = 0.1,
    max_steps: int = 150,
    store: Any | None = None,
    checkpoint: Path | None = None,
    a_of_x: Callable[[float], float] | None = None,
) -> TrainingSet:
    """Relax configurations (atoms and volume, cubic shape kept) and the end members.

    Starting lattice constant: ``a_of_x(x)``, default ``antifluorite(x)``'s (the Li2S
    value contracted by 9 % per unit x). ``max_steps=0`` gives single points at the
    start geometry (an unrelaxed expansion, for when relaxations cannot be afforded).
    The cell shape is kept, as for the hull's ordered cells, so the expansion describes
    the cubic solid solution. With ``checkpoint`` the set so far is
    written there (JSON) after every configuration, so a long run can be cut short.

    Example:
        >>> data = relax_training_set(training_configurations(3))  # doctest: +SKIP
    """
    import time

    from sselab.calculators import get_calculator, model_label, relax
    from sselab.structures import antifluorite
    from sselab.thermo.hull import HullSettings, reference_energies

    start = time.perf_counter()
    settings = HullSettings(
        model=model, fmax_eV_per_angstrom=fmax, max_steps=max(4 * max_steps, 100)
    )
    references = reference_energies(["Li2S", "alpha-Li3N", "beta-Li3N"], settings, store)
    li2s = references["Li2S"].energy_per_atom_eV * 3
    li3n = min(references[n].energy_per_atom_eV for n in ("alpha-Li3N", "beta-Li3N")) * 4
    calculator = get_calculator(model)
    data = TrainingSet(model_label(model), li2s, li3n, [], fmax)
    for config in tqdm(configs, desc="relax CE training set", mininterval=5):
        a = antifluorite(config.x).lattice.a if a_of_x is None else a_of_x(config.x)
        result = relax(
            to_structure(config, a),
            calculator,
            fmax=fmax,
            max_steps=max_steps,
            store=store,
            keep_cell_shape=True,
        )
        data.points.append(
            TrainingPoint(config, result.energy_eV, len(result.structure), result.converged)
        )
        data.wall_s = time.perf_counter() - start
        if checkpoint is not None:
            Path(checkpoint).write_text(json.dumps(data.as_dict()))
    return data


@dataclass
class ClusterExpansion(RoundTrip):
    """Fitted expansion of E_mix (eV per formula unit) in point and pair correlations.

    Attributes:
        cutoff_a: pair cutoff in units of a.
        labels: names of the correlations (``ClusterSpace.labels``).
        ecis_eV: effective cluster interactions, per formula unit, in label order.
        cv_rmse_meV_per_atom: leave-one-out cross-validation error of E_mix / (3 + x).
        train_rmse_meV_per_atom: training error of the same quantity.
        n_training: configurations fitted.
        ridge_alpha: regularisation chosen by the cross-validation error.
        model: model label of the training energies.
    """

    cutoff_a: float
    labels: list[str]
    ecis_eV: list[float]
    cv_rmse_meV_per_atom: float
    train_rmse_meV_per_atom: float
    n_training: int
    ridge_alpha: float
    model: str

    @cached_property
    def space(self) -> ClusterSpace:
        """The cluster space of the ECIs."""
        return ClusterSpace(self.cutoff_a)

    def mixing_energy_eV_per_fu(self, config: Configuration) -> float:
        """Predicted E_mix of a configuration."""
        return float(self.space.correlations(config) @ np.array(self.ecis_eV))

    def e_above_tie_meV_per_atom(self, config: Configuration) -> float:
        """Predicted energy above the Li2S–Li3N tie line, meV/atom."""
        return 1000 * self.mixing_energy_eV_per_fu(config) / (3 + config.x)


def _ridge_loo(
    features: np.ndarray, target: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Ridge solution and leave-one-out residuals (closed form via the hat matrix)."""
    gram = features.T @ features + alpha * np.eye(features.shape[1])
    solve = np.linalg.solve(gram, features.T)
    coefficients = solve @ target
    hat_diagonal = np.einsum("ij,ji->i", features, solve)
    residuals = target - features @ coefficients
    return coefficients, residuals / (1 - hat_diagonal)


def fit_cluster_expansion(
    data: TrainingSet,
    cutoff_a: float = DEFAULT_CUTOFF_A,
    exclude: Sequence[int] = (),
    alphas: Sequence[float] = RIDGE_ALPHAS,
) -> ClusterExpansion:
    """Fit ECIs to a training set; choose the ridge strength by leave-one-out error.

    Args:
        data: relaxed configurations.
        cutoff_a: pair cutoff in units of a.
        exclude: indices of ``data.points`` held out of the fit.
        alphas: ridge strengths tried (on correlations scaled by 1/(3 + x), i.e. per atom).

    Returns:
        ClusterExpansion (errors per atom).

    Example:
        >>> ce = fit_cluster_expansion(data)  # doctest: +SKIP
    """
    space = ClusterSpace(cutoff_a)
    points = [p for k, p in enumerate(data.points) if k not in set(exclude)]
    if len(points) < len(space.labels) + 2:
        raise ValueError(f"{len(points)} configurations are too few for {len(space.labels)} ECIs")
    per_atom = np.array([1 / (3 + p.configuration.x) for p in points])
    # Fit per atom: the error the paper's E_hull sees, and larger cells are not favoured.
    features = np.array([space.correlations(p.configuration) for p in points]) * per_atom[:, None]
    target = np.array([data.mixing_energy_eV_per_fu(p) for p in points]) * per_atom
    fits = [(alpha, *_ridge_loo(features, target, alpha)) for alpha in alphas]
    alpha, ecis, loo = min(fits, key=lambda f: float(np.mean(f[2] ** 2)))
    train = target - features @ ecis
    return ClusterExpansion(
        cutoff_a=cutoff_a,
        labels=space.labels,
        ecis_eV=ecis.tolist(),
        cv_rmse_meV_per_atom=1000 * float(np.sqrt(np.mean(loo**2))),
        train_rmse_meV_per_atom=1000 * float(np.sqrt(np.mean(train**2))),
        n_training=len(points),
        ridge_alpha=alpha,
        model=data.model,
    )


@dataclass
class ECIFigureData(RoundTrip):
    """ECIs by orbit for plotting (meV per formula unit).

    Attributes:
        labels: pair orbit labels.
        distance_a: pair distances in units of a.
        ecis_meV: ECIs.
    """

    labels: list[str]
    distance_a: list[float]
    ecis_meV: list[float] = field(default_factory=list)


def eci_figure(ce: ClusterExpansion, path: Any) -> ECIFigureData:
    """Bar plot of the pair ECIs against pair distance, coloured by sublattice pair.

    Example:
        >>> eci_figure(ce, "ecis.png")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    orbits = ce.space.orbits
    ecis = 1000 * np.array(ce.ecis_eV[2:])
    colours = {(0, 0): "tab:orange", (1, 1): "tab:blue", (0, 1): "tab:green"}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for k, (orbit, value) in enumerate(zip(orbits, ecis, strict=True)):
        ax.bar(k, value, color=colours[orbit.sublattices])
    ax.set_xticks(
        range(len(orbits)), [o.label for o in orbits], rotation=60, ha="right", fontsize=7
    )
    ax.axhline(0, color="k", lw=0.5)
    ax.set_ylabel("ECI (meV per formula unit)")
    ax.set_title(
        f"{ce.model}: {ce.n_training} configurations, CV {ce.cv_rmse_meV_per_atom:.1f} meV/atom",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return ECIFigureData([o.label for o in orbits], [o.distance_a for o in orbits], ecis.tolist())


__all__ = [
    "TRAINING_SUPERCELLS",
    "ClusterExpansion",
    "ECIFigureData",
    "TrainingPoint",
    "TrainingSet",
    "eci_figure",
    "fit_cluster_expansion",
    "relax_training_set",
    "training_configurations",
]
