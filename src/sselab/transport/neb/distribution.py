"""Distribution of a hop's CI-NEB barrier over the local N/S environments of a cell.

In a disordered solid solution such as Li(2+x)N(x)S(1-x) no single barrier exists: the
same knock-off event costs more or less depending on which anions surround the sites it
passes. :func:`barrier_distribution` lists every interstitialcy (knock-off) event of an
ordered cell (:func:`sselab.transport.antifluorite_sites.interstitialcy_hops`), groups
them by the anions of the 8c tetrahedron the event passes ("S4", "N1S3", ... "N4"), and
runs :func:`~sselab.transport.neb.engine.run_neb` on up to ``per_environment`` events of
each group (the first ones in index order: a fixed rule, not a choice after seeing
barriers). Each NEB is cached and checkpointed as in :func:`run_neb`, so a killed
distribution resumes where it stopped. An event whose endpoints relax into the same
minimum (the pushed ion falls back) gets no barrier and says why; it is never 0.0.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator
from pymatgen.core import Structure
from tqdm.auto import tqdm

from sselab.calculators.resolve import calculator_label, resolve_calculator
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.antifluorite_sites import interstitialcy_endpoints, interstitialcy_hops
from sselab.transport.neb.engine import EndpointError, NEBSettings, run_neb

logger = logging.getLogger(__name__)

# Cells above this size get a warning: a 2x2x2 conventional cell (112 atoms at x = 0.5)
# repeated again by the default supercell becomes 896 atoms, which nobody means.
LARGE_CELL_ATOMS = 300


@dataclass
class EventBarrier(RoundTrip):
    """CI-NEB of one knock-off event.

    Attributes:
        environment: anions of the 8c tetrahedron the event passes ("N2S2").
        interstitial_index: the interstitial that moves into the 8c site.
        pushed_index: the 8c ion pushed into an empty octahedral void.
        barrier_eV: forward barrier with its resolution error; None when no band was
            run (see ``note``).
        reaction_energy_eV: E(final) - E(initial) of the relaxed endpoints; None as above.
        converged: the band reached ``fmax``.
        n_steps: band optimiser steps.
        note: why there is no barrier, or an empty string.
    """

    environment: str
    interstitial_index: int
    pushed_index: int
    barrier_eV: Estimate | None
    reaction_energy_eV: float | None
    converged: bool
    n_steps: int
    note: str = ""


@dataclass
class BarrierDistribution(RoundTrip):
    """Barriers of a hop over the local environments of one ordered cell.

    Attributes:
        hop: "interstitialcy".
        formula: reduced formula of the cell.
        n_atoms: atoms in the cell.
        model: model label.
        settings: the NEB settings of every band.
        events_per_environment: how many events of each environment the cell holds
            (all of them, computed or not).
        events: the events computed, in environment order.

    Example:
        >>> d = BarrierDistribution("interstitialcy", "Li5NS", 14, "emt", NEBSettings(), {}, [])
        >>> d.spread() is None
        True
    """

    hop: str
    formula: str
    n_atoms: int
    model: str
    settings: NEBSettings
    events_per_environment: dict[str, int]
    events: list[EventBarrier]

    def barriers(self, environment: str | None = None) -> list[float]:
        """Barriers in eV of the events with one (of ``environment``, or any), ascending."""
        return sorted(
            e.barrier_eV.value
            for e in self.events
            if e.barrier_eV is not None and environment in (None, e.environment)
        )

    def spread(self) -> Estimate | None:
        """Lowest barrier with the spread (std, range) over events: a population, not an error.

        The lowest is the value reported because long-range transport takes the
        easiest connected path; None when no event has a barrier.
        """
        values = self.barriers()
        if not values:
            return None
        return Estimate.from_samples(values, "eV", best=values[0])

    def weighted_mean_eV(self) -> float | None:
        """Mean barrier with each environment weighted by how often the cell holds it.

        Environments without a computed barrier are left out of the weights.
        """
        weights, values = [], []
        for environment, count in self.events_per_environment.items():
            found = self.barriers(environment)
            if found:
                weights.append(count)
                values.append(float(np.mean(found)))
        if not weights:
            return None
        return float(np.average(values, weights=weights))


def _sorted_environments(counts: Counter[str]) -> dict[str, int]:
    # by the counts of all but the last element of the cell's anions, alphabetically:
    # S4, N1S3, N2S2, N3S1, N4 for Li-N-S
    parsed = {
        name: {el: int(n) for el, n in re.findall(r"([A-Z][a-z]?)(\d+)", name)} for name in counts
    }
    elements = sorted({el for found in parsed.values() for el in found})[:-1]
    return {
        name: counts[name]
        for name in sorted(counts, key=lambda n: tuple(parsed[n].get(el, 0) for el in elements))
    }


def barrier_distribution(
    structure: Structure,
    calculator: Calculator | str = "chgnet",
    settings: NEBSettings | None = None,
    *,
    per_environment: int = 1,
    mobile: str = "Li",
    supercell: Sequence[int] = (2, 2, 2),
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    store: Any | None = None,
    device: str = "auto",
    progress: bool = True,
) -> BarrierDistribution:
    """CI-NEB barriers of knock-off events, ``per_environment`` per tetrahedron environment.

    Args:
        structure: antifluorite-type structure with interstitials (x > 0), ordered or
            disordered, at the model's own lattice constant (relax it first, keeping the
            cell shape). The band moves two ions, so the cell's periodic images must not
            take part: 2x2x2 conventional cells or larger (the 14-atom cell is for tests).
        calculator: registered MLIP name or any ASE calculator.
        settings: NEB settings of every band (default :class:`NEBSettings`).
        per_environment: events computed per environment, the first in index order.
        mobile: mobile cation.
        supercell: repetitions of the input cell (a disordered input is ordered in the
            supercell, lowest Ewald energy, as in :func:`~sselab.transport.neb.hop_barrier`).
        seed: ordering seed for disordered input.
        checkpoint_dir: folder of the NEB checkpoints (resume on rerun).
        store: optional ResultStore; finished bands are lookups.
        device: device for a named model.
        progress: progress bar over the events.

    Returns:
        :class:`BarrierDistribution`.

    Raises:
        ValueError: the cell holds no knock-off event, or ``per_environment`` < 1.

    Example:
        >>> from sselab.structures import antifluorite
        >>> d = barrier_distribution(antifluorite(0.5))  # 112 atoms, ~1 h # doctest: +SKIP
        >>> list(d.events_per_environment)  # doctest: +SKIP
        ['S4', 'N1S3', 'N2S2', 'N3S1', 'N4']
    """
    if per_environment < 1:
        raise ValueError(f"per_environment = {per_environment}: need at least 1")
    if len(supercell) != 3 or any(int(n) < 1 for n in supercell):
        raise ValueError(f"supercell {tuple(supercell)} must be three integers >= 1")
    from sselab.structures import enumerate_orderings

    settings = settings or NEBSettings()
    repeat = (int(supercell[0]), int(supercell[1]), int(supercell[2]))
    structure = enumerate_orderings(structure, supercell=repeat, n=1, seed=seed)[0]
    if len(structure) > LARGE_CELL_ATOMS:
        logger.warning(
            "%d atoms after the %s repetition: each band takes hours on a CPU; a cell that "
            "is already a supercell (e.g. a relaxed 2x2x2) needs supercell=(1, 1, 1)",
            len(structure),
            "x".join(map(str, repeat)),
        )
    hops = interstitialcy_hops(structure, mobile)
    if not hops:
        raise ValueError(
            f"{structure.composition.reduced_formula}: no interstitialcy event (the cell needs "
            "interstitials next to 8c ions next to empty octahedral voids)"
        )
    counts = _sorted_environments(Counter(h.environment for h in hops))
    chosen = [
        h
        for environment in counts
        for h in [h for h in hops if h.environment == environment][:per_environment]
    ]
    label = calculator_label(calculator)
    calc = resolve_calculator(calculator, device)
    from sselab.transport.md import to_atoms

    events = []
    description = f"knock-off barriers, {len(structure)} atoms"
    for event in tqdm(chosen, desc=description, unit="band", disable=not progress):
        ends = interstitialcy_endpoints(structure, event, mobile=mobile)
        try:
            result = run_neb(
                to_atoms(ends.initial),
                to_atoms(ends.final),
                calc,
                settings,
                checkpoint_dir=checkpoint_dir,
                store=store,
                device=device,
                hop=f"interstitialcy {event.environment}",
                progress=False,
            )
        except EndpointError as exc:
            logger.warning("knock-off %s: %s", event.environment, exc)
            events.append(
                EventBarrier(
                    event.environment,
                    event.interstitial_index,
                    event.pushed_index,
                    None,
                    None,
                    False,
                    0,
                    note=str(exc),
                )
            )
            continue
        events.append(
            EventBarrier(
                event.environment,
                event.interstitial_index,
                event.pushed_index,
                result.barrier_eV,
                result.reaction_energy_eV,
                result.converged,
                result.n_steps,
                note="" if result.converged else "band not converged",
            )
        )
    return BarrierDistribution(
        hop="interstitialcy",
        formula=structure.composition.reduced_formula,
        n_atoms=len(structure),
        model=label,
        settings=settings,
        events_per_environment=counts,
        events=events,
    )


def environments(structure: Structure, mobile: str = "Li") -> dict[str, int]:
    """Knock-off events per tetrahedron environment in an ordered cell (nothing computed).

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> environments(enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=1)[0])
        {'N2S2': 32}
    """
    events = interstitialcy_hops(structure, mobile)
    return _sorted_environments(Counter(h.environment for h in events))


__all__ = ["BarrierDistribution", "EventBarrier", "barrier_distribution", "environments"]
