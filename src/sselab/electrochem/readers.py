"""Readers for impedance spectra and cycling data, from the instruments' own files.

Every reader returns plain arrays in SI-ish lab units (Hz, Ω, s, V, mA) and the
convention ``z_imag_ohm = Im(Z)`` (negative for a capacitive arc), whatever the file
stored (BioLogic writes -Im(Z)).

Why our own parsers rather than ``impedance.preprocessing.readFile``: on the shared
example files impedance.py's readers give the right numbers, but they locate columns by
fixed position, stop with a bare ``AssertionError``/``IndexError`` on a broken file
(exampleDataBioLogic_MissingFreq.mpt), read an aborted Gamry run without saying so and
pass NaNs and non-positive frequencies straight into a fit. Here columns are found by
name with their units (kHz, kΩ, mA, h ...), bad points are dropped with a warning and
broken files raise :class:`EISFileError` naming the file and the problem. The test
suite checks that both give the same spectra on the good files. BioLogic's binary .mpr
goes through ``galvani.BioLogic.MPRfile``.
"""

from __future__ import annotations

import csv
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MIN_EIS_POINTS = 5

INSTRUMENTS = (
    "biologic",
    "gamry",
    "autolab",
    "zplot",
    "parstat",
    "chinstruments",
    "versastudio",
    "powersuite",
    "csv",
)


class EISFileError(ValueError):
    """An instrument file that cannot be read; the message names the file and the problem."""


class EISDataWarning(UserWarning):
    """Points were dropped or a run is incomplete; the message says which and why."""


@dataclass
class EISSpectrum:
    """One impedance spectrum, sorted from high to low frequency.

    Attributes:
        frequency_Hz: measurement frequencies (Hz, > 0).
        z_real_ohm: Re(Z) in Ω.
        z_imag_ohm: Im(Z) in Ω (negative for capacitive behaviour).
        source: file name or a label.
        instrument: the format it was read from ("synthetic" for generated data).
        metadata: anything else worth keeping (temperature_K, notes, header values).

    Example:
        >>> s = EISSpectrum(np.array([1.0, 10.0]), np.array([2.0, 1.0]), np.array([-1.0, -0.5]))
        >>> s.frequency_Hz.tolist(), s.z_ohm[0]
        ([10.0, 1.0], np.complex128(1-0.5j))
    """

    frequency_Hz: np.ndarray
    z_real_ohm: np.ndarray
    z_imag_ohm: np.ndarray
    source: str = "array"
    instrument: str = "synthetic"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = np.asarray(self.frequency_Hz, dtype=float)
        zr = np.asarray(self.z_real_ohm, dtype=float)
        zi = np.asarray(self.z_imag_ohm, dtype=float)
        if not (f.ndim == 1 and f.shape == zr.shape == zi.shape):
            raise EISFileError(
                f"{self.source}: frequency, Z' and Z'' must be 1-D arrays of equal length, "
                f"got shapes {f.shape}, {zr.shape}, {zi.shape}"
            )
        if not (np.all(np.isfinite(f)) and np.all(np.isfinite(zr)) and np.all(np.isfinite(zi))):
            raise EISFileError(f"{self.source}: spectrum contains NaN or infinite values")
        if np.any(f <= 0):
            raise EISFileError(f"{self.source}: frequencies must be > 0 Hz")
        order = np.argsort(-f, kind="stable")
        self.frequency_Hz, self.z_real_ohm, self.z_imag_ohm = f[order], zr[order], zi[order]

    @property
    def z_ohm(self) -> np.ndarray:
        """Complex impedance Z' + j Z'' (Ω)."""
        return self.z_real_ohm + 1j * self.z_imag_ohm

    @property
    def n_points(self) -> int:
        """Number of frequencies."""
        return int(self.frequency_Hz.size)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "source": self.source,
            "instrument": self.instrument,
            "frequency_Hz": self.frequency_Hz.tolist(),
            "z_real_ohm": self.z_real_ohm.tolist(),
            "z_imag_ohm": self.z_imag_ohm.tolist(),
            "metadata": {k: v for k, v in self.metadata.items() if _jsonable(v)},
        }


@dataclass
class CyclingData:
    """A galvanostatic record: time, cell voltage, current and cycle index.

    Attributes:
        time_s: time since the start (s), non-decreasing.
        voltage_V: cell voltage (V).
        current_mA: current (mA); positive = charge (full cell) or plating on the
            working electrode's counterpart, as the instrument signs it.
        cycle: cycle index per point (from the file, or -1 where the file has none).
        source: file name or label.

    Example:
        >>> d = CyclingData(np.arange(3.0), np.ones(3), np.zeros(3))
        >>> d.duration_h
        0.0005555555555555556
    """

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_mA: np.ndarray
    cycle: np.ndarray | None = None
    source: str = "array"

    def __post_init__(self) -> None:
        t = np.asarray(self.time_s, dtype=float)
        v = np.asarray(self.voltage_V, dtype=float)
        i = np.asarray(self.current_mA, dtype=float)
        if not (t.ndim == 1 and t.shape == v.shape == i.shape) or t.size < 2:
            raise EISFileError(
                f"{self.source}: time, voltage and current must be equal-length 1-D arrays "
                f"with >= 2 points, got shapes {t.shape}, {v.shape}, {i.shape}"
            )
        for name, values in (("time", t), ("voltage", v), ("current", i)):
            if not np.all(np.isfinite(values)):
                raise EISFileError(f"{self.source}: {name} column contains NaN or infinite values")
        if np.any(np.diff(t) < 0):
            raise EISFileError(f"{self.source}: time goes backwards at row {_first_drop(t) + 1}")
        cycle = (
            np.full(t.size, -1, dtype=int)
            if self.cycle is None
            else np.asarray(self.cycle, dtype=float).astype(int)
        )
        if cycle.shape != t.shape:
            raise EISFileError(f"{self.source}: cycle column length differs from time")
        self.time_s, self.voltage_V, self.current_mA, self.cycle = t, v, i, cycle

    @property
    def duration_h(self) -> float:
        """Length of the record (h)."""
        return float(self.time_s[-1] - self.time_s[0]) / 3600.0


def _first_drop(values: np.ndarray) -> int:
    return int(np.flatnonzero(np.diff(values) < 0)[0]) + 1


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None) | list)


# --- column names -------------------------------------------------------------------

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
class _Column:
    index: int
    negated: bool
    scale: float


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


def _find_columns(
    headers: Sequence[str],
    roles: Sequence[str],
    path: str,
    where: str,
    mapping: Mapping[str, str] | None = None,
    optional: Sequence[str] = (),
) -> dict[str, _Column | None]:
    """Locate each role's column by name (or by the user's ``mapping``)."""
    parsed = [_split_name(h) for h in headers]
    names = [h.strip().strip('"').strip() for h in headers]
    found: dict[str, _Column | None] = {}
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
        found[role] = _Column(
            index, negated != force_negated, _unit_scale(unit, role, path, headers[index])
        )
    return found


# --- tables -----------------------------------------------------------------------


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


def _parse_rows(
    rows: Sequence[tuple[int, Sequence[str]]], columns: Sequence[int], path: str
) -> np.ndarray:
    """Rows of text cells -> float array of the wanted columns; errors name the line."""
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


def _read_lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EISFileError(f"{path}: cannot open ({exc.strerror})") from None
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        # EC-Lab and Gamry write Windows-1252/Latin-1 (µ, °, Ω in headers).
        return raw.decode("latin-1").splitlines()


def _sniff_delimiter(line: str) -> str | None:
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return delimiter
    return None


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def _is_numeric_row(cells: Sequence[str]) -> bool:
    try:
        [_to_float(c) for c in cells if c.strip()]
    except ValueError:
        return False
    return any(c.strip() for c in cells)


def _table(
    lines: Sequence[str], header_index: int, data_start: int, stop: int | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and data rows (with 1-based line numbers) of a delimited block."""
    delimiter = _sniff_delimiter(lines[header_index])
    headers = _split(lines[header_index], delimiter)
    rows = []
    for k in range(data_start, len(lines) if stop is None else stop):
        if not lines[k].strip():
            continue
        rows.append((k + 1, _split(lines[k], delimiter)))
    return headers, rows


def _spectrum_from_table(
    path: Path,
    instrument: str,
    headers: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str]]],
    where: str,
    mapping: Mapping[str, str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> EISSpectrum:
    cols = _find_columns(headers, ("frequency", "z_real", "z_imag"), str(path), where, mapping)
    if not rows:
        raise EISFileError(f"{path}: no data rows after the header ({where})")
    data = _parse_rows(rows, [c.index for c in cols.values()], str(path))
    f, zr, zi = (
        data[:, k] * c.scale * (-1.0 if c.negated else 1.0) for k, c in enumerate(cols.values())
    )
    return _clean_spectrum(path, instrument, f, zr, zi, metadata or {})


def _clean_spectrum(
    path: Path,
    instrument: str,
    f: np.ndarray,
    zr: np.ndarray,
    zi: np.ndarray,
    metadata: dict[str, Any],
) -> EISSpectrum:
    """Drop NaN / non-positive-frequency points with a warning; refuse if too few remain."""
    # Parstat logs the DC hold before the sweep as rows with f = 0 and Z = 0: not data.
    dc_rows = (f == 0) & (zr == 0) & (zi == 0)
    if np.any(dc_rows):
        log.info("%s: skipped %d DC-hold rows (f = 0, Z = 0)", path, int(dc_rows.sum()))
    f, zr, zi = f[~dc_rows], zr[~dc_rows], zi[~dc_rows]
    nonfinite = ~(np.isfinite(f) & np.isfinite(zr) & np.isfinite(zi))
    nonpositive = np.isfinite(f) & (f <= 0)
    bad = nonfinite | nonpositive
    if np.any(bad):
        warnings.warn(
            f"{path}: dropped {int(bad.sum())} of {f.size} points "
            f"({int(nonfinite.sum())} with NaN/missing values, "
            f"{int(nonpositive.sum())} with frequency <= 0)",
            EISDataWarning,
            stacklevel=3,
        )
    keep = ~bad
    if keep.sum() < MIN_EIS_POINTS:
        raise EISFileError(
            f"{path}: only {int(keep.sum())} valid impedance points "
            f"(need >= {MIN_EIS_POINTS}); is this an impedance file?"
        )
    return EISSpectrum(f[keep], zr[keep], zi[keep], str(path), instrument, metadata)


# --- formats ----------------------------------------------------------------------


def _biologic_header_count(lines: Sequence[str], path: Path) -> int:
    for line in lines[:5]:
        match = re.match(r"\s*Nb header lines\s*:\s*(\d+)", line)
        if match:
            return int(match.group(1))
    if lines and lines[0].startswith("EC-Lab ASCII FILE"):
        raise EISFileError(f"{path}: EC-Lab file without a 'Nb header lines' entry")
    return 1  # an export without the EC-Lab header: the column names are on line 1


def _read_biologic_mpt(path: Path, lines: list[str], mapping: Mapping[str, str] | None):
    n_header = _biologic_header_count(lines, path)
    if n_header > len(lines):
        raise EISFileError(f"{path}: header claims {n_header} lines, file has {len(lines)}")
    headers, rows = _table(lines, n_header - 1, n_header)
    if rows and len(headers) != len(rows[0][1]):
        # A header with a missing name shifts every column: refuse rather than misassign.
        mismatch = f"header has {len(headers)} columns, data has {len(rows[0][1])}"
    else:
        mismatch = ""
    try:
        return _spectrum_from_table(
            path, "biologic", headers, rows, f"the header on line {n_header}", mapping
        )
    except EISFileError as exc:
        if mismatch:
            raise EISFileError(f"{exc} ({mismatch})") from None
        raise


def _read_biologic_mpr(path: Path, mapping: Mapping[str, str] | None) -> EISSpectrum:
    data = _mpr_data(path)
    headers = list(data.dtype.names)
    cols = _find_columns(
        headers, ("frequency", "z_real", "z_imag"), str(path), "the .mpr columns", mapping
    )
    f, zr, zi = (
        np.asarray(data[headers[c.index]], dtype=float) * c.scale * (-1.0 if c.negated else 1.0)
        for c in cols.values()
    )
    return _clean_spectrum(path, "biologic", f, zr, zi, {})


def _mpr_data(path: Path) -> np.ndarray:
    from galvani.BioLogic import MPRfile

    try:
        return MPRfile(str(path)).data
    except Exception as exc:  # galvani raises ValueError/NotImplementedError/struct errors
        raise EISFileError(f"{path}: galvani cannot read this .mpr file ({exc})") from None


def _read_gamry(path: Path, lines: list[str], mapping: Mapping[str, str] | None):
    start = next((k for k, line in enumerate(lines) if line.startswith("ZCURVE")), None)
    if start is None:
        raise EISFileError(f"{path}: no ZCURVE table (not a Gamry EIS file?)")
    stop = start + 3
    while stop < len(lines) and lines[stop].startswith("\t"):
        stop += 1
    # Gamry writes a locale decimal comma in some installations; cells are tab-separated.
    data_lines = [line.replace(",", ".") for line in lines]
    headers, rows = _table(data_lines, start + 1, start + 3, stop)
    spectrum = _spectrum_from_table(
        path, "gamry", headers, rows, f"the ZCURVE header on line {start + 2}", mapping
    )
    if any(line.startswith("EXPERIMENTABORTED") for line in lines):
        planned = _gamry_value(lines, "FREQFINAL")
        reached = float(spectrum.frequency_Hz.min())
        spectrum.metadata["aborted"] = True
        warnings.warn(
            f"{path}: experiment aborted after {spectrum.n_points} points; the sweep reached "
            f"{reached:.4g} Hz of the planned {planned:.4g} Hz (low-frequency data missing)",
            EISDataWarning,
            stacklevel=2,
        )
    return spectrum


def _gamry_value(lines: Sequence[str], key: str) -> float:
    for line in lines:
        cells = line.split("\t")
        if cells[0] == key and len(cells) > 2:
            return float(cells[2].replace(",", "."))
    return float("nan")


def _read_zview(path: Path, lines: list[str], instrument: str):
    """ZPlot .z and the Z60W text files Autolab/ZView write share one layout."""
    header = next((k for k, line in enumerate(lines) if "Freq(Hz)" in line.replace(" ", "")), None)
    if header is None:
        raise EISFileError(f"{path}: no 'Freq(Hz)' column header (not a ZPlot/ZView file?)")
    names = lines[header].replace('"', "").split()
    if not ("Z'(a)" in names and "Z''(b)" in names):
        raise EISFileError(f"{path}: ZView header lacks Z'(a)/Z''(b) columns: {names}")
    start = next(
        (k for k in range(header + 1, len(lines)) if _is_numeric_row(re.split(r"[\t,]", lines[k]))),
        None,
    )
    if start is None:
        raise EISFileError(f"{path}: no data rows after the column header (line {header + 1})")
    rows = [(k + 1, re.split(r"\t|,", lines[k])) for k in range(start, len(lines)) if lines[k]]
    # The format's fixed columns: Freq, Ampl, Bias, Time, Z', Z'', GD, Err, Range.
    data = _parse_rows(rows, [0, 4, 5], str(path))
    metadata: dict[str, Any] = {}
    announced = _announced_points(lines)
    if announced is not None and announced != len(rows):
        metadata["points_announced"] = announced
        warnings.warn(
            f"{path}: header announces {announced} points, the file holds {len(rows)} "
            "(truncated export?)",
            EISDataWarning,
            stacklevel=2,
        )
    return _clean_spectrum(path, instrument, data[:, 0], data[:, 1], data[:, 2], metadata)


def _announced_points(lines: Sequence[str]) -> int | None:
    for line in lines:
        match = re.match(r"\s*Data Points:\s*(\d+)", line)
        if match:
            return int(match.group(1))
    return None


def _read_chi(path: Path, lines: list[str], mapping: Mapping[str, str] | None):
    header = next((k for k, line in enumerate(lines) if line.startswith("Freq/Hz")), None)
    if header is None:
        raise EISFileError(f"{path}: no 'Freq/Hz' header line (not a CH Instruments file?)")
    headers, rows = _table(lines, header, header + 1)
    return _spectrum_from_table(
        path, "chinstruments", headers, rows, f"the header on line {header + 1}", mapping
    )


def _read_versastudio(path: Path, lines: list[str], mapping: Mapping[str, str] | None):
    opening = next((k for k, line in enumerate(lines) if re.match(r"<Segment\d+>", line)), None)
    if opening is None:
        raise EISFileError(f"{path}: no <Segment> data block (not a VersaStudio .par file?)")
    tag = lines[opening].strip()[1:-1]
    closing = next(
        (k for k in range(opening, len(lines)) if lines[k].strip() == f"</{tag}>"), len(lines)
    )
    definition = next(
        (k for k in range(opening, closing) if lines[k].startswith("Definition=")), None
    )
    if definition is None:
        raise EISFileError(f"{path}: <{tag}> has no 'Definition=' column list")
    headers = lines[definition].removeprefix("Definition=").split(",")
    rows = [
        (k + 1, lines[k].split(","))
        for k in range(definition + 1, closing)
        if lines[k].strip() and _is_numeric_row(lines[k].split(","))
    ]
    return _spectrum_from_table(
        path, "versastudio", headers, rows, f"the Definition on line {definition + 1}", mapping
    )


def _read_delimited(
    path: Path, lines: list[str], instrument: str, mapping: Mapping[str, str] | None
):
    """Parstat, PowerSuite and plain CSV: a header line (or none) then rows."""
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise EISFileError(f"{path}: empty file")
    delimiter = _sniff_delimiter(lines[first])
    if _is_numeric_row(_split(lines[first], delimiter)):
        if mapping:
            raise EISFileError(f"{path}: a column mapping was given but the file has no header")
        # No header: the common frequency, Z', Z'' (= Im Z) triple (impedance.py's CSV).
        headers = ["freq", "zre", "zim"]
        rows = [
            (k + 1, _split(lines[k], delimiter))
            for k in range(first, len(lines))
            if lines[k].strip()
        ]
        return _spectrum_from_table(path, instrument, headers, rows, "the columns", None)
    headers, rows = _table(lines, first, first + 1)
    return _spectrum_from_table(
        path, instrument, headers, rows, f"the header on line {first + 1}", mapping
    )


def detect_instrument(path: str | Path) -> str:
    """Guess the instrument format of an impedance file from its extension and first lines.

    Returns:
        One of :data:`INSTRUMENTS`.

    Example:
        >>> detect_instrument("cell.DTA")
        'gamry'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    by_suffix = {
        ".mpt": "biologic",
        ".mpr": "biologic",
        ".dta": "gamry",
        ".z": "zplot",
        ".par": "versastudio",
        ".csv": "csv",
    }
    if suffix in by_suffix:
        return by_suffix[suffix]
    head = "\n".join(_read_lines(path)[:30])
    if "EC-Lab ASCII FILE" in head:
        return "biologic"
    if "Z60W" in head or "ZPLOT" in head.upper():
        return "autolab" if "Z60W" in head else "zplot"
    if "A.C. Impedance" in head or "Freq/Hz" in head:
        return "chinstruments"
    if "ZCURVE" in head or head.startswith("EXPLAIN"):
        return "gamry"
    first = head.splitlines()[0] if head else ""
    if first.startswith("Potential (V)") and "Zre (ohms)" in first:
        return "parstat"
    if re.match(r"Frequency\t\s*Zre\t\s*Zimg", first):
        return "powersuite"
    return "csv"


def read_eis(
    path: str | Path,
    instrument: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> EISSpectrum:
    """Read an impedance spectrum from an instrument file.

    Supported: BioLogic .mpt (text) and .mpr (binary, via galvani), Gamry .DTA, Autolab
    (Z60W/ZView text), Scribner ZPlot .z, Parstat, CH Instruments, VersaStudio .par,
    PowerSuite and delimited text/CSV. Columns are found by name and unit; a CSV
    without header is read as (frequency, Z', Z'') with Z'' = Im(Z).

    Args:
        path: the file.
        instrument: one of :data:`INSTRUMENTS`; guessed from the file when None.
        columns: for CSV/tabular files, the header names of the columns, e.g.
            ``{"frequency": "f (kHz)", "z_real": "Zr", "z_imag": "-Zi"}``; a leading
            "-" on ``z_imag`` means the column holds -Im(Z). Units in the names
            (kHz, kOhm) are applied.

    Returns:
        :class:`EISSpectrum` sorted from high to low frequency, Im(Z) < 0 for capacitive.

    Raises:
        EISFileError: unreadable file, missing column, too few valid points.

    Warns:
        EISDataWarning: NaN or non-positive-frequency points dropped, aborted run,
            fewer points than the header announces.

    Example:
        >>> s = read_eis("../shared/data/eis/exampleDataGamry.DTA")  # doctest: +SKIP
        >>> s.n_points, s.instrument  # doctest: +SKIP
        (72, 'gamry')
    """
    path = Path(path)
    if not path.is_file():
        raise EISFileError(f"{path}: no such file")
    kind = instrument or detect_instrument(path)
    if kind not in INSTRUMENTS:
        raise EISFileError(f"{path}: unknown instrument '{kind}'; choose one of {INSTRUMENTS}")
    if kind == "biologic" and path.suffix.lower() == ".mpr":
        return _read_biologic_mpr(path, columns)
    lines = _read_lines(path)
    if kind == "biologic":
        return _read_biologic_mpt(path, lines, columns)
    if kind == "gamry":
        return _read_gamry(path, lines, columns)
    if kind in ("zplot", "autolab"):
        if any("Freq(Hz)" in line.replace(" ", "") for line in lines[:200]) and any(
            "Z''(b)" in line for line in lines[:200]
        ):
            return _read_zview(path, lines, kind)
        return _read_delimited(path, lines, kind, columns)  # Nova's own tabular export
    if kind == "chinstruments":
        return _read_chi(path, lines, columns)
    if kind == "versastudio":
        return _read_versastudio(path, lines, columns)
    return _read_delimited(path, lines, kind, columns)


# --- cycling ----------------------------------------------------------------------


def read_columns(
    path: str | Path,
    roles: Sequence[str],
    optional: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
) -> dict[str, np.ndarray | None]:
    """Named columns of a tabular file (BioLogic .mpt/.mpr, CSV/TSV), in lab units.

    Roles are "time" (s), "voltage" (V), "current" (mA), "cycle", "frequency" (Hz),
    "z_real"/"z_imag" (Ω); columns are found by name and their units converted (a
    ``Current(A)`` column is multiplied by 1000, ``TestTime/h`` by 3600). Rows with a
    NaN in a required role are dropped with a warning.

    Args:
        path: the file.
        roles: required roles.
        optional: roles returned as None when absent.
        columns: explicit header names per role.

    Raises:
        EISFileError: unreadable file or a required column missing.

    Example:
        >>> read_columns("dcpol.csv", ("voltage", "current"))["current"]  # doctest: +SKIP
        array([0.0012, 0.0024])
    """
    path = Path(path)
    if not path.is_file():
        raise EISFileError(f"{path}: no such file")
    wanted = tuple(roles) + tuple(optional)
    if path.suffix.lower() == ".mpr":
        data = _mpr_data(path)
        headers = list(data.dtype.names)
        cols = _find_columns(headers, wanted, str(path), "the .mpr columns", columns, optional)
        present = {role: c for role, c in cols.items() if c is not None}
        table = np.column_stack(
            [np.asarray(data[headers[c.index]], dtype=float) for c in present.values()]
        )
    else:
        lines = _read_lines(path)
        if path.suffix.lower() == ".mpt":
            n_header = _biologic_header_count(lines, path)
            headers, rows = _table(lines, n_header - 1, n_header)
            where = f"the header on line {n_header}"
        else:
            first = next((k for k, line in enumerate(lines) if line.strip()), None)
            if first is None:
                raise EISFileError(f"{path}: empty file")
            headers, rows = _table(lines, first, first + 1)
            where = f"the header on line {first + 1}"
        cols = _find_columns(headers, wanted, str(path), where, columns, optional)
        if not rows:
            raise EISFileError(f"{path}: no data rows after {where}")
        present = {role: c for role, c in cols.items() if c is not None}
        table = _parse_rows(rows, [c.index for c in present.values()], str(path))
    values: dict[str, np.ndarray | None] = dict.fromkeys(wanted)
    for k, (role, c) in enumerate(present.items()):
        values[role] = table[:, k] * c.scale * (-1.0 if c.negated else 1.0)
    finite = np.all(np.isfinite(table[:, [list(present).index(r) for r in roles]]), axis=1)
    if not np.all(finite):
        warnings.warn(
            f"{path}: dropped {int((~finite).sum())} of {finite.size} rows with missing "
            f"{'/'.join(roles)} values",
            EISDataWarning,
            stacklevel=2,
        )
    return {role: None if v is None else v[finite] for role, v in values.items()}


def read_cycling(path: str | Path, columns: Mapping[str, str] | None = None) -> CyclingData:
    """Read a galvanostatic cycling record (BioLogic GCPL .mpt/.mpr or a CSV export).

    Columns are found by name with units: BioLogic (``time/s``, ``Ewe/V`` or
    ``Ecell/V``, ``I/mA`` or ``<I>/mA``, ``cycle number``), LAND/Neware/Arbin style
    (``Test Time(s)``/``TestTime/h``, ``Voltage(V)``, ``Current(mA)``/``Current(A)``,
    ``Cycle ID``/``Cycle_Index``). Currents are converted to mA, time to s.

    Args:
        path: the file.
        columns: explicit header names per role ("time", "voltage", "current", "cycle").

    Returns:
        :class:`CyclingData`.

    Raises:
        EISFileError: unreadable file or missing time/voltage/current column.

    Example:
        >>> data = read_cycling("symmetric_cell.csv")  # doctest: +SKIP
        >>> data.duration_h  # doctest: +SKIP
        1600.0
    """
    values = read_columns(path, ("time", "voltage", "current"), ("cycle",), columns)
    return CyclingData(
        values["time"], values["voltage"], values["current"], values["cycle"], str(path)
    )
