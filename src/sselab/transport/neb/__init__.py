"""CI-NEB migration barriers with any MLIP: the engine (:mod:`.engine`), barriers over local
environments (:mod:`.distribution`), the figures (:mod:`.plots`).

The antifluorite hop endpoints it runs on come from
:mod:`sselab.transport.antifluorite_sites`, the site finder the BVSE paths share.
"""

from sselab.transport.neb.distribution import (
    BarrierDistribution,
    EventBarrier,
    barrier_distribution,
    environments,
)
from sselab.transport.neb.engine import (
    EndpointError,
    NEBResult,
    NEBSettings,
    ResumeError,
    hop_barrier,
    run_neb,
    write_images,
)
from sselab.transport.neb.plots import distribution_figure, profile_figure

__all__ = [
    "BarrierDistribution",
    "EndpointError",
    "EventBarrier",
    "NEBResult",
    "NEBSettings",
    "ResumeError",
    "barrier_distribution",
    "distribution_figure",
    "environments",
    "hop_barrier",
    "profile_figure",
    "run_neb",
    "write_images",
]
