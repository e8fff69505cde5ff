"""Figures of a CI-NEB: the energy profile along the band, barriers over environments."""

from __future__ import annotations

from matplotlib.figure import Figure

from sselab.transport.neb.distribution import BarrierDistribution
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


def distribution_figure(
    distribution: BarrierDistribution,
    reference_eV: float | None = None,
    reference_label: str = "reference",
) -> Figure:
    """Barrier of each computed event against its tetrahedron environment, with counts.

    Args:
        distribution: a finished :class:`~sselab.transport.neb.distribution.BarrierDistribution`.
        reference_eV: optional barrier to draw as a dashed line (e.g. a published CI-NEB).
        reference_label: legend text of that line.

    Example:
        >>> from sselab.transport.neb import BarrierDistribution, NEBSettings
        >>> empty = BarrierDistribution("interstitialcy", "Li5NS", 112, "chgnet", NEBSettings(),
        ...                             {"N2S2": 3}, [])
        >>> distribution_figure(empty).axes[0].get_xlabel()
        'anions of the 8c tetrahedron passed (events in the cell)'
    """
    fig = Figure(figsize=(5.0, 3.4))
    ax = fig.add_subplot()
    names = list(distribution.events_per_environment)
    for position, name in enumerate(names):
        found = [e for e in distribution.events if e.environment == name]
        values = [e.barrier_eV.value for e in found if e.barrier_eV is not None]
        errors = [e.barrier_eV.error or 0.0 for e in found if e.barrier_eV is not None]
        converged = [e.converged for e in found if e.barrier_eV is not None]
        for value, error, done in zip(values, errors, converged, strict=True):
            ax.errorbar(
                position,
                value,
                yerr=error,
                fmt="o" if done else "x",
                color="C0" if done else "C1",
                capsize=3,
            )
        if any(e.barrier_eV is None for e in found):
            ax.annotate("no band", (position, 0.0), ha="center", fontsize=7, color="C3")
    if reference_eV is not None:
        ax.axhline(reference_eV, ls="--", color="C2", lw=1.0, label=reference_label)
        ax.legend(fontsize=7, frameon=False)
    ax.set_xticks(
        range(len(names)),
        [f"{n}\n({distribution.events_per_environment[n]})" for n in names],
        fontsize=8,
    )
    ax.set_xlabel("anions of the 8c tetrahedron passed (events in the cell)")
    ax.set_ylabel("knock-off barrier (eV)")
    ax.set_title(
        f"{distribution.hop}, {distribution.formula} {distribution.n_atoms} atoms "
        f"({distribution.model}); x: band not converged",
        fontsize=8,
    )
    fig.tight_layout()
    return fig
