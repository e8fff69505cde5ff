"""The claims table: one row per claim of the paper, sselab's number, and an explicit verdict.

Verdicts (:func:`verdict`, in this order):

* *not computed*: the stage that measures the claim did not run (or failed).
* *calibrated to the paper*: sselab's model was fitted to this very number (the BVSE
  Morse scale 0.777 to the two Li2S barriers), so agreement is not evidence.
* *round trip*: a refinement recovering the synthetic data it was given (a test of
  the code, not of the paper).
* *reproduced*: the paper's value lies within sselab's 95 % interval (only for a
  statistical or resolution error; a spread over orderings is no error bar) or within
  the claim's stated tolerance of sselab's value; with a second MLIP, both agree.
* *model-dependent*: with two MLIPs, one agrees and the other does not, or they
  straddle the paper's value, or they differ in sign.
* *not reproduced*: otherwise.

A tolerance is absolute (``tolerance``, in the claim's unit) or, for quantities that
span decades such as conductivities, a factor (``tolerance_factor``).

Example:
    >>> from sselab.estimate import Estimate
    >>> verdict(17.0, Estimate.exact(21.0, "meV/atom"), tolerance=10.0)
    'reproduced'
    >>> verdict(17.0, Estimate.exact(21.0), tolerance=10.0, second=Estimate.exact(-4.0))
    'model-dependent'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sselab.estimate import Estimate
from sselab.reference import paper_value
from sselab.report.html import Section
from sselab.roundtrip import RoundTrip

Verdict = Literal[
    "reproduced",
    "model-dependent",
    "not reproduced",
    "calibrated to the paper",
    "round trip",
    "not computed",
]

# Stated tolerances of "reproduced" (beside the 95 % interval):
E_HULL_TOLERANCE_MEV = 10.0  # MLIP energies above the hull scatter by ~10-30 meV/atom vs DFT
REACTION_TOLERANCE_MEV = 1.0  # "0 eV/atom with Li metal" is a sign statement: < 1 meV/atom
BARRIER_TOLERANCE_EV = 0.05  # migration barriers (MD Ea, CI-NEB, BVSE)
LATTICE_TOLERANCE_ANGSTROM = 0.05  # ~1 %, the usual MLIP/PBE lattice error
SIGMA_TOLERANCE_FACTOR = 3.0  # sigma(300 K) from a 4-temperature Arrhenius extrapolation


def _agrees(
    paper: float, value: Estimate, tolerance: float | None, tolerance_factor: float | None
) -> bool:
    interval = value.ci95 if value.error_kind != "spread" else None
    if interval is not None and interval[0] <= paper <= interval[1]:
        return True
    if tolerance is not None and abs(value.value - paper) <= tolerance:
        return True
    if tolerance_factor is not None and value.value > 0 and paper > 0:
        return abs(math.log(value.value / paper)) <= math.log(tolerance_factor)
    return False


def verdict(
    paper: float,
    value: Estimate | None,
    tolerance: float | None = None,
    tolerance_factor: float | None = None,
    second: Estimate | None = None,
    calibrated: bool = False,
    round_trip: bool = False,
) -> Verdict:
    """The verdict on one claim (rules in the module docstring).

    Args:
        paper: the paper's value.
        value: sselab's value (None: not computed).
        tolerance: absolute agreement tolerance, in the value's unit.
        tolerance_factor: agreement within this factor (positive quantities).
        second: the same quantity from a second MLIP, where computed.
        calibrated: sselab's model was fitted to this number.
        round_trip: the value is a refinement of synthetic data made by sselab.

    Example:
        >>> verdict(0.254, Estimate.exact(0.254), calibrated=True)
        'calibrated to the paper'
        >>> verdict(8.31e-3, Estimate(2e-2, 1e-2, (1.2e-2, 3e-2)), tolerance_factor=3.0)
        'reproduced'
        >>> verdict(0.28, Estimate.normal(0.45, 0.02), tolerance=0.05)
        'not reproduced'
        >>> verdict(0.28, None)
        'not computed'
    """
    if value is None:
        return "not computed"
    if calibrated:
        return "calibrated to the paper"
    if round_trip:
        return "round trip"
    first_agrees = _agrees(paper, value, tolerance, tolerance_factor)
    if second is None:
        return "reproduced" if first_agrees else "not reproduced"
    second_agrees = _agrees(paper, second, tolerance, tolerance_factor)
    if first_agrees and second_agrees:
        return "reproduced"
    straddle = (value.value - paper) * (second.value - paper) < 0
    sign_differs = value.value * second.value < 0
    if first_agrees or second_agrees or straddle or sign_differs:
        return "model-dependent"
    return "not reproduced"


@dataclass
class Claim(RoundTrip):
    """One row of the claims table.

    Attributes:
        claim: the paper's claim in words.
        paper: the paper's value (in ``unit``).
        unit: unit of ``paper``, ``sselab`` and ``second_model``.
        sselab: sselab's value with its interval (None: not computed).
        second_model: the same from the second MLIP, where computed.
        verdict: see :func:`verdict`.
        basis: how the verdict was reached (tolerance, calibration, ...).
        note: what sselab computed (model, cell, stage).
        measured: the same quantity from the user's own measurements (``reproduce
            --measured``; None: not measured). The verdict never uses it.
        comparison: measured vs computed in words (factor or difference with its
            interval), filled in by ``sselab.report.measured``.
    """

    claim: str
    paper: float
    unit: str
    sselab: Estimate | None
    second_model: Estimate | None
    verdict: Verdict
    basis: str
    note: str = ""
    measured: Estimate | None = None
    comparison: str = ""


def judge(
    claim: str,
    paper: float,
    unit: str,
    sselab: Estimate | None,
    *,
    second_model: Estimate | None = None,
    tolerance: float | None = None,
    tolerance_factor: float | None = None,
    calibrated: bool = False,
    round_trip: bool = False,
    note: str = "",
) -> Claim:
    """A :class:`Claim` with its verdict and the stated basis of that verdict.

    Example:
        >>> judge("a = 5.458 Å", 5.458, "Å", None, tolerance=0.05).verdict
        'not computed'
    """
    if calibrated:
        basis = "sselab's model was fitted to this number"
    elif round_trip:
        basis = "refinement of a pattern sselab simulated"
    else:
        parts = ["paper in sselab's 95 % interval"]
        if tolerance is not None:
            parts.append(f"within ±{tolerance:g} {unit}".rstrip())
        if tolerance_factor is not None:
            parts.append(f"within a factor {tolerance_factor:g}")
        basis = " or ".join(parts)
    result = verdict(
        paper, sselab, tolerance, tolerance_factor, second_model, calibrated, round_trip
    )
    return Claim(claim, paper, unit, sselab, second_model, result, basis, note)


CLAIMS_HEADER = [
    "claim of the paper",
    "paper",
    "computed (sselab)",
    "computed 95 % interval",
    "second MLIP",
    "verdict",
    "basis",
    "note",
]
# with measured data: the user's column and its comparison after "second MLIP"
MEASURED_HEADER = ["measured (yours)", "measured 95 % interval", "measured vs computed"]


def _interval(estimate: Estimate | None) -> str:
    if estimate is None or estimate.ci95 is None:
        return "–"
    low, high = estimate.ci95
    kind = "" if estimate.error_kind == "standard error" else f" ({estimate.error_kind})"
    return f"[{low:.4g}, {high:.4g}]{kind}"


def _value(estimate: Estimate | None, unit: str, missing: str = "–") -> str:
    if estimate is None:
        return missing
    return f"{estimate.value:.4g} {unit}".rstrip()


def claims_rows(claims: list[Claim], with_measured: bool = False) -> list[list[str]]:
    """Table rows of the claims (strings): "not computed" / "not measured" where a value is
    missing (never 0), ``–`` where no second MLIP or interval exists.

    Args:
        claims: the rows.
        with_measured: add the columns of :data:`MEASURED_HEADER` after "second MLIP".

    Example:
        >>> claims_rows([judge("a", 5.458, "Å", Estimate.exact(5.41, "Å"), tolerance=0.05)])[0][:3]
        ['a', '5.458 Å', '5.41 Å']
        >>> claims_rows([judge("CCD", 1.41, "mA/cm²", None)], with_measured=True)[0][2:8]
        ['not computed', '–', '–', 'not measured', '–', 'not measured']
    """
    rows = []
    for c in claims:
        measured = []
        if with_measured:
            measured = [
                _value(c.measured, c.unit, "not measured"),
                _interval(c.measured),
                c.comparison or ("not measured" if c.measured is None else "not computed"),
            ]
        rows.append(
            [
                c.claim,
                f"{c.paper:.4g} {c.unit}".rstrip(),
                _value(c.sselab, c.unit, "not computed"),
                _interval(c.sselab),
                _value(c.second_model, c.unit),
                *measured,
                c.verdict,
                c.basis,
                c.note,
            ]
        )
    return rows


def claims_section(
    claims: list[Claim], with_measured: bool = False, measured_label: str = ""
) -> Section:
    """The claims table as the report's first section.

    Args:
        claims: the rows.
        with_measured: show the *measured (yours)* columns (a measured folder was given).
        measured_label: what the measured data are (e.g. "SYNTHETIC example data"),
            said in the section text.

    Example:
        >>> claims_section([]).title
        'Claims of the paper'
        >>> claims_section([], with_measured=True).table_header[5]
        'measured (yours)'
    """
    counts: dict[str, int] = {}
    for c in claims:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    return Section(
        title="Claims of the paper",
        text=(
            "One row per claim of the paper. Verdicts: reproduced (paper value in sselab's "
            "95 % interval or within the stated tolerance; with two MLIPs, both), "
            "model-dependent (the two MLIPs disagree about it), not reproduced, calibrated "
            "to the paper (sselab's model was fitted to that number), round trip (a "
            "refinement recovering the synthetic data it was given), not computed (the "
            f"stage did not run). This run: {summary or 'no claims'}."
            + (
                " The measured column holds your own data (from the --measured folder"
                f"{': ' + measured_label if measured_label else ''}); the verdict judges "
                "the computed value against the paper and never uses it."
                if with_measured
                else ""
            )
        ),
        table_header=(
            [*CLAIMS_HEADER[:5], *MEASURED_HEADER, *CLAIMS_HEADER[5:]]
            if with_measured
            else CLAIMS_HEADER
        ),
        table_rows=[list(row) for row in claims_rows(claims, with_measured)],
    )


def paper_number(table: str, key: str) -> float:
    """A numeric paper value as float.

    Example:
        >>> paper_number("transport_computed", "cineb_barrier_eV")
        0.38
    """
    return float(paper_value(table, key))


__all__ = [
    "CLAIMS_HEADER",
    "MEASURED_HEADER",
    "Claim",
    "Verdict",
    "claims_rows",
    "claims_section",
    "judge",
    "paper_number",
    "verdict",
]
