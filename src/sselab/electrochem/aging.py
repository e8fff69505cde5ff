"""Interface aging: EIS of a Li | SE | Li cell over time -> conductivity retention.

The cell's total resistance R(t) (bulk + interphase, the sum of the circuit's
resistors) is fitted at each time; with fixed geometry the retained conductivity is
sigma(t) / sigma(0) = R(0) / R(t) (the paper's Fig. S12: 96.5 % for Li2.5N0.5S0.5
after 12 h against 8.94 % for Li3InCl6 and 7.60 % for Li10GeP2S12).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sselab.electrochem.fit import fit_circuit, pellet_circuit
from sselab.electrochem.readers import read_eis

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
class AgingResult:
    """Conductivity retention of a Li | SE | Li cell.

    Attributes:
        material: label.
        time_h: rest times.
        resistance_ohm, resistance_err_ohm: total cell resistance at each time.
        retention, retention_err: sigma(t) / sigma(0) as fractions, with errors.
        sources: spectrum files.
    """

    material: str
    time_h: np.ndarray
    resistance_ohm: np.ndarray
    resistance_err_ohm: np.ndarray
    retention: np.ndarray
    retention_err: np.ndarray
    sources: list[str]

    @property
    def final_retention(self) -> tuple[float, float]:
        """(retention, error) at the last time."""
        return float(self.retention[-1]), float(self.retention_err[-1])

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "material": self.material,
            "time_h": self.time_h.tolist(),
            "resistance_ohm": self.resistance_ohm.tolist(),
            "resistance_err_ohm": self.resistance_err_ohm.tolist(),
            "retention": self.retention.tolist(),
            "retention_err": self.retention_err.tolist(),
            "final_retention": self.final_retention[0],
            "final_retention_err": self.final_retention[1],
            "sources": self.sources,
        }


def conductivity_retention(
    time_h: Sequence[float],
    resistance_ohm: Sequence[float],
    resistance_err_ohm: Sequence[float] | None = None,
    material: str = "sample",
    sources: Sequence[str] = (),
) -> AgingResult:
    """sigma(t) / sigma(t0) = R(t0) / R(t), errors of both resistances propagated.

    Example:
        >>> r = conductivity_retention([0, 6, 12], [100.0, 102.0, 103.6])
        >>> round(r.final_retention[0], 3)
        0.965
    """
    t = np.asarray(time_h, dtype=float)
    r = np.asarray(resistance_ohm, dtype=float)
    err = np.zeros_like(r) if resistance_err_ohm is None else np.asarray(resistance_err_ohm)
    if t.shape != r.shape or t.size < 2:
        raise ValueError("need resistances at >= 2 times, with matching arrays")
    if not (np.all(np.isfinite(r)) and np.all(r > 0)):
        raise ValueError(f"resistances must be positive and finite, got {r.tolist()}")
    order = np.argsort(t)
    t, r, err = t[order], r[order], err[order]
    retention = r[0] / r
    relative = np.sqrt((err[0] / r[0]) ** 2 + (err / r) ** 2)
    relative[0] = 0.0  # R(t0) / R(t0) is exactly 1
    names = [list(sources)[k] for k in order] if sources else []
    return AgingResult(material, t, r, err, retention, retention * relative, names)


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
    """
    circuit = circuit or pellet_circuit(grain_boundary=True, tail="none")
    times = [time_from_name(Path(f).name) for f in files] if times_h is None else list(times_h)
    if len(times) != len(files):
        raise ValueError(f"{len(files)} files but {len(times)} times")
    resistances, errors = [], []
    for path in tqdm(files, desc=f"aging {material}", leave=False):
        fit = fit_circuit(read_eis(path), circuit)
        resistances.append(fit.resistance_ohm)
        errors.append(fit.resistance_err_ohm)
    return conductivity_retention(times, resistances, errors, material, [str(f) for f in files])


PAPER_AGING_MATERIALS = ("Li2.5N0.5S0.5", "Li3InCl6", "Li10GeP2S12")


def paper_retention() -> dict[str, float]:
    """The paper's 12 h retentions (fractions) by material, for comparison.

    Example:
        >>> paper_retention()["Li2.5N0.5S0.5"]
        0.965
    """
    from sselab.reference import paper_value

    return {m: paper_value("interface_aging", f"retention_{m}") for m in PAPER_AGING_MATERIALS}
