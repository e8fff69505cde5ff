"""Per-instrument parsers: where each instrument's file keeps its table, and its quirks.

EIS readers take (path, column mapping) and return an
:class:`~sselab.electrochem.records.EISSpectrum`; table readers (cycling, DC
polarisation) take a path and return a :class:`~sselab.electrochem.columns.ColumnTable`.
:data:`sselab.electrochem.readers.FORMATS` says which function reads which files.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sselab.electrochem.columns import (
    ColumnTable,
    clean_spectrum,
    is_numeric_row,
    parse_rows,
    read_lines,
    sniff_delimiter,
    spectrum_from_table,
    split_cells,
    text_table,
)
from sselab.electrochem.records import EISDataWarning, EISFileError, EISSpectrum


def _biologic_header_count(lines: Sequence[str], path: Path) -> int:
    for line in lines[:5]:
        match = re.match(r"\s*Nb header lines\s*:\s*(\d+)", line)
        if match:
            return int(match.group(1))
    if lines and lines[0].startswith("EC-Lab ASCII FILE"):
        raise EISFileError(f"{path}: EC-Lab file without a 'Nb header lines' entry")
    return 1  # an export without the EC-Lab header: the column names are on line 1


def _biologic_text_table(path: Path, lines: list[str]) -> ColumnTable:
    n_header = _biologic_header_count(lines, path)
    if n_header > len(lines):
        raise EISFileError(f"{path}: header claims {n_header} lines, file has {len(lines)}")
    return text_table(lines, n_header - 1, n_header, f"the header on line {n_header}")


def _mpr_table(path: Path) -> ColumnTable:
    from galvani.BioLogic import MPRfile

    try:
        data = MPRfile(str(path)).data
    except Exception as exc:  # galvani raises ValueError/NotImplementedError/struct errors
        raise EISFileError(f"{path}: galvani cannot read this .mpr file ({exc})") from None
    return ColumnTable(list(data.dtype.names), "the .mpr columns", array=data)


def biologic_table(path: Path) -> ColumnTable:
    """BioLogic EC-Lab record: binary .mpr (through galvani) or the .mpt text export."""
    if path.suffix.lower() == ".mpr":
        return _mpr_table(path)
    return _biologic_text_table(path, read_lines(path))


def read_biologic(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """BioLogic EC-Lab PEIS/GEIS: .mpr (binary) or .mpt (text, header block, -Im(Z))."""
    if path.suffix.lower() == ".mpr":
        return spectrum_from_table(path, "biologic", _mpr_table(path), mapping)
    table = _biologic_text_table(path, read_lines(path))
    rows = table.rows or []
    if rows and len(table.headers) != len(rows[0][1]):
        # A header with a missing name shifts every column: refuse rather than misassign.
        mismatch = f"header has {len(table.headers)} columns, data has {len(rows[0][1])}"
    else:
        mismatch = ""
    try:
        return spectrum_from_table(path, "biologic", table, mapping)
    except EISFileError as exc:
        if mismatch:
            raise EISFileError(f"{exc} ({mismatch})") from None
        raise


def read_gamry(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Gamry .DTA: the ZCURVE table; an aborted sweep is read with a warning."""
    lines = read_lines(path)
    start = next((k for k, line in enumerate(lines) if line.startswith("ZCURVE")), None)
    if start is None:
        raise EISFileError(f"{path}: no ZCURVE table (not a Gamry EIS file?)")
    stop = start + 3
    while stop < len(lines) and lines[stop].startswith("\t"):
        stop += 1
    # Gamry writes a locale decimal comma in some installations; cells are tab-separated.
    data_lines = [line.replace(",", ".") for line in lines]
    where = f"the ZCURVE header on line {start + 2}"
    table = text_table(data_lines, start + 1, start + 3, where, stop)
    spectrum = spectrum_from_table(path, "gamry", table, mapping)
    if any(line.startswith("EXPERIMENTABORTED") for line in lines):
        planned = _gamry_value(lines, "FREQFINAL")
        reached = float(spectrum.frequency_Hz.min())
        spectrum.metadata["aborted"] = True
        of_planned = "" if planned is None else f" of the planned {planned:.4g} Hz"
        warnings.warn(
            f"{path}: experiment aborted after {spectrum.n_points} points; the sweep reached "
            f"{reached:.4g} Hz{of_planned} (low-frequency data missing)",
            EISDataWarning,
            stacklevel=2,
        )
    return spectrum


def _gamry_value(lines: Sequence[str], key: str) -> float | None:
    """The number of a Gamry header line ``KEY<tab>TYPE<tab>value``; None if absent or not
    a number (it only adds to a warning, so a damaged header line must not stop the read)."""
    for line in lines:
        cells = line.split("\t")
        if cells[0] == key and len(cells) > 2:
            try:
                return float(cells[2].replace(",", "."))
            except ValueError:
                return None
    return None


def _read_zview(path: Path, lines: list[str], instrument: str) -> EISSpectrum:
    """ZPlot .z and the Z60W text files Autolab/ZView write share one layout."""
    header = next((k for k, line in enumerate(lines) if "Freq(Hz)" in line.replace(" ", "")), None)
    if header is None:
        raise EISFileError(f"{path}: no 'Freq(Hz)' column header (not a ZPlot/ZView file?)")
    names = lines[header].replace('"', "").split()
    if not ("Z'(a)" in names and "Z''(b)" in names):
        raise EISFileError(f"{path}: ZView header lacks Z'(a)/Z''(b) columns: {names}")
    start = next(
        (k for k in range(header + 1, len(lines)) if is_numeric_row(re.split(r"[\t,]", lines[k]))),
        None,
    )
    if start is None:
        raise EISFileError(f"{path}: no data rows after the column header (line {header + 1})")
    rows = [(k + 1, re.split(r"\t|,", lines[k])) for k in range(start, len(lines)) if lines[k]]
    # The format's fixed columns: Freq, Ampl, Bias, Time, Z', Z'', GD, Err, Range.
    data = parse_rows(rows, [0, 4, 5], str(path))
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
    return clean_spectrum(path, instrument, data[:, 0], data[:, 1], data[:, 2], metadata)


def _announced_points(lines: Sequence[str]) -> int | None:
    for line in lines:
        match = re.match(r"\s*Data Points:\s*(\d+)", line)
        if match:
            return int(match.group(1))
    return None


def _zview_or_delimited(
    path: Path, mapping: Mapping[str, str] | None, instrument: str
) -> EISSpectrum:
    lines = read_lines(path)
    head = lines[:200]
    if any("Freq(Hz)" in line.replace(" ", "") for line in head) and any(
        "Z''(b)" in line for line in head
    ):
        return _read_zview(path, lines, instrument)
    return _read_delimited(path, lines, instrument, mapping)  # Nova's own tabular export


def read_zplot(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Scribner ZPlot .z (ZView layout: fixed columns; a truncated export is flagged)."""
    return _zview_or_delimited(path, mapping, "zplot")


def read_autolab(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Metrohm Autolab: the Z60W (ZView) text file, or Nova's tabular export."""
    return _zview_or_delimited(path, mapping, "autolab")


def read_chinstruments(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """CH Instruments A.C. Impedance text: the table under the 'Freq/Hz' header."""
    lines = read_lines(path)
    header = next((k for k, line in enumerate(lines) if line.startswith("Freq/Hz")), None)
    if header is None:
        raise EISFileError(f"{path}: no 'Freq/Hz' header line (not a CH Instruments file?)")
    table = text_table(lines, header, header + 1, f"the header on line {header + 1}")
    return spectrum_from_table(path, "chinstruments", table, mapping)


def read_versastudio(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Princeton VersaStudio .par: the <Segment> block and its 'Definition=' columns."""
    lines = read_lines(path)
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
        if lines[k].strip() and is_numeric_row(lines[k].split(","))
    ]
    table = ColumnTable(headers, f"the Definition on line {definition + 1}", rows=rows)
    return spectrum_from_table(path, "versastudio", table, mapping)


def _read_delimited(
    path: Path, lines: list[str], instrument: str, mapping: Mapping[str, str] | None
) -> EISSpectrum:
    """Parstat, PowerSuite and plain CSV: a header line (or none) then rows."""
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise EISFileError(f"{path}: empty file")
    delimiter = sniff_delimiter(lines[first])
    if is_numeric_row(split_cells(lines[first], delimiter)):
        if mapping:
            raise EISFileError(f"{path}: a column mapping was given but the file has no header")
        # No header: the common frequency, Z', Z'' (= Im Z) triple (impedance.py's CSV).
        rows = [
            (k + 1, split_cells(lines[k], delimiter))
            for k in range(first, len(lines))
            if lines[k].strip()
        ]
        table = ColumnTable(["freq", "zre", "zim"], "the columns", rows=rows)
        return spectrum_from_table(path, instrument, table, None)
    table = text_table(lines, first, first + 1, f"the header on line {first + 1}")
    return spectrum_from_table(path, instrument, table, mapping)


def read_parstat(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Parstat text export: one header line (Potential, Zre (ohms) ...), then rows."""
    return _read_delimited(path, read_lines(path), "parstat", mapping)


def read_powersuite(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """PowerSuite text export: Frequency, Zre, Zimg (tab-separated)."""
    return _read_delimited(path, read_lines(path), "powersuite", mapping)


def read_csv(path: Path, mapping: Mapping[str, str] | None = None) -> EISSpectrum:
    """Delimited text: a header naming the columns (with units), or no header and the
    frequency, Z', Z'' (= Im Z) triple."""
    return _read_delimited(path, read_lines(path), "csv", mapping)


def delimited_table(path: Path) -> ColumnTable:
    """Delimited text with the column names on the first non-blank line (LAND, Neware,
    Arbin and most CSV exports)."""
    lines = read_lines(path)
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise EISFileError(f"{path}: empty file")
    return text_table(lines, first, first + 1, f"the header on line {first + 1}")
