"""The reproduce report section: simulated series peak shift and Vegard comparison."""

from __future__ import annotations

import numpy as np
import pytest

from sselab.diffraction.section import diffraction_section


def test_section_series_shifts_peaks_and_finds_the_breakpoint() -> None:
    x = [0.0, 0.25, 0.5, 0.6, 0.7]
    a = [5.719 - 0.522 * v if v <= 0.5 else 5.458 - 0.05 * (v - 0.5) for v in x]
    section = diffraction_section(x, a, [5e-4] * len(x))
    two_theta_220 = np.array([row[3] for row in section.table_rows])
    # Bragg: the (220) peak moves to higher angle as a shrinks, 2θ = 2 asin(λ sqrt(8) / 2a).
    expected = 2 * np.degrees(np.arcsin(1.540593 * np.sqrt(8) / (2 * np.array(a))))
    np.testing.assert_allclose(two_theta_220, expected, atol=1e-3)
    breakpoint = section.comparisons[0]
    assert breakpoint.paper_value == 0.5
    assert breakpoint.sselab_value == pytest.approx(0.5, abs=0.01)
    assert section.comparisons[1].sselab_value == pytest.approx(-0.522, abs=1e-3)
    assert len(section.figures) == 2
