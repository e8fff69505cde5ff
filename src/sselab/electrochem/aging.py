"""Interface aging: EIS of a Li | SE | Li cell over time -> conductivity retention.

The cell's total resistance R(t) (bulk + interphase, the sum of the circuit's
resistors) is fitted at each time; with fixed geometry the retained conductivity is
sigma(t) / sigma(0) = R(0) / R(t) (the paper's Fig. S12 compares 12 h retentions; the
paper's numbers are in :mod:`sselab.report.electrochem`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sselab.electrochem.fit import fit_circuit, pellet_circuit
from sselab.electrochem.readers import read_eis
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip

_TIME = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(h|hr|min|d)(?![A-Za-z])")
_TO_HOURS = {"h": 1.0, "hr": 1.0, "min": 1 / 60, "d": 24.0}


def time_from_name(name: str) -> float:
    """Rest time in hours written in a file name: "LNS_0h", "aged-12h", "rest 30min".

    Example:
        >>> time_from_name("Li_LNS_Li_12h.mpt"), time_from_name("cell-30min.DTA")
        (12.0, 0.5)
    """
    stem = Path(name).stem.replace("_", " ").replace("-", " ")
    found = {float(v) * _TO_HOURS[u] for v, u in _TIME.findall(stem)}
    if len(found) != 1:
        raise ValueError(f"{name}: need exactly one time like '12h' or '30min' in the file name")
    return found.pop()


@dataclass
class AgingResult(RoundTrip):
    """Conductivity retention of a Li | SE | Li cell.

    Attributes:
        material: label.
        time_h: rest times (h), sorted.
        resistance_ohm: total cell resistance at each time.
        retention: sigma(t) / sigma(t0) as fractions; the first is exactly 1 (error 0),
            the others carry the propagated errors of both resistances (None when the
            resistance errors are unknown).
        sources: spectrum files.
    """

    material: str
    time_h: np.ndarray
    resistance_ohm: list[Estimate]
    retention: list[Estimate]
    sources: list[str]

    @property
    def final_retention(self) -> Estimate:
        """Retention at the last time."""
        return self.retention[-1]


def conductivity_retention(
    time_h: Sequence[float],
    resistance_ohm: Sequence[float | Estimate],
    material: str = "sample",
    sources: Sequence[str] = (),
) -> AgingResult:
    """sigma(t) / sigma(t0) = R(t0) / R(t), errors of both resistances propagated.

    Example:
        >>> r = conductivity_retention([0, 6, 12], [100.0, 102.0, 103.6])
        >>> round(r.final_retention.value, 3), r.final_retention.error
        (0.965, None)
    """
    t = np.asarray(time_h, dtype=float)
    resistances = [
        r if isinstance(r, Estimate) else Estimate.exact(float(r), "Ω") for r in resistance_ohm
    ]
    r = np.array([e.value for e in resistances])
    if t.shape != r.shape or t.size < 2:
        raise ValueError("need resistances at >= 2 times, with matching arrays")
    if not (np.all(np.isfinite(r)) and np.all(r > 0)):
        raise ValueError(f"resistances must be positive and finite, got {r.tolist()}")
    order = np.argsort(t)
    ordered = [resistances[k] for k in order]
    first = ordered[0]
    retention = [Estimate(1.0, 0.0, (1.0, 1.0), "")]  # R(t0) / R(t0) is exactly 1
    for later in ordered[1:]:
        ratio = first.value / later.value
        if first.error is None or later.error is None:
            retention.append(Estimate.exact(ratio, ""))
            continue
        relative = math.hypot(first.error / first.value, later.error / later.value)
        retention.append(Estimate.normal(ratio, ratio * relative, ""))
    names = [list(sources)[k] for k in order] if sources else []
    return AgingResult(material, t[order], ordered, retention, names)


def aging_series(
    files: Sequence[str | Path],
    times_h: Sequence[float] | None = None,
    material: str = "sample",
    circuit: str | None = None,
) -> AgingResult:
    """Fit each spectrum of an aging series and return the conductivity retention.

    Args:
        files: spectra of one cell.
        times_h: rest times; read from the file names ("12h") when None.
        material: label.
        circuit: default ``R0-p(R1,CPE1)-p(R2,CPE2)`` (bulk + interphase arcs, no tail:
            Li electrodes are not blocking).

    Example:
        >>> aging_series(sorted(Path("aging").glob("*.mpt")))  # doctest: +SKIP

    The skipped example needs a folder of spectra; tests/electrochem/test_series.py
    runs an aging series.
    """
    circuit = circuit or pellet_circuit(grain_boundary=True, tail="none")
    times = [time_from_name(Path(f).name) for f in files] if times_h is None else list(times_h)
    if len(times) != len(files):
        raise ValueError(f"{len(files)} files but {len(times)} times")
    resistances = [
        fit_circuit(read_eis(path), circuit).resistance_ohm
        for path in tqdm(files, desc=f"aging {material}", leave=False)
    ]
    return conductivity_retention(times, resistances, material, [str(f) for f in files])
