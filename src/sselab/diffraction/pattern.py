"""Powder patterns on disk: .xy / .xye / .csv reading and writing."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sselab.roundtrip import RoundTrip

PATTERN_SUFFIXES = (".xy", ".xye", ".csv")


class PatternFileError(ValueError):
    """A pattern file is missing, of an unsupported type or malformed; names file and problem."""


@dataclass
class Pattern(RoundTrip):
    """A measured or simulated powder pattern.

    Attributes:
        x: 2θ (deg) or TOF (µs), increasing.
        y: intensity (counts).
        sigma: one-sigma uncertainty of y (counts).
        x_label: axis label.
    """

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    x_label: str = "2θ (°)"


def read_pattern(path: str | Path) -> Pattern:
    """Read .xy (x y), .xye (x y σ) or .csv (x,y[,σ], optional header) data.

    Lines starting with '#' or '!' are comments. Without σ column, σ = sqrt(max(y, 1))
    (counting statistics).

    Example:
        >>> rows = "".join(f"{10 + 0.01 * i:.2f} {5 + i}\\n" for i in range(12))
        >>> _ = Path("/tmp/p.xy").write_text("# 2theta I\\n" + rows)
        >>> read_pattern("/tmp/p.xy").y[:3].tolist()
        [5.0, 6.0, 7.0]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PATTERN_SUFFIXES:
        raise PatternFileError(
            f"{path}: unsupported pattern type '{suffix or '(none)'}'; use .xy, .xye or .csv"
        )
    if not path.is_file():
        raise PatternFileError(f"{path}: no such file")
    rows = []
    with path.open(newline="") as handle:
        lines = (line for line in handle if line.strip() and line.lstrip()[0] not in "#!")
        reader = csv.reader(lines) if suffix == ".csv" else (line.split() for line in lines)
        for number, fields in enumerate(reader, start=1):
            try:
                rows.append([float(v) for v in fields[:3]])
            except ValueError as exc:
                if number == 1 and suffix == ".csv":
                    continue  # a header row
                raise PatternFileError(f"{path}: data row {number} is not numeric") from exc
    if len(rows) < 10:
        raise PatternFileError(f"{path}: fewer than 10 data points")
    widths = {len(r) for r in rows}
    if len(widths) != 1 or widths.pop() < 2:
        raise PatternFileError(f"{path}: rows need the same 2 or 3 columns (x, y[, sigma])")
    data = np.array(rows)
    bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if bad.size:
        raise PatternFileError(f"{path}: data row {bad[0] + 1} holds NaN or inf")
    if not np.all(np.diff(data[:, 0]) > 0):
        raise PatternFileError(f"{path}: x values must increase strictly")
    sigma = data[:, 2] if data.shape[1] == 3 else np.sqrt(np.clip(data[:, 1], 1.0, None))
    if np.any(sigma <= 0):
        raise PatternFileError(f"{path}: sigma column must be positive")
    return Pattern(data[:, 0], data[:, 1], sigma)


def write_pattern(pattern: Pattern, path: str | Path) -> Path:
    """Write x, y, σ as .xy (x y), .xye (x y σ) or .csv (header x,y,sigma).

    Example:
        >>> p = Pattern(np.arange(3.0), np.ones(3), np.ones(3))
        >>> write_pattern(p, "/tmp/p.csv").read_text().splitlines()[0]
        'x,y,sigma'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PATTERN_SUFFIXES:
        raise PatternFileError(f"{path}: can only write .xy, .xye or .csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table = np.column_stack([pattern.x, pattern.y, pattern.sigma])
        np.savetxt(path, table, delimiter=",", header="x,y,sigma", comments="", fmt="%.6f")
    else:
        columns = [pattern.x, pattern.y] + ([pattern.sigma] if suffix == ".xye" else [])
        np.savetxt(path, np.column_stack(columns), fmt="%.6f", header=pattern.x_label)
    return path
