"""Parity plots of fine-tuned models: energy, force and stress on the test families."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from sselab.calibrate.finetune import FineTuneResult
from sselab.calibrate.metrics import Parity, error_metrics

PANELS = (
    ("energy", "energy_dft_eV_per_atom", "energy_model_eV_per_atom", "eV/atom", "meV/atom"),
    ("force", "force_dft_eV_per_angstrom", "force_model_eV_per_angstrom", "eV/Å", "meV/Å"),
    ("stress", "stress_dft_GPa", "stress_model_GPa", "GPa", "GPa"),
)


def _mae(points: Parity, name: str) -> float:
    metrics = error_metrics(points)
    return {
        "energy": metrics.energy_meV_per_atom,
        "force": metrics.force_meV_per_angstrom,
        "stress": metrics.stress_GPa or 0.0,
    }[name]


def parity_figure(results: Sequence[FineTuneResult]) -> Figure:
    """One row per model, one column per quantity; before (grey) and after (colour) on the test set.

    Example:
        >>> len(parity_figure([]).axes)
        0
    """
    figure = Figure(figsize=(10, 3.2 * max(len(results), 1)), layout="constrained")
    if not results:
        return figure
    axes = figure.subplots(len(results), len(PANELS), squeeze=False)
    for row, result in zip(axes, results, strict=True):
        for axis, (name, dft_key, model_key, unit, mae_unit) in zip(row, PANELS, strict=True):
            for points, colour, when in (
                (result.test_parity_before, "0.6", "before"),
                (result.test_parity_after, "tab:blue", "after"),
            ):
                if points is None:
                    continue
                x, y = getattr(points, dft_key), getattr(points, model_key)
                mae = _mae(points, name)
                axis.scatter(x, y, s=10, color=colour, label=f"{when}: MAE {mae:.3g} {mae_unit}")
            limits = np.array([axis.get_xlim(), axis.get_ylim()])
            low, high = limits.min(), limits.max()
            axis.plot([low, high], [low, high], color="k", lw=0.6)
            axis.set_xlabel(f"DFT {name} ({unit})")
            axis.set_ylabel(f"model ({unit})")
            axis.set_title(f"{result.base_model} → fine-tuned", fontsize=8, loc="left")
            axis.legend(fontsize=7)
    return figure
