"""Report section of the calibrate stage: errors before and after fine-tuning on DFT.

The test rows are families the models never saw (sselab.calibrate); the energies above
the Li2S–Li3N tie line are compared with sselab's own GPAW labels, not with the paper.
"""

from __future__ import annotations

from sselab.calibrate.figures import parity_figure
from sselab.calibrate.metrics import ErrorMetrics
from sselab.calibrate.transfer import HullTransfer, HullTransferPoint
from sselab.calibrate.workflow import CalibrationResult
from sselab.report.claims import paper_number
from sselab.report.html import Comparison, Section


def _arrow(before: float | None, after: float | None, digits: int) -> str:
    def show(value: float | None) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    return f"{show(before)} → {show(after)}"


def _metric(metrics: ErrorMetrics | None, name: str) -> float | None:
    return None if metrics is None else getattr(metrics, name)


def hull_check_text(check: HullTransfer) -> str:
    """The hull check in words: DFT and every model at each fine-tuned model's lowest cells.

    Example:
        >>> from sselab.calibrate.transfer import HullTransferPoint
        >>> point = HullTransferPoint(0.5, "ft", 1, "Li5SN-c0", "train", 5.6, 70.9, -1.2,
        ...                           {"base": 1.6, "ft": 66.1})
        >>> print(hull_check_text(HullTransfer(["base", "ft"], ["ft"], {"base": {"0.5": 31.6},
        ...     "ft": {"0.5": 66.1}}, [point], 8, "PBE")))  # doctest: +NORMALIZE_WHITESPACE
        Hull check (lowest of 8 relaxed orderings per x, GPAW PBE at the lowest cells of
        ft; meV/atom above the tie line): x = 0.5 at ft's cell (ordering 1, the
        train family Li5SN-c0; a = 5.600 Å, DFT pressure -1.2 GPa): DFT +70.9, base +1.6,
        ft +66.1. Each model's own relaxed lowest: x = 0.5: base +31.6, ft +66.1 (spread of
        the models before fine-tuning 0.0, after 0.0).
    """

    def origin(point: HullTransferPoint) -> str:
        if point.labelled_family is None:
            return "never labelled"
        return f"the {point.labelled_split} family {point.labelled_family}"

    at_cells = [
        f"x = {p.x:g} at {p.geometry_model}'s cell (ordering {p.ordering}, {origin(p)}; "
        f"a = {p.a_angstrom:.3f} Å, DFT pressure {p.dft_pressure_GPa:.1f} GPa): DFT "
        f"{p.dft_meV_per_atom:+.1f}, "
        + ", ".join(f"{m} {v:+.1f}" for m, v in p.model_meV_per_atom.items())
        for p in check.points
    ]
    before = [m for m in check.models if m not in check.geometry_models]
    xs = sorted({x for values in check.relaxed_meV_per_atom.values() for x in values}, key=float)
    own = [
        f"x = {x}: "
        + ", ".join(f"{m} {values[x]:+.1f}" for m, values in check.relaxed_meV_per_atom.items())
        + (
            f" (spread of the models before fine-tuning "
            f"{check.spread_meV_per_atom(float(x), before):.1f}, after "
            f"{check.spread_meV_per_atom(float(x), check.geometry_models):.1f})"
            if before and check.geometry_models
            else ""
        )
        for x in xs
    ]
    return (
        f"Hull check (lowest of {check.n_orderings} relaxed orderings per x, GPAW "
        f"{check.dft_settings} at the lowest cells of {', '.join(check.geometry_models)}; "
        "meV/atom above the tie line): "
        + "; ".join(at_cells)
        + ". Each model's own relaxed lowest: "
        + "; ".join(own)
        + "."
    )


def hull_check_comparisons(check: HullTransfer) -> list[Comparison]:
    """DFT E above tie at x = 0.5 at each geometry model's lowest cell, beside the paper's."""
    paper = paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    return [
        Comparison(
            "E above Li2S-Li3N tie, x = 0.5, GPAW at an MLIP's lowest 14-atom cell (meV/atom)",
            point.dft_meV_per_atom,
            None,
            paper,
            f"geometry {point.geometry_model}, lowest of {check.n_orderings} orderings; "
            f"that model's own value {point.model_meV_per_atom[point.geometry_model]:+.1f}",
        )
        for point in check.points
        if abs(point.x - 0.5) < 1e-9
    ]


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
    check = calibration.hull_check
    if check is not None:
        text += " " + hull_check_text(check)
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
        comparisons=hull_check_comparisons(check) if check is not None else [],
        settings={
            "system": calibration.system,
            "budget": calibration.budget,
            "frames per family": calibration.frames_by_family,
            "sampling model": calibration.sampling_model or "none (ideal sites)",
            "labelling wall (s)": round(calibration.label_wall_s, 1),
        },
    )
