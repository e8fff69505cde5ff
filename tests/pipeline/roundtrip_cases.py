"""One cheap instance of every pipeline (and report) result type, for the global round-trip test.

No MLIP: relaxed cells are built directly; NEB and transport results come from the
transport area's cases.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.transport.roundtrip_cases import neb_result, transport_maps, transport_study

from sselab.calculators import RelaxResult
from sselab.estimate import Estimate
from sselab.pipeline.executor import RunSummary
from sselab.pipeline.lattice import LatticePoint, LatticeScan
from sselab.pipeline.reproduce import (
    PROFILES,
    BVSECase,
    BVSECases,
    NEBCase,
    NEBCases,
    Profile,
    ReproduceResults,
    TransportResult,
)
from sselab.pipeline.screen import CandidateRow, ScreenResult
from sselab.pipeline.tasks import (
    OrderedCells,
    PeakList,
    Reflection,
    TaskContext,
    TieLineResult,
    WindowResult,
    bvse_stage,
    diffraction_stage,
    order_stage,
    order_task,
)
from sselab.report.claims import Claim, judge
from sselab.structures import antifluorite, enumerate_orderings
from sselab.thermo.window import stability_window
from sselab.transport.bvse import BVSEResult


def lattice_point() -> LatticePoint:
    a = Estimate.from_samples([5.40, 5.42], "Å", best=5.40)
    return LatticePoint(0.5, 0.5, (1, 1, 1), 14, 2, a, -4.0, True, "chgnet:0.3.0", 1.0)


def ordered_cells() -> OrderedCells:
    task = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 2)
    return order_stage(dict(task.inputs), {}, TaskContext(Path("/tmp")))


def relaxed() -> dict[str, RelaxResult]:
    cell = enumerate_orderings(antifluorite(0.5, a=5.458), (1, 1, 1), n=1)[0]
    result = RelaxResult(cell, -56.0, -4.0, (5.458,) * 3, (90.0,) * 3, 162.6, True, 0, 0.0, "m", 0)
    return {"relax0": result}


def tie_line() -> TieLineResult:
    e = Estimate.from_samples([21.0, 33.5], "meV/atom", best=21.0)
    return TieLineResult("Li5SN", 0.5, 14, -4.5, e, [0.0, 12.5], "Li2S + Li3N", "Li2S, Li3N", True)


def window_result() -> WindowResult:
    from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram

    diagram = PhaseDiagram([PDEntry("Li", -1.9), PDEntry("S", -4.1), PDEntry("Li2S", -13.6)])
    return WindowResult(stability_window("Li2S", diagram), 0.0, {"Li2S": 1.0}, ["Li", "Li2S", "S"])


def peaks() -> PeakList:
    inputs = {"cation": "Li", "anions": ["S", "N"], "x": 0.5, "radiation": "CuKa", "n_peaks": 3}
    return diffraction_stage(inputs, relaxed(), TaskContext(Path("/tmp")))


def bvse() -> BVSEResult:
    inputs = {"cation": "Li", "anions": ["S", "N"], "x": 0.5, "resolution_angstrom": 0.4,
              "structure": "disordered"}  # fmt: skip
    return bvse_stage(inputs, relaxed(), TaskContext(Path("/tmp")))


def candidate_row() -> CandidateRow:
    return CandidateRow(
        1, "LiSN x=0.5", "LiSN", "Li", "S-N", 0.5, "Li5SN", 14,
        e_above_tie_meV_per_atom=tie_line().e_above_tie_meV_per_atom,
        barrier_3d_eV=Estimate.normal(0.4, 0.01, "eV", error_kind="resolution"),
        sigma_300K_S_per_cm=Estimate(8e-3, 3e-3, (4e-3, 1.6e-2), "S/cm"),
    )  # fmt: skip


def bvse_cases() -> BVSECases:
    barrier = Estimate.normal(0.25, 0.01, "eV", error_kind="resolution")
    case = BVSECase("Li2S a=5.719", 0.0, 5.719, "8c-4b-8c", "paper", barrier, barrier)
    return BVSECases(0.2, [case])


def claim() -> Claim:
    return judge("BVSE Li2S", 0.254, "eV", Estimate.exact(0.254, "eV"), calibrated=True)


def neb_cases() -> NEBCases:
    return NEBCases([NEBCase("Li2S", "vac-8c-8c", neb_result())])


def transport_result() -> TransportResult:
    return TransportResult(transport_study(), transport_maps())


def reproduce_results() -> ReproduceResults:
    return ReproduceResults(
        PROFILES["quick"](), "chgnet:0.3.0", None, ["lattice", "bvse", "neb", "transport"],
        lattice=LatticeScan([lattice_point()]), bvse=bvse_cases(), neb=neb_cases(),
        transport=transport_result(), failed={"thermodynamics": "boom"},
        timings_s={"lattice": 1.0}, run={"wall_s": 1.0},
    )  # fmt: skip


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "LatticePoint": (LatticePoint, lattice_point),
    "LatticeScan": (LatticeScan, lambda: LatticeScan([lattice_point()])),
    "OrderedCells": (OrderedCells, ordered_cells),
    "TieLineResult": (TieLineResult, tie_line),
    "WindowResult": (WindowResult, window_result),
    "Reflection": (Reflection, lambda: Reflection((1, 1, 1), 3.15, 28.3, 100.0)),
    "PeakList": (PeakList, peaks),
    "RunSummary": (
        RunSummary,
        lambda: RunSummary(computed=["k"], kinds={"k": "relax"}, failed={"j": "relax: boom"}),
    ),
    "CandidateRow": (CandidateRow, candidate_row),
    "ScreenResult": (
        ScreenResult,
        lambda: ScreenResult("s", "chgnet:0.3.0", ["order"], [candidate_row()], ["note"]),
    ),
    "Profile": (Profile, lambda: PROFILES["full"]()),
    "BVSECase": (BVSECase, lambda: bvse_cases().cases[0]),
    "BVSECases": (BVSECases, bvse_cases),
    "NEBCase": (NEBCase, lambda: neb_cases().cases[0]),
    "NEBCases": (NEBCases, neb_cases),
    "TransportResult": (TransportResult, transport_result),
    "ReproduceResults": (ReproduceResults, reproduce_results),
    "Claim": (Claim, claim),
}
