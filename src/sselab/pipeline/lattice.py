"""Relaxed lattice constant of M(2+x)A'(x)A(1-x) versus x (Vegard plot).

For each x the smallest supercell (of those in ``SUPERCELLS``) that realises x
within a tolerance is ordered, K orderings are relaxed with the MLIP, and the
lowest-energy one gives a(x); the spread over the K orderings is reported as the
standard deviation. Supercells that are not cubic are compared through the
pseudo-cubic constant a = (4 V / n_anion)^(1/3), the edge of a cubic cell with the
same volume per anion.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from sselab.calculators.registry import model_label
from sselab.reference import paper_value
from sselab.report import Comparison, Section
from sselab.structures import actual_x, antifluorite, lowest_energy_ordering
from sselab.structures.cells import pseudo_cubic_a, supercell_for_x

logger = logging.getLogger(__name__)


@dataclass
class LatticePoint:
    """a(x) from the relaxed orderings at one composition.

    Attributes:
        x_target: requested x.
        x_actual: x realised by the supercell.
        supercell: diagonal scaling of the conventional cell.
        n_atoms: atoms in the relaxed cell.
        n_orderings: orderings relaxed.
        a_best_angstrom: pseudo-cubic a of the lowest-energy ordering.
        a_mean_angstrom: mean over the orderings.
        a_std_angstrom: standard deviation over the orderings (0 for one ordering).
        energy_per_atom_best_eV: energy of the lowest-energy ordering.
        all_converged: every relaxation reached fmax.
        model: model label.
        wall_s: seconds spent (0 when served from the store).
    """

    x_target: float
    x_actual: float
    supercell: tuple[int, int, int]
    n_atoms: int
    n_orderings: int
    a_best_angstrom: float
    a_mean_angstrom: float
    a_std_angstrom: float
    energy_per_atom_best_eV: float
    all_converged: bool
    model: str
    wall_s: float


def lattice_point(
    x: float,
    model: str = "chgnet",
    n_orderings: int = 3,
    max_anions: int = 16,
    fmax: float = 0.02,
    seed: int = 0,
    anions: tuple[str, str] = ("S", "N"),
    cation: str = "Li",
    store: Any | None = None,
) -> LatticePoint:
    """Relax K orderings of M(2+x)A'(x)A(1-x) and report a(x) in Å.

    Example:
        >>> p = lattice_point(0.5, n_orderings=1, max_anions=4, fmax=0.05)
        >>> 5.3 < p.a_best_angstrom < 5.7
        True
    """
    cell, realised = supercell_for_x(x, max_anions=max_anions)
    n_anions = 4 * int(np.prod(cell))
    best, relaxed = lowest_energy_ordering(
        antifluorite(realised, anions=anions, cation=cation),
        supercell=cell,
        n_candidates=n_orderings,
        calculator=model,
        seed=seed,
        fmax=fmax,
        store=store,
        # the measured a(x) is that of the cubic solid solution: a small ordered cell
        # must not shear into a layered compound (see sselab.calculators.relax)
        keep_cell_shape=True,
    )
    a_values = np.array([pseudo_cubic_a(r.structure, n_anions=n_anions) for r in relaxed])
    return LatticePoint(
        x_target=x,
        x_actual=actual_x(best.structure, dopant=anions[1], host=anions[0]),
        supercell=cell,
        n_atoms=len(best.structure),
        n_orderings=len(relaxed),
        a_best_angstrom=pseudo_cubic_a(best.structure, n_anions=n_anions),
        a_mean_angstrom=float(a_values.mean()),
        a_std_angstrom=float(a_values.std(ddof=1)) if len(a_values) > 1 else 0.0,
        energy_per_atom_best_eV=best.energy_per_atom_eV,
        all_converged=all(r.converged for r in relaxed),
        model=model_label(model),
        wall_s=sum(r.wall_s for r in relaxed),
    )


def lattice_vs_x(
    xs: Sequence[float],
    model: str = "chgnet",
    n_orderings: int = 3,
    max_anions: int = 16,
    fmax: float = 0.02,
    seed: int = 0,
    store: Any | None = None,
) -> list[LatticePoint]:
    """a(x) for each x (see :func:`lattice_point`), with a progress bar.

    Example:
        >>> points = lattice_vs_x([0.0, 0.5], n_orderings=1, max_anions=4, fmax=0.05)
        >>> points[1].a_best_angstrom < points[0].a_best_angstrom
        True
    """
    for x in xs:
        if not 0 <= x < 1:
            raise ValueError(f"x = {x} is outside [0, 1)")
    return [
        lattice_point(x, model, n_orderings, max_anions, fmax, seed, store=store)
        for x in tqdm(xs, desc="a(x)", unit="x")
    ]


def lattice_table(points: Sequence[LatticePoint]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for printing or the report.

    Example:
        >>> header, rows = lattice_table([])
        >>> header[0]
        'x (target)'
    """
    header = [
        "x (target)",
        "x (cell)",
        "supercell",
        "atoms",
        "orderings",
        "a best (Å)",
        "a mean (Å)",
        "a s.d. (Å)",
        "E best (eV/atom)",
        "converged",
    ]
    rows = [
        [
            p.x_target,
            p.x_actual,
            "x".join(map(str, p.supercell)),
            p.n_atoms,
            p.n_orderings,
            round(p.a_best_angstrom, 4),
            round(p.a_mean_angstrom, 4),
            round(p.a_std_angstrom, 4),
            round(p.energy_per_atom_best_eV, 4),
            "yes" if p.all_converged else "NO",
        ]
        for p in points
    ]
    return header, rows


def vegard_figure(points: Sequence[LatticePoint]) -> Figure:
    """a(x) with the orderings' spread, the paper's a(0.5) and Li2S (ICSD) marked.

    Example:
        >>> vegard_figure([]).axes[0].get_xlabel()
        'x in Li$_{2+x}$N$_x$S$_{1-x}$'
    """
    fig = Figure(figsize=(5.5, 4))
    ax = fig.add_subplot()
    if points:
        x = [p.x_actual for p in points]
        ax.errorbar(
            x,
            [p.a_best_angstrom for p in points],
            yerr=[p.a_std_angstrom for p in points],
            fmt="o-",
            capsize=3,
            label=f"sselab ({points[0].model}), lowest-energy ordering ± s.d.",
        )
    ax.plot(
        [0.5],
        [paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")],
        "r*",
        ms=14,
        label="paper, x = 0.5 (SXRD + neutron)",
    )
    ax.plot(
        [0.0], [paper_value("structure", "a_Li2S_icsd_angstrom")], "ks", ms=8, label="Li2S, ICSD"
    )
    ax.set_xlabel("x in Li$_{2+x}$N$_x$S$_{1-x}$")
    ax.set_ylabel("pseudo-cubic a (Å)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _closest(points: Sequence[LatticePoint], x: float) -> LatticePoint | None:
    matches = [p for p in points if abs(p.x_actual - x) < 1e-9]
    return matches[0] if matches else None


def lattice_report_section(points: Sequence[LatticePoint]) -> Section:
    """Report section: table, Vegard figure and paper comparisons for a(0) and a(0.5).

    Example:
        >>> lattice_report_section([]).title
        'Lattice constant vs x'
    """
    header, rows = lattice_table(points)
    comparisons = []
    li2s = _closest(points, 0.0)
    half = _closest(points, 0.5)
    if li2s is not None:
        comparisons.append(
            Comparison(
                "a(Li2S) (Å)",
                li2s.a_best_angstrom,
                None,
                paper_value("structure", "a_Li2S_icsd_angstrom"),
                f"{li2s.model}, 0 K; paper value is the room-temperature ICSD cell",
            )
        )
    if half is not None:
        comparisons.append(
            Comparison(
                "a(x = 0.5) (Å)",
                half.a_best_angstrom,
                half.a_std_angstrom or None,
                paper_value("structure", "a_Li2.5N0.5S0.5_angstrom"),
                f"{half.model}, {half.n_orderings} orderings, {half.n_atoms}-atom cell, 0 K",
            )
        )
    if li2s is not None and half is not None:
        comparisons.append(
            Comparison(
                "a(0.5) - a(0) (Å)",
                half.a_best_angstrom - li2s.a_best_angstrom,
                half.a_std_angstrom or None,
                paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")
                - paper_value("structure", "a_Li2S_icsd_angstrom"),
                "contraction on N substitution",
            )
        )
    return Section(
        title="Lattice constant vs x",
        text=(
            "Pseudo-cubic lattice constant of relaxed ordered Li(2+x)N(x)S(1-x) cells "
            "(lowest-energy of the sampled orderings; error bars: spread over orderings)."
        ),
        figures=[vegard_figure(points)],
        table_header=header,
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": points[0].model if points else "-",
            "pseudo-cubic a": "(4 V / n_anion)^(1/3)",
            "interstitial start": "24e (0.28, 0, 0), relaxed",
        },
    )
