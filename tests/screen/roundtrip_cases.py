"""Cheap instances of the screen's result types for tests/test_roundtrip.py."""

from __future__ import annotations

from pymatgen.core import Lattice, Structure

from sselab.estimate import Estimate
from sselab.pipeline.screen import PredictorScore, ValidationResult, ValidationRow
from sselab.structures.partial import OrderedSupercells, OxidationStates


def _row() -> ValidationRow:
    return ValidationRow(
        "Li3N",
        "Li3N",
        1.2e-3,
        0.29,
        "Li+1 N-3 (guess)",
        Estimate.normal(0.17, 0.01, "eV", error_kind="resolution"),
        Estimate.normal(0.17, 0.01, "eV", error_kind="resolution"),
        0.0,
        None,
    )


def _score() -> PredictorScore:
    return PredictorScore("BVSE 3D barrier", Estimate(-0.4, 0.15, (-0.7, -0.1)), 25)


ROUND_TRIP_CASES = {
    "OxidationStates": (OxidationStates, lambda: OxidationStates({"Li": 1, "S": -2}, "guess", 0.0)),
    "OrderedSupercells": (
        OrderedSupercells,
        lambda: OrderedSupercells(
            [Structure(Lattice.cubic(4.0), ["Li+", "F-"], [[0, 0, 0], [0.5, 0.5, 0.5]])],
            [-5.0],
            (1, 1, 2),
            0.02,
            0.03,
            12,
        ),
    ),
    "ValidationRow": (ValidationRow, _row),
    "PredictorScore": (PredictorScore, _score),
    "ValidationResult": (
        ValidationResult,
        lambda: ValidationResult(
            [_row()], [_score()], None, Estimate(0.5, 0.1, (0.3, 0.7)), 1e-4, 0.35, 0.3, 0, 100, 2.0
        ),
    ),
}
