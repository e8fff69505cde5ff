"""Figures of the thermodynamics stage (matplotlib ``Figure`` objects, no pyplot state)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from sselab.thermo.hull import LiNSHull
from sselab.thermo.interface import InterfaceReaction
from sselab.thermo.window import StabilityWindow

_TRIANGLE = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])  # Li, S, N corners


def _ternary_xy(fractions: Sequence[float]) -> np.ndarray:
    """Cartesian point of (Li, S, N) atomic fractions in the Li–S–N triangle."""
    return np.asarray(fractions) @ _TRIANGLE


def _fractions(composition: object) -> list[float]:
    return [composition.get_atomic_fraction(el) for el in ("Li", "S", "N")]  # type: ignore[attr-defined]


def ternary_figure(hull: LiNSHull, paper_e_hull_meV: float | None = None) -> Figure:
    """Li–N–S ternary: hull facets, stable phases, Li(2+x)N(x)S(1-x) coloured by E_hull.

    Example:
        >>> fig = ternary_figure(hull)  # doctest: +SKIP
    """
    fig = Figure(figsize=(6.0, 5.2))
    ax = fig.add_subplot()
    diagram = hull.phase_diagram
    for facet in diagram.facets:
        for i in range(len(facet)):
            a, b = facet[i], facet[(i + 1) % len(facet)]
            pa = _ternary_xy(_fractions(diagram.qhull_entries[a].composition))
            pb = _ternary_xy(_fractions(diagram.qhull_entries[b].composition))
            ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color="0.6", lw=0.8, zorder=1)
    for entry in diagram.stable_entries:
        p = _ternary_xy(_fractions(entry.composition))
        ax.plot(*p, "ko", ms=6, zorder=3)
        ax.annotate(
            entry.composition.reduced_formula,
            (float(p[0]), float(p[1])),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=9,
        )
    points = np.array([_ternary_xy(_fractions(_comp(p.x))) for p in hull.points])
    values = [p.e_hull_meV_per_atom for p in hull.points]
    scatter = ax.scatter(
        points[:, 0],
        points[:, 1],
        c=values,
        cmap="viridis",
        s=45,
        zorder=4,
        edgecolors="k",
        linewidths=0.5,
    )
    fig.colorbar(scatter, ax=ax, label="E_hull (meV/atom)", shrink=0.8)
    ax.plot(*np.vstack([_TRIANGLE, _TRIANGLE[:1]]).T, color="k", lw=1)
    ax.set_aspect("equal")
    ax.axis("off")
    title = f"Li–N–S hull, {hull.model} ({hull.scheme} energies)"
    if paper_e_hull_meV is not None:
        title += f"\npaper: Li2.5N0.5S0.5 at {paper_e_hull_meV:g} meV/atom"
    ax.set_title(title, fontsize=10)
    return fig


def _comp(x: float) -> object:
    from sselab.thermo.hull import composition_of

    return composition_of(x)


def e_hull_figure(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    paper: tuple[float, float] | None = None,
) -> Figure:
    """E_hull vs x for several series (label -> (xs, meV/atom)), with the paper's point.

    Example:
        >>> fig = e_hull_figure({"chgnet 0 K": ([0.5], [21.0])}, paper=(0.5, 17.0))
        >>> len(fig.axes)
        1
    """
    fig = Figure(figsize=(5.5, 4.0))
    ax = fig.add_subplot()
    for label, (xs, values) in series.items():
        ax.plot(xs, values, "o-", label=label)
    if paper is not None:
        ax.plot(*paper, "r*", ms=13, label="paper (DFT, 0 and 300 K)")
    ax.axhline(0, color="k", lw=0.7)
    ax.set_xlabel("x in Li(2+x)N(x)S(1-x)")
    ax.set_ylabel("E above Li2S–Li3N tie line (meV/atom)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def voltage_profile_figure(window: StabilityWindow, max_voltage_V: float = 5.0) -> Figure:
    """Li uptake per formula unit vs voltage, plateaus labelled by their phase equilibria.

    Example:
        >>> from sselab.thermo.window import VoltagePlateau
        >>> w = StabilityWindow("Li2S", 0.0, 2.3, [VoltagePlateau(0, 2.3, 0, ["Li2S"], ""),
        ...     VoltagePlateau(2.3, float("inf"), -2, ["S"], "")], -1.9)
        >>> len(voltage_profile_figure(w).axes)
        1
    """
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    for plateau in window.plateaus:
        high = min(plateau.voltage_high_V, max_voltage_V)
        if plateau.voltage_low_V >= max_voltage_V:
            continue
        ax.plot([plateau.voltage_low_V, high], [plateau.li_exchange_per_fu] * 2, "b-", lw=2)
        ax.annotate(
            " + ".join(plateau.phases) or "Li",
            ((plateau.voltage_low_V + high) / 2, plateau.li_exchange_per_fu),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
        )
    ax.axvspan(
        window.reduction_limit_V,
        min(window.oxidation_limit_V, max_voltage_V),
        color="g",
        alpha=0.15,
        label="stable",
    )
    ax.set_xlim(0, max_voltage_V)
    ax.set_xlabel("voltage vs Li+/Li (V)")
    ax.set_ylabel("Li uptake per formula unit")
    ax.set_title(
        f"{window.composition}: window {window.reduction_limit_V:.2f}–"
        f"{window.oxidation_limit_V:.2f} V",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def interface_figure(reactions: Sequence[InterfaceReaction]) -> Figure:
    """Reaction energy vs mixing ratio (Fig. S14 analogue), one line per pair.

    Example:
        >>> r = InterfaceReaction("Li2S", "Li", [0.0, 1.0], [0.0, 0.0], ["", ""], 0.0, 0.0, [])
        >>> len(interface_figure([r]).axes)
        1
    """
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    for r in reactions:
        ax.plot(
            r.mixing_ratios,
            [1000 * e for e in r.energies_eV_per_atom],
            "o-",
            label=f"{r.electrolyte} + {r.anode}: min {1000 * r.min_energy_eV_per_atom:.0f}",
        )
    ax.axhline(0, color="k", lw=0.7)
    ax.set_xlabel("mixing ratio (fraction of electrolyte)")
    ax.set_ylabel("reaction energy (meV/atom)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
