"""Special quasirandom structures (SQS) of Li(2+x)N(x)S(1-x) by simulated annealing.

An SQS is the periodic decoration, at a fixed cell size, whose pair correlations are
closest to those of the infinite random alloy (Zunger et al., PRL 65, 353 (1990)). Here
both sublattices are random: N/S on the anions and extra Li/vacancy on the cages
(one Li per N), and the objective is the squared distance of every pair-orbit
correlation up to ``cutoff_a`` from (1 - 2x)^2.

Why our own annealer: icet 4.0 is on PyPI as a C++ source distribution only, so it would
add a compiler step to every fresh install on 2 cores, and the lattice model here
(two sublattices, pairs) makes the objective twenty lines of numpy.

Example:
    >>> result = generate_sqs(0.5, (1, 1, 1), n_steps=200, seed=0)
    >>> result.configuration.x, result.configuration.is_charge_balanced
    (0.5, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from sselab.roundtrip import RoundTrip
from sselab.thermo.disorder.clusters import DEFAULT_CUTOFF_A, ClusterSpace
from sselab.thermo.disorder.lattice import Configuration, random_configuration

SQS_SUPERCELL = (2, 2, 2)  # 32 anions: 96 + 32x atoms


@dataclass
class SQSResult(RoundTrip):
    """One special quasirandom structure and how random it is.

    Attributes:
        x: N fraction.
        configuration: the decoration (``lattice.to_structure`` builds the cell).
        labels: correlation names ("empty", "point", pair orbits).
        correlations: its correlation vector.
        target: the random alloy's.
        rms_error: root mean square of (correlation - target) over the pair orbits.
        max_error: largest |correlation - target| over the pair orbits.
        random_rms_error: mean rms error of uniformly random decorations of the same cell
            (the reference the SQS improves on).
        seed: annealer seed.
    """

    x: float
    configuration: Configuration
    labels: list[str]
    correlations: list[float]
    target: list[float]
    rms_error: float
    max_error: float
    random_rms_error: float
    seed: int


def _pair_errors(space: ClusterSpace, supercell: tuple[int, int, int], spins: np.ndarray,
                 target: np.ndarray) -> np.ndarray:  # fmt: skip
    return space.correlations_of_spins(supercell, spins)[2:] - target[2:]


def generate_sqs(
    x: float,
    supercell: tuple[int, int, int] = SQS_SUPERCELL,
    cutoff_a: float = DEFAULT_CUTOFF_A,
    n_steps: int = 20_000,
    seed: int = 0,
    n_random: int = 200,
) -> SQSResult:
    """Anneal swaps within each sublattice to match the random alloy's pair correlations.

    Args:
        x: N fraction; x times the anion sites must be an integer.
        supercell: diagonal multiples of the conventional cell (default 2x2x2).
        cutoff_a: longest pair matched, in units of a.
        n_steps: swap attempts; the temperature falls geometrically from 1e-2 to 1e-5.
        seed: random seed.
        n_random: random decorations drawn for ``random_rms_error``.

    Returns:
        SQSResult.

    Example:
        >>> r = generate_sqs(0.25, (2, 1, 1), n_steps=500)
        >>> r.rms_error <= r.random_rms_error
        True
    """
    space = ClusterSpace(cutoff_a)
    n_sites = 4 * int(np.prod(supercell))
    n_nitrogen = round(x * n_sites)
    if abs(n_nitrogen - x * n_sites) > 1e-6:
        raise ValueError(f"x = {x} needs x * {n_sites} anion sites to be an integer")
    rng = np.random.default_rng(seed)
    target = space.random_correlations(x)
    randoms = [
        np.sqrt(np.mean(_pair_errors(space, supercell,
                                     random_configuration(supercell, n_nitrogen, rng).spins,
                                     target) ** 2))
        for _ in range(n_random)
    ]  # fmt: skip
    spins = random_configuration(supercell, n_nitrogen, rng).spins.astype(float)
    cost = float(np.sum(_pair_errors(space, supercell, spins, target) ** 2))
    best_spins, best_cost = spins.copy(), cost
    temperatures = np.geomspace(1e-2, 1e-5, n_steps)
    for temperature in tqdm(temperatures, desc=f"SQS x={x:g}", leave=False, mininterval=2):
        offset = n_sites * int(rng.integers(2))  # anion or cage sublattice
        i, j = offset + rng.choice(n_sites, 2, replace=False)
        if spins[i] == spins[j]:
            continue
        spins[i], spins[j] = spins[j], spins[i]
        trial = float(np.sum(_pair_errors(space, supercell, spins, target) ** 2))
        if trial <= cost or rng.random() < np.exp((cost - trial) / temperature):
            cost = trial
            if cost < best_cost:
                best_spins, best_cost = spins.copy(), cost
        else:
            spins[i], spins[j] = spins[j], spins[i]
    errors = _pair_errors(space, supercell, best_spins, target)
    config = Configuration.from_spins(supercell, best_spins)
    return SQSResult(
        x=n_nitrogen / n_sites,
        configuration=config,
        labels=space.labels,
        correlations=space.correlations(config).tolist(),
        target=target.tolist(),
        rms_error=float(np.sqrt(np.mean(errors**2))),
        max_error=float(np.max(np.abs(errors))),
        random_rms_error=float(np.mean(randoms)),
        seed=seed,
    )


__all__ = ["SQS_SUPERCELL", "SQSResult", "generate_sqs"]
