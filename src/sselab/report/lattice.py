"""Report parts of the lattice stage: a(x) table, Vegard figure, paper comparisons.

Example:
    >>> header, rows = lattice_table([])
    >>> header[:2]
    ['x (target)', 'x (cell)']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from sselab.pipeline.lattice import LatticePoint, LatticeScan
from sselab.reference import paper_value
from sselab.report.html import Comparison, Section

SECTION_TITLE = "Lattice constant vs x"


def _spread(point: LatticePoint) -> float | None:
    return point.a_angstrom.error


def lattice_table(points: Sequence[LatticePoint]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for printing or the report (the spread is over orderings).

    Example:
        >>> lattice_table([])[0][5]
        'a best (Å)'
    """
    header = [
        "x (target)",
        "x (cell)",
        "supercell",
        "atoms",
        "orderings",
        "a best (Å)",
        "a spread over orderings (Å)",
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
            round(p.a_angstrom.value, 4),
            None if _spread(p) is None else round(_spread(p) or 0.0, 4),
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
        ax.errorbar(
            [p.x_actual for p in points],
            [p.a_angstrom.value for p in points],
            yerr=[_spread(p) or 0.0 for p in points],
            fmt="o-",
            capsize=3,
            label=f"sselab ({points[0].model}), lowest-energy ordering, bars: ordering spread",
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


def lattice_section(scan: LatticeScan) -> Section:
    """Report section: table, Vegard figure and paper comparisons for a(0) and a(0.5).

    Example:
        >>> lattice_section(LatticeScan([])).title
        'Lattice constant vs x'
    """
    points = scan.points
    header, rows = lattice_table(points)
    comparisons = []
    li2s = scan.closest(0.0)
    half = scan.closest(0.5)
    paper_a0 = paper_value("structure", "a_Li2S_icsd_angstrom")
    paper_a_half = paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")
    if li2s is not None:
        comparisons.append(
            Comparison(
                "a(Li2S) (Å)",
                li2s.a_angstrom.value,
                None,
                paper_a0,
                f"{li2s.model}, 0 K; paper value is the room-temperature ICSD cell",
            )
        )
    if half is not None:
        comparisons.append(
            Comparison(
                "a(x = 0.5) (Å)",
                half.a_angstrom.value,
                _spread(half),
                paper_a_half,
                f"{half.model}, {half.n_orderings} orderings, {half.n_atoms}-atom cell, 0 K; "
                "± = spread over orderings",
            )
        )
    if li2s is not None and half is not None:
        comparisons.append(
            Comparison(
                "a(0.5) - a(0) (Å)",
                half.a_angstrom.value - li2s.a_angstrom.value,
                _spread(half),
                paper_a_half - paper_a0,
                "contraction on N substitution",
            )
        )
    return Section(
        title=SECTION_TITLE,
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
