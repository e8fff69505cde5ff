"""One spectrum to conductivity: circuit fit, intercept method, lin-KK and DRT together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sselab.electrochem.conductivity import Conductivity, pellet_conductivity
from sselab.electrochem.drt import DRTResult, drt
from sselab.electrochem.fit import (
    CircuitFit,
    EISFitError,
    InterceptResult,
    fit_circuit,
    intercept_resistance,
    select_circuit,
)
from sselab.electrochem.records import EISSpectrum
from sselab.electrochem.validity import KKResult, lin_kk
from sselab.roundtrip import RoundTrip

log = logging.getLogger(__name__)


@dataclass
class EISAnalysis(RoundTrip):
    """Everything read from one spectrum.

    ``as_dict``/``from_dict`` keep everything, the spectrum included; :meth:`summary` is
    the readable JSON without the arrays.

    Attributes:
        spectrum: the data.
        fit: equivalent-circuit fit.
        conductivity: sigma from the fitted ionic resistance (None without geometry).
        intercept: the paper's arc-tail intercept (None when the spectrum has no
            usable arc); intercept_conductivity from it.
        kk: lin-KK validity test.
        drt: distribution of relaxation times.
        candidates: BIC table of the circuits compared (empty unless selected).
    """

    spectrum: EISSpectrum
    fit: CircuitFit
    conductivity: Conductivity | None
    intercept: InterceptResult | None
    intercept_conductivity: Conductivity | None
    kk: KKResult
    drt: DRTResult
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-able numbers (without the spectrum, DRT and residual arrays)."""
        return {
            "source": self.spectrum.source,
            "instrument": self.spectrum.instrument,
            "n_points": self.spectrum.n_points,
            "frequency_range_Hz": [
                float(self.spectrum.frequency_Hz.min()),
                float(self.spectrum.frequency_Hz.max()),
            ],
            "fit": {k: v for k, v in self.fit.as_dict().items() if k != "covariance"},
            "conductivity": None if self.conductivity is None else self.conductivity.as_dict(),
            "intercept": None if self.intercept is None else self.intercept.as_dict(),
            "intercept_conductivity": (
                None
                if self.intercept_conductivity is None
                else self.intercept_conductivity.as_dict()
            ),
            "kramers_kronig": {
                k: v for k, v in self.kk.as_dict().items() if not k.startswith("residual_")
            },
            "circuit_candidates": self.candidates,
            "drt": {
                "peaks": [p.as_dict() for p in self.drt.peaks],
                "regularisation": self.drt.regularisation,
            },
        }


def analyze_spectrum(
    spectrum: EISSpectrum,
    thickness_cm: float | None = None,
    diameter_cm: float | None = None,
    circuit: str | None = None,
    drt_regularisation: float = 1e-5,
    select: bool = False,
    max_evaluations: int = 20_000,
) -> EISAnalysis:
    """Fit, intercept, conductivity, Kramers-Kronig test and DRT of one spectrum.

    Args:
        spectrum: the data.
        thickness_cm, diameter_cm: pellet geometry (both or neither).
        circuit: impedance.py circuit string (default ``R0-p(R1,CPE1)-CPE2``).
        drt_regularisation: lambda of the DRT.
        select: compare every pellet-circuit variant by BIC (:func:`select_circuit`)
            instead of fitting ``circuit`` alone.
        max_evaluations: least_squares step budget per start of each circuit fit.

    Raises:
        EISFitError: the circuit fit is refused (too few distinct frequencies, a
            degenerate fit; see :func:`~sselab.electrochem.fit.fit_circuit`).

    Example:
        >>> import numpy as np
        >>> f = np.logspace(6, 0, 61)
        >>> w = 2j * np.pi * f
        >>> z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
        >>> result = analyze_spectrum(EISSpectrum(f, z.real, z.imag), 0.1, 1.0)
        >>> f"{result.conductivity.sigma_S_per_cm.value:.4e}", result.kk.valid
        ('6.3662e-05', True)
    """
    if (thickness_cm is None) != (diameter_cm is None):
        raise ValueError("give both thickness and diameter, or neither")
    if select:
        fit, candidates = select_circuit(spectrum, max_evaluations=max_evaluations)
    else:
        fit, candidates = fit_circuit(spectrum, circuit, max_evaluations=max_evaluations), []
    try:
        intercept = intercept_resistance(spectrum)
    except EISFitError as exc:
        log.info("intercept method not applicable: %s", exc)
        intercept = None
    sigma = sigma_intercept = None
    if thickness_cm is not None and diameter_cm is not None:
        sigma = pellet_conductivity(fit.resistance_ohm, thickness_cm, diameter_cm)
        if intercept is not None and intercept.resistance_ohm.value > 0:
            sigma_intercept = pellet_conductivity(
                intercept.resistance_ohm, thickness_cm, diameter_cm
            )
    return EISAnalysis(
        spectrum=spectrum,
        fit=fit,
        conductivity=sigma,
        intercept=intercept,
        intercept_conductivity=sigma_intercept,
        kk=lin_kk(spectrum),
        drt=drt(spectrum, drt_regularisation),
        candidates=candidates,
    )
