"""Does a calibration carry over to the hull? Relaxed orderings of every model, checked by GPAW.

The test families of :func:`~sselab.calibrate.workflow.calibrate` measure errors at
labelled geometries. What the hull reports is something else: each model relaxes K
orderings of the conventional cell at each x and keeps its lowest. This module does
exactly that for several models (foundation and fine-tuned), then puts GPAW single
points on the lowest cell of each *geometry model* (and on that model's relaxed Li2S
and α-Li3N), and evaluates every model at those same geometries. So each row says,
at one geometry, how far each model's E above the Li2S–Li3N tie line is from DFT's,
and the relaxed values say how far apart the models' own hulls are (the model
spread) before and after fine-tuning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from sselab.calculators.paw import PawSettings
from sselab.calculators.registry import get_calculator
from sselab.calculators.resolve import calculator_label
from sselab.calibrate.configurations import Configuration
from sselab.calibrate.labels import label_configurations
from sselab.dft import QUICK_DFT, energy_above_tie_meV_per_atom
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore
from sselab.thermo.hull import QUICK, QUICK_XS, reference_energies, solid_solution_energies

logger = logging.getLogger(__name__)

END_PHASES = {"Li2S": "Li2S", "Li3N": "alpha-Li3N"}  # tie-line formula -> reference phase


@dataclass
class HullTransferPoint(RoundTrip):
    """E above the tie line at one model's lowest relaxed ordering, by DFT and every model.

    Attributes:
        x: N fraction.
        geometry_model: label of the model whose relaxed cells these are (its lowest
            of the K orderings at ``x``, and its relaxed Li2S and α-Li3N).
        ordering: Ewald rank of that ordering among the K candidates (in the
            ``Li-N-S+hull`` set rank 0 is a training family, rank 1 a test family,
            higher ranks were never labelled).
        a_angstrom: cubic lattice constant of the cell.
        dft_meV_per_atom: GPAW energy above the GPAW tie line (all at these geometries).
        model_meV_per_atom: model label -> its energy above its own tie line, at the same
            geometries.
    """

    x: float
    geometry_model: str
    ordering: int
    a_angstrom: float
    dft_meV_per_atom: float
    model_meV_per_atom: dict[str, float]


@dataclass
class HullTransfer(RoundTrip):
    """Result of :func:`hull_transfer`.

    Attributes:
        models: labels of every model evaluated, in the order given.
        relaxed_meV_per_atom: model label -> x (as text) -> E above its own tie line of
            its own lowest relaxed ordering (what that model's hull reports).
        points: one per geometry model and x.
        n_orderings: orderings relaxed per x.
        dft_settings: GPAW settings label.
    """

    models: list[str]
    relaxed_meV_per_atom: dict[str, dict[str, float]]
    points: list[HullTransferPoint]
    n_orderings: int
    dft_settings: str

    def spread_meV_per_atom(self, x: float, models: Sequence[str]) -> float:
        """Largest minus smallest relaxed E above tie among ``models`` at ``x``.

        Example:
            >>> check = HullTransfer(["a", "b"], {"a": {"0.5": 10.0}, "b": {"0.5": 25.0}},
            ...                      [], 4, "PBE")
            >>> check.spread_meV_per_atom(0.5, ["a", "b"])
            15.0
        """
        values = [self.relaxed_meV_per_atom[m][f"{x:g}"] for m in models]
        return max(values) - min(values)


def _per_atom_eV(calculator: Any, structure: Structure) -> float:
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = calculator
    return float(atoms.get_potential_energy()) / len(atoms)


def hull_transfer(
    models: Sequence[str],
    geometry_models: Sequence[str],
    xs: Sequence[float] = QUICK_XS,
    n_orderings: int = 4,
    dft_settings: PawSettings = QUICK_DFT,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    device: str = "cpu",
    workers: int = 1,
    progress: bool = True,
) -> HullTransfer:
    """Relax the hull's orderings with every model; GPAW at each geometry model's lowest.

    Args:
        models: registry names (``"chgnet"``, ``"chgnet:out/calibrate/chgnet-finetuned.pt"``...).
        geometry_models: the subset of ``models`` whose lowest cells get GPAW single
            points (each adds 2 + len(xs) single points: minutes per 13-15-atom cell).
        xs: N fractions realised by the conventional cell (4 anion sites).
        n_orderings: lowest-Ewald orderings relaxed per x (volume only, cubic shape
            kept, as the quick hull does).
        dft_settings: GPAW settings (the calibration labels' by default, so the DFT
            tie line is the one the models were fitted to).
        store: results store: relaxations and single points are lookups on a rerun.
        checkpoint_dir: GPAW ``.gpw`` checkpoints.
        device: torch device of the models.
        workers: GPAW processes side by side (:func:`label_configurations`).
        progress: progress bar of the single points.

    Raises:
        ValueError: a geometry model is not among ``models``.

    Example:
        >>> # 12 relaxations per model and 5 GPAW single points per geometry model:
        >>> # docs/calibrate.md shows a run
        >>> hull_transfer(["chgnet", "chgnet:out/calibrate/chgnet-finetuned.pt"],
        ...               ["chgnet:out/calibrate/chgnet-finetuned.pt"])  # doctest: +SKIP
    """
    missing = [name for name in geometry_models if name not in models]
    if missing:
        raise ValueError(f"geometry models {missing} are not among the models {list(models)}")
    calculators = {name: get_calculator(name, device) for name in models}
    labels = {name: calculator_label(calculator) for name, calculator in calculators.items()}
    relaxed: dict[str, dict[str, float]] = {}
    cells: dict[str, dict[str, tuple[int, Structure]]] = {}  # model -> key -> (rank, cell)
    for name in models:
        settings = replace(QUICK, model=name, n_orderings=n_orderings)
        ends = reference_energies(list(END_PHASES.values()), settings, store)
        end_energies = {
            formula: ends[phase].energy_per_atom_eV for formula, phase in END_PHASES.items()
        }
        cells[name] = {formula: (0, ends[phase].structure) for formula, phase in END_PHASES.items()}
        relaxed[labels[name]] = {}
        for x, _, best, results in solid_solution_energies(xs, settings, store):
            rank = min(range(len(results)), key=lambda i: results[i].energy_per_atom_eV)
            structure = best.structure
            relaxed[labels[name]][f"{x:g}"] = energy_above_tie_meV_per_atom(
                structure.composition, best.energy_per_atom_eV, end_energies
            )
            cells[name][f"{x:g}"] = (rank, structure)
            logger.info(
                "%s x = %g: lowest ordering %d, %+.1f meV/atom above its tie line",
                labels[name],
                x,
                rank,
                relaxed[labels[name]][f"{x:g}"],
            )
    configurations = [
        Configuration(f"{labels[name]}/{key}", labels[name], "equilibrium", structure)
        for name in geometry_models
        for key, (_, structure) in cells[name].items()
    ]
    dft = label_configurations(
        configurations, dft_settings, store, checkpoint_dir, progress, workers=workers
    )
    dft_per_atom = {label.configuration.name: label.energy_per_atom_eV for label in dft}
    points = []
    for name in geometry_models:
        geometry = cells[name]
        dft_ends = {formula: dft_per_atom[f"{labels[name]}/{formula}"] for formula in END_PHASES}
        model_ends = {
            other: {
                formula: _per_atom_eV(calculators[other], geometry[formula][1])
                for formula in END_PHASES
            }
            for other in models
        }
        for x in xs:
            rank, structure = geometry[f"{x:g}"]
            composition = structure.composition
            points.append(
                HullTransferPoint(
                    x=x,
                    geometry_model=labels[name],
                    ordering=rank,
                    a_angstrom=float(structure.lattice.a),
                    dft_meV_per_atom=energy_above_tie_meV_per_atom(
                        composition, dft_per_atom[f"{labels[name]}/{x:g}"], dft_ends
                    ),
                    model_meV_per_atom={
                        labels[other]: energy_above_tie_meV_per_atom(
                            composition,
                            _per_atom_eV(calculators[other], structure),
                            model_ends[other],
                        )
                        for other in models
                    },
                )
            )
    return HullTransfer(
        models=[labels[name] for name in models],
        relaxed_meV_per_atom=relaxed,
        points=points,
        n_orderings=n_orderings,
        dft_settings=dft_settings.label(),
    )
