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
from dataclasses import dataclass, field, replace
from pathlib import Path

from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure

from sselab.calculators.paw import PawSettings
from sselab.calculators.registry import get_calculator
from sselab.calculators.relax import RelaxResult
from sselab.calculators.resolve import calculator_label
from sselab.calibrate.configurations import BaseCell, Configuration, plain_structure
from sselab.calibrate.labels import label_configurations
from sselab.calibrate.metrics import parity
from sselab.dft import QUICK_DFT, dft_hull_check, energy_above_tie_meV_per_atom
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore
from sselab.structures import antifluorite, enumerate_orderings
from sselab.thermo.energies import PhaseEnergy
from sselab.thermo.hull import QUICK, QUICK_XS, reference_energies, solid_solution_energies

logger = logging.getLogger(__name__)

LI3N_PHASES = ("alpha-Li3N", "beta-Li3N")  # the tie line takes the lower, as li_n_s_hull does


@dataclass
class HullTransferPoint(RoundTrip):
    """E above the tie line at one model's lowest relaxed ordering, by DFT and every model.

    Attributes:
        x: N fraction.
        geometry_model: label of the model whose relaxed cells these are (its lowest
            of the K orderings at ``x``, and its relaxed Li2S and lower Li3N).
        ordering: Ewald rank of that ordering among the K candidates.
        labelled_family: the calibration family whose base cell is this ordering
            (so it was trained on, or held out, as ``labelled_split`` says); None:
            never labelled.
        labelled_split: ``"train"``, ``"validation"``, ``"test"`` or None.
        a_angstrom: cubic lattice constant of the cell.
        dft_meV_per_atom: GPAW energy above the GPAW tie line (all at these geometries).
        dft_pressure_GPa: GPAW pressure of the cell (at an MLIP geometry: that model's
            volume error as DFT sees it).
        model_meV_per_atom: model label -> its energy above its own tie line, at the same
            geometries.
    """

    x: float
    geometry_model: str
    ordering: int
    labelled_family: str | None
    labelled_split: str | None
    a_angstrom: float
    dft_meV_per_atom: float
    dft_pressure_GPa: float
    model_meV_per_atom: dict[str, float]


@dataclass
class HullTransfer(RoundTrip):
    """Result of :func:`hull_transfer`.

    Attributes:
        models: labels of every model evaluated, in the order given.
        geometry_models: labels of the models whose cells got GPAW single points.
        relaxed_meV_per_atom: model label -> x (as text) -> E above its own tie line of
            its own lowest relaxed ordering (what that model's quick hull reports).
        points: one per geometry model and x.
        n_orderings: orderings relaxed per x.
        dft_settings: GPAW settings label.
    """

    models: list[str]
    geometry_models: list[str]
    relaxed_meV_per_atom: dict[str, dict[str, float]]
    points: list[HullTransferPoint] = field(default_factory=list)
    n_orderings: int = QUICK.n_orderings
    dft_settings: str = ""

    def spread_meV_per_atom(self, x: float, models: Sequence[str]) -> float:
        """Largest minus smallest relaxed E above tie among ``models`` at ``x``.

        Example:
            >>> check = HullTransfer(["a", "b"], [], {"a": {"0.5": 10.0}, "b": {"0.5": 25.0}})
            >>> check.spread_meV_per_atom(0.5, ["a", "b"])
            15.0
        """
        values = [self.relaxed_meV_per_atom[m][f"{x:g}"] for m in models]
        return max(values) - min(values)


@dataclass
class _Relaxed:
    """One model's relaxed tie-line end members and lowest ordering per x."""

    li2s: PhaseEnergy
    li3n: PhaseEnergy
    lowest: dict[float, tuple[int, RelaxResult, tuple[int, int, int]]]  # x -> rank, cell, supercell


def labelled_family(candidate: Structure, labelled: Sequence[BaseCell]) -> BaseCell | None:
    """The base cell in ``labelled`` that is the same ordering as ``candidate``, or None.

    Example:
        >>> from sselab.calibrate.configurations import li_n_s_base_cells
        >>> cells = li_n_s_base_cells()
        >>> labelled_family(cells[1].structure, cells).family
        'Li2S'
    """
    matcher = StructureMatcher()
    for base in labelled:
        if base.structure.composition == candidate.composition and matcher.fit(
            base.structure, candidate
        ):
            return base
    return None


def hull_transfer(
    models: Sequence[str],
    geometry_models: Sequence[str],
    xs: Sequence[float] = QUICK_XS,
    n_orderings: int = QUICK.n_orderings,
    dft_settings: PawSettings = QUICK_DFT,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    labelled: Sequence[BaseCell] = (),
    workers: int = 1,
    progress: bool = True,
) -> HullTransfer:
    """Relax the quick hull's orderings with every model; GPAW at each geometry model's lowest.

    The relaxations are the quick hull's own (:data:`sselab.thermo.hull.QUICK`: volume
    only, cubic shape, the lowest of ``n_orderings`` Ewald-ranked orderings of the
    conventional cell, the lower of α- and β-Li3N), so the relaxed values are what
    ``sselab hull --model NAME`` reports and a rerun is a store lookup.

    Args:
        models: registry names (``"chgnet"``, ``"chgnet:out/calibrate/chgnet-finetuned.pt"``...);
            each is loaded on the registry's default device, as the relaxations do.
        geometry_models: the subset of ``models`` whose lowest cells get GPAW single
            points (each adds 2 + len(xs) single points: minutes per 13-15-atom cell).
        xs: N fractions realised by the conventional cell (4 anion sites).
        n_orderings: orderings relaxed per x.
        dft_settings: GPAW settings (the calibration labels' by default, so the DFT
            tie line is the one the models were fitted to).
        store: results store: relaxations and single points are lookups on a rerun.
        checkpoint_dir: GPAW ``.gpw`` checkpoints.
        labelled: the calibration's (unrelaxed) base cells; each point names the family
            its ordering belongs to, if any.
        workers: GPAW processes side by side (:func:`label_configurations`).
        progress: progress bar of the single points.

    Raises:
        ValueError: a geometry model is not among ``models``.

    Example:
        >>> # 19 relaxations per model and 5 GPAW single points per geometry model:
        >>> # docs/calibrate.md shows a run
        >>> hull_transfer(["chgnet", "chgnet:out/calibrate/chgnet-finetuned.pt"],
        ...               ["chgnet:out/calibrate/chgnet-finetuned.pt"])  # doctest: +SKIP
    """
    missing = [name for name in geometry_models if name not in models]
    if missing:
        raise ValueError(f"geometry models {missing} are not among the models {list(models)}")
    calculators = {name: get_calculator(name) for name in models}
    labels = {name: calculator_label(calculator) for name, calculator in calculators.items()}
    relaxed: dict[str, _Relaxed] = {}
    for name in models:
        settings = replace(QUICK, model=name, n_orderings=n_orderings)
        ends = reference_energies(["Li2S", *LI3N_PHASES], settings, store)
        li3n = min((ends[phase] for phase in LI3N_PHASES), key=lambda e: e.energy_per_atom_eV)
        lowest = {}
        for x, supercell, best, results in solid_solution_energies(xs, settings, store):
            rank = min(range(len(results)), key=lambda i: results[i].energy_per_atom_eV)
            lowest[x] = (rank, best, supercell)
        relaxed[name] = _Relaxed(ends["Li2S"], li3n, lowest)
        logger.info(
            "%s: lowest orderings (Ewald rank) %s",
            labels[name],
            ", ".join(f"x = {x:g}: {rank}" for x, (rank, _, _) in lowest.items()),
        )
    own = {
        labels[name]: {
            f"{x:g}": energy_above_tie_meV_per_atom(
                best.structure.composition,
                best.energy_per_atom_eV,
                {"Li2S": cells.li2s.energy_per_atom_eV, "Li3N": cells.li3n.energy_per_atom_eV},
            )
            for x, (_, best, _) in cells.lowest.items()
        }
        for name, cells in relaxed.items()
    }
    # every single point of every geometry model at once, so `workers` GPAW processes
    # share them; the DFT tie lines below are then store lookups
    configurations = [
        Configuration(f"{labels[name]}/{key}", labels[name], "equilibrium", structure)
        for name in geometry_models
        for key, structure in [
            ("Li2S", plain_structure(relaxed[name].li2s.structure)),
            ("Li3N", plain_structure(relaxed[name].li3n.structure)),
            *(
                (f"{x:g}", plain_structure(best.structure))
                for x, (_, best, _) in relaxed[name].lowest.items()
            ),
        ]
    ]
    dft = label_configurations(
        configurations, dft_settings, store, checkpoint_dir, progress, workers=workers
    )
    # the candidates solid_solution_energies relaxed at each x, to name a rank's family
    candidates = {
        x: enumerate_orderings(antifluorite(x), supercell, n=n_orderings, seed=QUICK.seed)
        for x, (_, _, supercell) in next(iter(relaxed.values())).lowest.items()
    }
    points = []
    for name in geometry_models:
        cells = relaxed[name]
        frames = [label for label in dft if label.configuration.family == labels[name]]
        model_per_atom = {
            other: dict(
                zip(
                    (frame.configuration.name.rpartition("/")[2] for frame in frames),
                    parity(calculators[other], frames).energy_model_eV_per_atom,
                    strict=True,
                )
            )
            for other in models
        }
        check = dft_hull_check(
            cells.li2s,
            cells.li3n,
            {x: [best] for x, (_, best, _) in cells.lowest.items()},
            labels[name],
            dft_settings,
            store=store,
            checkpoint_dir=checkpoint_dir,
        )
        for point in check.points:
            rank, best, _ = cells.lowest[point.x]
            structure = best.structure
            family = labelled_family(plain_structure(candidates[point.x][rank]), labelled)
            points.append(
                HullTransferPoint(
                    x=point.x,
                    geometry_model=labels[name],
                    ordering=rank,
                    labelled_family=None if family is None else family.family,
                    labelled_split=None if family is None else family.split,
                    a_angstrom=float(structure.lattice.a),
                    dft_meV_per_atom=point.dft_e_above_tie_meV_per_atom,
                    dft_pressure_GPa=point.pressure_GPa,
                    model_meV_per_atom={
                        labels[other]: energy_above_tie_meV_per_atom(
                            structure.composition,
                            energies[f"{point.x:g}"],
                            {"Li2S": energies["Li2S"], "Li3N": energies["Li3N"]},
                        )
                        for other, energies in model_per_atom.items()
                    },
                )
            )
    return HullTransfer(
        models=[labels[name] for name in models],
        geometry_models=[labels[name] for name in geometry_models],
        relaxed_meV_per_atom=own,
        points=points,
        n_orderings=n_orderings,
        dft_settings=dft_settings.label(),
    )
