"""One cheap instance of every transport result type, for the round-trip tests.

``ROUND_TRIP_CASES`` maps each type to a builder (all together about a second), so a
global parametrised test can reuse it:
``T.from_dict(json.loads(json.dumps(obj.as_dict())))`` must give ``obj`` back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from sselab.estimate import Estimate
from sselab.structures import antifluorite
from sselab.transport.analysis import (
    ArrheniusFit,
    ArrheniusSummary,
    DiffusionResult,
    analyze_diffusion,
    arrhenius_fit,
)
from sselab.transport.antifluorite_sites import HopEndpoints, antifluorite_hop, hop_endpoints
from sselab.transport.bvse import (
    BVSEResult,
    Landscape,
    PathProfile,
    bvse_landscape,
    minimum_energy_path,
    percolation_barriers,
)
from sselab.transport.density import ProbabilityDensity, probability_density
from sselab.transport.md import MDRun
from sselab.transport.mechanism import MechanismResult, hop_mechanisms
from sselab.transport.neb import BarrierDistribution, EventBarrier, NEBResult, NEBSettings
from sselab.transport.npt import NPTResult
from sselab.transport.study import (
    ConductivityVsX,
    TransportMaps,
    TransportStudy,
    VolcanoPoint,
    study_from_results,
)
from sselab.transport.vanhove import VanHoveResult, van_hove

from .synthetic import lattice_walk, random_walk


def _walk(temperature_K: float = 1000.0, seed: int = 0) -> Any:
    d = 3e-3 * np.exp(-0.3 / (8.617e-5 * temperature_K)) * 1e4  # Å^2/ps
    return random_walk((d, d, d), n_li=10, n_frames=400, temperature_K=temperature_K, seed=seed)


def diffusion_result() -> DiffusionResult:
    return analyze_diffusion(_walk())


def transport_study() -> TransportStudy:
    results = [analyze_diffusion(_walk(t, i)) for i, t in enumerate((600.0, 900.0, 1200.0))]
    return study_from_results(results, require_diffusive=False)


def arrhenius_summary() -> ArrheniusSummary:
    summary = transport_study().arrhenius
    assert summary is not None
    return summary


def arrhenius_two_points() -> ArrheniusFit:
    """Two weighted points: no spare degree of freedom, reduced chi^2 unknown (None)."""
    return arrhenius_fit([600.0, 900.0], [1e-6, 1e-5], [1e-7, 1e-6])


def van_hove_result() -> VanHoveResult:
    return van_hove(_walk(), lag_ps=[0.0, 1.0], r_max_angstrom=3.0, progress=False)


def probability_density_result() -> ProbabilityDensity:
    return probability_density(_walk(), "Li", grid_spacing_angstrom=2.0)


def transport_maps() -> TransportMaps:
    return TransportMaps(van_hove_result(), probability_density_result(), [Path("maps.png")])


def md_run() -> MDRun:
    return MDRun(Path("out/md_600K.h5"), 600.0, 110, 12, 0, 0.01, None, 598.2, "chgnet:0.3.0")


def neb_result() -> NEBResult:
    images = []
    for shift, energy in ((0.0, 0.0), (0.5, 0.3), (1.0, 0.0)):
        atoms = Atoms("Li", positions=[[shift, 0.0, 0.0]], cell=[5.0] * 3, pbc=True)
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.zeros((1, 3)))
        images.append(atoms)
    barrier = Estimate.normal(0.3, 0.004, "eV", error_kind="resolution")
    return NEBResult(
        barrier, barrier, 0.0, [0.0, 0.3, 0.0], [0.0, 0.5, 1.0], [0.0, 0.5, 1.0],
        [0.0, 0.3, 0.0], 1, 0.01, True, 12, 1, "EMT", 0.1, "vac-8c-8c", images,
    )  # fmt: skip


def hop() -> HopEndpoints:
    return hop_endpoints(antifluorite(0.0), "vac-8c-8c", supercell=(1, 1, 1))


def knock_off_hop() -> HopEndpoints:
    return hop_endpoints(antifluorite(0.5), "interstitialcy", supercell=(1, 1, 1))


def barrier_distribution_result() -> BarrierDistribution:
    events = [
        EventBarrier("N1S3", 3, 40, Estimate.normal(0.31, 0.01, "eV", error_kind="resolution"),
                     -0.02, True, 80),
        EventBarrier("N2S2", 5, 41, None, None, False, 0, "relaxed into the same minimum"),
    ]  # fmt: skip
    return BarrierDistribution(
        "interstitialcy", "Li5NS", 112, "chgnet:0.3.0", NEBSettings(n_images=3),
        {"N1S3": 37, "N2S2": 36}, events,
    )  # fmt: skip


def landscape() -> Landscape:
    return bvse_landscape(antifluorite(0.0, a=5.719), resolution_angstrom=0.6)


def bvse_result() -> BVSEResult:
    return percolation_barriers(antifluorite(0.0, a=5.719), resolution_angstrom=0.6)


def path_profile() -> PathProfile:
    structure = antifluorite(0.0, a=5.719)
    return minimum_energy_path(
        landscape(), antifluorite_hop(structure, "8c-4b-8c"), "8c-4b-8c", n_steps=20
    )


def mechanism_result() -> MechanismResult:
    return hop_mechanisms(lattice_walk("vacancy", n_events=3))


def npt_result() -> NPTResult:
    volume = Estimate.normal(46.5, 0.1, "Å^3", dof=4)
    atoms = Atoms("Cu4", scaled_positions=[[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
                  cell=[3.6] * 3, pbc=True)  # fmt: skip
    return NPTResult(300.0, 0.0, volume, 46.2, None, 301.0, 0.1, "EMT", atoms)


def volcano() -> ConductivityVsX:
    sigma = Estimate(2e-4, 1e-4, (5e-5, 8e-4), "S/cm")
    spread = Estimate.from_samples([1e-4, 3e-4], "S/cm")
    points = [
        VolcanoPoint(0.5, 2, Estimate.normal(0.3, 0.05, "eV"), sigma, spread, ""),
        VolcanoPoint(0.1, 1, None, None, None, "fewer than two temperatures with diffusion"),
    ]
    return ConductivityVsX(points, [1000.0, 1500.0], (1, 1, 1), 3.0, "chgnet:0.3.0")


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "DiffusionResult": (DiffusionResult, diffusion_result),
    "ArrheniusFit": (ArrheniusFit, arrhenius_two_points),
    "ArrheniusSummary": (ArrheniusSummary, arrhenius_summary),
    "TransportStudy": (TransportStudy, transport_study),
    "VanHoveResult": (VanHoveResult, van_hove_result),
    "ProbabilityDensity": (ProbabilityDensity, probability_density_result),
    "TransportMaps": (TransportMaps, transport_maps),
    "MDRun": (MDRun, md_run),
    "MechanismResult": (MechanismResult, mechanism_result),
    "NPTResult": (NPTResult, npt_result),
    "VolcanoPoint": (VolcanoPoint, lambda: volcano().points[0]),
    "ConductivityVsX": (ConductivityVsX, volcano),
    "NEBSettings": (NEBSettings, NEBSettings),
    "NEBResult": (NEBResult, neb_result),
    "HopEndpoints (interstitialcy)": (HopEndpoints, knock_off_hop),
    "BarrierDistribution": (BarrierDistribution, barrier_distribution_result),
    "EventBarrier": (EventBarrier, lambda: barrier_distribution_result().events[0]),
    "HopEndpoints": (HopEndpoints, hop),
    "Landscape": (Landscape, landscape),
    "BVSEResult": (BVSEResult, bvse_result),
    "PathProfile": (PathProfile, path_profile),
}
