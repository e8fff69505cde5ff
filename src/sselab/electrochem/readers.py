"""Reading instrument files: a table of formats, and the entry points that consult it.

Like ``ase.io.formats``, every supported format is one record of :data:`FORMATS`: its
name, the kind of data it holds ("eis": an impedance spectrum; "cycling": a time
series of voltage and current, also used for DC polarisation), the file suffixes it
claims, a test of the file's first lines for files whose suffix says nothing (.txt),
and the function that reads it (:mod:`sselab.electrochem.instruments`). A format is
chosen by the ``instrument`` name when given, else by suffix, else by the first
record whose test matches, else the kind's fallback (plain delimited text).

Every reader returns plain arrays in lab units (Hz, Ω, s, V, mA) and the convention
``z_imag_ohm = Im(Z)`` (negative for a capacitive arc), whatever the file stored
(BioLogic writes -Im(Z)).

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

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sselab.electrochem import instruments
from sselab.electrochem.columns import ColumnTable, read_lines, table_columns
from sselab.electrochem.records import CyclingData, EISFileError, EISSpectrum

Kind = Literal["eis", "cycling"]
SNIFF_LINES = 30  # lines of a file's head shown to the formats' tests


@dataclass(frozen=True)
class InstrumentFormat:
    """One readable file format.

    Attributes:
        name: the instrument name users give (``--instrument``) and spectra carry.
        kind: "eis" (``reader`` returns an :class:`EISSpectrum`, and takes the user's
            column mapping) or "cycling" (``reader`` returns a :class:`ColumnTable`).
        suffixes: lower-case suffixes that select this format outright.
        sniff: test of the file's head (its first :data:`SNIFF_LINES` lines joined by
            newlines) for files whose suffix selects nothing; None: by suffix or name only.
        reader: the parser.
        description: one line for help texts.
    """

    name: str
    kind: Kind
    suffixes: tuple[str, ...]
    sniff: Callable[[str], bool] | None
    reader: Callable[..., Any]
    description: str


def _first_line(head: str) -> str:
    return head.splitlines()[0] if head else ""


# Order matters: the first matching test wins ("csv" last, as the fallback).
FORMATS: tuple[InstrumentFormat, ...] = (
    InstrumentFormat(
        "biologic",
        "eis",
        (".mpt", ".mpr"),
        lambda head: "EC-Lab ASCII FILE" in head,
        instruments.read_biologic,
        "BioLogic EC-Lab .mpt (text) and .mpr (binary)",
    ),
    InstrumentFormat(
        "autolab",
        "eis",
        (),
        lambda head: "Z60W" in head,
        instruments.read_autolab,
        "Metrohm Autolab Z60W (ZView) text or Nova export",
    ),
    InstrumentFormat(
        "zplot",
        "eis",
        (".z",),
        lambda head: "ZPLOT" in head.upper(),
        instruments.read_zplot,
        "Scribner ZPlot .z",
    ),
    InstrumentFormat(
        "chinstruments",
        "eis",
        (),
        lambda head: "A.C. Impedance" in head or "Freq/Hz" in head,
        instruments.read_chinstruments,
        "CH Instruments A.C. Impedance text",
    ),
    InstrumentFormat(
        "gamry",
        "eis",
        (".dta",),
        lambda head: "ZCURVE" in head or head.startswith("EXPLAIN"),
        instruments.read_gamry,
        "Gamry .DTA",
    ),
    InstrumentFormat(
        "parstat",
        "eis",
        (),
        lambda head: (
            _first_line(head).startswith("Potential (V)") and "Zre (ohms)" in _first_line(head)
        ),
        instruments.read_parstat,
        "Parstat text export",
    ),
    InstrumentFormat(
        "versastudio",
        "eis",
        (".par",),
        None,
        instruments.read_versastudio,
        "Princeton VersaStudio .par",
    ),
    InstrumentFormat(
        "powersuite",
        "eis",
        (),
        lambda head: re.match(r"Frequency\t\s*Zre\t\s*Zimg", _first_line(head)) is not None,
        instruments.read_powersuite,
        "PowerSuite text export",
    ),
    InstrumentFormat(
        "csv",
        "eis",
        (".csv",),
        None,
        instruments.read_csv,
        "delimited text: named columns with units, or frequency, Z', Z'' without header",
    ),
    InstrumentFormat(
        "biologic",
        "cycling",
        (".mpt", ".mpr"),
        lambda head: "EC-Lab ASCII FILE" in head,
        instruments.biologic_table,
        "BioLogic EC-Lab GCPL/CA .mpt (text) and .mpr (binary)",
    ),
    InstrumentFormat(
        "csv",
        "cycling",
        (),
        None,
        instruments.delimited_table,
        "delimited text with named columns (LAND, Neware, Arbin, CSV exports)",
    ),
)

INSTRUMENTS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.kind == "eis")


def formats(kind: Kind) -> tuple[InstrumentFormat, ...]:
    """The formats of one kind, in detection order.

    Example:
        >>> [f.name for f in formats("cycling")]
        ['biologic', 'csv']
    """
    return tuple(f for f in FORMATS if f.kind == kind)


def find_format(
    path: str | Path, kind: Kind = "eis", instrument: str | None = None
) -> InstrumentFormat:
    """The format that reads ``path``: by ``instrument`` name, suffix, head test, fallback.

    Raises:
        EISFileError: an ``instrument`` name no format of this kind has.

    Example:
        >>> find_format("cell.DTA").name, find_format("gcpl.mpr", "cycling").name
        ('gamry', 'biologic')
    """
    path = Path(path)
    candidates = formats(kind)
    if instrument is not None:
        named = [f for f in candidates if f.name == instrument]
        if not named:
            names = tuple(f.name for f in candidates)
            raise EISFileError(f"{path}: unknown instrument '{instrument}'; choose one of {names}")
        return named[0]
    suffix = path.suffix.lower()
    by_suffix = [f for f in candidates if suffix in f.suffixes]
    if by_suffix:
        return by_suffix[0]
    head = "\n".join(read_lines(path)[:SNIFF_LINES])
    sniffed = [f for f in candidates if f.sniff is not None and f.sniff(head)]
    return sniffed[0] if sniffed else candidates[-1]


def detect_instrument(path: str | Path) -> str:
    """Guess the instrument format of an impedance file from its extension and first lines.

    Returns:
        One of :data:`INSTRUMENTS`.

    Example:
        >>> detect_instrument("cell.DTA")
        'gamry'
    """
    return find_format(path, "eis").name


def read_eis(
    path: str | Path,
    instrument: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> EISSpectrum:
    """Read an impedance spectrum from an instrument file.

    Supported (:data:`FORMATS`): BioLogic .mpt (text) and .mpr (binary, via galvani),
    Gamry .DTA, Autolab (Z60W/ZView text), Scribner ZPlot .z, Parstat, CH Instruments,
    VersaStudio .par, PowerSuite and delimited text/CSV. Columns are found by name and
    unit; a CSV without header is read as (frequency, Z', Z'') with Z'' = Im(Z).

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

    The skipped example needs the shared data folder; tests/electrochem/test_eis.py
    reads every file in it.
    """
    path = Path(path)
    if not path.is_file():
        raise EISFileError(f"{path}: no such file")
    spectrum: EISSpectrum = find_format(path, "eis", instrument).reader(path, columns)
    return spectrum


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
        >>> _ = Path("/tmp/dcpol.csv").write_text("Voltage (V),Current (uA)\\n0.1,1.2\\n0.2,2.4\\n")
        >>> read_columns("/tmp/dcpol.csv", ("voltage", "current"))["current"].tolist()
        [0.0012, 0.0024]
    """
    path = Path(path)
    if not path.is_file():
        raise EISFileError(f"{path}: no such file")
    table: ColumnTable = find_format(path, "cycling").reader(path)
    return table_columns(path, table, roles, optional, columns)


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
        >>> rows = "".join(f"{60 * k},{3.7 + 0.01 * k},0.5\\n" for k in range(4))
        >>> _ = Path("/tmp/gcpl.csv").write_text("Test Time(s),Voltage(V),Current(mA)\\n" + rows)
        >>> read_cycling("/tmp/gcpl.csv").duration_h
        0.05
    """
    values = read_columns(path, ("time", "voltage", "current"), ("cycle",), columns)
    time_s, voltage_V, current_mA = values["time"], values["voltage"], values["current"]
    assert time_s is not None and voltage_V is not None and current_mA is not None  # required
    return CyclingData(time_s, voltage_V, current_mA, values["cycle"], str(path))
