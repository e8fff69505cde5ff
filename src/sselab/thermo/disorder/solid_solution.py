"""The disordered phase from a cluster expansion: canonical MC on a large cell, E_hull(x, T).

The cluster expansion (``cluster_expansion.ClusterExpansion``) gives the mixing energy
above the Li2S–Li3N tie line; Monte Carlo at fixed x on an L x L x L supercell of the
conventional cell (default L = 6: 864 anions and 864 cages) gives <E>(T), the heat
capacity, the Warren–Cowley short-range order of every pair orbit, the lowest energy
found (the 0 K ground state of the lattice model) and, by thermodynamic integration
from infinite temperature, the configurational free energy. E_hull(x, T) of the
disordered phase is F_mix(T) / (3 + x) per atom: the end members are ordered, with no
configurational entropy. Vibrations are not included.

Example:
    >>> from sselab.thermo.disorder.cluster_expansion import ClusterExpansion
    >>> from sselab.thermo.disorder.clusters import ClusterSpace
    >>> ecis = [0.0, 0.0, 0.02] + [0.0] * 8  # anion-cage repulsion of like spins
    >>> ce = ClusterExpansion(1.25, ClusterSpace(1.25).labels, ecis, 1.0, 1.0, 0, 0.0, "toy")
    >>> phase = disordered_phase(ce, 0.5, size=2, n_sweeps=20, temperatures_K=(3000, 300))
    >>> e_3000, e_300 = phase.energy_meV_per_atom  # high to low T
    >>> bool(e_300 < e_3000), bool(phase.e_hull_meV_per_atom(300) < e_300)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sselab.roundtrip import RoundTrip
from sselab.thermo.disorder.cluster_expansion import ClusterExpansion
from sselab.thermo.disorder.lattice import random_configuration
from sselab.thermo.disorder.montecarlo import (
    PairHamiltonian,
    canonical_mc,
    energy_slope_peak,
    free_energy_by_integration,
    hamiltonian_from_pairs,
    max_entropy,
)
from sselab.units import BOLTZMANN_EV_PER_K

MC_SIZE = 6
# Log-spaced from 3000 K to 50 K; inf anchors the free-energy integration.
MC_TEMPERATURES_K: tuple[float, ...] = tuple(float(t) for t in np.geomspace(3000, 50, 20).round())


def ce_hamiltonian(ce: ClusterExpansion, size: int) -> PairHamiltonian:
    """Pair Hamiltonian (eV per cell) of a cluster expansion on a size^3 conventional supercell.

    n E_mix = n J0 + J1 sum_anions s + sum_orbits (J / m) sum_(listed pairs) s_i s_j, with
    n formula units and m the orbit multiplicity (``ClusterSpace.pair_table`` lists m n pairs).

    Example:
        >>> from sselab.thermo.disorder.clusters import ClusterSpace
        >>> labels = ClusterSpace(1.25).labels
        >>> ce = ClusterExpansion(1.25, labels, [0.1] + [0.0] * 10, 0, 0, 0, 0, "toy")
        >>> ce_hamiltonian(ce, 3).energy(np.ones(216)).round(6).tolist()  # 108 f.u. x 0.1 eV
        [10.8]
    """
    cell = (size, size, size)
    n = 4 * size**3
    pairs = ce.space.pair_table(cell)
    couplings = [j / o.multiplicity for j, o in zip(ce.ecis_eV[2:], ce.space.orbits, strict=True)]
    field = np.concatenate([np.full(n, ce.ecis_eV[1]), np.zeros(n)])
    return hamiltonian_from_pairs(
        2 * n, pairs, couplings, field, n * ce.ecis_eV[0], [np.arange(n), np.arange(n, 2 * n)]
    )


@dataclass
class DisorderedPhase(RoundTrip):
    """Canonical MC of a cluster expansion at one x.

    Attributes:
        x: N fraction.
        size: supercell edge in conventional cells.
        temperatures_K: finite temperatures, high to low.
        energy_meV_per_atom: <E_mix> / (3 + x) per temperature.
        heat_capacity_kB_per_fu: C / (k_B n_fu), configurational.
        short_range_order: Warren–Cowley alpha per temperature (rows) and pair orbit (columns).
        orbit_labels: pair orbit names of the columns.
        free_energy_meV_per_atom: F_mix / (3 + x) by thermodynamic integration.
        entropy_kB_per_fu: configurational S = (<E> - F) / T per formula unit.
        ground_state_meV_per_atom: lowest E_mix / (3 + x) found (the 0 K phase of the model).
        order_disorder_K: steepest rise of <E>(T) (``energy_slope_peak``), None without a
            peak inside the grid.
        n_sweeps: measured sweeps per temperature.
        model: model label of the expansion.
    """

    x: float
    size: int
    temperatures_K: list[float]
    energy_meV_per_atom: list[float]
    heat_capacity_kB_per_fu: list[float]
    short_range_order: list[list[float]]
    orbit_labels: list[str]
    free_energy_meV_per_atom: list[float]
    entropy_kB_per_fu: list[float]
    ground_state_meV_per_atom: float
    order_disorder_K: float | None
    n_sweeps: int
    model: str

    def e_hull_meV_per_atom(self, temperature_K: float) -> float:
        """E_hull of the disordered phase: the ground state at 0 K, F_mix/(3 + x) above.

        Linear interpolation in T between grid points (and to the ground state at 0 K).
        """
        if temperature_K <= 0:
            return self.ground_state_meV_per_atom
        temps = [0.0, *self.temperatures_K[::-1]]
        values = [self.ground_state_meV_per_atom, *self.free_energy_meV_per_atom[::-1]]
        if temperature_K > temps[-1]:
            raise ValueError(f"{temperature_K} K is above the MC grid (max {temps[-1]} K)")
        return float(np.interp(temperature_K, temps, values))


def disordered_phase(
    ce: ClusterExpansion,
    x: float,
    size: int = MC_SIZE,
    temperatures_K: Sequence[float] = MC_TEMPERATURES_K,
    n_sweeps: int = 200,
    seed: int = 0,
) -> DisorderedPhase:
    """Canonical MC of ``ce`` at N fraction x: <E>(T), C(T), SRO, F(T), ground state.

    Args:
        ce: cluster expansion.
        x: N fraction (x times 4 size^3 rounded to an integer).
        size: supercell edge in conventional cells (>= 3 for the 1.25 a cutoff).
        temperatures_K: finite temperatures (inf is added for the integration).
        n_sweeps: measured sweeps (as many again for equilibration).
        seed: random seed.

    Example:
        >>> phase = disordered_phase(ce, 0.5)  # doctest: +SKIP
    """
    n = 4 * size**3
    n_nitrogen = round(x * n)
    hamiltonian = ce_hamiltonian(ce, size)
    start = random_configuration((size, size, size), n_nitrogen, np.random.default_rng(seed))
    temps_k = sorted((float(t) for t in temperatures_K), reverse=True)
    temps_ev = [np.inf, *(BOLTZMANN_EV_PER_K * t for t in temps_k)]
    run = canonical_mc(hamiltonian, start.spins, temps_ev, n_sweeps=n_sweeps, seed=seed)
    entropy_max = max_entropy([start.spins[:n], start.spins[n:]])
    free = free_energy_by_integration(run, entropy_max)[1:]
    real_x = n_nitrogen / n
    per_atom = 1000 / (n * (3 + real_x))  # eV per cell -> meV per atom
    energies = np.array(run.energy_mean[1:])
    peak = energy_slope_peak(run)
    return DisorderedPhase(
        x=real_x,
        size=size,
        temperatures_K=temps_k,
        energy_meV_per_atom=(energies * per_atom).tolist(),
        heat_capacity_kB_per_fu=[2 * c for c in run.heat_capacity[1:]],  # per site -> per f.u.
        short_range_order=run.short_range_order[1:],
        orbit_labels=[o.label for o in ce.space.orbits],
        free_energy_meV_per_atom=(np.array(free) * per_atom).tolist(),
        entropy_kB_per_fu=((energies - np.array(free)) / np.array(temps_ev[1:]) / n).tolist(),
        ground_state_meV_per_atom=min(run.energy_min) * per_atom,
        order_disorder_K=None if peak is None else peak / BOLTZMANN_EV_PER_K,
        n_sweeps=n_sweeps,
        model=ce.model,
    )


__all__ = ["MC_SIZE", "MC_TEMPERATURES_K", "DisorderedPhase", "ce_hamiltonian", "disordered_phase"]
