"""Report section of the calibrate stage: errors before and after fine-tuning on DFT.

The test rows are families the models never saw (sselab.calibrate); the energies above
the Li2S–Li3N tie line are compared with sselab's own GPAW labels, not with the paper.
"""

from __future__ import annotations

from sselab.calibrate.figures import parity_figure
from sselab.calibrate.metrics import ErrorMetrics
from sselab.calibrate.workflow import CalibrationResult
from sselab.report.html import Section


def _arrow(before: float | None, after: float | None, digits: int) -> str:
    def show(value: float | None) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    return f"{show(before)} → {show(after)}"


def _metric(metrics: ErrorMetrics | None, name: str) -> float | None:
    return None if metrics is None else getattr(metrics, name)


def calibration_section(calibration: CalibrationResult) -> Section:
    """Test-set MAE before → after per model, E above tie by DFT and each model, parity.

    Example:
        >>> from pathlib import Path
        >>> empty = CalibrationResult("Li-N-S", 36, "PBE", {}, {}, 0.0, [], [], Path("x"))
        >>> calibration_section(empty).title
        'calibrate: MLIPs fine-tuned on GPAW PBE labels'
    """
    rows = []
    for result in calibration.models:
        before, after = result.test_before, result.test_after
        rows.append(
            [
                result.base_model,
                result.label,
                result.n_train,
                _arrow(
                    _metric(before, "energy_meV_per_atom"), _metric(after, "energy_meV_per_atom"), 1
                ),
                _arrow(
                    _metric(before, "force_meV_per_angstrom"),
                    _metric(after, "force_meV_per_angstrom"),
                    0,
                ),
                _arrow(_metric(before, "stress_GPa"), _metric(after, "stress_GPa"), 2),
            ]
        )
    tie_lines = [
        f"{t.cell} ({t.split}): DFT {t.dft_meV_per_atom:.1f}; "
        + ", ".join(f"{label} {value:.1f}" for label, value in t.model_meV_per_atom.items())
        for t in calibration.tie
    ]
    test_families = sorted(f for f, split in calibration.splits.items() if split == "test")
    text = (
        f"{sum(calibration.frames_by_family.values())} configurations of {calibration.system} "
        f"labelled with GPAW ({calibration.dft_settings}); every later stage of this run "
        "uses the fine-tuned weights. Errors are mean absolute errors on the test families "
        f"({', '.join(test_families) or 'none'}), which no model was trained on "
        "(split by family, not frame). E above the Li2S–Li3N tie line (meV/atom, each at "
        "the labelled geometry): " + ("; ".join(tie_lines) or "no mixed cell labelled") + "."
    )
    return Section(
        title="calibrate: MLIPs fine-tuned on GPAW PBE labels",
        text=text,
        figures=[parity_figure(calibration.models)] if calibration.models else [],
        table_header=[
            "base model",
            "fine-tuned (store label)",
            "training frames",
            "test E MAE (meV/atom)",
            "test F MAE (meV/Å)",
            "test stress MAE (GPa)",
        ],
        table_rows=rows,
        settings={
            "system": calibration.system,
            "budget": calibration.budget,
            "frames per family": calibration.frames_by_family,
            "sampling model": calibration.sampling_model or "none (ideal sites)",
            "labelling wall (s)": round(calibration.label_wall_s, 1),
        },
    )
