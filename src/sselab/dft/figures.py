"""Figures of the electronic structure: DOS/PDOS panels and the band gap against x.

The gap-vs-x figure shades the visible range of photon energies: a gap above
3.1 eV absorbs no visible light (a white powder), one inside 1.65-3.1 eV absorbs
the blue end first (yellow, orange, then red-purple as it shrinks). Sample colours
seen in the lab can be drawn along x (``observed_colours``); the presentation
layer passes the paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from sselab.dft.electronic import ElectronicStructure

VISIBLE_EV = (1.65, 3.10)  # 750 nm and 400 nm
PDOS_COLOURS = {
    "S-p": "goldenrod",
    "S-s": "darkkhaki",
    "N-p": "tab:blue",
    "N-s": "lightsteelblue",
    "Li-s": "tab:green",
}


def dos_figure(
    results: Sequence[ElectronicStructure], projections: Sequence[str] = tuple(PDOS_COLOURS)
) -> Figure:
    """One panel per structure: total DOS and the element/l projections, VBM at 0.

    Only ``projections`` are drawn: the Li p and S/N d channels project onto unbound
    PAW partial waves, whose weights are not normalised and exceed the total DOS in
    the conduction band (Li p in Li2S and Li3N).

    Example:
        >>> import numpy as np
        >>> from sselab.calculators.paw import PawSettings
        >>> energies = np.linspace(-8, 8, 9)
        >>> toy = ElectronicStructure("Li2S", "PBE", 3.4, 4.2, 0.0, 3.4, (0, 0, 0), (0.5, 0, 0.5),
        ...     energies, np.ones(9), {"S-p": np.ones(9)}, 0.1, PawSettings(), "gpaw", 1.0)
        >>> len(dos_figure([toy]).axes)
        1
    """
    figure = Figure(figsize=(6, 2.2 * len(results)))
    axes = figure.subplots(len(results), 1, sharex=True, squeeze=False)
    for axis, result in zip(axes[:, 0], results, strict=True):
        energies = result.energies_eV
        axis.fill_between(energies, result.dos_states_per_eV, color="0.85", label="total")
        for name, values in sorted(result.pdos_states_per_eV.items()):
            if name not in projections:
                continue
            axis.plot(energies, values, lw=1.2, color=PDOS_COLOURS.get(name), label=name)
        axis.axvspan(0, result.band_gap_eV, color="tab:red", alpha=0.08)
        axis.set_ylabel("states/eV")
        axis.set_title(
            f"{result.formula}: {result.xc} gap {result.band_gap_eV:.2f} eV", fontsize=9, loc="left"
        )
        axis.legend(fontsize=7, ncol=4, loc="upper left")
    axes[-1, 0].set_xlabel("E − E(VBM) (eV)")
    figure.tight_layout()
    return figure


def gap_vs_x_figure(
    gaps_eV: Mapping[float, float],
    label: str = "PBE (sselab, GPAW)",
    corrected_gaps_eV: Mapping[float, float] | None = None,
    corrected_label: str = "GLLB-SC",
    observed_colours: Mapping[float, str] | None = None,
) -> Figure:
    """Band gap against x of Li(2+x)N(x)S(1-x) (x = 1: Li3N), visible range shaded.

    Args:
        gaps_eV: x -> gap.
        label: legend text of ``gaps_eV``.
        corrected_gaps_eV: optional gap-corrected values (GLLB-SC, HSE).
        corrected_label: their legend text.
        observed_colours: x -> matplotlib colour of the sample, drawn as swatches.

    Example:
        >>> figure = gap_vs_x_figure({0.0: 3.4, 0.5: 2.0, 1.0: 0.9},
        ...     observed_colours={0.0: "white", 0.5: "orange", 1.0: "darkred"})
        >>> figure.axes[0].get_ylabel()
        'band gap (eV)'
    """
    figure = Figure(figsize=(5.5, 3.8))
    axis = figure.subplots()
    axis.axhspan(*VISIBLE_EV, color="gold", alpha=0.12, label="visible photon energies")
    xs = sorted(gaps_eV)
    axis.plot(xs, [gaps_eV[x] for x in xs], "o-", color="k", label=label)
    if corrected_gaps_eV:
        cx = sorted(corrected_gaps_eV)
        axis.plot(
            cx, [corrected_gaps_eV[x] for x in cx], "s--", color="tab:purple", label=corrected_label
        )
    if observed_colours:
        top = axis.get_ylim()[1] + 0.3
        for x, colour in observed_colours.items():
            axis.scatter([x], [top], s=260, marker="s", color=colour, edgecolors="k", zorder=3)
        axis.scatter(
            [],
            [],
            s=80,
            marker="s",
            color="white",
            edgecolors="k",
            label="sample colour (observed)",
        )
        axis.set_ylim(top=top + 0.4)
    axis.set_xlabel("x in Li(2+x)N(x)S(1-x)")
    axis.set_ylabel("band gap (eV)")
    axis.set_xlim(-0.05, 1.05)
    axis.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    return figure
