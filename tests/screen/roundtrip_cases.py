"""Cheap instances of the screen's result types for tests/test_roundtrip.py."""

from __future__ import annotations

from pymatgen.core import Lattice, Structure

from sselab.estimate import Estimate
from sselab.pipeline.screen import (
    MDPredictor,
    MDReading,
    PredictorScore,
    ValidationResult,
    ValidationRow,
)
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
        md_runs=[
            MDReading(700.0, 1.25, Estimate.normal(2e-5, 1e-5, "cm^2/s"), False, "D not > 2 σ"),
            MDReading(1000.0, 2.5),
        ],
        md_sigma_300K_S_per_cm=Estimate.normal(1e-4, 5e-5, "S/cm"),
        md_activation_energy_eV=Estimate.normal(0.3, 0.05, "eV"),
        md_arrhenius_note="left out of the Arrhenius fit: [700.0] K",
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
    "MDReading": (MDReading, lambda: MDReading(850.0, 0.9, None, None, "trajectory not found")),
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
            [700.0, 1000.0],
            Estimate(0.8, 0.1, (0.5, 1.0)),
            None,
        ),
    ),
}
