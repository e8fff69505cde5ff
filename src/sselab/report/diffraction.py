"""Report section of the diffraction stage: simulated PXRD x-series and the Vegard analysis,
compared with the paper's lattice constants and solubility limit."""

from __future__ import annotations

from collections.abc import Sequence

from sselab.diffraction.simulate import series_figure, simulate_pattern
from sselab.diffraction.vegard import fit_vegard, vegard_figure
from sselab.estimate import Estimate
from sselab.reference import paper_value
from sselab.report.html import Comparison, Section
from sselab.structures import antifluorite


def diffraction_section(
    x: Sequence[float],
    a_angstrom: Sequence[Estimate],
    radiation: str = "CuKa",
    uiso_A2: float = 0.01,
) -> Section:
    """Simulated patterns of Li(2+x)N(x)S(1-x) at the given a(x) (the paper's Fig. 2c
    analogue, peak shift with x) and the Vegard fit with its breakpoint.

    Args:
        x: compositions, at least 5 (e.g. the lattice stage's x_actual).
        a_angstrom: lattice constant at each x (Å), computed or refined; their errors
            weight the Vegard fit when every one is known and positive.
        radiation: radiation spec, default Cu Kα (the paper's lab PXRD).
        uiso_A2: Uiso of all sites (Å²).

    Example:
        >>> xs = [0.0, 0.1, 0.25, 0.4, 0.5]
        >>> a = [Estimate.exact(v, "Å") for v in (5.70, 5.66, 5.60, 5.54, 5.50)]
        >>> section = diffraction_section(xs, a)  # doctest: +SKIP
        >>> section.title  # doctest: +SKIP
        'Diffraction: simulated PXRD series and Vegard analysis'

    The skipped example simulates five patterns (seconds); tests/diffraction/test_section.py
    runs it.
    """
    values = [float(a.value) for a in a_angstrom]
    weighted = all(a.error is not None and a.error > 0 for a in a_angstrom)
    fit = fit_vegard(list(x), list(a_angstrom) if weighted else values, "diffraction_section a(x)")
    points = sorted(zip((float(v) for v in x), values, strict=True))
    sims = {
        xi: simulate_pattern(antifluorite(xi, a=ai), radiation, uiso_A2=uiso_A2)
        for xi, ai in points
    }
    rows = []
    for xi, ai in points:
        sim = sims[xi]
        position = {
            "".join(map(str, h)): float(p) for h, p in zip(sim.hkl, sim.position, strict=True)
        }
        rows.append([xi, round(ai, 4), *(_round(position.get(hkl)) for hkl in ("111", "220"))])
    paper_a0 = paper_value("structure", "a_Li2S_icsd_angstrom")
    paper_a_half = paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")
    limit = paper_value("structure", "solubility_limit_x")
    significant = "significant" if fit.p_value < 0.05 else "not significant"
    comparisons = [
        Comparison(
            "Vegard breakpoint x_b",
            fit.breakpoint_x.value,
            fit.breakpoint_x.error,
            limit,
            f"two-segment fit, slope change {significant} (p = {fit.p_value:.2g}); the paper "
            "saw the peak shift flatten above x = 0.5",
        ),
        Comparison(
            "da/dx below x_b (Å)",
            fit.slope_below_angstrom.value,
            fit.slope_below_angstrom.error,
            (paper_a_half - paper_a0) / 0.5,
            "paper value from a(Li2S, ICSD) and a(x = 0.5, Rietveld)",
        ),
    ]
    text = (
        f"{radiation} patterns simulated with sselab.diffraction at the a(x) above "
        f"(Uiso = {uiso_A2} Å², disordered Fm-3m cells, 24e Li occupancy x/6); the (220) zoom "
        "shows the shift to higher angle as N contracts the cell. The Vegard fit tests for a "
        "slope change (solubility limit). A limit is a thermodynamic effect: a(x) computed "
        "for single-phase cells only shows one if the input a(x) came from experiment or "
        "phase-aware modelling."
    )
    low, high = fit.breakpoint_interval_x
    figure = vegard_figure(
        fit,
        reference_limit_x=limit,
        reference_points={0.5: paper_a_half},
        reference_label="paper",
    )
    return Section(
        title="Diffraction: simulated PXRD series and Vegard analysis",
        text=text,
        figures=[series_figure(sims), figure],
        table_header=["x", "a (Å)", "2θ(111) (°)", "2θ(220) (°)"],
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "radiation": radiation,
            "Uiso (Å²)": uiso_A2,
            "Vegard weights": "the a(x) errors" if fit.a_angstrom[0].known else "equal",
            "breakpoint interval x (68 %)": f"[{low:.3f}, {high:.3f}]",
        },
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
