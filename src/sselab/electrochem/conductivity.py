"""Pellet geometry with units, and sigma = L / (R A) with its propagated error."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip

_LENGTH_CM = {"nm": 1e-7, "um": 1e-4, "µm": 1e-4, "μm": 1e-4, "mm": 0.1, "cm": 1.0, "m": 100.0}

# Plausible pellet sizes: a value outside is almost always a unit mix-up (mm read as cm).
THICKNESS_RANGE_CM = (1e-4, 5.0)
DIAMETER_RANGE_CM = (0.05, 10.0)


def parse_length_cm(text: str | float, name: str = "length") -> float:
    """A length with its unit ("1mm", "0.1 cm", "500um") in cm; a float is taken as cm.

    Text must carry a unit: "1" could mean 1 mm or 1 cm, a factor-10 error in sigma.

    Raises:
        ValueError: naming ``name`` when the text is not a positive length with a unit.

    Example:
        >>> parse_length_cm("1mm"), parse_length_cm("10 mm"), parse_length_cm("500um")
        (0.1, 1.0, 0.05)
    """
    if isinstance(text, int | float):
        value, unit = float(text), "cm"
    else:
        match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([a-zµμ]*)\s*", str(text))
        if not match:
            raise ValueError(f"{name}: cannot read '{text}' as a length such as 1mm or 0.1cm")
        try:
            value = float(match.group(1))
        except ValueError:
            raise ValueError(f"{name}: '{match.group(1)}' is not a number") from None
        unit = match.group(2)
        if not unit:
            raise ValueError(f"{name}: '{text}' has no unit; write e.g. {text}mm or {text}cm")
    if unit not in _LENGTH_CM:
        raise ValueError(f"{name}: unknown unit '{unit}' (use one of {sorted(_LENGTH_CM)})")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a positive length, got {text!r}")
    return value * _LENGTH_CM[unit]


@dataclass
class Conductivity(RoundTrip):
    """sigma = L / (R A) of a cylindrical pellet.

    Attributes:
        sigma_S_per_cm: conductivity (S/cm) with its propagated 1-sigma error and 95 %
            interval (None when the resistance error is unknown).
        resistance_ohm: the resistance used (Ω).
        thickness_cm, diameter_cm: the geometry (cm); exact unless errors were given.
        area_cm2: pi d² / 4 (cm²).
    """

    sigma_S_per_cm: Estimate
    resistance_ohm: Estimate
    thickness_cm: Estimate
    diameter_cm: Estimate
    area_cm2: float


def _check_range(value: float, bounds: tuple[float, float], name: str) -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(
            f"{name} = {value:g} cm is outside the plausible {low:g}-{high:g} cm for a pellet; "
            "give it with a unit, e.g. '1mm' or '0.1cm'"
        )


def _as_estimate(value: float | Estimate, unit: str) -> Estimate:
    return value if isinstance(value, Estimate) else Estimate.exact(float(value), unit)


def pellet_conductivity(
    resistance_ohm: float | Estimate,
    thickness_cm: float | Estimate,
    diameter_cm: float | Estimate,
) -> Conductivity:
    """Conductivity of a pellet of thickness L and diameter d: sigma = L / (R pi d^2 / 4).

    Relative errors of R, L and d add in quadrature (d counts twice). A resistance
    without error gives sigma without error (unknown, not zero); a geometry given as a
    plain number is taken as exact. With an exact geometry the 95 % interval is the
    resistance's interval mapped through L / (R A) (so it keeps a fit's Student t).

    Args:
        resistance_ohm: ionic (or electronic) resistance in Ω, an Estimate or a number.
        thickness_cm, diameter_cm: pellet geometry in cm (see :func:`parse_length_cm`).

    Raises:
        ValueError: non-positive resistance or implausible geometry (unit mix-ups).

    Example:
        >>> sigma = pellet_conductivity(Estimate.normal(2000.0, 20.0, "Ω"), 0.1, 1.0).sigma_S_per_cm
        >>> f"{sigma.value:.4e}", round(sigma.error / sigma.value, 6), sigma.unit
        ('6.3662e-05', 0.01, 'S/cm')
    """
    r = _as_estimate(resistance_ohm, "Ω")
    length = _as_estimate(thickness_cm, "cm")
    diameter = _as_estimate(diameter_cm, "cm")
    if not (math.isfinite(r.value) and r.value > 0):
        raise ValueError(f"resistance must be a positive number of ohms, got {r.value}")
    _check_range(length.value, THICKNESS_RANGE_CM, "thickness")
    _check_range(diameter.value, DIAMETER_RANGE_CM, "diameter")
    area = math.pi * diameter.value**2 / 4
    sigma = length.value / (r.value * area)
    geometry_exact = length.error is None and diameter.error is None
    if r.error is None:
        estimate = Estimate.exact(sigma, "S/cm")
    elif geometry_exact and r.ci95 is not None and r.ci95[0] > 0:
        low, high = (length.value / (bound * area) for bound in reversed(r.ci95))
        estimate = Estimate(sigma, sigma * r.error / r.value, (low, high), "S/cm")
    else:
        relative = math.sqrt(
            (r.error / r.value) ** 2
            + ((length.error or 0.0) / length.value) ** 2
            + (2 * (diameter.error or 0.0) / diameter.value) ** 2
        )
        estimate = Estimate.normal(sigma, sigma * relative, "S/cm")
    return Conductivity(
        sigma_S_per_cm=estimate,
        resistance_ohm=r,
        thickness_cm=length,
        diameter_cm=diameter,
        area_cm2=area,
    )
