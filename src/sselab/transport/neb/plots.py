"""Figures of a CI-NEB: the energy profile along the band."""

from __future__ import annotations

from matplotlib.figure import Figure

from sselab.transport.neb.engine import NEBResult


def profile_figure(
    result: NEBResult, reference_eV: float | None = None, reference_label: str = "reference"
) -> Figure:
    """Energy profile along the band (Fig. 4b analogue): images, force-based fit, barrier.

    Args:
        result: a finished NEB.
        reference_eV: optional barrier to draw as a dashed line (e.g. a DFT value).
        reference_label: legend text of that line.

    Example:
        >>> fig = profile_figure(result, reference_eV=0.38)  # doctest: +SKIP
        >>> fig.savefig("neb.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(4.5, 3.4))
    ax = fig.add_subplot()
    ax.plot(result.fit_path_angstrom, result.fit_energies_eV, "-", color="k", lw=1.2, label="fit")
    ax.plot(result.path_angstrom, result.image_energies_eV, "o", color="C0", label="images")
    ax.plot(
        result.path_angstrom[result.saddle_image],
        result.image_energies_eV[result.saddle_image],
        "o",
        color="C3",
        label="climbing image",
    )
    if reference_eV is not None:
        ax.axhline(reference_eV, ls="--", color="C2", lw=1.0, label=reference_label)
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("E - E(initial) (eV)")
    barrier = result.barrier_eV
    error = f" ± {barrier.error:.2g}" if barrier.known else ""
    ax.set_title(
        f"{result.hop or 'NEB'} ({result.model}): {barrier.value:.3f}{error} eV", fontsize=9
    )
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
