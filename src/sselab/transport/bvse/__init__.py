"""Bond-valence site energy (BVSE) landscapes, percolation barriers and path barriers.

Split the way ``ase.mep`` is: the model and its grid (:mod:`.model`), percolation
barriers and sites (:mod:`.percolation`), string-method paths between named sites
(:mod:`.paths`), VESTA files (:mod:`.writers`) and the figure (:mod:`.plots`). The
"paper" convention's Morse factor is calibrated to the seed paper's Li2S numbers:
``docs/bvse_convention.md``.

Example:
    >>> from sselab.structures import antifluorite
    >>> result = percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.4)
    >>> 0.25 < result.barrier_3d_eV.value < 0.40
    True
"""

from sselab.transport.bvse.model import (
    CONVENTIONS,
    DEFAULT_CUTOFF_ANGSTROM,
    PAPER_MORSE_SCALE,
    BVSEParameterError,
    Convention,
    Landscape,
    MorseParameters,
    bvse_landscape,
    landscape_memory_bytes,
    softbv_ion_table,
    softbv_pair_table,
)
from sselab.transport.bvse.paths import PathProfile, minimum_energy_path
from sselab.transport.bvse.percolation import (
    BVSEResult,
    find_sites,
    occupied_site_energy,
    percolation_barriers,
    percolation_energies,
    percolation_thresholds,
)
from sselab.transport.bvse.plots import landscape_figure
from sselab.transport.bvse.writers import write_chgcar, write_cube

__all__ = [
    "CONVENTIONS",
    "DEFAULT_CUTOFF_ANGSTROM",
    "PAPER_MORSE_SCALE",
    "BVSEParameterError",
    "BVSEResult",
    "Convention",
    "Landscape",
    "MorseParameters",
    "PathProfile",
    "bvse_landscape",
    "find_sites",
    "landscape_figure",
    "landscape_memory_bytes",
    "minimum_energy_path",
    "occupied_site_energy",
    "percolation_barriers",
    "percolation_energies",
    "percolation_thresholds",
    "softbv_ion_table",
    "softbv_pair_table",
    "write_chgcar",
    "write_cube",
]
