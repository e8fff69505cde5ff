"""DFT check of the MLIP hull: E above the Li2S–Li3N tie line from GPAW, parity with the MLIP.

The MLIP pre-screens the orderings of Li(2+x)N(x)S(1-x) (``sselab.thermo``); this
module takes its relaxed cells and energies, and recomputes with GPAW PBE: single
points at the MLIP geometries, and optionally DFT relaxations (positions and
volume, cell shape kept) of the K lowest orderings per x. It reports the DFT and
MLIP energies above the tie line, the DFT−MLIP energy offset per atom (its spread
over all cells), the Spearman rank correlation of the orderings at each x, and the
Kohn-Sham gaps. Inputs are any objects with ``structure`` and
``energy_per_atom_eV`` (``RelaxResult``, ``PhaseEnergy``), so this science module
needs nothing from the thermo package or the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pymatgen.core import Composition, Structure
from scipy import stats

from sselab.calculators.paw import PawSettings
from sselab.dft.jobs import DftRelaxSettings, DftSinglePoint, dft_relax, dft_single_point
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore

logger = logging.getLogger("sselab.dft")

# The reproduce --quick budget: 3.5 → 2.5 points per Å⁻¹ moves energies by < 0.5
# meV/atom (docs/dft.md) and halves the k-points of the 14-atom cells.
QUICK_DFT = PawSettings(kpoint_density_per_inv_angstrom=2.5)


class MlipCell(Protocol):
    """An MLIP-relaxed cell: ``RelaxResult``, ``PhaseEnergy`` and ``SolidSolutionPoint`` qualify.

    ``structure`` may be a pymatgen ``Structure`` or its ``as_dict()``.
    """

    @property
    def structure(self) -> Structure | dict[str, Any]: ...

    @property
    def energy_per_atom_eV(self) -> float: ...


def structure_of(cell: MlipCell) -> Structure:
    """The cell's structure as a pymatgen ``Structure``."""
    structure = cell.structure
    return Structure.from_dict(structure) if isinstance(structure, dict) else structure


def tie_line_weights(composition: Composition, end_members: Sequence[Composition]) -> np.ndarray:
    """Atom fractions of ``end_members`` that add up to ``composition``.

    Raises ValueError when the composition is off the line (or plane) they span.

    Example:
        >>> ends = [Composition("Li2S"), Composition("Li3N")]
        >>> weights = tie_line_weights(Composition("Li5NS"), ends)
        >>> [round(float(w), 4) for w in weights]  # 3 of 7 atoms from Li2S, 4 from Li3N
        [0.4286, 0.5714]
    """
    # element compositions: MLIP cells carry oxidation states (Li+ is not Li)
    composition = composition.element_composition
    end_members = [c.element_composition for c in end_members]
    elements = sorted({el for c in (composition, *end_members) for el in c.elements})
    target = np.array([composition.get_atomic_fraction(el) for el in elements])
    basis = np.array([[c.get_atomic_fraction(el) for el in elements] for c in end_members]).T
    weights, *_ = np.linalg.lstsq(basis, target, rcond=None)
    if np.abs(basis @ weights - target).max() > 1e-8 or (weights < -1e-8).any():
        names = ", ".join(c.reduced_formula for c in end_members)
        raise ValueError(f"{composition.reduced_formula} is not a mixture of {names}")
    return weights


def energy_above_tie_meV_per_atom(
    composition: Composition,
    energy_per_atom_eV: float,
    end_member_energies: Mapping[str, float],
) -> float:
    """Energy per atom above the mixture of end members of the same composition.

    ``end_member_energies`` maps a formula (e.g. ``"Li2S"``) to its energy per atom.

    Example:
        >>> round(energy_above_tie_meV_per_atom(
        ...     Composition("Li5NS"), -4.55, {"Li2S": -4.0, "Li3N": -5.0}), 2)
        21.43
    """
    members = [Composition(formula) for formula in end_member_energies]
    weights = tie_line_weights(composition, members)
    tie = float(np.dot(weights, list(end_member_energies.values())))
    return 1000 * (energy_per_atom_eV - tie)


@dataclass
class TieLinePoint(RoundTrip):
    """One ordering at one x, with DFT and MLIP energetics.

    Attributes:
        x: N fraction on the anion site.
        ordering: index of the ordering among those given for this x.
        formula: reduced formula.
        n_atoms: atoms in the cell.
        mlip_energy_per_atom_eV: MLIP energy at the MLIP geometry.
        dft_energy_per_atom_eV: GPAW energy (at the MLIP geometry, or relaxed).
        mlip_e_above_tie_meV_per_atom: MLIP energy above the MLIP tie line.
        dft_e_above_tie_meV_per_atom: GPAW energy above the GPAW tie line.
        band_gap_eV: PBE Kohn-Sham gap on the SCF grid.
        pressure_GPa: DFT pressure (at the MLIP geometry it measures the MLIP's
            volume error).
        max_force_eV_per_angstrom: largest DFT force.
        dft_relaxed: True when the DFT energy is after a DFT relaxation.
    """

    x: float
    ordering: int
    formula: str
    n_atoms: int
    mlip_energy_per_atom_eV: float
    dft_energy_per_atom_eV: float
    mlip_e_above_tie_meV_per_atom: float
    dft_e_above_tie_meV_per_atom: float
    band_gap_eV: float
    pressure_GPa: float
    max_force_eV_per_angstrom: float
    dft_relaxed: bool


@dataclass
class DftHullCheck(RoundTrip):
    """Result of :func:`dft_hull_check`.

    Attributes:
        model: label of the MLIP that gave the geometries and MLIP energies.
        settings: GPAW settings.
        end_members: DFT single points (or relaxations' final points) of Li2S and
            Li3N, by formula.
        points: every ordering evaluated, single points at the MLIP geometry.
        relaxed_points: the K lowest orderings per x after DFT relaxation (empty
            when not asked for).
        energy_offset_meV_per_atom: DFT minus MLIP energy per atom over all cells
            (value: mean; error: spread; a constant offset cancels on the tie line).
        rank_spearman: per x, Spearman correlation of the MLIP and DFT ordering
            energies (None with fewer than 3 orderings).
        gllbsc_gaps_eV: GLLB-SC quasiparticle gaps (KS gap + derivative discontinuity)
            by x as text ("0" is Li2S, "1" is Li3N), of the lowest cell at each x
            (DFT-relaxed when relaxed); empty when not asked for.
    """

    model: str
    settings: PawSettings
    end_members: dict[str, DftSinglePoint]
    points: list[TieLinePoint]
    relaxed_points: list[TieLinePoint]
    energy_offset_meV_per_atom: Estimate
    rank_spearman: dict[str, float | None]
    gllbsc_gaps_eV: dict[str, float] = field(default_factory=dict)

    def lowest(self, x: float, relaxed: bool = False) -> TieLinePoint:
        """The ordering with the lowest DFT energy at ``x``."""
        pool = self.relaxed_points if relaxed else self.points
        candidates = [p for p in pool if abs(p.x - x) < 1e-9]
        if not candidates:
            raise KeyError(f"no {'relaxed ' if relaxed else ''}point at x = {x}")
        return min(candidates, key=lambda p: p.dft_energy_per_atom_eV)

    def mlip_lowest(self, x: float) -> TieLinePoint:
        """The ordering the MLIP put lowest at ``x`` (with its DFT energy)."""
        candidates = [p for p in self.points if abs(p.x - x) < 1e-9]
        return min(candidates, key=lambda p: p.mlip_energy_per_atom_eV)

    def summary(self) -> dict[str, object]:
        """Per x: DFT and MLIP E above tie of the lowest orderings, gaps, rank correlation."""
        xs = sorted({p.x for p in self.points})
        rows = {}
        for x in xs:
            dft_best, mlip_best = self.lowest(x), self.mlip_lowest(x)
            row: dict[str, object] = {
                "dft_e_above_tie_meV_per_atom": dft_best.dft_e_above_tie_meV_per_atom,
                "mlip_e_above_tie_meV_per_atom": mlip_best.mlip_e_above_tie_meV_per_atom,
                "dft_of_mlip_lowest_meV_per_atom": mlip_best.dft_e_above_tie_meV_per_atom,
                "band_gap_eV": dft_best.band_gap_eV,
                "rank_spearman": self.rank_spearman.get(f"{x:g}"),
            }
            if any(abs(p.x - x) < 1e-9 for p in self.relaxed_points):
                row["dft_relaxed_e_above_tie_meV_per_atom"] = self.lowest(
                    x, relaxed=True
                ).dft_e_above_tie_meV_per_atom
            rows[f"{x:g}"] = row
        return {
            "model": self.model,
            "settings": self.settings.label(),
            "end_member_gaps_eV": {k: v.band_gap_eV for k, v in self.end_members.items()},
            "energy_offset_meV_per_atom": self.energy_offset_meV_per_atom.format(),
            "x": rows,
        }


def _point(
    x: float,
    index: int,
    cell: MlipCell,
    dft: DftSinglePoint,
    mlip_tie: Mapping[str, float],
    dft_tie: Mapping[str, float],
    relaxed: bool,
) -> TieLinePoint:
    structure = structure_of(cell)
    composition = structure.composition
    return TieLinePoint(
        x=x,
        ordering=index,
        formula=composition.reduced_formula,
        n_atoms=len(structure),
        mlip_energy_per_atom_eV=float(cell.energy_per_atom_eV),
        dft_energy_per_atom_eV=dft.energy_per_atom_eV,
        mlip_e_above_tie_meV_per_atom=energy_above_tie_meV_per_atom(
            composition, float(cell.energy_per_atom_eV), mlip_tie
        ),
        dft_e_above_tie_meV_per_atom=energy_above_tie_meV_per_atom(
            composition, dft.energy_per_atom_eV, dft_tie
        ),
        band_gap_eV=dft.band_gap_eV,
        pressure_GPa=dft.pressure_GPa,
        max_force_eV_per_angstrom=dft.max_force_eV_per_angstrom,
        dft_relaxed=relaxed,
    )


def _spearman(points: Sequence[TieLinePoint]) -> float | None:
    if len(points) < 3:
        return None
    mlip = [p.mlip_energy_per_atom_eV for p in points]
    dft = [p.dft_energy_per_atom_eV for p in points]
    return float(stats.spearmanr(mlip, dft).statistic)


def dft_hull_check(
    li2s: MlipCell,
    li3n: MlipCell,
    orderings: Mapping[float, Sequence[MlipCell]],
    model: str,
    settings: PawSettings | None = None,
    relax_lowest: int = 0,
    relax_settings: DftRelaxSettings | None = None,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    gllbsc_gaps: bool = False,
) -> DftHullCheck:
    """GPAW energies above the Li2S–Li3N tie line at the MLIP geometries, with MLIP parity.

    Args:
        li2s: MLIP-relaxed Li2S (any cell; per-atom energies are compared).
        li3n: MLIP-relaxed Li3N (α or β; the tie line uses the one given).
        orderings: per x, the MLIP-relaxed orderings (e.g. all K of the thermo hull).
        model: MLIP label for the record, e.g. ``"chgnet:0.3.0"``.
        settings: GPAW settings (default ``PawSettings()``).
        relax_lowest: DFT-relax this many orderings per x (lowest DFT energies at the
            MLIP geometry first), and Li2S and Li3N too; 0 for single points only.
        relax_settings: for those relaxations (default: positions and volume, shape
            kept; the k-grid is fixed at the MLIP cell).
        store: results store (every GPAW job is cached there).
        checkpoint_dir: GPAW ``.gpw`` / trajectory checkpoints.
        gllbsc_gaps: also the GLLB-SC quasiparticle gap of Li2S, Li3N and the lowest
            cell per x (DFT-relaxed when ``relax_lowest`` > 0), at ``settings``'
            cutoff and k-density (one more SCF per cell, ~1.5x a PBE one).

    Example:
        >>> # GPAW on three 3-14-atom cells (minutes): tests/dft/test_hull.py runs it
        >>> check = dft_hull_check(li2s, li3n, {0.5: [half]}, "chgnet:0.3.0")  # doctest: +SKIP
        >>> check.lowest(0.5).dft_e_above_tie_meV_per_atom  # doctest: +SKIP
    """
    settings = settings or PawSettings()
    relax_settings = relax_settings or DftRelaxSettings()
    ends = {"Li2S": li2s, "Li3N": li3n}
    end_points = {
        name: dft_single_point(structure_of(cell), settings, store, checkpoint_dir)
        for name, cell in ends.items()
    }
    mlip_tie = {name: float(cell.energy_per_atom_eV) for name, cell in ends.items()}
    dft_tie = {name: point.energy_per_atom_eV for name, point in end_points.items()}
    points = []
    for x, cells in sorted(orderings.items()):
        for index, cell in enumerate(cells):
            dft = dft_single_point(structure_of(cell), settings, store, checkpoint_dir)
            points.append(_point(x, index, cell, dft, mlip_tie, dft_tie, relaxed=False))
            logger.info(
                "x = %g ordering %d: DFT %+.1f, MLIP %+.1f meV/atom above the tie",
                x,
                index,
                points[-1].dft_e_above_tie_meV_per_atom,
                points[-1].mlip_e_above_tie_meV_per_atom,
            )
    relaxed_points: list[TieLinePoint] = []
    relaxed_ends = end_points
    # x -> (DFT energy per atom, structure) of the lowest cell: where gaps are computed
    lowest_cells: dict[float, tuple[float, Structure]] = {}
    for x, cells in orderings.items():
        best = min((p for p in points if p.x == x), key=lambda p: p.dft_energy_per_atom_eV)
        lowest_cells[x] = (best.dft_energy_per_atom_eV, structure_of(cells[best.ordering]))
    if relax_lowest > 0:
        relaxed_ends = {
            name: dft_relax(
                structure_of(cell), settings, relax_settings, store, checkpoint_dir
            ).final
            for name, cell in ends.items()
        }
        lowest_cells = {}
        relaxed_tie = {name: point.energy_per_atom_eV for name, point in relaxed_ends.items()}
        for x, cells in sorted(orderings.items()):
            at_x = sorted((p for p in points if p.x == x), key=lambda p: p.dft_energy_per_atom_eV)
            for point in at_x[:relax_lowest]:
                cell = cells[point.ordering]
                final = dft_relax(
                    structure_of(cell), settings, relax_settings, store, checkpoint_dir
                ).final
                relaxed_points.append(
                    _point(x, point.ordering, cell, final, mlip_tie, relaxed_tie, relaxed=True)
                )
                if x not in lowest_cells or final.energy_per_atom_eV < lowest_cells[x][0]:
                    lowest_cells[x] = (final.energy_per_atom_eV, final.structure)
    offsets = [1000 * (p.dft_energy_per_atom_eV - p.mlip_energy_per_atom_eV) for p in points] + [
        1000 * (dft_tie[name] - mlip_tie[name]) for name in ends
    ]
    by_x: dict[float, list[TieLinePoint]] = {}
    for p in points:
        by_x.setdefault(p.x, []).append(p)
    final_ends = relaxed_ends if relax_lowest > 0 else end_points
    gaps = {}
    if gllbsc_gaps:
        cells_by_x = {
            0.0: final_ends["Li2S"].structure,
            **{x: structure for x, (_, structure) in lowest_cells.items()},
            1.0: final_ends["Li3N"].structure,
        }
        gaps = _gllbsc_gaps_eV(cells_by_x, settings, store, checkpoint_dir)
    return DftHullCheck(
        model=model,
        settings=settings,
        end_members=final_ends,
        points=points,
        relaxed_points=relaxed_points,
        energy_offset_meV_per_atom=Estimate.from_samples(offsets, "meV/atom"),
        rank_spearman={f"{x:g}": _spearman(ps) for x, ps in by_x.items()},
        gllbsc_gaps_eV=gaps,
    )


# Band-path points of the GLLB-SC runs: the gap is what is wanted, not the band plot,
# and each path point of a 14-atom cell costs a non-self-consistent diagonalisation
GLLBSC_PATH_POINTS = 16


def _gllbsc_gaps_eV(
    cells_by_x: Mapping[float, Structure],
    settings: PawSettings,
    store: ResultStore | None,
    checkpoint_dir: Path | None,
) -> dict[str, float]:
    from sselab.dft.electronic import electronic_structure

    gllbsc = replace(settings, xc="GLLBSC", symmetry=False)
    gaps = {}
    for x, structure in sorted(cells_by_x.items()):
        result = electronic_structure(
            structure, gllbsc, store, checkpoint_dir, path_points=GLLBSC_PATH_POINTS
        )
        assert result.quasiparticle_gap_eV is not None  # GLLB-SC always has one
        gaps[f"{x:g}"] = result.quasiparticle_gap_eV
        logger.info("x = %g: GLLB-SC gap %.2f eV", x, result.quasiparticle_gap_eV)
    return gaps


def dft_quick_check(
    li2s: MlipCell,
    li3n: MlipCell,
    half: MlipCell,
    model: str,
    store: ResultStore | None = None,
    checkpoint_dir: Path | None = None,
    threads: int = 1,
) -> DftHullCheck:
    """The reproduce --quick DFT stage: Li2S, Li3N and one x = 0.5 cell at MLIP geometry.

    Single points with :data:`QUICK_DFT` (PBE, 900 eV, 2.5 k-points per Å⁻¹) give the
    DFT energy above the tie at x = 0.5 and the PBE gaps of the three cells; about
    2-5 min on 2 cores, most of it the 14-atom cell.

    Example:
        >>> # three GPAW single points (minutes): tests/dft/test_hull.py runs a cheaper one
        >>> check = dft_quick_check(li2s, li3n, half, "chgnet:0.3.0")  # doctest: +SKIP
    """
    settings = replace(QUICK_DFT, threads=threads)
    return dft_hull_check(
        li2s, li3n, {0.5: [half]}, model, settings, 0, None, store, checkpoint_dir
    )
