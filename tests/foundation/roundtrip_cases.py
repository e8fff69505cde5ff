"""One instance of every base-layer result type (made-up numbers, no MLIP run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sselab.calculators.relax import RelaxResult
from sselab.structures import antifluorite


def relax_result() -> RelaxResult:
    structure = antifluorite(0.0, a=5.70)
    return RelaxResult(
        structure,
        -49.1,
        -4.09,
        (5.7, 5.7, 5.7),
        (90.0, 90.0, 90.0),
        185.2,
        True,
        12,
        0.01,
        "chgnet:0.3.0",
        3.1,
    )


ROUND_TRIP_CASES: dict[str, tuple[type, Callable[[], Any]]] = {
    "RelaxResult": (RelaxResult, relax_result),
}
