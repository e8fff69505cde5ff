"""Li–N–S convex hull from MLIP energies and E_hull(x) of ordered Li(2+x)N(x)S(1-x).

Reference phases (``sselab.structures.reference_phases``) and, for each x, the lowest
energy of K relaxed orderings (``lowest_energy_ordering``) are fed to pymatgen's
``PhaseDiagram``. Two numbers are reported per x: the energy above the hull of the
whole Li–N–S set (``e_hull_meV_per_atom``) and the energy above the Li2S–Li3N tie line
(``e_above_tie_meV_per_atom``, the paper's quantity; the two agree while Li2S and Li3N
are the decomposition products). The spread over the K orderings is reported too.

``disorder`` chooses how the solid solution is modelled (issue #15): "ordered" (the
lowest of K orderings, above), "sqs" (the mean of ``n_sqs`` relaxed special
quasirandom structures, the random alloy) or "ce" (the 0 K ground state of canonical
Monte Carlo on a cluster expansion, ``sselab.thermo.disorder``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition
from pymatgen.entries.computed_entries import ComputedStructureEntry

from sselab.calculators import RelaxResult, model_label, relax
from sselab.roundtrip import RoundTrip
from sselab.structures import actual_x, antifluorite, lowest_energy_ordering, reference_phases
from sselab.structures.cells import supercell_for_x
from sselab.thermo.disorder import (
    ClusterExpansion,
    DisorderedPhase,
    disordered_phase,
    generate_sqs,
    to_structure,
)
from sselab.thermo.energies import (
    PhaseEnergy,
    entries_from_energies,
    entry_name,
    relax_phases,
    to_entry,
)

logger = logging.getLogger(__name__)

LI_N_S_PHASES: tuple[str, ...] = (
    "Li",
    "Li2S",
    "alpha-Li3N",
    "beta-Li3N",
    "LiN3",
    "Li2S2",
    "alpha-S8",
    "alpha-N2",
)
HULL_XS: tuple[float, ...] = (0.125, 0.25, 0.375, 0.5, 0.625, 0.75)
# Quick profile: the x realised by the 14-atom conventional cell. In cells this small the
# energy of an ordering varies by 100+ meV/atom, so sampling many orderings at few x beats
# few orderings at many x (CHGNet: the lowest of 6 orderings at x = 0.5 was the 5th-6th
# by Ewald rank, 42 meV/atom below the best of the first 4).
QUICK_XS: tuple[float, ...] = (0.25, 0.5, 0.75)
DISORDER_MODELS: tuple[str, ...] = ("ordered", "sqs", "ce")


@dataclass(frozen=True)
class HullSettings:
    """Relaxation settings of a hull calculation.

    Attributes:
        model: registered MLIP name.
        n_orderings: orderings relaxed per x (the lowest energy is kept).
        max_anions: largest supercell in anion (4a) sites; 8 realises multiples of 1/8.
        fmax_eV_per_angstrom: force threshold.
        max_steps: optimiser step limit.
        seed: ordering sampler seed.
        keep_cell_shape: relax the ordered Li(2+x)N(x)S(1-x) cells at fixed shape
            (volume only), as a model of the cubic solid solution; False lets a small
            ordered cell shear into whatever ordered compound the MLIP prefers.
        n_sqs: special quasirandom structures relaxed per x (``disorder="sqs"``).
        sqs_supercell: conventional-cell multiples of an SQS (2x2x2: 32 anions).
    """

    model: str = "chgnet"
    n_orderings: int = 2
    max_anions: int = 8
    fmax_eV_per_angstrom: float = 0.05
    max_steps: int = 300
    seed: int = 0
    keep_cell_shape: bool = True
    n_sqs: int = 2
    sqs_supercell: tuple[int, int, int] = (2, 2, 2)


QUICK = HullSettings(n_orderings=8, max_anions=4)
FULL = HullSettings(n_orderings=6, max_anions=8, fmax_eV_per_angstrom=0.02, max_steps=800)


@dataclass
class SolidSolutionPoint(RoundTrip):
    """Energetics of the lowest-energy ordering of Li(2+x)N(x)S(1-x) at one x.

    Attributes:
        x: realised N fraction on the anion site.
        formula: formula of the relaxed cell.
        supercell: conventional-cell multiples used.
        n_atoms: atoms in the cell.
        energy_per_atom_eV: MLIP energy of the best ordering.
        ordering_energies_meV_per_atom: all relaxed orderings, relative to the best.
        e_above_tie_meV_per_atom: above x Li3N + (1 - x) Li2S (the paper's E_hull).
        e_hull_meV_per_atom: above the Li–N–S hull (pymatgen PhaseDiagram).
        decomposition: phases of the hull decomposition with molar fractions.
        structure: relaxed best ordering (pymatgen dict); for "sqs" the first SQS, for
            "ce" an unrelaxed SQS of the same x (the entry needs a composition).
        disorder: how the solid solution was modelled ("ordered", "sqs", "ce").
    """

    x: float
    formula: str
    supercell: tuple[int, int, int]
    n_atoms: int
    energy_per_atom_eV: float
    ordering_energies_meV_per_atom: list[float]
    e_above_tie_meV_per_atom: float
    e_hull_meV_per_atom: float
    decomposition: dict[str, float]
    structure: dict[str, Any] = field(repr=False)
    disorder: str = "ordered"


@dataclass
class LiNSHull(RoundTrip):
    """Result of :func:`li_n_s_hull`.

    Attributes:
        model: model label.
        scheme: energy scheme ("raw" or "mp2020").
        references: reference phase energies (name -> PhaseEnergy).
        points: one SolidSolutionPoint per x.
        entries: pymatgen entries of the references and the ordered cells (the
            ``phase_diagram`` is built from them, and rebuilt after ``from_dict``).
        stable_phases: reduced formulas of the phases on the hull.
        reference_e_hull_meV_per_atom: E_hull of each reference phase.
        disordered_phases: with ``disorder="ce"``, the Monte Carlo results per x
            (E_hull at finite T: ``DisorderedPhase.e_hull_meV_per_atom``).
    """

    model: str
    scheme: str
    references: dict[str, PhaseEnergy]
    points: list[SolidSolutionPoint]
    entries: list[ComputedStructureEntry] = field(repr=False)
    stable_phases: list[str]
    reference_e_hull_meV_per_atom: dict[str, float]
    disordered_phases: list[DisorderedPhase] = field(default_factory=list)

    @cached_property
    def phase_diagram(self) -> PhaseDiagram:
        """pymatgen PhaseDiagram of the references plus the ordered cells."""
        return PhaseDiagram(self.entries)

    def point(self, x: float) -> SolidSolutionPoint:
        """The point closest to x."""
        return min(self.points, key=lambda p: abs(p.x - x))

    def summary(self) -> dict[str, Any]:
        """Short JSON summary without structures or the phase diagram (``as_dict`` has all)."""
        return {
            "model": self.model,
            "scheme": self.scheme,
            "stable_phases": self.stable_phases,
            "reference_e_hull_meV_per_atom": self.reference_e_hull_meV_per_atom,
            "references": {
                n: {"formula": e.formula, "energy_per_atom_eV": e.energy_per_atom_eV}
                for n, e in self.references.items()
            },
            "points": [{k: v for k, v in vars(p).items() if k != "structure"} for p in self.points],
        }


def _e_above_hull(diagram: PhaseDiagram, entry: Any, allow_negative: bool = False) -> float:
    """E above the hull in eV/atom of an entry of ``diagram`` (pymatgen returns None only
    for entries it cannot place, which an entry of the diagram is not)."""
    value = diagram.get_e_above_hull(entry, allow_negative=allow_negative)
    if value is None:
        raise ValueError(f"{entry_name(entry)} is not in the phase diagram")
    return float(value)


def reference_energies(
    names: Sequence[str] = LI_N_S_PHASES,
    settings: HullSettings = QUICK,
    store: Any | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, PhaseEnergy]:
    """Relaxed MLIP energies of Li–N–S reference phases (plus ``extra`` structures).

    Example:
        >>> energies = reference_energies(["Li", "Li2S"])  # doctest: +SKIP
        >>> energies["Li2S"].formula  # doctest: +SKIP
        'Li2S'
    """
    structures = dict(reference_phases(list(names)))
    structures.update(extra or {})
    return relax_phases(
        structures,
        model=settings.model,
        fmax=settings.fmax_eV_per_angstrom,
        max_steps=settings.max_steps,
        store=store,
    )


def solid_solution_energies(
    xs: Sequence[float] = HULL_XS, settings: HullSettings = QUICK, store: Any | None = None
) -> list[tuple[float, tuple[int, int, int], Any, list[Any]]]:
    """Relax K orderings per x; return (x, supercell, best RelaxResult, all results) per x.

    Example:
        >>> rows = solid_solution_energies([0.5])  # doctest: +SKIP
        >>> rows[0][2].structure.composition.reduced_formula  # doctest: +SKIP
        'Li5NS'
    """
    rows = []
    for x in xs:
        if not 0 < x < 1:
            raise ValueError(f"x = {x}: the hull needs 0 < x < 1 (x = 0 is Li2S itself)")
        cell, realised = supercell_for_x(x, max_anions=settings.max_anions, tolerance=1e-6)
        if abs(realised - x) > 1e-6:
            raise ValueError(
                f"x = {x} is not realisable with at most {settings.max_anions} anion sites "
                f"(closest {realised}); use multiples of 1/{settings.max_anions}"
            )
        best, results = lowest_energy_ordering(
            antifluorite(x),
            cell,
            n_candidates=settings.n_orderings,
            calculator=settings.model,
            seed=settings.seed,
            fmax=settings.fmax_eV_per_angstrom,
            max_steps=settings.max_steps,
            store=store,
            keep_cell_shape=settings.keep_cell_shape,
        )
        rows.append((actual_x(best.structure), cell, best, results))
    return rows


def sqs_energies(
    xs: Sequence[float], settings: HullSettings = QUICK, store: Any | None = None
) -> list[tuple[float, tuple[int, int, int], Any, list[Any]]]:
    """Relax ``settings.n_sqs`` SQS per x; return rows like :func:`solid_solution_energies`.

    The energy of a row is the mean over its SQS (the random alloy's estimate), its
    structure the first SQS's.

    Example:
        >>> rows = sqs_energies([0.5])  # doctest: +SKIP
    """
    from dataclasses import replace

    import numpy as np

    rows = []
    for x in xs:
        results = []
        for seed in range(settings.n_sqs):
            sqs = generate_sqs(x, settings.sqs_supercell, seed=settings.seed + seed)
            start = to_structure(sqs.configuration, antifluorite(sqs.x).lattice.a)
            results.append(
                relax(
                    start,
                    settings.model,
                    fmax=settings.fmax_eV_per_angstrom,
                    max_steps=settings.max_steps,
                    store=store,
                    keep_cell_shape=settings.keep_cell_shape,
                )
            )
        mean = float(np.mean([r.energy_per_atom_eV for r in results]))
        representative = replace(
            results[0], energy_per_atom_eV=mean, energy_eV=mean * len(results[0].structure)
        )
        rows.append(
            (actual_x(results[0].structure), settings.sqs_supercell, representative, results)
        )
    return rows


def tie_line_energy_per_atom(x: float, e_m2a_per_atom: float, e_m3a_per_atom: float) -> float:
    """Energy per atom (eV) of x M3A' + (1 - x) M2A, i.e. of composition M(2+x)A'(x)A(1-x).

    Per formula unit there are 3 + x atoms: 4x from M3A' (Li3N) and 3(1 - x) from M2A
    (Li2S).

    Example:
        >>> tie_line_energy_per_atom(0.5, -4.0, -5.0)  # (2 * -5 + 1.5 * -4) / 3.5
        -4.571428571428571
    """
    return (4 * x * e_m3a_per_atom + 3 * (1 - x) * e_m2a_per_atom) / (3 + x)


def energy_above_tie_meV_per_atom(
    x: float, energy_per_atom_eV: float, e_m2a_per_atom: float, e_m3a_per_atom: float
) -> float:
    """Energy (meV/atom) of M(2+x)A'(x)A(1-x) above the M2A–M3A' tie line (the paper's E_hull).

    The tie line is defined for every chemistry and equals the hull energy whenever
    M2A and M3A' are the decomposition products, as the paper found for Li–N–S.

    Example:
        >>> round(energy_above_tie_meV_per_atom(0.5, -4.55, -4.0, -5.0), 2)
        21.43
    """
    return 1000 * (energy_per_atom_eV - tie_line_energy_per_atom(x, e_m2a_per_atom, e_m3a_per_atom))


def li_n_s_hull(
    xs: Sequence[float] = HULL_XS,
    settings: HullSettings = QUICK,
    scheme: str = "raw",
    store: Any | None = None,
    phases: Sequence[str] = LI_N_S_PHASES,
    disorder: str = "ordered",
    cluster_expansion: ClusterExpansion | None = None,
) -> LiNSHull:
    """Li–N–S phase diagram with Li(2+x)N(x)S(1-x), and E_hull(x) at 0 K.

    Args:
        xs: compositions (multiples of 1/8 with the default 8-anion supercells).
        settings: model and relaxation settings (``QUICK`` or ``FULL``).
        scheme: energy reference scheme, "raw" or "mp2020" (see sselab.thermo.energies).
        store: optional ResultStore; relaxations are cached there.
        phases: reference phases (default all of ``LI_N_S_PHASES``; must include Li2S,
            an Li3N polymorph and the elements).
        disorder: "ordered" (lowest of K orderings), "sqs" (mean of relaxed SQS) or
            "ce" (cluster-expansion Monte Carlo ground state; needs ``cluster_expansion``
            trained with ``settings.model``; x is rounded to the 6x6x6 MC cell).
        cluster_expansion: fitted expansion for ``disorder="ce"``.

    Returns:
        LiNSHull with the PhaseDiagram, the per-x points and reference E_hull values.

    Example:
        >>> hull = li_n_s_hull([0.5])  # doctest: +SKIP
        >>> round(hull.point(0.5).e_above_tie_meV_per_atom)  # doctest: +SKIP
        21
    """
    required = {"Li", "Li2S", "alpha-S8", "alpha-N2"}
    if not required <= set(phases) or not {"alpha-Li3N", "beta-Li3N"} & set(phases):
        raise ValueError(f"phases {list(phases)} must include {sorted(required)} and an Li3N")
    if disorder not in DISORDER_MODELS:
        raise ValueError(f"disorder = {disorder!r}: choose one of {DISORDER_MODELS}")
    references = reference_energies(phases, settings, store)
    ref_entries = entries_from_energies(references, scheme)
    phases_ce: list[DisorderedPhase] = []
    if disorder == "ordered":
        rows = solid_solution_energies(xs, settings, store)
    elif disorder == "sqs":
        rows = sqs_energies(xs, settings, store)
    else:
        rows, phases_ce = _ce_rows(xs, settings, references, cluster_expansion)
    ss_entries = [
        to_entry(f"Li(2+x)N(x)S(1-x) x={x:g}", best.structure, best.energy_eV, scheme)
        for x, _, best, _ in rows
    ]
    diagram = PhaseDiagram(ref_entries + ss_entries)
    by_name = {entry_name(e): e for e in ref_entries}
    li3n = min(
        (by_name[n] for n in ("alpha-Li3N", "beta-Li3N") if n in by_name),
        key=lambda e: e.energy_per_atom,
    )
    li2s = by_name["Li2S"]
    points = []
    for (x, cell, best, results), entry in zip(rows, ss_entries, strict=True):
        decomposition = diagram.get_decomposition(entry.composition)
        points.append(
            SolidSolutionPoint(
                x=x,
                formula=best.structure.composition.reduced_formula,
                supercell=cell,
                n_atoms=len(best.structure),
                energy_per_atom_eV=best.energy_per_atom_eV,
                ordering_energies_meV_per_atom=[
                    1000 * (r.energy_per_atom_eV - best.energy_per_atom_eV) for r in results
                ],
                e_above_tie_meV_per_atom=energy_above_tie_meV_per_atom(
                    x, entry.energy_per_atom, li2s.energy_per_atom, li3n.energy_per_atom
                ),
                e_hull_meV_per_atom=1000 * _e_above_hull(diagram, entry, allow_negative=True),
                decomposition={entry_name(e): float(frac) for e, frac in decomposition.items()},
                structure=best.structure.as_dict(),
                disorder=disorder,
            )
        )
    reference_e_hull = {entry_name(e): 1000 * _e_above_hull(diagram, e) for e in ref_entries}
    return LiNSHull(
        model=model_label(settings.model),
        scheme=scheme,
        references=references,
        points=points,
        entries=[*ref_entries, *ss_entries],
        stable_phases=sorted({e.composition.reduced_formula for e in diagram.stable_entries}),
        reference_e_hull_meV_per_atom=reference_e_hull,
        disordered_phases=phases_ce,
    )


def _ce_rows(
    xs: Sequence[float],
    settings: HullSettings,
    references: dict[str, PhaseEnergy],
    cluster_expansion: ClusterExpansion | None,
) -> tuple[list[tuple[float, tuple[int, int, int], Any, list[Any]]], list[DisorderedPhase]]:
    """Rows of the CE ground states: E = tie line of this hull's end members + E_mix."""
    if cluster_expansion is None:
        raise ValueError('disorder="ce" needs cluster_expansion= (fit_cluster_expansion)')
    if cluster_expansion.model != model_label(settings.model):
        raise ValueError(
            f"the cluster expansion was trained on {cluster_expansion.model}, "
            f"the hull uses {model_label(settings.model)}"
        )
    li2s = references["Li2S"].energy_per_atom_eV
    li3n = min(
        references[n].energy_per_atom_eV for n in ("alpha-Li3N", "beta-Li3N") if n in references
    )
    rows, phases = [], []
    for x in xs:
        phase = disordered_phase(cluster_expansion, x, seed=settings.seed)
        structure = to_structure(
            generate_sqs(phase.x, settings.sqs_supercell, n_steps=2000).configuration,
            antifluorite(phase.x).lattice.a,
        )
        energy = (
            tie_line_energy_per_atom(phase.x, li2s, li3n) + phase.ground_state_meV_per_atom / 1000
        )
        lattice = structure.lattice
        result = RelaxResult(
            structure, energy * len(structure), energy, lattice.abc, lattice.angles,
            structure.volume, False, 0, float("nan"), cluster_expansion.model, 0.0,
        )  # fmt: skip
        rows.append((phase.x, settings.sqs_supercell, result, [result]))
        phases.append(phase)
    return rows, phases


def formula_unit_atoms(x: float) -> float:
    """Atoms per formula unit of Li(2+x)N(x)S(1-x): 3 + x.

    Example:
        >>> formula_unit_atoms(0.5)
        3.5
    """
    return 3 + x


def composition_of(x: float) -> Composition:
    """Composition Li(2+x)N(x)S(1-x).

    Example:
        >>> composition_of(0.5).alphabetical_formula
        'Li2.5 N0.5 S0.5'
    """
    return Composition({"Li": 2 + x, "N": x, "S": 1 - x})


__all__ = [
    "DISORDER_MODELS",
    "FULL",
    "HULL_XS",
    "LI_N_S_PHASES",
    "QUICK",
    "QUICK_XS",
    "HullSettings",
    "LiNSHull",
    "SolidSolutionPoint",
    "composition_of",
    "energy_above_tie_meV_per_atom",
    "formula_unit_atoms",
    "li_n_s_hull",
    "sqs_energies",
    "tie_line_energy_per_atom",
]
