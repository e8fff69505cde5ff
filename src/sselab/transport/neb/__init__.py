"""CI-NEB migration barriers with any MLIP: the engine (:mod:`.engine`), the figure (:mod:`.plots`).

The antifluorite hop endpoints it runs on come from
:mod:`sselab.transport.antifluorite_sites`, the site finder the BVSE paths share.
"""

from sselab.transport.neb.engine import (
    EndpointError,
    NEBResult,
    NEBSettings,
    ResumeError,
    hop_barrier,
    run_neb,
    write_images,
)
from sselab.transport.neb.plots import profile_figure

__all__ = [
    "EndpointError",
    "NEBResult",
    "NEBSettings",
    "ResumeError",
    "hop_barrier",
    "profile_figure",
    "run_neb",
    "write_images",
]
