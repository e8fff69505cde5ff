"""Figure of a BVSE landscape (Fig. S10 analogue): low-energy region, a slice, a path profile."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sselab.transport.bvse.model import Landscape
from sselab.transport.bvse.paths import PathProfile
from sselab.transport.bvse.percolation import percolation_thresholds


def landscape_figure(
    landscape: Landscape,
    isovalue_eV: float | None = None,
    profile: PathProfile | None = None,
) -> Figure:
    """Fig. S10 analogue: voxels below the isovalue in 3D, a slice, and a path profile.

    Args:
        landscape: BVSE landscape.
        isovalue_eV: energy above the minimum bounding the drawn region (default: the 3D
            percolation barrier plus 0.05 eV, which shows the conducting network).
        profile: optional path profile for a third panel (Fig. 4e/4f analogue).

    Example:
        >>> from sselab.structures import antifluorite
        >>> from sselab.transport.bvse.model import bvse_landscape
        >>> scape = bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.5)
        >>> len(landscape_figure(scape, isovalue_eV=0.4).axes) >= 2
        True
    """
    relative = landscape.relative_eV
    if isovalue_eV is None:
        isovalue_eV = float(percolation_thresholds(relative)[2]) + 0.05
    n_panels = 3 if profile is not None else 2
    fig = Figure(figsize=(4.5 * n_panels, 4.2))
    ax3d = fig.add_subplot(1, n_panels, 1, projection="3d")
    inside = np.argwhere(relative <= isovalue_eV)
    stride = max(1, len(inside) // 20000)  # keep the scatter light
    cart = (inside[::stride] / np.array(relative.shape)) @ landscape.structure.lattice.matrix
    ax3d.scatter(*cart.T, s=1, c=relative[tuple(inside[::stride].T)], cmap="viridis_r")
    for site in landscape.structure:
        if landscape.mobile not in {sp.symbol for sp in site.species}:
            ax3d.scatter(*site.coords, s=40, color="goldenrod", edgecolor="k")
    ax3d.set_title(f"{landscape.mobile} BVSE <= {isovalue_eV:.2f} eV")
    ax3d.set_xlabel("x (Å)")
    ax3d.set_ylabel("y (Å)")
    ax3d.set_zlabel("z (Å)")

    ax = fig.add_subplot(1, n_panels, 2)
    k = relative.shape[2] // 2
    a, b = landscape.structure.lattice.abc[:2]
    image = ax.imshow(
        np.minimum(relative[:, :, k].T, 2.0 * isovalue_eV),
        origin="lower",
        extent=(0, a, 0, b),
        cmap="viridis",
    )
    ax.contour(
        np.linspace(0, a, relative.shape[0]),
        np.linspace(0, b, relative.shape[1]),
        relative[:, :, k].T,
        levels=[isovalue_eV],
        colors="w",
        linewidths=0.8,
    )
    fig.colorbar(image, ax=ax, label="E - E_min (eV)")
    ax.set_title("slice c = 1/2")
    ax.set_xlabel("a (Å)")
    ax.set_ylabel("b (Å)")

    if profile is not None:
        axp = fig.add_subplot(1, n_panels, 3)
        axp.plot(profile.distance_angstrom, profile.energy_eV - profile.energy_eV.min(), "o-")
        axp.set_xlabel("path length (Å)")
        axp.set_ylabel("E (eV)")
        axp.set_title(f"{profile.hop}: {profile.barrier_eV.value:.3f} eV")
    fig.tight_layout()
    return fig
