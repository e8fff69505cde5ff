"""One instance of every calibration result type, from made-up numbers (no DFT, no training)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sselab.calibrate.configurations import Configuration
from sselab.calibrate.finetune import FineTuneResult, FineTuneSettings
from sselab.calibrate.labels import Label
from sselab.calibrate.metrics import ErrorMetrics, Parity
from sselab.calibrate.transfer import HullTransfer, HullTransferPoint
from sselab.calibrate.workflow import CalibrationResult, FineTuneTrial, TieComparison
from sselab.structures.references import li2s


def configuration() -> Configuration:
    return Configuration(
        "Li2S/equilibrium0", "Li2S", "equilibrium", li2s().get_primitive_structure()
    )


def label() -> Label:
    return Label(configuration(), -11.94, np.zeros((3, 3)), np.full(6, 1e-3), "PBE", "gpaw 26.7.0")


def parity_points() -> Parity:
    return Parity(["a"], np.array([-3.98]), np.array([-3.97]), np.zeros(9), np.full(9, 0.01),
                  np.zeros(6), np.full(6, 0.2))  # fmt: skip


def metrics() -> ErrorMetrics:
    return ErrorMetrics(4, 12.0, 80.0, 0.4, -10.0)


def finetune_result() -> FineTuneResult:
    return FineTuneResult(
        base_model="chgnet:0.3.0",
        model="chgnet:/tmp/ft.pt",
        label="chgnet:/tmp/ft.pt@sha256:0123456789abcdef",
        settings=FineTuneSettings(epochs=3),
        element_shifts_eV={"Li": -0.01, "S": 0.49},
        n_train=20,
        train_before=metrics(),
        train_after=metrics(),
        test_before=metrics(),
        test_after=None,
        validation_after=metrics(),
        test_parity_before=parity_points(),
        test_parity_after=None,
        wall_s=300.0,
        device="cpu",
        code="chgnet 0.4.2",
    )


def trial() -> FineTuneTrial:
    return FineTuneTrial(
        "sevennet", 1e-3, metrics(), 5.6, Path("out/scan/sevennet-lr0.001-frozen1.pth"), 1
    )


def tie() -> TieComparison:
    return TieComparison("Li5SN-o1/equilibrium0", "test", "Li5SN", 51.0, {"chgnet:0.3.0": -11.0})


def hull_point() -> HullTransferPoint:
    return HullTransferPoint(
        0.5, "chgnet:ft", 1, "Li5SN-c0", "train", 5.601, 116.2, -1.1, {"chgnet:0.3.0": 36.2}
    )


def hull_check() -> HullTransfer:
    return HullTransfer(
        ["chgnet:0.3.0"], ["chgnet:ft"], {"chgnet:0.3.0": {"0.5": 31.6}}, [hull_point()], 8, "PBE"
    )


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "Configuration": (Configuration, configuration),
    "Label": (Label, label),
    "Parity": (Parity, parity_points),
    "ErrorMetrics": (ErrorMetrics, metrics),
    "FineTuneSettings": (FineTuneSettings, lambda: FineTuneSettings(learning_rate=3e-4)),
    "FineTuneResult": (FineTuneResult, finetune_result),
    "TieComparison": (TieComparison, tie),
    "FineTuneTrial": (FineTuneTrial, trial),
    "HullTransferPoint": (HullTransferPoint, hull_point),
    "HullTransfer": (HullTransfer, hull_check),
    "CalibrationResult": (
        CalibrationResult,
        lambda: CalibrationResult(
            "Li-N-S",
            30,
            "PBE-pw900-k2.5-fd0.01",
            {"Li2S": "train"},
            {"Li2S": 7},
            1200.0,
            [finetune_result()],
            [tie()],
            Path("out/calibrate/labels.extxyz"),
            "chgnet:0.3.0",
            [trial()],
            hull_check(),
        ),
    ),
}
