"""Pellet geometry with units, and sigma = L / (R A) with its propagated error."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

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
class Conductivity:
    """sigma = L / (R A) of a cylindrical pellet.

    Attributes:
        sigma_S_per_cm, sigma_err_S_per_cm: conductivity and its 1-sigma error.
        resistance_ohm, resistance_err_ohm: the resistance used.
        thickness_cm, diameter_cm, area_cm2: the geometry.
    """

    sigma_S_per_cm: float
    sigma_err_S_per_cm: float
    resistance_ohm: float
    resistance_err_ohm: float
    thickness_cm: float
    diameter_cm: float
    area_cm2: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def _check_range(value: float, bounds: tuple[float, float], name: str) -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(
            f"{name} = {value:g} cm is outside the plausible {low:g}-{high:g} cm for a pellet; "
            "give it with a unit, e.g. '1mm' or '0.1cm'"
        )


def pellet_conductivity(
    resistance_ohm: float,
    thickness_cm: float,
    diameter_cm: float,
    resistance_err_ohm: float = 0.0,
    thickness_err_cm: float = 0.0,
    diameter_err_cm: float = 0.0,
) -> Conductivity:
    """Conductivity of a pellet of thickness L and diameter d: sigma = L / (R pi d^2 / 4).

    Relative errors of R, L and d add in quadrature (d counts twice).

    Args:
        resistance_ohm: ionic (or electronic) resistance in Ω.
        thickness_cm, diameter_cm: pellet geometry in cm (see :func:`parse_length_cm`).
        resistance_err_ohm, thickness_err_cm, diameter_err_cm: 1-sigma errors.

    Raises:
        ValueError: non-positive resistance or implausible geometry (unit mix-ups).

    Example:
        >>> c = pellet_conductivity(2000.0, 0.1, 1.0)
        >>> f"{c.sigma_S_per_cm:.4e}"
        '6.3662e-05'
    """
    if not (math.isfinite(resistance_ohm) and resistance_ohm > 0):
        raise ValueError(f"resistance must be a positive number of ohms, got {resistance_ohm}")
    _check_range(thickness_cm, THICKNESS_RANGE_CM, "thickness")
    _check_range(diameter_cm, DIAMETER_RANGE_CM, "diameter")
    area = math.pi * diameter_cm**2 / 4
    sigma = thickness_cm / (resistance_ohm * area)
    relative = math.sqrt(
        (resistance_err_ohm / resistance_ohm) ** 2
        + (thickness_err_cm / thickness_cm) ** 2
        + (2 * diameter_err_cm / diameter_cm) ** 2
    )
    return Conductivity(
        sigma_S_per_cm=sigma,
        sigma_err_S_per_cm=sigma * relative,
        resistance_ohm=float(resistance_ohm),
        resistance_err_ohm=float(resistance_err_ohm),
        thickness_cm=float(thickness_cm),
        diameter_cm=float(diameter_cm),
        area_cm2=area,
    )
