"""Cheap instances of the screen's result types for tests/test_roundtrip.py."""

from __future__ import annotations

from pymatgen.core import Lattice, Structure

from sselab.estimate import Estimate
from sselab.pipeline.screen import MDPredictor, PredictorScore, ValidationResult, ValidationRow
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
        md_msd_angstrom2=1.25,
        md_D_cm2_per_s=Estimate.normal(2e-5, 1e-5, "cm^2/s"),
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
    "MDPredictor": (MDPredictor, lambda: MDPredictor(temperature_K=800.0)),
    "ValidationResult": (
        ValidationResult,
        lambda: ValidationResult(
            [_row()],
            [_score()],
            None,
            Estimate(0.5, 0.1, (0.3, 0.7)),
            1e-4,
            0.35,
            0.3,
            0,
            100,
            2.0,
            MDPredictor(),
            3600.0,
        ),
    ),
}
