"""The reproduce report's diffraction section: simulated series peak shift and Vegard rows."""

from __future__ import annotations

import numpy as np
import pytest

from sselab.diffraction.vegard import fit_vegard
from sselab.estimate import Estimate
from sselab.report.diffraction import diffraction_section


def test_section_series_shifts_peaks_and_reports_the_vegard_fit() -> None:
    x = [0.0, 0.25, 0.5, 0.6, 0.7]
    a = [5.719 - 0.522 * v if v <= 0.5 else 5.458 - 0.05 * (v - 0.5) for v in x]
    section = diffraction_section(x, [Estimate.normal(v, 5e-4, "Å") for v in a])
    two_theta_220 = np.array([row[3] for row in section.table_rows])
    # Bragg: the (220) peak moves to higher angle as a shrinks, 2θ = 2 asin(λ sqrt(8) / 2a).
    expected = 2 * np.degrees(np.arcsin(1.540593 * np.sqrt(8) / (2 * np.array(a))))
    np.testing.assert_allclose(two_theta_220, expected, atol=1e-3)
    # The rows carry the weighted fit of the given a(x) and its standard errors.
    fit = fit_vegard(x, [Estimate.normal(v, 5e-4, "Å") for v in a])
    breakpoint, slope = section.comparisons
    assert breakpoint.sselab_value == pytest.approx(0.5, abs=0.01)
    assert breakpoint.sselab_error == pytest.approx(fit.breakpoint_x.error)
    assert slope.sselab_value == pytest.approx(-0.522, abs=1e-3)
    assert slope.sselab_error == pytest.approx(fit.slope_below_angstrom.error)
    assert section.settings["Vegard weights"] == "the a(x) errors"
    assert len(section.figures) == 2


def test_spread_free_points_give_an_unweighted_fit() -> None:
    # One ordering per x: no spread, so the Vegard fit weights the points equally.
    x = [0.0, 0.25, 0.5, 0.6, 0.7]
    a = [Estimate.exact(5.719 - 0.4 * v, "Å") for v in x]
    section = diffraction_section(x, a)
    assert section.settings["Vegard weights"] == "equal"
    assert section.comparisons[1].sselab_value == pytest.approx(-0.4, abs=1e-9)
