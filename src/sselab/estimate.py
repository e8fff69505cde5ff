"""One type for every number that carries an uncertainty: :class:`Estimate`.

An ``Estimate`` is a value, its 1-sigma error, its 95 % interval and its unit, plus
what the error *is*: a statistical standard error of the value (``"standard
error"``: block averages, least-squares fits, bootstraps) or the spread of a
population the value was picked from (``"spread"``: orderings, models,
configurations), which is not an error of the value and must not be read as one.
A grid or discretisation error is ``"resolution"``. Unknown is ``None`` (an
``Estimate`` with ``error=None`` and ``ci95=None``), never 0.0.

Example:
    >>> a = Estimate.normal(5.4101, 0.0102, "Å")
    >>> print(a)
    5.410 ± 0.010 Å
    >>> Estimate.from_dict(a.as_dict()) == a
    True
    >>> print(Estimate.exact(0.55, "V"))
    0.55 V
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from scipy import stats

ErrorKind = Literal["standard error", "spread", "resolution"]
ERROR_KINDS: tuple[str, ...] = ("standard error", "spread", "resolution")


@dataclass(frozen=True)
class Estimate:
    """A value with its 1-sigma error, 95 % interval and unit.

    Attributes:
        value: the best value, in ``unit``.
        error: 1-sigma error in ``unit``; ``None`` when unknown.
        ci95: (low, high) 95 % interval in ``unit``; ``None`` when unknown. Not
            necessarily symmetric (Arrhenius extrapolations are log-normal).
        unit: unit text, e.g. ``"eV"``, ``"S/cm"``, ``"Å"``; ``""`` for dimensionless.
        error_kind: what ``error`` measures; see the module docstring.
    """

    value: float
    error: float | None = None
    ci95: tuple[float, float] | None = None
    unit: str = ""
    error_kind: ErrorKind = "standard error"

    def __post_init__(self) -> None:
        if self.error_kind not in ERROR_KINDS:
            raise ValueError(f"error_kind {self.error_kind!r} is not one of {ERROR_KINDS}")
        if self.error is not None and not (self.error >= 0 or math.isnan(self.error)):
            raise ValueError(f"an error cannot be negative (got {self.error})")
        if self.ci95 is not None:
            # JSON gives lists; keep the frozen value a tuple so equality round-trips
            object.__setattr__(self, "ci95", (float(self.ci95[0]), float(self.ci95[1])))

    @classmethod
    def normal(
        cls,
        value: float,
        error: float | None,
        unit: str = "",
        dof: int | None = None,
        error_kind: ErrorKind = "standard error",
    ) -> Estimate:
        """Symmetric interval value ± q·error (Student t with ``dof`` when given, else normal).

        Example:
            >>> [round(bound, 4) for bound in Estimate.normal(1.0, 0.1, "eV", dof=4).ci95]
            [0.7224, 1.2776]
        """
        if error is None or not math.isfinite(error):
            return cls(float(value), None, None, unit, error_kind)
        q = float(stats.t.ppf(0.975, dof)) if dof else float(stats.norm.ppf(0.975))
        return cls(
            float(value), float(error), (value - q * error, value + q * error), unit, error_kind
        )

    @classmethod
    def exact(cls, value: float, unit: str = "") -> Estimate:
        """A value with no uncertainty attached (a computed number whose error is unknown)."""
        return cls(float(value), None, None, unit)

    @classmethod
    def from_samples(cls, samples: Any, unit: str = "", best: float | None = None) -> Estimate:
        """Spread of a population (orderings, models, configurations): NOT an error of the value.

        ``best`` is the value reported (e.g. the lowest ordering); default the mean. The
        interval is the range (min, max) of the samples: a 2.5-97.5 percentile range of a
        handful of orderings would exclude the lowest one, the value usually reported.

        Example:
            >>> e = Estimate.from_samples([1.0, 2.0, 3.0], "meV/atom", best=1.0)
            >>> (e.value, e.error, e.error_kind)
            (1.0, 1.0, 'spread')
        """
        import numpy as np

        values = np.asarray(samples, dtype=float)
        value = float(values.mean()) if best is None else float(best)
        if values.size < 2:
            return cls(value, None, None, unit, "spread")
        interval = (float(values.min()), float(values.max()))
        return cls(value, float(values.std(ddof=1)), interval, unit, "spread")

    @property
    def known(self) -> bool:
        """True when the error is known and finite."""
        return self.error is not None and math.isfinite(self.error)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (round-trips through :meth:`from_dict`)."""
        return {
            "value": self.value,
            "error": self.error,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "unit": self.unit,
            "error_kind": self.error_kind,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """Inverse of :meth:`as_dict`."""
        ci95 = data.get("ci95")
        return cls(
            float(data["value"]),
            None if data.get("error") is None else float(data["error"]),
            None if ci95 is None else (float(ci95[0]), float(ci95[1])),
            data.get("unit", ""),
            data.get("error_kind", "standard error"),
        )

    def format(self, digits: int = 2) -> str:
        """``value ± error unit`` with the error to ``digits`` significant figures.

        Example:
            >>> Estimate.normal(2002.4, 7.3, "Ω").format()
            '2002.4 ± 7.3 Ω'
            >>> Estimate.normal(1.8e-2, 4e-3, "S/cm").format()
            '0.0180 ± 0.0040 S/cm'
        """
        unit = f" {self.unit}" if self.unit else ""
        label = "" if self.error_kind == "standard error" else f" ({self.error_kind})"
        if not self.known or self.error == 0 or not math.isfinite(self.value):
            return f"{self.value:.4g}{unit}"
        assert self.error is not None
        decimals = max(0, digits - 1 - math.floor(math.log10(self.error)))
        return f"{self.value:.{decimals}f} ± {self.error:.{decimals}f}{unit}{label}"

    def __str__(self) -> str:
        return self.format()
