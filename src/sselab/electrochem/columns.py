"""Columns of instrument tables: names and units per role, text tables, and the step from a
table to a clean :class:`~sselab.electrochem.records.EISSpectrum`.

A column is found by its name (``freq``, ``Re(Z)``, ``Ewe``, ``Current`` ...) and its unit
is converted (kHz, kΩ, mA, h ...), so a reader never relies on column positions.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sselab.electrochem.records import EISDataWarning, EISFileError, EISSpectrum

log = logging.getLogger(__name__)

MIN_EIS_POINTS = 5  # distinct frequencies a file must hold to be an impedance spectrum
# Beyond what any impedance analyser measures: such a number is a corrupt cell, not data.
# (Analysers span ~10 µHz-100 MHz and µΩ-100 TΩ.)
PLAUSIBLE_FREQUENCY_HZ = (1e-9, 1e12)
MAX_IMPEDANCE_OHM = 1e18

_OHM = {"ohm": 1.0, "ohms": 1.0, "ω": 1.0, "kohm": 1e3, "kω": 1e3}
_UNITS: dict[str, dict[str, float]] = {
    "frequency": {"hz": 1.0, "khz": 1e3},
    "z_real": _OHM,
    "z_imag": _OHM,
    "time": {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0},
    "voltage": {"v": 1.0, "mv": 1e-3},
    "current": {"ma": 1.0, "a": 1e3, "ua": 1e-3, "µa": 1e-3, "μa": 1e-3, "na": 1e-6},
}
# Units whose prefix case matters (milli vs mega), checked before lower-casing.
_CASED_UNITS = {"mHz": 1e-3, "MHz": 1e6, "mOhm": 1e-3, "mΩ": 1e-3, "MOhm": 1e6, "MΩ": 1e6}

_ROLES: dict[str, set[str]] = {
    "frequency": {"freq", "frequency", "f"},
    "z_real": {"zre", "zreal", "z'", "zr", "real", "re"},
    "z_imag": {"zim", "zimag", "zimg", "z''", 'z"', "zi", "imag", "im"},
    "time": {"time", "testtime", "totaltime", "elapsedtime", "t"},
    "voltage": {"ewe", "ecell", "voltage", "potential", "v", "e", "<ewe>"},
    "current": {"<i>", "i", "current"},
    "cycle": {"cyclenumber", "cycle", "cycleid", "cycleindex", "cycleno", "cycle#"},
}

_ROLE_UNIT = {
    "frequency": "Hz",
    "z_real": "Ω",
    "z_imag": "Ω",
    "time": "s",
    "voltage": "V",
    "current": "mA",
    "cycle": "",
}


@dataclass
class Column:
    """Where a role's values are in a table and how to bring them to lab units.

    Attributes:
        index: column position.
        negated: the column holds minus the quantity (``-Im(Z)``).
        scale: factor to the role's unit (e.g. 1e3 for a kΩ column).
    """

    index: int
    negated: bool
    scale: float

    def convert(self, raw: np.ndarray) -> np.ndarray:
        """Values in the role's unit, sign restored.

        Example:
            >>> Column(0, True, 1e3).convert(np.array([1.5])).tolist()
            [-1500.0]
        """
        return raw * self.scale * (-1.0 if self.negated else 1.0)


def _split_name(raw: str) -> tuple[str, bool, str]:
    """Column header -> (normalised base name, negated, unit text)."""
    name = raw.strip().strip('"').strip()
    negated = name.startswith("-")
    name = name.lstrip("-").strip()
    name = re.sub(r"(?i)\bre\(z\)", "zre", name)
    name = re.sub(r"(?i)\bim\(z\)", "zim", name)
    unit = ""
    match = re.match(r"^(.*?)\s*(?:/\s*(.+)|\(([^()]*)\))\s*$", name)
    if match and match.group(1):
        name, unit = match.group(1), (match.group(2) or match.group(3) or "")
    base = re.sub(r"[\s_]+", "", name).lower()
    return base, negated, unit.strip()


def _unit_scale(unit: str, role: str, path: str, header: str) -> float:
    if not unit or role == "cycle":
        return 1.0
    if unit in _CASED_UNITS and (unit.endswith("Hz") == (role == "frequency")):
        return _CASED_UNITS[unit]
    scale = _UNITS[role].get(unit.lower().replace(" ", ""))
    if scale is None:
        raise EISFileError(
            f"{path}: column '{header.strip()}' has unit '{unit}', which is not a {role} unit "
            f"(expected {_ROLE_UNIT[role]} or a multiple of it)"
        )
    return scale


def find_columns(
    headers: Sequence[str],
    roles: Sequence[str],
    path: str,
    where: str,
    mapping: Mapping[str, str] | None = None,
    optional: Sequence[str] = (),
) -> dict[str, Column | None]:
    """Locate each role's column by name (or by the user's ``mapping``), with its unit.

    Roles: "frequency" (Hz), "z_real"/"z_imag" (Ω), "time" (s), "voltage" (V),
    "current" (mA), "cycle". ``where`` names the header in error messages.

    Raises:
        EISFileError: a required role has no column, or its unit is not one of the role's.

    Example:
        >>> cols = find_columns(["freq/kHz", "Re(Z)/Ohm", "-Im(Z)/Ohm"],
        ...                     ("frequency", "z_real", "z_imag"), "a.mpt", "the header")
        >>> cols["frequency"].scale, cols["z_imag"].negated
        (1000.0, True)
    """
    parsed = [_split_name(h) for h in headers]
    names = [h.strip().strip('"').strip() for h in headers]
    found: dict[str, Column | None] = {}
    for role in roles:
        index, force_negated = None, False
        if mapping and role in mapping:
            wanted = mapping[role].strip()
            if wanted in names:
                index = names.index(wanted)
            elif wanted.startswith("-") and wanted[1:].strip() in names:
                # "-Zi": the column Zi holds -Im(Z).
                index, force_negated = names.index(wanted[1:].strip()), True
            else:
                raise EISFileError(
                    f"{path}: column '{wanted}' (mapped to {role}) not in {where}; columns: {names}"
                )
        else:
            index = next((k for k, p in enumerate(parsed) if p[0] in _ROLES[role]), None)
        if index is None:
            if role in optional:
                found[role] = None
                continue
            raise EISFileError(
                f"{path}: no {role} column in {where} (looked for names like "
                f"{sorted(_ROLES[role])[:6]}); columns found: {[n for n in names if n]}"
            )
        _, negated, unit = parsed[index]
        found[role] = Column(
            index, negated != force_negated, _unit_scale(unit, role, path, headers[index])
        )
    return found


def _to_float(text: str) -> float:
    text = text.strip().strip('"')
    if text == "":
        return float("nan")
    try:
        return float(text)
    except ValueError:
        if text.count(",") == 1:
            # a decimal comma (EC-Lab and Gamry in European locales, tab-separated)
            return float(text.replace(",", "."))
        raise


def parse_rows(
    rows: Sequence[tuple[int, Sequence[str]]], columns: Sequence[int], path: str
) -> np.ndarray:
    """Rows of text cells -> float array of the wanted columns; errors name the line.

    Example:
        >>> parse_rows([(3, ["1", "2,5"]), (4, ["3"])], [0, 1], "a.txt").tolist()
        [[1.0, 2.5], [3.0, nan]]
    """
    out = np.full((len(rows), len(columns)), np.nan)
    for r, (line_no, cells) in enumerate(rows):
        for c, col in enumerate(columns):
            if col >= len(cells):
                continue  # a short (truncated) row: its missing cells stay NaN
            try:
                out[r, c] = _to_float(cells[col])
            except ValueError:
                raise EISFileError(
                    f"{path}, line {line_no}: cannot read '{cells[col].strip()}' as a number "
                    f"(column {col + 1})"
                ) from None
    return out


def read_lines(path: Path) -> list[str]:
    """Text lines of a file: UTF-8, UTF-16 with a byte-order mark (Windows "Unicode" exports)
    or (EC-Lab, Gamry) Latin-1; EISFileError if unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EISFileError(f"{path}: cannot open ({exc.strerror})") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16").splitlines()
        except UnicodeDecodeError:
            raise EISFileError(f"{path}: starts like UTF-16 text but is not valid UTF-16") from None
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        # EC-Lab and Gamry write Windows-1252/Latin-1 (µ, °, Ω in headers).
        return raw.decode("latin-1").splitlines()


def sniff_delimiter(line: str) -> str | None:
    """Tab, semicolon or comma, whichever the line holds first in that order; None: spaces.

    Example:
        >>> sniff_delimiter("f;Zr;Zi"), sniff_delimiter("1 2 3")
        (';', None)
    """
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return delimiter
    return None


def split_cells(line: str, delimiter: str | None) -> list[str]:
    """Cells of a line (CSV quoting rules; whitespace-separated when ``delimiter`` is None)."""
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def is_numeric_row(cells: Sequence[str]) -> bool:
    """Whether every non-empty cell is a number (decimal commas allowed) and one exists.

    Example:
        >>> is_numeric_row(["1.5", "", "2,5"]), is_numeric_row(["freq", "1"])
        (True, False)
    """
    try:
        [_to_float(c) for c in cells if c.strip()]
    except ValueError:
        return False
    return any(c.strip() for c in cells)


@dataclass
class ColumnTable:
    """A table read from a file: header names and the data, before any role is chosen.

    Text files keep their rows as cells with 1-based line numbers (so a bad cell is
    reported by line); binary files (BioLogic .mpr) keep galvani's structured array.

    Attributes:
        headers: column names as written.
        where: where the header is, for messages ("the header on line 61").
        rows: text rows (line number, cells), or None for a binary table.
        array: the structured array of a binary table, else None.
    """

    headers: list[str]
    where: str
    rows: list[tuple[int, list[str]]] | None = None
    array: np.ndarray | None = None

    def values(self, indices: Sequence[int], path: str) -> np.ndarray:
        """Float array (rows x ``indices``) of the columns at ``indices``.

        Raises:
            EISFileError: a text table without data rows, or a cell that is not a number.

        Example:
            >>> table = text_table(["f,Zr", "1,2", "3,4"], 0, 1, "the header")
            >>> table.values([1], "a.csv").tolist()
            [[2.0], [4.0]]
        """
        if self.array is not None:
            return np.column_stack(
                [np.asarray(self.array[self.headers[i]], dtype=float) for i in indices]
            )
        if not self.rows:
            raise EISFileError(f"{path}: no data rows after {self.where}")
        return parse_rows(self.rows, indices, path)


def text_table(
    lines: Sequence[str], header_index: int, data_start: int, where: str, stop: int | None = None
) -> ColumnTable:
    """Header cells and data rows of a delimited block (delimiter sniffed from the header).

    Example:
        >>> text_table(["f;Zr", "", "1;2"], 0, 1, "line 1").rows
        [(3, ['1', '2'])]
    """
    delimiter = sniff_delimiter(lines[header_index])
    headers = split_cells(lines[header_index], delimiter)
    rows = []
    for k in range(data_start, len(lines) if stop is None else stop):
        if not lines[k].strip():
            continue
        rows.append((k + 1, split_cells(lines[k], delimiter)))
    return ColumnTable(headers, where, rows=rows)


def spectrum_from_table(
    path: Path,
    instrument: str,
    table: ColumnTable,
    mapping: Mapping[str, str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> EISSpectrum:
    """The frequency, Z' and Z'' columns of a table as a clean spectrum (see
    :func:`clean_spectrum`); ``mapping`` names the columns when their names are unusual."""
    cols = find_columns(
        table.headers, ("frequency", "z_real", "z_imag"), str(path), table.where, mapping
    )
    found = [c for c in cols.values() if c is not None]
    data = table.values([c.index for c in found], str(path))
    f, zr, zi = (c.convert(data[:, k]) for k, c in enumerate(found))
    return clean_spectrum(path, instrument, f, zr, zi, metadata or {})


def table_columns(
    path: Path,
    table: ColumnTable,
    roles: Sequence[str],
    optional: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
) -> dict[str, np.ndarray | None]:
    """Each role's column in lab units (None for an absent optional role); rows with a NaN
    in any role's column that is present (required, or optional and found) are dropped
    with an :class:`EISDataWarning`."""
    wanted = tuple(roles) + tuple(optional)
    cols = find_columns(table.headers, wanted, str(path), table.where, mapping, optional)
    present = {role: c for role, c in cols.items() if c is not None}
    data = table.values([c.index for c in present.values()], str(path))
    values: dict[str, np.ndarray | None] = dict.fromkeys(wanted)
    for k, (role, c) in enumerate(present.items()):
        values[role] = c.convert(data[:, k])
    finite = np.all(np.isfinite(data), axis=1)
    if not np.all(finite):
        warnings.warn(
            f"{path}: dropped {int((~finite).sum())} of {finite.size} rows with missing "
            f"{'/'.join(present)} values",
            EISDataWarning,
            stacklevel=3,
        )
    return {role: None if v is None else v[finite] for role, v in values.items()}


def clean_spectrum(
    path: Path,
    instrument: str,
    f: np.ndarray,
    zr: np.ndarray,
    zi: np.ndarray,
    metadata: dict[str, Any],
) -> EISSpectrum:
    """Drop unusable points and merge repeated frequencies, with a warning; refuse a file
    left with fewer than :data:`MIN_EIS_POINTS` distinct frequencies.

    Dropped: NaN/missing values, frequency <= 0, and values no analyser measures
    (frequency outside :data:`PLAUSIBLE_FREQUENCY_HZ`, |Z| = 0 or a component beyond
    :data:`MAX_IMPEDANCE_OHM`). Points that repeat a frequency are merged into one at
    their mean impedance: a repeat adds no frequency, and counted twice it would make a
    spectrum look better determined than it is.

    Example:
        >>> f = np.array([100.0, 10.0, 10.0, 1.0, 0.1, 0.01, np.nan])
        >>> z = np.array([5.0, 6.0, 8.0, 9.0, 10.0, 12.0, 1.0])
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     s = clean_spectrum(Path("a.csv"), "csv", f, z, -z / 10, {})
        >>> s.frequency_Hz.tolist(), s.z_real_ohm.tolist(), len(caught)
        ([100.0, 10.0, 1.0, 0.1, 0.01], [5.0, 7.0, 9.0, 10.0, 12.0], 2)
    """
    # Parstat logs the DC hold before the sweep as rows with f = 0 and Z = 0: not data.
    dc_rows = (f == 0) & (zr == 0) & (zi == 0)
    if np.any(dc_rows):
        log.info("%s: skipped %d DC-hold rows (f = 0, Z = 0)", path, int(dc_rows.sum()))
    f, zr, zi = f[~dc_rows], zr[~dc_rows], zi[~dc_rows]
    nonfinite = ~(np.isfinite(f) & np.isfinite(zr) & np.isfinite(zi))
    nonpositive = np.isfinite(f) & (f <= 0)
    with np.errstate(invalid="ignore"):
        implausible = (
            ~nonfinite
            & ~nonpositive
            & (
                (f < PLAUSIBLE_FREQUENCY_HZ[0])
                | (f > PLAUSIBLE_FREQUENCY_HZ[1])
                | (np.maximum(np.abs(zr), np.abs(zi)) > MAX_IMPEDANCE_OHM)
                | ((zr == 0) & (zi == 0))
            )
        )
    bad = nonfinite | nonpositive | implausible
    if np.any(bad):
        reasons = (
            f"{int(nonfinite.sum())} with NaN/missing values, "
            f"{int(nonpositive.sum())} with frequency <= 0"
        )
        if np.any(implausible):
            reasons += (
                f", {int(implausible.sum())} outside {PLAUSIBLE_FREQUENCY_HZ[0]:g}-"
                f"{PLAUSIBLE_FREQUENCY_HZ[1]:g} Hz or with |Z| = 0 or > {MAX_IMPEDANCE_OHM:g} Ω"
            )
        warnings.warn(
            f"{path}: dropped {int(bad.sum())} of {f.size} points ({reasons})",
            EISDataWarning,
            stacklevel=3,
        )
    f, zr, zi = _merge_repeated_frequencies(path, f[~bad], zr[~bad], zi[~bad])
    if f.size < MIN_EIS_POINTS:
        raise EISFileError(
            f"{path}: only {f.size} distinct frequenc{'y' if f.size == 1 else 'ies'} with valid "
            "impedance "
            f"(need >= {MIN_EIS_POINTS}); is this an impedance file?"
        )
    return EISSpectrum(f, zr, zi, str(path), instrument, metadata)


def _merge_repeated_frequencies(
    path: Path, f: np.ndarray, zr: np.ndarray, zi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One point per frequency (mean Z of the repeats), in the file's order; warns."""
    unique, first, inverse, counts = np.unique(
        f, return_index=True, return_inverse=True, return_counts=True
    )
    if unique.size == f.size:
        return f, zr, zi
    warnings.warn(
        f"{path}: {f.size - unique.size} points repeat a frequency already measured "
        f"({unique.size} distinct of {f.size}); merged into one point per frequency "
        "at the mean impedance",
        EISDataWarning,
        stacklevel=4,
    )
    mean_zr = np.bincount(inverse, weights=zr) / counts
    mean_zi = np.bincount(inverse, weights=zi) / counts
    order = np.argsort(first, kind="stable")
    return unique[order], mean_zr[order], mean_zi[order]
