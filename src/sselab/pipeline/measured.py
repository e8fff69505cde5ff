"""A lab's own measurements beside the computed claims: ``sselab reproduce --measured DIR``.

A folder holds any of: a lab or synchrotron pattern (+ TOF neutron banks), a
room-temperature impedance spectrum, a variable-temperature series (a folder, read as
``sselab eis arrhenius`` reads it), DC polarisation, interface-aging spectra (a
folder), symmetric-cell, CCD-staircase and full-cell cycling records, and a manifest
``measured.toml``::

    [sample]
    name = "Li2.5N0.5S0.5 pellet"
    x = 0.5                    # composition: the refinement's start model
    u_24e = 0.38               # optional: 24e (u, 0, 0) of that model (default sselab's)
    synthetic = false          # true: generated data, labelled so in the report

    [geometry]                 # units in the names
    thickness_mm = 1.0         # pellet: EIS, Arrhenius, DC polarisation
    diameter_mm = 10.0
    electrode_area_cm2 = 0.283 # Li electrode: symmetric cell and CCD
    active_mass_mg = 4.9       # cathode active mass: full cell
    one_c_mA_per_g = 140       # optional (LiCoO2)

    [files]                    # optional: a section missing here is found by name
    xrd = "pattern_CuKa.xye"
    xrd_radiation = "CuKa"     # as `sselab refine -r`
    neutron = ["bank1.xye"]    # TOF banks refined jointly with xrd
    neutron_radiation = "tof:bank1.instprm"
    eis_rt = "pellet_25C.mpt"
    eis_extra = ["other.z"]    # more spectra: fitted and shown, no geometry, no claims
    arrhenius = "vt/"          # folder of sample_60C.mpt ... or manifest.csv
    dcpol = "dcpol.csv"
    aging = "aging/"           # Li|SE|Li spectra with the rest time in the names (12h)
    symmetric = "symmetric.csv"
    ccd = "ccd_staircase.csv"
    full_cell = "full_cell.csv"

Each file is analysed with the code of the matching CLI command (``sselab refine``,
``eis fit``, ``eis arrhenius``, ``dcpol``, ``eis aging``, ``cycling``). Nothing is
required but what a section needs: a section whose file or manifest field is
missing or wrong gets one error line naming the field or file (in
:attr:`MeasuredResults.errors`) and the other sections still run. Nothing here
compares with the paper (``sselab.report.measured`` does).
"""

from __future__ import annotations

import hashlib
import math
import time
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sselab.diffraction.refine import RefinementResult
from sselab.electrochem.aging import AgingResult
from sselab.electrochem.arrhenius import EIS_SUFFIXES, ArrheniusResult
from sselab.electrochem.cycling import (
    CriticalCurrentDensity,
    FullCellResult,
    SymmetricCellResult,
)
from sselab.electrochem.dcpol import DCPolarisation
from sselab.electrochem.eis import EISAnalysis
from sselab.electrochem.records import CyclingData
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip

MANIFEST_NAME = "measured.toml"
EXAMPLE_NAME = "example"  # `--measured example`: the packaged example set

# Analysis order: dcpol compares with the ionic sigma of eis_rt / arrhenius.
SECTIONS: tuple[str, ...] = (
    "xrd",
    "eis_rt",
    "eis_extra",
    "arrhenius",
    "dcpol",
    "aging",
    "symmetric",
    "ccd",
    "full_cell",
)
SECTION_TITLES: dict[str, str] = {
    "xrd": "diffraction (Rietveld)",
    "eis_rt": "room-temperature impedance",
    "eis_extra": "further impedance spectra",
    "arrhenius": "variable-temperature impedance",
    "dcpol": "DC polarisation",
    "aging": "interface aging",
    "symmetric": "symmetric cell",
    "ccd": "critical current density",
    "full_cell": "full cell",
}
_PATTERN_SUFFIXES = (".xy", ".xye", ".csv")
_CYCLING_SUFFIXES = (".mpt", ".mpr", ".csv", ".txt")
# Names a file (or folder) of each kind is found by when [files] does not name it.
_DISCOVER: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    # kind: (name fragments, suffixes; None = a folder)
    "xrd": (("xrd", "sxrd", "pxrd"), _PATTERN_SUFFIXES),
    "neutron": (("neutron", "tof"), _PATTERN_SUFFIXES),
    "eis_rt": (("eis_rt", "rt_eis"), EIS_SUFFIXES),
    "arrhenius": (("vt_eis", "arrhenius", "variable_temperature"), None),
    "dcpol": (("dcpol", "dc_pol"), (".csv", ".txt", ".mpt")),
    "aging": (("aging", "ageing"), None),
    "symmetric": (("symmetric",), _CYCLING_SUFFIXES),
    "ccd": (("ccd",), _CYCLING_SUFFIXES),
    "full_cell": (("full_cell", "fullcell"), _CYCLING_SUFFIXES),
}
_FILE_KEYS = {*SECTIONS, "neutron", "xrd_radiation", "neutron_radiation"}
_KNOWN_KEYS: dict[str, set[str]] = {
    "sample": {"name", "x", "u_24e", "synthetic", "description"},
    "geometry": {
        "thickness_mm",
        "diameter_mm",
        "electrode_area_cm2",
        "active_mass_mg",
        "one_c_mA_per_g",
    },
    "files": _FILE_KEYS,
    "truth": set(),  # any key: the generating values of a synthetic set
}


class ManifestError(ValueError):
    """A manifest field or a measured file that cannot be used; the message names it."""


@dataclass
class MeasuredManifest(RoundTrip):
    """What ``measured.toml`` says, with the sections found by name filled in.

    Attributes:
        folder: the data folder (absolute).
        sample: sample name.
        x: composition x of Li(2+x)N(x)S(1-x) (None: not given).
        u_24e: 24e (u, 0, 0) coordinate of the refinement's start model (None: the
            default of :func:`sselab.structures.antifluorite`).
        synthetic: the files are generated data (the report labels them so).
        description: free text shown in the report.
        geometry: the [geometry] table as written (checked when a section needs it).
        files: section -> file(s) relative to the folder (neutron: the TOF banks).
        discovered: sections whose file was found by name, not named in [files].
        radiation: "xrd" / "neutron" -> radiation spec (as ``sselab refine -r``).
        truth: the generating values of a synthetic set (empty for real data).
        problems: manifest-level problems that stop no section (unknown keys).
    """

    folder: str
    sample: str = "sample"
    x: float | None = None
    u_24e: float | None = None
    synthetic: bool = False
    description: str = ""
    geometry: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    discovered: list[str] = field(default_factory=list)
    radiation: dict[str, str] = field(default_factory=dict)
    truth: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        """The manifest file."""
        return Path(self.folder) / MANIFEST_NAME

    def field_name(self, table: str, key: str) -> str:
        """How errors name a field: ``measured.toml [geometry] thickness_mm``."""
        return f"{MANIFEST_NAME} [{table}] {key}"

    def positive(self, key: str, needed_by: str) -> float:
        """A positive number of [geometry]; the error names the field and who needs it.

        Example:
            >>> m = MeasuredManifest("/data", geometry={"active_mass_mg": -4.9})
            >>> try:
            ...     m.positive("active_mass_mg", "full cell")
            ... except ManifestError as exc:
            ...     print(exc)
            measured.toml [geometry] active_mass_mg: must be a positive number, got -4.9
        """
        name = self.field_name("geometry", key)
        if key not in self.geometry:
            raise ManifestError(f"{name}: missing; the {needed_by} needs it")
        value = self.geometry[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ManifestError(f"{name}: must be a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise ManifestError(f"{name}: must be a positive number, got {value!r}")
        return float(value)

    def pellet_cm(self, needed_by: str) -> tuple[float, float]:
        """(thickness, diameter) of the pellet in cm."""
        thickness = self.positive("thickness_mm", needed_by) / 10.0
        return thickness, self.positive("diameter_mm", needed_by) / 10.0

    def file(self, section: str, index: int = 0) -> Path:
        """Absolute path of a section's file (or folder)."""
        return Path(self.folder) / self.files[section][index]

    def label(self, section: str, index: int = 0) -> str:
        """How errors name a file: ``[files] xrd = 'pattern.xye'`` (or found by name)."""
        how = "found by name" if section in self.discovered else f"[files] {section}"
        return f"{how} '{self.files[section][index]}'"


def example_folder() -> Path:
    """The packaged example set (synthetic patterns, series and cycling records from
    sselab's own simulators, and one real impedance.py instrument file).

    Example:
        >>> (example_folder() / MANIFEST_NAME).is_file()
        True
    """
    return Path(str(resources.files("sselab.data") / "measured_example"))


def resolve_measured_folder(folder: str | Path) -> Path:
    """The data folder: an existing folder as given, else ``example`` is the packaged set.

    Example:
        >>> resolve_measured_folder("example") == example_folder()
        True
    """
    path = Path(folder)
    if path.is_dir():
        return path.resolve()
    if str(folder) == EXAMPLE_NAME:
        return example_folder()
    raise ManifestError(f"{folder}: no such folder (or use '{EXAMPLE_NAME}' for the example set)")


def folder_digest(folder: str | Path) -> str:
    """sha256 of every file's relative path and bytes: the measured stage's cache key.

    Example:
        >>> len(folder_digest(example_folder()))
        64
    """
    root = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_manifest(folder: str | Path) -> MeasuredManifest:
    """Read ``folder/measured.toml`` (optional: without it every file is found by name).

    Raises:
        ManifestError: the TOML does not parse, or a table has the wrong type; field
            problems that only some sections need are raised by those sections.

    Example:
        >>> manifest = read_manifest(example_folder())
        >>> manifest.synthetic, manifest.x, manifest.files["xrd"]
        (True, 0.5, ['synthetic_xrd_CuKa.xye'])
    """
    root = Path(folder).resolve()
    if not root.is_dir():
        raise ManifestError(f"{root}: not a folder")
    path = root / MANIFEST_NAME
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{path}: {exc}") from None
    tables = {}
    for table in _KNOWN_KEYS:
        value = raw.get(table, {})
        if not isinstance(value, dict):
            raise ManifestError(f"{MANIFEST_NAME} [{table}]: must be a table")
        tables[table] = value
    problems = [f"{MANIFEST_NAME}: unknown table [{t}]" for t in sorted(set(raw) - set(tables))]
    for table, known in _KNOWN_KEYS.items():
        if known:
            problems += [
                f"{MANIFEST_NAME} [{table}] {key}: unknown field (ignored)"
                for key in sorted(set(tables[table]) - known)
            ]
    sample = tables["sample"]
    x = sample.get("x")
    if x is not None and (isinstance(x, bool) or not isinstance(x, int | float) or not 0 <= x < 1):
        problems.append(f"{MANIFEST_NAME} [sample] x: must be a number in [0, 1), got {x!r}")
        x = None
    u = sample.get("u_24e")
    if u is not None and (isinstance(u, bool) or not isinstance(u, int | float) or not 0 < u < 0.5):
        problems.append(f"{MANIFEST_NAME} [sample] u_24e: must be a number in (0, 0.5), got {u!r}")
        u = None
    manifest = MeasuredManifest(
        folder=str(root),
        sample=str(sample.get("name", root.name)),
        x=None if x is None else float(x),
        u_24e=None if u is None else float(u),
        synthetic=bool(sample.get("synthetic", False)),
        description=str(sample.get("description", "")),
        geometry=dict(tables["geometry"]),
        truth={k: float(v) for k, v in tables["truth"].items() if isinstance(v, int | float)},
        problems=problems,
    )
    _resolve_files(manifest, tables["files"], root)
    return manifest


def _resolve_files(manifest: MeasuredManifest, files: dict[str, Any], root: Path) -> None:
    for key in ("xrd_radiation", "neutron_radiation"):
        if key in files:
            manifest.radiation[key.removesuffix("_radiation")] = str(files[key])
    for section in (*SECTIONS, "neutron"):
        if section in files:
            value = files[section]
            names = value if isinstance(value, list) else [value]
            manifest.files[section] = [str(name) for name in names]
        elif section in _DISCOVER:
            found = _discover(root, section)
            if found:
                manifest.files[section] = found
                manifest.discovered.append(section)


def _discover(root: Path, kind: str) -> list[str]:
    fragments, suffixes = _DISCOVER[kind]
    found = []
    for path in sorted(root.iterdir()):
        name = path.name.lower()
        if not any(fragment in name for fragment in fragments):
            continue
        wanted = path.is_dir() if suffixes is None else path.suffix.lower() in suffixes
        if wanted and (suffixes is None or path.is_file()):
            found.append(path.name)
    # a neutron pattern also matches "tof"; X-ray names never do
    return found if kind == "neutron" else found[:1]


@dataclass
class MeasuredResults(RoundTrip):
    """Every section of a measured folder that could be analysed.

    Attributes:
        manifest: the manifest as read (files found by name included).
        refinement: Rietveld refinement of the pattern(s), with "Li 24e" occupancy for x > 0.
        eis_rt: the room-temperature spectrum (circuit fit, sigma, lin-KK, DRT).
        eis_extra: further spectra, fitted without geometry.
        arrhenius: sigma T Arrhenius of the variable-temperature series.
        dcpol: DC polarisation, compared with the measured ionic sigma (eis_rt, else
            arrhenius sigma(25 °C)).
        aging: conductivity retention of the Li|SE|Li cell.
        symmetric, symmetric_data: symmetric-cell analysis and its record.
        ccd, ccd_data: CCD staircase and its record.
        full_cell, full_cell_data: full-cell capacities and its record.
        errors: section -> one line naming the manifest field or file.
        warnings: section -> warnings raised while reading (points dropped, ...).
        timings_s: section -> wall time (s).
    """

    manifest: MeasuredManifest
    refinement: RefinementResult | None = None
    eis_rt: EISAnalysis | None = None
    eis_extra: list[EISAnalysis] = field(default_factory=list)
    arrhenius: ArrheniusResult | None = None
    dcpol: DCPolarisation | None = None
    aging: AgingResult | None = None
    symmetric: SymmetricCellResult | None = None
    symmetric_data: CyclingData | None = None
    ccd: CriticalCurrentDensity | None = None
    ccd_data: CyclingData | None = None
    full_cell: FullCellResult | None = None
    full_cell_data: CyclingData | None = None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def analysed(self) -> list[str]:
        """Sections with a result, in :data:`SECTIONS` order."""
        return [s for s in SECTIONS if s in self.timings_s and s not in self.errors]

    def ionic_sigma_S_per_cm(self) -> Estimate | None:
        """The measured room-temperature ionic sigma: the RT spectrum's, else the
        Arrhenius fit's sigma(25 °C); None when neither was measured.

        Example:
            >>> MeasuredResults(MeasuredManifest("/data")).ionic_sigma_S_per_cm() is None
            True
        """
        if self.eis_rt is not None and self.eis_rt.conductivity is not None:
            return self.eis_rt.conductivity.sigma_S_per_cm
        if self.arrhenius is not None:
            return self.arrhenius.sigma_25C_S_per_cm
        return None


def _refine(results: MeasuredResults) -> None:
    from dataclasses import replace

    from sselab.diffraction.pattern import read_pattern
    from sselab.diffraction.radiation import parse_radiation
    from sselab.diffraction.refine import Dataset, refine
    from sselab.structures import antifluorite

    manifest = results.manifest
    if manifest.x is None:
        raise ManifestError(
            f"{manifest.field_name('sample', 'x')}: missing; the refinement's start model "
            "Li(2+x)N(x)S(1-x) needs the composition"
        )
    datasets: list[Dataset] = []
    banks = [("xrd", i) for i in range(len(manifest.files["xrd"]))]
    banks += [("neutron", i) for i in range(len(manifest.files.get("neutron", [])))]
    for section, index in banks:
        spec = manifest.radiation.get(section, "CuKa" if section == "xrd" else "neutron:1.54")
        if spec.startswith("tof:"):  # bank files live beside the data
            spec = f"tof:{Path(manifest.folder) / spec.removeprefix('tof:')}"
        try:
            beam = parse_radiation(spec)
            pattern = read_pattern(manifest.file(section, index))
        except ValueError as exc:
            raise ManifestError(f"{manifest.label(section, index)}: {exc}") from None
        # parameter prefixes as `sselab refine`: xray, tof, tof2, ...
        taken = sum(d.radiation.kind == beam.kind for d in datasets)
        name = beam.kind if taken == 0 else f"{beam.kind}{taken + 1}"
        datasets.append(Dataset(replace(pattern, x_label=beam.x_label), beam, name))
    occupancies = ["Li 24e"] if manifest.x > 0 else []
    start = (
        antifluorite(manifest.x)
        if manifest.u_24e is None
        else antifluorite(manifest.x, u=manifest.u_24e)
    )
    results.refinement = refine(start, datasets, occupancies=occupancies)


def _read_spectrum(manifest: MeasuredManifest, section: str, index: int = 0) -> Any:
    from sselab.electrochem.readers import read_eis

    try:
        return read_eis(manifest.file(section, index))
    except ValueError as exc:
        raise ManifestError(f"{manifest.label(section, index)}: {exc}") from None


def _eis_rt(results: MeasuredResults) -> None:
    from sselab.electrochem.eis import analyze_spectrum

    thickness, diameter = results.manifest.pellet_cm("room-temperature impedance")
    spectrum = _read_spectrum(results.manifest, "eis_rt")
    results.eis_rt = analyze_spectrum(spectrum, thickness, diameter)


def _eis_extra(results: MeasuredResults) -> None:
    from sselab.electrochem.eis import analyze_spectrum

    for index in range(len(results.manifest.files["eis_extra"])):
        spectrum = _read_spectrum(results.manifest, "eis_extra", index)
        results.eis_extra.append(analyze_spectrum(spectrum))


def _folder(manifest: MeasuredManifest, section: str) -> Path:
    path = manifest.file(section)
    if not path.is_dir():
        raise ManifestError(f"{manifest.label(section)}: must be a folder of spectra")
    return path


def _arrhenius(results: MeasuredResults) -> None:
    from sselab.electrochem.arrhenius import arrhenius_series, find_series

    manifest = results.manifest
    thickness, diameter = manifest.pellet_cm("variable-temperature impedance")
    folder = _folder(manifest, "arrhenius")
    try:
        series = find_series(folder)
    except ValueError as exc:
        raise ManifestError(f"{manifest.label('arrhenius')}: {exc}") from None
    results.arrhenius = arrhenius_series(series, thickness, diameter, material=manifest.sample)


def _dcpol(results: MeasuredResults) -> None:
    from sselab.electrochem.dcpol import dc_polarisation, read_dc_polarisation

    manifest = results.manifest
    thickness, diameter = manifest.pellet_cm("DC polarisation")
    try:
        voltage, current = read_dc_polarisation(manifest.file("dcpol"))
    except ValueError as exc:
        raise ManifestError(f"{manifest.label('dcpol')}: {exc}") from None
    ionic = results.ionic_sigma_S_per_cm()
    results.dcpol = dc_polarisation(
        voltage, current, thickness, diameter, None if ionic is None else ionic.value
    )


def _aging(results: MeasuredResults) -> None:
    from sselab.electrochem.aging import aging_series

    folder = _folder(results.manifest, "aging")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EIS_SUFFIXES)
    if not files:
        raise ManifestError(f"{results.manifest.label('aging')}: no impedance files")
    results.aging = aging_series(files, material=results.manifest.sample)


def _cycling(manifest: MeasuredManifest, section: str) -> CyclingData:
    from sselab.electrochem.readers import read_cycling

    try:
        return read_cycling(manifest.file(section))
    except ValueError as exc:
        raise ManifestError(f"{manifest.label(section)}: {exc}") from None


def _symmetric(results: MeasuredResults) -> None:
    from sselab.electrochem.cycling import symmetric_cell

    area = results.manifest.positive("electrode_area_cm2", "symmetric cell")
    data = _cycling(results.manifest, "symmetric")
    results.symmetric, results.symmetric_data = symmetric_cell(data, area), data


def _ccd(results: MeasuredResults) -> None:
    from sselab.electrochem.cycling import critical_current_density

    area = results.manifest.positive("electrode_area_cm2", "CCD staircase")
    data = _cycling(results.manifest, "ccd")
    results.ccd, results.ccd_data = critical_current_density(data, area), data


def _full_cell(results: MeasuredResults) -> None:
    from sselab.electrochem.cycling import full_cell

    manifest = results.manifest
    mass_g = manifest.positive("active_mass_mg", "full cell") / 1000.0
    area = None
    if "electrode_area_cm2" in manifest.geometry:
        area = manifest.positive("electrode_area_cm2", "full cell")
    one_c = 140.0
    if "one_c_mA_per_g" in manifest.geometry:
        one_c = manifest.positive("one_c_mA_per_g", "full cell")
    data = _cycling(manifest, "full_cell")
    results.full_cell, results.full_cell_data = full_cell(data, mass_g, area, one_c), data


_ANALYSE: dict[str, Callable[[MeasuredResults], None]] = {
    "xrd": _refine,
    "eis_rt": _eis_rt,
    "eis_extra": _eis_extra,
    "arrhenius": _arrhenius,
    "dcpol": _dcpol,
    "aging": _aging,
    "symmetric": _symmetric,
    "ccd": _ccd,
    "full_cell": _full_cell,
}


def analyse_measured(folder: str | Path, progress: bool = False) -> MeasuredResults:
    """Analyse every section of a measured folder; a failing section records its error.

    Args:
        folder: the data folder (see the module docstring), or ``"example"``.
        progress: a progress bar over the sections.

    Raises:
        ManifestError: the folder does not exist or ``measured.toml`` does not parse
            (every other problem is a per-section error).

    Example:
        >>> measured = analyse_measured("example")  # doctest: +SKIP
        >>> measured.analysed[:3], measured.errors  # doctest: +SKIP
        (['xrd', 'eis_rt', 'eis_extra'], {})

    Skipped (about 10 s); tests/measured/test_measured.py runs it on the example set.
    """
    manifest = read_manifest(resolve_measured_folder(folder))
    results = MeasuredResults(manifest)
    present = [s for s in SECTIONS if manifest.files.get(s)]
    for section in tqdm(present, desc="measured", disable=not progress, leave=False):
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _ANALYSE[section](results)
            except (ValueError, OSError) as exc:  # EIS/pattern/fit errors are ValueErrors
                results.errors[section] = str(exc)
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        if messages:
            results.warnings[section] = messages
        results.timings_s[section] = time.perf_counter() - start
    return results
