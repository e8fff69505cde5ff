"""Vegard analysis: a(x) straight-line fit and the solubility limit where the slope changes.

The paper (Yu et al., JACS 2024, Fig. 2c) saw the peak shift of Li(2+x)N(x)S(1-x) flatten
above x ≈ 0.5: beyond the solubility limit extra Li3N no longer enters the antifluorite
lattice. Here a(x) is fitted by one line and by two joined lines (a "hinge" at x_b);
x_b comes with a profile-χ² interval and the hinge is tested against the single line.

Why not scipy.optimize.curve_fit for the hinge: χ²(x_b) is not smooth (it has a kink at
every data point), so the linear parameters are solved exactly on a fine x_b grid and the
breakpoint interval is read off the χ² profile instead of a curvature-based covariance.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip

# Δχ² of a 95 % profile interval for one parameter (chi2.ppf(0.95, 1)).
DELTA_CHI2_95 = float(stats.chi2.ppf(0.95, 1))


class VegardInputError(ValueError):
    """a(x) data or file unusable; the message names the file or field and the problem."""


@dataclass
class VegardFit(RoundTrip):
    """Straight-line and two-segment fits of a(x).

    Errors of the line and segment coefficients are standard errors from the weighted
    least-squares covariance: with absolute errors of a given, 95 % intervals use the
    normal quantile; without, the covariance is scaled by the residual scatter and the
    intervals use Student t (n - 2 dof for the line, n - 4 for the two segments).

    Attributes:
        x: compositions (dimensionless), sorted.
        a_angstrom: the lattice constants (Å) with their given errors (``error`` None
            when no errors were given).
        slope_angstrom: da/dx of the single line (Å per unit x).
        intercept_angstrom: a(0) of the single line (Å).
        breakpoint_x: x_b of the best two-segment fit. Its interval is a profile-χ²
            interval, not a curvature one: ``ci95`` is where χ²(x_b) stays within
            3.84 s² of the minimum (s² = 1 with given errors, else the reduced χ²),
            ``error`` is half the Δχ² = s² (68 %) interval ``breakpoint_interval_x``.
        breakpoint_interval_x: (low, high) Δχ² = s² profile interval of x_b (68 %).
        slope_below_angstrom / slope_above_angstrom: da/dx below and above x_b (Å),
            errors at fixed x_b.
        a_at_breakpoint_angstrom: a(x_b) (Å).
        chi2_line / chi2_segments: weighted χ² of the two models.
        p_value: probability of a χ² improvement this large if a(x) were one line (χ² test
            with 2 dof when errors are given, F-test otherwise).
        solubility_limit_x: ``breakpoint_x`` when the hinge is significant (p < 0.05) and
            the slope flattens above it, else None.

    Example:
        >>> fit = fit_vegard([0, 0.1, 0.2, 0.3, 0.4], [5.7, 5.66, 5.6, 5.55, 5.5])
        >>> print(fit.slope_angstrom)
        -0.510 ± 0.015 Å
        >>> VegardFit.from_dict(fit.as_dict()) == fit
        True
    """

    x: list[float]
    a_angstrom: list[Estimate]
    slope_angstrom: Estimate
    intercept_angstrom: Estimate
    breakpoint_x: Estimate
    breakpoint_interval_x: tuple[float, float]
    slope_below_angstrom: Estimate
    slope_above_angstrom: Estimate
    a_at_breakpoint_angstrom: Estimate
    chi2_line: float
    chi2_segments: float
    p_value: float
    solubility_limit_x: Estimate | None

    def line(self, x: np.ndarray | float) -> np.ndarray:
        """Single-line a(x) (Å).

        Example:
            >>> fit = fit_vegard([0, 0.1, 0.2, 0.3, 0.4], [5.7, 5.65, 5.6, 5.55, 5.5])
            >>> round(float(fit.line(0.5)), 6)
            5.45
        """
        return self.intercept_angstrom.value + self.slope_angstrom.value * np.asarray(x)

    def segments(self, x: np.ndarray | float) -> np.ndarray:
        """Two-segment a(x) (Å).

        Example:
            >>> fit = fit_vegard([0, 0.2, 0.4, 0.6, 0.8], [5.7, 5.6, 5.5, 5.49, 5.48])
            >>> round(fit.breakpoint_x.value, 3), round(float(fit.segments(0.4)), 6)
            (0.4, 5.5)
        """
        x = np.asarray(x, dtype=float)
        x_b = self.breakpoint_x.value
        slope = np.where(x < x_b, self.slope_below_angstrom.value, self.slope_above_angstrom.value)
        return self.a_at_breakpoint_angstrom.value + slope * (x - x_b)


def _weighted_lstsq(design: np.ndarray, a: np.ndarray, sigma: np.ndarray):
    """(coefficients, covariance for unit-variance weights, χ²)."""
    wd, wa = design / sigma[:, None], a / sigma
    coefficients, *_ = np.linalg.lstsq(wd, wa, rcond=None)
    chi2 = float(np.sum((wa - wd @ coefficients) ** 2))
    return coefficients, np.linalg.inv(wd.T @ wd), chi2


def _hinge_design(x: np.ndarray, x_b: float) -> np.ndarray:
    # a = a_b + s1 min(x - x_b, 0) + s2 max(x - x_b, 0): continuous at x_b, and a(x_b) is a
    # coefficient so its error comes straight from the covariance.
    return np.column_stack([np.ones_like(x), np.minimum(x - x_b, 0), np.maximum(x - x_b, 0)])


def _hinge_chi2(x: np.ndarray, a: np.ndarray, sigma: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """χ² of the best hinge at every x_b of the grid (batched normal equations)."""
    shift = x[None, :] - grid[:, None]
    design = np.stack([np.ones_like(shift), np.minimum(shift, 0), np.maximum(shift, 0)], axis=2)
    design /= sigma[None, :, None]
    normal = np.einsum("gni,gnj->gij", design, design)
    rhs = np.einsum("gni,n->gi", design, a / sigma)
    coefficients = np.linalg.solve(normal, rhs[..., None])[..., 0]
    residual = a / sigma - np.einsum("gni,gi->gn", design, coefficients)
    return np.sum(residual**2, axis=1)


def _validate(x: np.ndarray, a: np.ndarray, a_err: np.ndarray | None, source: str) -> None:
    if x.ndim != 1 or x.shape != a.shape or (a_err is not None and a_err.shape != x.shape):
        raise VegardInputError(f"{source}: x, a (and a_err) need the same length")
    for name, values in (("x", x), ("a", a), ("a_err", a_err)):
        if values is not None and not np.all(np.isfinite(values)):
            raise VegardInputError(f"{source}: {name} holds NaN or inf")
    if x.size < 5:
        raise VegardInputError(f"{source}: {x.size} points; a two-segment fit needs at least 5")
    if np.unique(x).size != x.size:
        raise VegardInputError(f"{source}: repeated x values; average them first")
    if np.any(a <= 0):
        raise VegardInputError(f"{source}: lattice constants a must be positive (Å)")
    if a_err is not None and np.any(a_err <= 0):
        raise VegardInputError(f"{source}: a_err must be positive (Å)")


def fit_vegard(
    x: np.ndarray | Sequence[float],
    a_angstrom: np.ndarray | Sequence[float | Estimate],
    source: str = "a(x) data",
) -> VegardFit:
    """Fit a(x) by one line and by two joined lines; detect the solubility limit.

    When every a is an Estimate with a known error, the errors are absolute (weights and
    χ² tests); when none has one (plain numbers), all points get equal weight and errors
    are scaled by the residual scatter. x_b is searched between the second and the
    second-to-last x, so each segment rests on at least two points.

    Args:
        x: compositions (dimensionless).
        a_angstrom: lattice constants (Å), numbers or Estimates.
        source: name used in error messages (e.g. the file).

    Raises:
        VegardInputError: fewer than 5 points, repeated x, NaN, non-positive a or errors,
            or errors for some points only.

    Example:
        >>> x = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7]
        >>> values = [5.7190, 5.6668, 5.5885, 5.5102, 5.4580, 5.4530, 5.4480]
        >>> a = [Estimate.normal(v, 5e-4, "Å") for v in values]
        >>> fit = fit_vegard(x, a)
        >>> round(fit.breakpoint_x.value, 2), fit.solubility_limit_x is not None
        (0.5, True)
        >>> print(fit.slope_below_angstrom)
        -0.5220 ± 0.0012 Å
    """
    points = [v if isinstance(v, Estimate) else Estimate.exact(float(v), "Å") for v in a_angstrom]
    known = [point.error is not None for point in points]
    if any(known) and not all(known):
        raise VegardInputError(f"{source}: errors given for some points only; give all or none")
    x = np.asarray(x, dtype=float)
    a = np.array([point.value for point in points])
    errors = np.array([point.error for point in points], dtype=float) if any(known) else None
    _validate(x, a, errors, source)
    order = np.argsort(x)
    x, a = x[order], a[order]
    errors = None if errors is None else errors[order]
    sigma = np.ones_like(a) if errors is None else errors
    n = x.size

    line_design = np.column_stack([np.ones_like(x), x])
    line_coef, line_cov, chi2_line = _weighted_lstsq(line_design, a, sigma)
    grid = np.linspace(x[1], x[-2], 2001)
    chi2_grid = _hinge_chi2(x, a, sigma, grid)
    best = int(np.argmin(chi2_grid))
    x_b = float(grid[best])
    hinge_coef, hinge_cov, chi2_hinge = _weighted_lstsq(_hinge_design(x, x_b), a, sigma)
    dof_line, dof_hinge = n - 2, n - 4
    if errors is None:
        line_cov = line_cov * chi2_line / dof_line
        hinge_scale = chi2_hinge / max(dof_hinge, 1)
        hinge_cov = hinge_cov * hinge_scale
        threshold = hinge_scale
        f_value = ((chi2_line - chi2_hinge) / 2) / max(hinge_scale, 1e-300)
        p_value = float(stats.f.sf(f_value, 2, max(dof_hinge, 1)))
    else:
        threshold = 1.0
        p_value = float(stats.chi2.sf(chi2_line - chi2_hinge, 2))
    low, high = _profile_interval(grid, chi2_grid, threshold)
    low95, high95 = _profile_interval(grid, chi2_grid, DELTA_CHI2_95 * threshold)
    line_err = np.sqrt(np.diag(line_cov))
    hinge_err = np.sqrt(np.diag(hinge_cov))
    # known errors: normal quantile; errors scaled by the scatter: Student t
    line_dof = None if errors is not None else dof_line
    hinge_dof = None if errors is not None else max(dof_hinge, 1)

    def angstrom(value: float, error: float, dof: int | None) -> Estimate:
        return Estimate.normal(float(value), float(error), "Å", dof=dof)

    breakpoint_x = Estimate(x_b, 0.5 * (high - low), (low95, high95))
    flattens = abs(hinge_coef[2]) < abs(hinge_coef[1])
    return VegardFit(
        x=x.tolist(),
        a_angstrom=[
            Estimate.exact(value, "Å") if errors is None else Estimate.normal(value, error, "Å")
            for value, error in zip(a.tolist(), sigma.tolist(), strict=True)
        ],
        slope_angstrom=angstrom(line_coef[1], line_err[1], line_dof),
        intercept_angstrom=angstrom(line_coef[0], line_err[0], line_dof),
        breakpoint_x=breakpoint_x,
        breakpoint_interval_x=(low, high),
        slope_below_angstrom=angstrom(hinge_coef[1], hinge_err[1], hinge_dof),
        slope_above_angstrom=angstrom(hinge_coef[2], hinge_err[2], hinge_dof),
        a_at_breakpoint_angstrom=angstrom(hinge_coef[0], hinge_err[0], hinge_dof),
        chi2_line=chi2_line,
        chi2_segments=chi2_hinge,
        p_value=p_value,
        solubility_limit_x=breakpoint_x if p_value < 0.05 and flattens else None,
    )


def _profile_interval(grid: np.ndarray, chi2_grid: np.ndarray, delta: float) -> tuple[float, float]:
    """Smallest and largest x_b whose χ² lies within ``delta`` of the minimum."""
    inside = grid[chi2_grid <= chi2_grid.min() + delta]
    return float(inside.min()), float(inside.max())


def read_vegard_csv(path: str | Path) -> tuple[np.ndarray, list[Estimate]]:
    """Read x, a[, a_err] columns (a and its 1-sigma error in Å) from a CSV file; a header
    row is allowed. Without the third column the errors are unknown (None).

    Example:
        >>> rows = "x,a,a_err\\n" + "".join(f"{i / 10},{5.7 - 0.05 * i},0.001\\n" for i in range(6))
        >>> _ = Path("/tmp/vegard.csv").write_text(rows)
        >>> x, a = read_vegard_csv("/tmp/vegard.csv")
        >>> x.size, a[0].error, a[0].unit
        (6, 0.001, 'Å')
    """
    path = Path(path)
    if not path.is_file():
        raise VegardInputError(f"{path}: no such file")
    rows = []
    with path.open(newline="") as handle:
        for number, fields in enumerate(csv.reader(handle), start=1):
            fields = [f.strip() for f in fields if f.strip()]
            if not fields or fields[0].startswith("#"):
                continue
            try:
                rows.append([float(f) for f in fields])
            except ValueError as exc:
                if not rows and number == 1:
                    continue  # header
                raise VegardInputError(f"{path}: line {number} is not numeric") from exc
    widths = {len(r) for r in rows}
    if not rows or len(widths) != 1 or widths.pop() not in (2, 3):
        raise VegardInputError(f"{path}: need rows of 2 or 3 columns: x, a (Å)[, a_err (Å)]")
    data = np.array(rows)
    if data.shape[1] == 2:
        return data[:, 0], [Estimate.exact(float(a), "Å") for a in data[:, 1]]
    return data[:, 0], [Estimate.normal(float(a), float(e), "Å") for a, e in data[:, 1:]]


def vegard_figure(
    fit: VegardFit,
    title: str = "Vegard analysis",
    reference_limit_x: float | None = None,
    reference_points: dict[float, float] | None = None,
    reference_label: str = "reference",
) -> Figure:
    """a(x) with the straight line, the two-segment fit and x_b with its 68 % interval;
    optionally a reference solubility limit and reference a(x) points to compare with.

    Args:
        fit: the Vegard fit.
        title: figure title (the verdict is appended).
        reference_limit_x: a solubility limit from elsewhere (e.g. a paper), drawn dotted.
        reference_points: {x: a (Å)} from elsewhere, drawn as stars.
        reference_label: legend text of the reference values.

    Example:
        >>> x = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7]
        >>> a = [5.7190, 5.6668, 5.5885, 5.5102, 5.4580, 5.4530, 5.4480]
        >>> vegard_figure(fit_vegard(x, a), reference_limit_x=0.5).axes[0].get_ylabel()
        'a (Å)'
    """
    fig = Figure(figsize=(5.8, 4.2))
    ax = fig.add_subplot()
    x = np.asarray(fit.x)
    a = [point.value for point in fit.a_angstrom]
    known = all(point.error is not None for point in fit.a_angstrom)
    errors = [point.error or 0.0 for point in fit.a_angstrom] if known else None
    ax.errorbar(x, a, yerr=errors, fmt="o", capsize=3, label="data")
    grid = np.linspace(x.min(), x.max(), 200)
    ax.plot(grid, fit.line(grid), "--", color="grey", lw=1, label="one line")
    ax.plot(grid, fit.segments(grid), "-", color="tab:red", lw=1.2, label="two segments")
    ax.axvspan(*fit.breakpoint_interval_x, color="tab:red", alpha=0.12)
    x_b = fit.breakpoint_x.value
    ax.axvline(x_b, color="tab:red", lw=0.8, label=f"x_b = {x_b:.2f}")
    if reference_limit_x is not None:
        ax.axvline(
            reference_limit_x, color="k", ls=":", lw=1, label=f"{reference_label}: solubility limit"
        )
    if reference_points:
        ax.plot(
            list(reference_points),
            list(reference_points.values()),
            "k*",
            ms=10,
            label=f"{reference_label} a",
        )
    ax.set_xlabel("x in Li$_{2+x}$N$_x$S$_{1-x}$")
    ax.set_ylabel("a (Å)")
    verdict = (
        f"limit at x = {fit.solubility_limit_x.value:.2f} ± {fit.breakpoint_x.error:.2f}"
        if fit.solubility_limit_x is not None
        else "no significant slope change"
    )
    ax.set_title(f"{title}: {verdict} (p = {fit.p_value:.2g})", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig
