"""One cheap instance of every thermo result type (no MLIP), for the global round-trip test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram

from sselab.structures import reference_phases
from sselab.thermo import (
    FiniteTemperatureHull,
    InterfaceReaction,
    LiNSHull,
    PhaseEnergy,
    SolidSolutionPoint,
    StabilityWindow,
    ThermoStudy,
    VibrationalFreeEnergy,
    VoltagePlateau,
    interface_reaction,
    stability_window,
    to_entry,
)
from sselab.thermo.disorder import (
    ClusterExpansion,
    ClusterSpace,
    Configuration,
    DisorderedPhase,
    DisorderStudy,
    ECIFigureData,
    MCRun,
    SQSResult,
    TrainingPoint,
    TrainingSet,
)


def li_s_diagram() -> PhaseDiagram:
    return PhaseDiagram(
        [PDEntry("Li", -1.9), PDEntry("S", -4.1), PDEntry("Li2S", -13.6), PDEntry("LiS", -8.0)]
    )


def phase_energy() -> PhaseEnergy:
    li2s = reference_phases(["Li2S"])["Li2S"]
    return PhaseEnergy("Li2S", "Li2S", len(li2s), -50.0, -50.0 / len(li2s), True, "m", li2s)


def solid_solution_point() -> SolidSolutionPoint:
    li2s = reference_phases(["Li2S"])["Li2S"]
    return SolidSolutionPoint(
        0.5, "Li5NS", (1, 1, 1), 14, -4.5, [0.0, 12.5], 21.0, 21.0, {"Li2S": 0.5}, li2s.as_dict()
    )


def window() -> StabilityWindow:
    return stability_window("Li2S", li_s_diagram())


def reaction() -> InterfaceReaction:
    return interface_reaction("LiS", "Li", li_s_diagram())


def free_energy() -> VibrationalFreeEnergy:
    return VibrationalFreeEnergy("Li2S", [0.0, 300.0], [0.05, 0.01], 0, 36, [2, 2, 2], "m")


def finite_hull() -> FiniteTemperatureHull:
    return FiniteTemperatureHull(0.5, 300.0, 21.0, -3.0, -17.8, 18.0, 0.2, 0, 0.0)


def hull() -> LiNSHull:
    phases = reference_phases(["Li", "Li2S", "alpha-S8"])
    entries = [to_entry(name, s, -2.0 * len(s)) for name, s in phases.items()]
    return LiNSHull(
        "m", "raw", {"Li2S": phase_energy()}, [solid_solution_point()], entries,
        ["Li", "Li2S", "S"], {"Li2S": 0.0},
    )  # fmt: skip


def study() -> ThermoStudy:
    return ThermoStudy(
        hull(), [1e-6], [finite_hull()], window(), [reaction()], reaction(), {"hull": 1.0}
    )


def configuration() -> Configuration:
    return Configuration((1, 1, 1), "NSSS", "vLvv")


def cluster_expansion() -> ClusterExpansion:
    labels = ClusterSpace(0.75).labels
    return ClusterExpansion(0.75, labels, [0.1, 0.2, 0.0, 0.01, -0.01], 2.0, 1.5, 40, 1e-4, "m")


def mc_run() -> MCRun:
    return MCRun([float("inf"), 1.0], [0.0, -1.0], [0.1, 0.1], [0.0, 0.5], [[0.0], [-0.2]],
                 [-0.5, -1.2], [1, -1], [1.0, 0.4], 10)  # fmt: skip


def disordered() -> DisorderedPhase:
    return DisorderedPhase(0.5, 6, [300.0], [12.0], [0.3], [[-0.1]], ["anion-cage 0.500a"],
                           [5.0], [1.2], 3.0, None, 100, "m")  # fmt: skip


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "Configuration": (Configuration, configuration),
    "ClusterSpace": (ClusterSpace, lambda: ClusterSpace(0.75)),
    "TrainingPoint": (TrainingPoint, lambda: TrainingPoint(configuration(), -50.0, 15, True)),
    "TrainingSet": (
        TrainingSet,
        lambda: TrainingSet(
            "m", -12.0, -15.0, [TrainingPoint(configuration(), -50.0, 15, True)], 0.1, 3.0
        ),
    ),
    "ClusterExpansion": (ClusterExpansion, cluster_expansion),
    "ECIFigureData": (ECIFigureData, lambda: ECIFigureData(["a"], [0.5], [1.0])),
    "SQSResult": (
        SQSResult,
        lambda: SQSResult(0.25, configuration(), ["empty"], [1.0], [1.0], 0.0, 0.0, 0.1, 0),
    ),
    "MCRun": (MCRun, mc_run),
    "DisorderedPhase": (DisorderedPhase, disordered),
    "DisorderStudy": (
        DisorderStudy,
        lambda: DisorderStudy("m", "shipped", 40, 38, cluster_expansion(), [disordered()], 12.0),
    ),
    "PhaseEnergy": (PhaseEnergy, phase_energy),
    "SolidSolutionPoint": (SolidSolutionPoint, solid_solution_point),
    "LiNSHull": (LiNSHull, hull),
    "VoltagePlateau": (VoltagePlateau, lambda: VoltagePlateau(0.0, 2.0, 0.0, ["Li2S"], "Li2S")),
    "StabilityWindow": (StabilityWindow, window),
    "InterfaceReaction": (InterfaceReaction, reaction),
    "VibrationalFreeEnergy": (VibrationalFreeEnergy, free_energy),
    "FiniteTemperatureHull": (FiniteTemperatureHull, finite_hull),
    "ThermoStudy": (ThermoStudy, study),
}
