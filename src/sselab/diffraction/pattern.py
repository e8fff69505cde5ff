"""Powder patterns on disk: .xy / .xye / .csv reading and writing.

What :func:`read_pattern` accepts (anything else is a :class:`PatternFileError` naming the
file and, where there is one, the line):

- text in UTF-8, UTF-16 with a byte-order mark, or Latin-1;
- at least :data:`MIN_PATTERN_POINTS` rows of the same 2 or 3 columns (x, y[, σ]), all
  finite; '#'/'!' lines are comments, a .csv may start with one header row;
- x in any order: the points are sorted by x (with a :class:`PatternDataWarning` when
  the file was not in increasing order); a repeated x is refused, not merged (two
  scans pasted together, or a corrupt line: summing or averaging the counts would
  both be guesses);
- counts y >= 0, unless ``allow_negative`` (background-subtracted data), which is then
  flagged with a warning; σ > 0.

Whether a pattern has enough points for a refinement's parameter count is checked by
:func:`sselab.diffraction.refine.refine`, which knows the parameters.
"""

from __future__ import annotations

import codecs
import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sselab.roundtrip import RoundTrip

PATTERN_SUFFIXES = (".xy", ".xye", ".csv")
MIN_PATTERN_POINTS = 10


class PatternFileError(ValueError):
    """A pattern file is missing, of an unsupported type or malformed; names file and problem."""


class PatternDataWarning(UserWarning):
    """A pattern was read with a change or a caveat (sorted, negative counts allowed)."""


@dataclass
class Pattern(RoundTrip):
    """A measured or simulated powder pattern.

    Attributes:
        x: 2θ (deg) or TOF (µs), strictly increasing.
        y: intensity (counts).
        sigma: one-sigma uncertainty of y (counts).
        x_label: axis label.
        source: the file it was read from ("" for computed patterns), for messages.
    """

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    x_label: str = "2θ (°)"
    source: str = ""


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise PatternFileError(
                f"{path}: starts like UTF-16 text but is not valid UTF-16"
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # instrument software on Windows: °, µ, Å in comments


def _rows(path: Path, text: str, csv_file: bool) -> tuple[list[list[float]], list[int]]:
    """Numeric rows (x, y[, σ]) and their 1-based line numbers."""
    rows: list[list[float]] = []
    line_numbers: list[int] = []
    header_allowed = csv_file
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#!":
            continue
        fields = next(csv.reader([stripped])) if csv_file else stripped.split()
        try:
            values = [float(v) for v in fields[:3]]
        except ValueError:
            if header_allowed:
                header_allowed = False  # one header row before the data
                continue
            shown = stripped if len(stripped) <= 40 else stripped[:40] + "..."
            raise PatternFileError(f"{path}, line {number}: {shown!r} is not numeric") from None
        header_allowed = False
        rows.append(values)
        line_numbers.append(number)
    return rows, line_numbers


def read_pattern(path: str | Path, allow_negative: bool = False) -> Pattern:
    """Read .xy (x y), .xye (x y σ) or .csv (x,y[,σ], optional header) data.

    Lines starting with '#' or '!' are comments. Without σ column, σ = sqrt(max(|y|, 1))
    (counting statistics). The rules on x, y and σ are in the module docstring.

    Args:
        path: the file.
        allow_negative: accept negative counts (background-subtracted data); a
            :class:`PatternDataWarning` says how many.

    Raises:
        PatternFileError: unsupported suffix, unreadable file, a non-numeric, NaN/inf or
            short row, too few points, a repeated x, negative counts, σ <= 0.

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
    try:
        text = _text(path)
    except OSError as exc:
        raise PatternFileError(f"{path}: cannot open ({exc.strerror})") from None
    rows, lines = _rows(path, text, suffix == ".csv")
    if len(rows) < MIN_PATTERN_POINTS:
        raise PatternFileError(
            f"{path}: {len(rows)} data points; a pattern needs at least {MIN_PATTERN_POINTS}"
        )
    width = len(rows[0])
    if width < 2:
        raise PatternFileError(f"{path}, line {lines[0]}: rows need 2 or 3 columns (x, y[, σ])")
    odd = next((k for k, r in enumerate(rows) if len(r) != width), None)
    if odd is not None:
        raise PatternFileError(
            f"{path}, line {lines[odd]}: {len(rows[odd])} columns where line {lines[0]} has "
            f"{width}; rows need the same 2 or 3 columns (x, y[, σ])"
        )
    data = np.array(rows)
    bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if bad.size:
        raise PatternFileError(f"{path}, line {lines[bad[0]]}: NaN or infinite value")
    return _checked(path, data, np.array(lines), allow_negative)


def _checked(path: Path, data: np.ndarray, lines: np.ndarray, allow_negative: bool) -> Pattern:
    """Sort by x and apply the rules on repeated x, counts and σ."""
    steps = np.diff(data[:, 0])
    if np.any(steps < 0):
        first = int(np.flatnonzero(steps < 0)[0]) + 1
        warnings.warn(
            f"{path}: x decreases at line {lines[first]}; the points are sorted by x",
            PatternDataWarning,
            stacklevel=3,
        )
        order = np.argsort(data[:, 0], kind="stable")
        data, lines = data[order], lines[order]
    repeated = np.flatnonzero(np.diff(data[:, 0]) == 0)
    if repeated.size:
        k = int(repeated[0])
        raise PatternFileError(
            f"{path}, lines {lines[k]} and {lines[k + 1]}: x = {data[k, 0]:g} appears twice; "
            "x must increase strictly (repeated points are not merged: remove one)"
        )
    negative = np.flatnonzero(data[:, 1] < 0)
    if negative.size and not allow_negative:
        k = int(negative[0])
        raise PatternFileError(
            f"{path}, line {lines[k]}: negative counts y = {data[k, 1]:g} ({negative.size} "
            "points); background-subtracted data need allow_negative "
            "(sselab refine --background-subtracted)"
        )
    if negative.size:
        warnings.warn(
            f"{path}: {negative.size} points with negative counts (background-subtracted data)",
            PatternDataWarning,
            stacklevel=3,
        )
    if data.shape[1] == 3:
        sigma = data[:, 2]
        nonpositive = np.flatnonzero(sigma <= 0)
        if nonpositive.size:
            k = int(nonpositive[0])
            raise PatternFileError(
                f"{path}, line {lines[k]}: sigma = {sigma[k]:g}; the sigma column must be positive"
            )
    else:
        sigma = np.sqrt(np.clip(np.abs(data[:, 1]), 1.0, None))
    return Pattern(data[:, 0], data[:, 1], sigma, source=str(path))


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
