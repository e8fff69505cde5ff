"""Vegard fits: slopes, breakpoint recovery, its interval calibration and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sselab.diffraction.vegard import (
    VegardFit,
    VegardInputError,
    fit_vegard,
    read_vegard_csv,
    vegard_figure,
)
from sselab.estimate import Estimate

X = np.array([0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7])  # the paper's compositions plus Li2S


def _measured(a: np.ndarray, error: float) -> list[Estimate]:
    return [Estimate.normal(float(v), error, "Å") for v in a]


def _hinge(x: np.ndarray, x_b: float = 0.5) -> np.ndarray:
    # Paper-like: 5.719 Å -> 5.458 Å at x = 0.5, nearly flat beyond.
    return np.where(x < x_b, 5.719 - 0.522 * x, 5.719 - 0.522 * x_b - 0.05 * (x - x_b))


def test_noise_free_hinge_is_recovered_exactly() -> None:
    fit = fit_vegard(X, _measured(_hinge(X), 5e-4))
    assert fit.breakpoint_x.value == pytest.approx(0.5, abs=1e-3)
    assert fit.slope_below_angstrom.value == pytest.approx(-0.522, abs=1e-6)
    assert fit.slope_above_angstrom.value == pytest.approx(-0.05, abs=1e-6)
    assert fit.a_at_breakpoint_angstrom.value == pytest.approx(5.458, abs=1e-6)
    assert fit.solubility_limit_x.value == pytest.approx(0.5, abs=1e-3)
    assert fit.slope_below_angstrom.unit == "Å" and fit.a_angstrom[0].error == 5e-4


def test_breakpoint_interval_covers_truth_at_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    n, covered, covered_95, detected, slopes = 200, 0, 0, 0, []
    for _ in range(n):
        fit = fit_vegard(X, _measured(_hinge(X) + rng.normal(0, 2e-3, X.size), 2e-3))
        low, high = fit.breakpoint_interval_x
        covered += low <= 0.5 <= high
        covered_95 += fit.breakpoint_x.ci95[0] <= 0.5 <= fit.breakpoint_x.ci95[1]
        detected += fit.solubility_limit_x is not None
        slope = fit.slope_below_angstrom
        slopes.append((slope.value + 0.522) / slope.error)
    # Δχ² = 1 interval: 68 % nominal; binomial σ for 200 trials is 3.3 %.
    assert 0.58 < covered / n < 0.80
    # Δχ² = 3.84 interval: 95 % nominal; binomial σ 1.5 %.
    assert 0.90 < covered_95 / n <= 1.0
    assert detected == n
    assert np.std(slopes) == pytest.approx(1.0, abs=0.25)


def test_straight_line_shows_no_solubility_limit() -> None:
    rng = np.random.default_rng(8)
    a = 5.719 - 0.45 * X
    false_alarms = sum(
        fit_vegard(X, _measured(a + rng.normal(0, 2e-3, X.size), 2e-3)).solubility_limit_x
        is not None
        for _ in range(100)
    )
    assert false_alarms <= 12  # 5 % nominal
    fit = fit_vegard(X, a)
    assert fit.slope_angstrom.value == pytest.approx(-0.45, abs=1e-9)
    assert fit.intercept_angstrom.value == pytest.approx(5.719, abs=1e-9)
    assert fit.a_angstrom[0].error is None  # no errors given: unknown, not 0


def test_csv_reading_figure_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = "".join(f"{x},{a:.5f},0.0005\n" for x, a in zip(X, _hinge(X), strict=True))
    path.write_text("x,a_angstrom,a_err\n" + lines)
    x, a = read_vegard_csv(path)
    assert a[0].error == 0.0005
    fit = fit_vegard(x, a, source=str(path))
    assert fit.solubility_limit_x.value == pytest.approx(0.5, abs=2e-3)
    figure = vegard_figure(fit, reference_limit_x=0.5, reference_points={0.5: 5.458})
    assert "limit at x = 0.50" in figure.axes[0].get_title()
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert "reference: solubility limit" in labels and "reference a" in labels
    assert "reference a" not in vegard_figure(fit).axes[0].get_legend_handles_labels()[1]
    (tmp_path / "bad.csv").write_text("x,a\n0,5.7\n0.1,abc\n")
    with pytest.raises(VegardInputError, match=r"bad\.csv: line 3 is not numeric"):
        read_vegard_csv(tmp_path / "bad.csv")
    with pytest.raises(VegardInputError, match="at least 5"):
        fit_vegard([0, 0.1, 0.2], [5.7, 5.6, 5.5])
    with pytest.raises(VegardInputError, match="a holds NaN"):
        fit_vegard(X, np.where(X > 0.3, np.nan, 5.7))
    partly = [Estimate.exact(v, "Å") for v in _hinge(X)[:3]] + _measured(_hinge(X)[3:], 1e-3)
    with pytest.raises(VegardInputError, match="errors given for some points only"):
        fit_vegard(X, partly)


def test_fit_round_trips_through_json() -> None:
    a = _hinge(X) + 1e-3 * np.sin(7 * X)
    for points in (_measured(a, 5e-4), a):
        fit = fit_vegard(X, points)
        again = VegardFit.from_dict(json.loads(json.dumps(fit.as_dict())))
        assert again == fit
