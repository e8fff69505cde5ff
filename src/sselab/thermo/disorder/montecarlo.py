"""Canonical Monte Carlo of pair Hamiltonians: <E>(T), heat capacity, short-range order, F(T).

Metropolis swaps of two unlike spins within one swap group (a sublattice), so the
composition, and with it charge balance, never changes. All temperatures run at once
as replicas (numpy over the replica axis) and neighbouring temperatures exchange
configurations after every sweep (parallel tempering), which keeps the low-temperature
replicas out of the domain states a plain quench freezes into.

The configurational free energy comes from thermodynamic integration from infinite
temperature, where canonical sampling is uniform and F = <E> - T S_max:

    beta F(beta) = -S_max / k_B + integral_0^beta <E>(beta') dbeta'

with S_max the log of the number of decorations at fixed composition.

Example:
    >>> ham = square_ising(8, coupling=-1.0)  # antiferromagnet, canonical at m = 0
    >>> run = canonical_mc(ham, np.tile([1, -1], 32), [1.5, 3.0], n_sweeps=50, seed=0)
    >>> bool(run.energy_mean[0] < run.energy_mean[1])
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln
from tqdm.auto import tqdm

from sselab.roundtrip import RoundTrip
from sselab.units import BOLTZMANN_EV_PER_K


@dataclass
class PairHamiltonian:
    """E(s) = constant + sum_i field_i s_i + 1/2 sum_i sum_k J[i, k] s_i s_{neighbors[i, k]}.

    Rows of ``neighbors`` are padded with ``n_sites`` (a ghost site of spin 0).

    Attributes:
        neighbors: (n_sites, z) neighbour indices.
        couplings: (n_sites, z) pair couplings (listed from both ends).
        field: (n_sites,) point terms.
        constant: energy of the empty cluster.
        swap_groups: site index arrays within which spins are swapped.
        pair_groups: (i, j) index arrays for short-range order, one per pair orbit.
    """

    neighbors: np.ndarray
    couplings: np.ndarray
    field: np.ndarray
    constant: float
    swap_groups: list[np.ndarray]
    pair_groups: list[np.ndarray]

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return len(self.field)

    def energy(self, spins: np.ndarray) -> np.ndarray:
        """Energies of one spin array (n_sites,) or a stack (replicas, n_sites)."""
        spins = np.atleast_2d(spins).astype(float)
        padded = np.concatenate([spins, np.zeros((len(spins), 1))], axis=1)
        pair = 0.5 * np.einsum("ri,ik,rik->r", spins, self.couplings, padded[:, self.neighbors])
        return np.asarray(self.constant + spins @ self.field + pair)


def hamiltonian_from_pairs(
    n_sites: int,
    pair_lists: Sequence[np.ndarray],
    pair_couplings: Sequence[float],
    field: np.ndarray,
    constant: float,
    swap_groups: list[np.ndarray],
) -> PairHamiltonian:
    """Build neighbour tables from pair lists: energy += coupling * s_i s_j for every listed (i, j).

    A pair listed as both (i, j) and (j, i) counts twice.

    Example:
        >>> ham = hamiltonian_from_pairs(2, [np.array([[0, 1]])], [1.0], np.zeros(2), 0.0,
        ...                              [np.arange(2)])
        >>> ham.energy(np.array([1, -1])).tolist()
        [-1.0]
    """
    rows: list[list[tuple[int, float]]] = [[] for _ in range(n_sites)]
    for pairs, coupling in zip(pair_lists, pair_couplings, strict=True):
        for i, j in pairs:
            # Listed from both ends with half the coupling each: 1/2 sum_i sum_k.
            rows[int(i)].append((int(j), float(coupling)))
            rows[int(j)].append((int(i), float(coupling)))
    z = max(len(r) for r in rows)
    neighbors = np.full((n_sites, z), n_sites, dtype=np.int64)
    couplings = np.zeros((n_sites, z))
    for i, row in enumerate(rows):
        neighbors[i, : len(row)] = [j for j, _ in row]
        couplings[i, : len(row)] = [c for _, c in row]
    return PairHamiltonian(neighbors, couplings, field, constant, swap_groups, list(pair_lists))


def square_ising(length: int, coupling: float = 1.0) -> PairHamiltonian:
    """Nearest-neighbour Ising model on a periodic length x length square lattice.

    E = -coupling * sum_<ij> s_i s_j (coupling > 0: ferromagnet); one swap group.

    Example:
        >>> square_ising(4).energy(np.ones(16)).tolist()  # 32 bonds
        [-32.0]
    """
    index = np.arange(length * length).reshape(length, length)
    pairs = np.concatenate(
        [
            np.stack([index.ravel(), np.roll(index, -1, axis=0).ravel()], axis=1),
            np.stack([index.ravel(), np.roll(index, -1, axis=1).ravel()], axis=1),
        ]
    )
    return hamiltonian_from_pairs(
        length * length, [pairs], [-coupling], np.zeros(length * length), 0.0,
        [np.arange(length * length)],
    )  # fmt: skip


@dataclass
class MCRun(RoundTrip):
    """Canonical MC averages per temperature (energy unit of the Hamiltonian, k_B T in it too).

    Attributes:
        temperatures: temperatures in energy units (k_B T); inf allowed (uniform sampling).
        energy_mean: <E> per temperature (whole cell).
        energy_std: standard deviation of E over the measured sweeps.
        heat_capacity: (<E^2> - <E>^2) / T^2 per site, in k_B.
        short_range_order: Warren–Cowley alpha = (<s_i s_j> - m^2) / (1 - m^2) per pair
            group (columns) and temperature (rows); m: mean spin of each end's sites.
        energy_min: lowest energy visited at each temperature.
        ground_state: spins of the lowest energy visited at any temperature.
        acceptance: accepted fraction of swap attempts per temperature.
        n_sweeps: measured sweeps (after as many equilibration sweeps).
    """

    temperatures: list[float]
    energy_mean: list[float]
    energy_std: list[float]
    heat_capacity: list[float]
    short_range_order: list[list[float]]
    energy_min: list[float]
    ground_state: list[int]
    acceptance: list[float]
    n_sweeps: int


def canonical_mc(
    hamiltonian: PairHamiltonian,
    spins: np.ndarray,
    temperatures: Sequence[float],
    n_sweeps: int = 200,
    seed: int = 0,
    n_equilibration: int | None = None,
) -> MCRun:
    """Metropolis swaps with replica exchange at every temperature at once.

    Args:
        hamiltonian: pair Hamiltonian (its swap groups fix what may exchange).
        spins: starting spins (+-1), copied to every replica; sets the composition.
        temperatures: k_B T in the Hamiltonian's energy unit (``np.inf`` allowed).
        n_sweeps: measured sweeps (one sweep: n_sites swap attempts per replica).
        seed: random seed.
        n_equilibration: sweeps discarded first (default ``n_sweeps``).

    Returns:
        MCRun.

    Example:
        >>> run = canonical_mc(square_ising(4), np.tile([1, -1], 8), [np.inf], n_sweeps=5)
        >>> 0.3 < run.acceptance[0] < 0.7  # T = inf accepts every unlike pair: half the draws
        True
    """
    rng = np.random.default_rng(seed)
    temps = np.asarray(temperatures, dtype=float)
    betas = np.where(np.isinf(temps), 0.0, 1.0 / temps)
    n_rep, n = len(temps), hamiltonian.n_sites
    state = np.zeros((n_rep, n + 1))  # last column: the ghost site
    state[:, :n] = np.asarray(spins, dtype=float)
    energy = hamiltonian.energy(state[:, :n])
    groups = [g for g in hamiltonian.swap_groups if len(np.unique(state[0, g])) > 1]
    if not groups:
        raise ValueError("no swap group holds both spins: nothing can move")
    sizes = np.array([len(g) for g in groups], dtype=float)
    rows = np.arange(n_rep)
    n_equilibration = n_sweeps if n_equilibration is None else n_equilibration
    samples, sro_sum = [], np.zeros((n_rep, len(hamiltonian.pair_groups)))
    accepted = np.zeros(n_rep)
    best_energy, best_spins = np.inf, state[0, :n].copy()
    minimum = energy.copy()

    def local_field(sites: np.ndarray) -> np.ndarray:
        neighbours = state[rows[:, None], hamiltonian.neighbors[sites]]
        return (
            np.einsum("rk,rk->r", hamiltonian.couplings[sites], neighbours)
            + hamiltonian.field[sites]
        )

    for sweep in tqdm(
        range(n_equilibration + n_sweeps), desc="MC sweeps", leave=False, mininterval=5
    ):
        which = rng.choice(len(groups), size=n, p=sizes / sizes.sum())
        for g in which:
            group = groups[g]
            i = group[rng.integers(len(group), size=n_rep)]
            j = group[rng.integers(len(group), size=n_rep)]
            s_i, s_j = state[rows, i], state[rows, j]
            unlike = s_i != s_j
            delta = -2 * s_i * local_field(i)
            state[rows, i] = -s_i
            delta += -2 * s_j * local_field(j)
            delta = np.where(unlike, delta, 0.0)
            accept = unlike & (rng.random(n_rep) < np.exp(np.minimum(0.0, -betas * delta)))
            state[rows, i] = np.where(accept, -s_i, s_i)
            state[rows, j] = np.where(accept, -s_j, s_j)
            energy += np.where(accept, delta, 0.0)
            if sweep >= n_equilibration:
                accepted += accept
        # Replica exchange between neighbouring temperatures (alternating pairs).
        for k in range(sweep % 2, n_rep - 1, 2):
            if rng.random() < np.exp(
                min(0.0, (betas[k] - betas[k + 1]) * (energy[k] - energy[k + 1]))
            ):
                state[[k, k + 1]] = state[[k + 1, k]]
                energy[[k, k + 1]] = energy[[k + 1, k]]
        minimum = np.minimum(minimum, energy)
        low = int(np.argmin(energy))
        if energy[low] < best_energy:
            best_energy, best_spins = float(energy[low]), state[low, :n].copy()
        if sweep >= n_equilibration:
            samples.append(energy.copy())
            for k, pairs in enumerate(hamiltonian.pair_groups):
                sro_sum[:, k] += np.mean(state[:, pairs[:, 0]] * state[:, pairs[:, 1]], axis=1)
    e = np.array(samples)
    sro = sro_sum / max(n_sweeps, 1)
    alphas = []
    for k, pairs in enumerate(hamiltonian.pair_groups):
        m1 = float(np.mean(spins[pairs[:, 0]]))
        m2 = float(np.mean(spins[pairs[:, 1]]))
        alphas.append((sro[:, k] - m1 * m2) / max(1 - m1 * m2, 1e-12))
    variance = e.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        heat = np.where(np.isinf(temps), 0.0, variance * betas**2 / n)
    return MCRun(
        temperatures=temps.tolist(),
        energy_mean=e.mean(axis=0).tolist(),
        energy_std=np.sqrt(variance).tolist(),
        heat_capacity=heat.tolist(),
        short_range_order=np.array(alphas).T.tolist() if alphas else [[] for _ in temps],
        energy_min=minimum.tolist(),
        ground_state=best_spins.astype(int).tolist(),
        acceptance=(accepted / max(n_sweeps * n, 1)).tolist(),
        n_sweeps=n_sweeps,
    )


def _thawed(run: MCRun, min_acceptance: float) -> list[tuple[float, float, float]]:
    """(T, C, <E>) at finite T, ascending, without the frozen tail (acceptance below
    ``min_acceptance`` from the coldest temperature up)."""
    rows = sorted(
        (t, c, e, acc)
        for t, c, e, acc in zip(
            run.temperatures, run.heat_capacity, run.energy_mean, run.acceptance, strict=True
        )
        if np.isfinite(t)
    )
    while rows and rows[0][3] < min_acceptance:
        rows.pop(0)
    return [(t, c, e) for t, c, e, _ in rows]


def heat_capacity_peak(run: MCRun, min_acceptance: float = 0.01) -> float | None:
    """Temperature of the heat-capacity maximum (parabola through the top three points).

    The frozen low-temperature tail is left out: from the lowest temperature up, points
    whose swap acceptance is below ``min_acceptance``, because a replica frozen in one
    state between rare accepted swaps gives a large, meaningless energy variance
    (measured: spikes at 77-92 K that outgrew the real ~900 K order-disorder peak of the
    Li-N-S expansion). Only the contiguous tail goes, so an ordered point just below a
    sharp transition stays. None when the maximum is at the end of the remaining grid
    (no peak inside it).

    Example:
        >>> run = MCRun([1.0, 2.0, 3.0, 0.1], [0] * 4, [0] * 4, [0.1, 0.5, 0.1, 9.0],
        ...             [[], [], [], []], [0] * 4, [], [0.2, 0.3, 0.4, 0.001], 1)
        >>> round(heat_capacity_peak(run), 6)  # the frozen 0.1 spike is ignored
        2.0
    """
    finite = _thawed(run, min_acceptance)
    if len(finite) < 3:
        return None
    temps = np.array([t for t, _, _ in finite])
    heat = np.array([c for _, c, _ in finite])
    k = int(np.argmax(heat))
    if k == 0 or k == len(heat) - 1:
        return None
    a, b, _ = np.polyfit(temps[k - 1 : k + 2], heat[k - 1 : k + 2], 2)
    return float(-b / (2 * a)) if a < 0 else float(temps[k])


def energy_slope_peak(run: MCRun, min_acceptance: float = 0.01) -> float | None:
    """Temperature of the steepest rise of <E>(T): C = d<E>/dT from the averages themselves.

    A second estimate of the transition beside :func:`heat_capacity_peak`. It needs
    only mean energies, so it is not fooled by slow drifts that inflate the energy
    variance of glassy low-temperature replicas (measured on the Li-N-S expansion at
    x = 0.25: the fluctuation C rose to 122 k_B per formula unit at 50 K while <E>
    had almost stopped moving). Finite differences between neighbouring grid
    temperatures (placed at their midpoints); the largest *interior* local maximum,
    refined by a parabola through it and its neighbours, because a step at an end of
    the grid is not a peak (at the cold end it is a replica that found a lower state
    late). The frozen tail is left out as in :func:`heat_capacity_peak`. None when
    there is no interior maximum.

    Example:
        >>> run = MCRun([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.1, 1.0, 1.2, 1.3], [0] * 5,
        ...             [0] * 5, [[]] * 5, [0] * 5, [], [0.5] * 5, 1)
        >>> 2.0 < energy_slope_peak(run) < 3.0
        True
    """
    rows = _thawed(run, min_acceptance)
    if len(rows) < 4:
        return None
    temps = np.array([t for t, _, _ in rows])
    energies = np.array([e for _, _, e in rows])
    slopes = np.diff(energies) / np.diff(temps)
    middles = (temps[1:] + temps[:-1]) / 2
    interior = [
        k
        for k in range(1, len(slopes) - 1)
        if slopes[k] >= slopes[k - 1] and slopes[k] >= slopes[k + 1]
    ]
    if not interior:
        return None
    k = max(interior, key=lambda i: slopes[i])
    a, b, _ = np.polyfit(middles[k - 1 : k + 2], slopes[k - 1 : k + 2], 2)
    peak = -b / (2 * a) if a < 0 else middles[k]
    return float(np.clip(peak, middles[k - 1], middles[k + 1]))


def max_entropy(swap_groups_spins: Sequence[np.ndarray]) -> float:
    """ln(number of decorations) at fixed composition, summed over swap groups (k_B).

    Example:
        >>> round(max_entropy([np.array([1, 1, -1, -1])]), 4)  # ln 6
        1.7918
    """
    total = 0.0
    for spins in swap_groups_spins:
        n, up = len(spins), int(np.sum(np.asarray(spins) > 0))
        total += float(gammaln(n + 1) - gammaln(up + 1) - gammaln(n - up + 1))
    return total


def free_energy_by_integration(run: MCRun, entropy_max: float) -> list[float]:
    """F(T) at every finite temperature of a run whose grid starts at T = inf.

    Trapezoidal integration of <E> over beta = 1/T from 0; F(inf) is undefined, so the
    list holds F at the run's temperatures with inf given as NaN.

    Example:
        >>> run = MCRun([np.inf, 1.0], [0.0, 0.0], [0, 0], [0, 0], [[], []], [0, 0], [], [1, 1], 1)
        >>> round(free_energy_by_integration(run, np.log(2))[1], 4)  # -T ln 2
        -0.6931
    """
    order = np.argsort([0.0 if np.isinf(t) else 1 / t for t in run.temperatures])
    temps = np.array(run.temperatures)[order]
    if not np.isinf(temps[0]):
        raise ValueError("the temperature grid must include inf (beta = 0) to integrate from")
    betas = np.array([0.0, *(1 / temps[1:])])
    energies = np.array(run.energy_mean)[order]
    integral = np.concatenate(
        [[0.0], np.cumsum(np.diff(betas) * (energies[1:] + energies[:-1]) / 2)]
    )
    free = np.full(len(temps), np.nan)
    free[1:] = (-entropy_max + integral[1:]) / betas[1:]
    result = np.empty(len(temps))
    result[order] = free
    return result.tolist()


__all__ = [
    "BOLTZMANN_EV_PER_K",
    "MCRun",
    "PairHamiltonian",
    "canonical_mc",
    "energy_slope_peak",
    "free_energy_by_integration",
    "hamiltonian_from_pairs",
    "heat_capacity_peak",
    "max_entropy",
    "square_ising",
]
