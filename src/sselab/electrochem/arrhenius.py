"""Variable-temperature impedance: sigma(T) from a folder of spectra, then sigma T Arrhenius.

sigma T = A exp(-Ea / kB T) is fitted as ln(sigma T) against 1/T by
:func:`sselab.transport.analysis.arrhenius_fit` (weighted by each point's error, the
covariance widened by the reduced chi^2 when the scatter exceeds the errors), so MD and
impedance activation energies come from one implementation.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sselab.electrochem.conductivity import pellet_conductivity
from sselab.electrochem.fit import fit_circuit
from sselab.electrochem.readers import read_eis
from sselab.electrochem.records import EISFileError
from sselab.transport.analysis import BOLTZMANN_EV_PER_K, arrhenius_fit

ROOM_TEMPERATURE_K = 298.15
CELSIUS_OFFSET_K = 273.15
EIS_SUFFIXES = (".mpt", ".mpr", ".dta", ".z", ".par", ".txt", ".csv")

_TEMPERATURE = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(°C|degC|C|K)(?![A-Za-z])")


def temperature_from_name(name: str) -> float:
    """Temperature in K written in a file name: "LNS_25C", "pellet-60degC", "T=333K".

    Raises:
        ValueError: no temperature, or two different ones, in the name.

    Example:
        >>> temperature_from_name("Li2.5N0.5S0.5_60C.mpt"), temperature_from_name("run_333K.csv")
        (333.15, 333.0)
    """
    stem = Path(name).stem
    found = set()
    for value, unit in _TEMPERATURE.findall(stem.replace("_", " ").replace("-", " ")):
        kelvin = float(value) + (0.0 if unit == "K" else CELSIUS_OFFSET_K)
        found.add(round(kelvin, 6))
    if len(found) != 1:
        what = "no temperature" if not found else f"several temperatures {sorted(found)} K"
        raise ValueError(
            f"{name}: {what} in the file name; name files like 'sample_25C.mpt' or "
            "'sample_298K.mpt', or give a manifest (file,temperature_C)"
        )
    return found.pop()


def read_manifest(path: str | Path) -> list[tuple[Path, float]]:
    """(spectrum file, temperature K) pairs from a CSV with columns file and temperature_C or
    temperature_K; file paths are relative to the manifest.

    Example:
        >>> read_manifest("vt/manifest.csv")  # doctest: +SKIP
        [(PosixPath('vt/a.mpt'), 298.15), (PosixPath('vt/b.mpt'), 333.15)]
    """
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.read_text().splitlines()))
    except OSError as exc:
        raise EISFileError(f"{path}: cannot open ({exc.strerror})") from None
    if not rows or "file" not in rows[0]:
        raise EISFileError(f"{path}: manifest needs a header with 'file' and 'temperature_C'/_K")
    key = next((k for k in ("temperature_K", "temperature_C") if k in rows[0]), None)
    if key is None:
        raise EISFileError(f"{path}: manifest has no temperature_C or temperature_K column")
    out = []
    for line_no, row in enumerate(rows, start=2):
        try:
            value = float(row[key])
        except (TypeError, ValueError):
            raise EISFileError(f"{path}, line {line_no}: bad {key} '{row[key]}'") from None
        kelvin = value + (CELSIUS_OFFSET_K if key == "temperature_C" else 0.0)
        if not kelvin > 0:
            raise EISFileError(f"{path}, line {line_no}: {key} = {value} is below 0 K")
        out.append((path.parent / row["file"], kelvin))
    return out


@dataclass
class ConductivityPoint:
    """sigma at one temperature, from one spectrum."""

    source: str
    temperature_K: float
    sigma_S_per_cm: float
    sigma_err_S_per_cm: float
    resistance_ohm: float
    resistance_err_ohm: float
    relative_residual: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


@dataclass
class ArrheniusResult:
    """sigma T = A exp(-Ea / kB T) fitted to a variable-temperature series.

    Attributes:
        material: label.
        points: the sigma(T) data.
        activation_energy_eV, activation_energy_err_eV: Ea and its 1-sigma error.
        ln_prefactor, ln_prefactor_err: ln A (A in S K / cm).
        sigma_25C_S_per_cm, sigma_25C_err_S_per_cm: interpolated/extrapolated at 298.15 K.
        reduced_chi2: of the weighted fit (nan with two points).
    """

    material: str
    points: list[ConductivityPoint]
    activation_energy_eV: float
    activation_energy_err_eV: float
    ln_prefactor: float
    ln_prefactor_err: float
    sigma_25C_S_per_cm: float
    sigma_25C_err_S_per_cm: float
    reduced_chi2: float

    def sigma_at(self, temperature_K: np.ndarray) -> np.ndarray:
        """Fitted sigma (S/cm) at ``temperature_K``."""
        t = np.asarray(temperature_K, dtype=float)
        return np.exp(self.ln_prefactor - self.activation_energy_eV / (BOLTZMANN_EV_PER_K * t)) / t

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        out["reduced_chi2"] = None if math.isnan(self.reduced_chi2) else self.reduced_chi2
        return out


def arrhenius_from_conductivities(
    temperatures_K: Sequence[float],
    sigma_S_per_cm: Sequence[float],
    sigma_err_S_per_cm: Sequence[float] | None = None,
    material: str = "sample",
    points: list[ConductivityPoint] | None = None,
) -> ArrheniusResult:
    """Fit sigma T = A exp(-Ea / kB T) and give Ea and sigma(25 °C) with errors.

    Example:
        >>> T = np.array([298.15, 323.15, 348.15, 373.15])
        >>> sigma = 1e2 / T * np.exp(-0.35 / (8.617333262e-5 * T))
        >>> round(arrhenius_from_conductivities(T, sigma).activation_energy_eV, 6)
        0.35
    """
    t = np.asarray(temperatures_K, dtype=float)
    sigma = np.asarray(sigma_S_per_cm, dtype=float)
    if t.shape != sigma.shape or t.size < 2:
        raise ValueError("need sigma at >= 2 temperatures, with matching arrays")
    if not (np.all(np.isfinite(sigma)) and np.all(sigma > 0)):
        raise ValueError(f"conductivities must be positive and finite, got {sigma.tolist()}")
    errors = None if sigma_err_S_per_cm is None else np.asarray(sigma_err_S_per_cm) * t
    fit = arrhenius_fit(t, sigma * t, errors, quantity="sigmaT_S_K_per_cm")
    at_25 = fit.predict(ROOM_TEMPERATURE_K)
    if points is None:
        err = np.zeros_like(sigma) if sigma_err_S_per_cm is None else np.asarray(sigma_err_S_per_cm)
        points = [
            ConductivityPoint("", float(a), float(b), float(c), math.nan, math.nan, math.nan)
            for a, b, c in zip(t, sigma, err, strict=True)
        ]
    return ArrheniusResult(
        material=material,
        points=points,
        activation_energy_eV=fit.activation_energy_eV.value,
        activation_energy_err_eV=fit.activation_energy_eV.error,
        ln_prefactor=fit.ln_prefactor.value,
        ln_prefactor_err=fit.ln_prefactor.error,
        sigma_25C_S_per_cm=at_25.value / ROOM_TEMPERATURE_K,
        sigma_25C_err_S_per_cm=at_25.error / ROOM_TEMPERATURE_K,
        reduced_chi2=fit.reduced_chi2,
    )


def find_series(folder: str | Path) -> list[tuple[Path, float]]:
    """(file, temperature K) of a variable-temperature folder: manifest.csv if present,
    else every impedance file with a temperature in its name.

    Example:
        >>> find_series("vt_LNS")  # doctest: +SKIP
        [(PosixPath('vt_LNS/LNS_25C.mpt'), 298.15), ...]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EISFileError(f"{folder}: not a folder")
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        return read_manifest(manifest)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EIS_SUFFIXES)
    if not files:
        raise EISFileError(f"{folder}: no impedance files ({', '.join(EIS_SUFFIXES)})")
    return sorted(((p, temperature_from_name(p.name)) for p in files), key=lambda item: item[1])


def arrhenius_series(
    series: Sequence[tuple[str | Path, float]],
    thickness_cm: float,
    diameter_cm: float,
    material: str = "sample",
    circuit: str | None = None,
) -> ArrheniusResult:
    """Fit every spectrum of a variable-temperature series and the sigma T Arrhenius law.

    Args:
        series: (file, temperature K) pairs (see :func:`find_series`).
        thickness_cm, diameter_cm: pellet geometry.
        material: label for tables and figures.
        circuit: impedance.py circuit (default R0-p(R1,CPE1)-CPE2).

    Example:
        >>> result = arrhenius_series(find_series("vt_LNS"), 0.1, 1.0, "LNS")  # doctest: +SKIP
        >>> result.activation_energy_eV  # doctest: +SKIP
        0.35
    """
    points = []
    for path, temperature in tqdm(series, desc=f"fitting {material}", leave=False):
        fit = fit_circuit(read_eis(path), circuit)
        sigma = pellet_conductivity(
            fit.resistance_ohm, thickness_cm, diameter_cm, fit.resistance_err_ohm
        )
        points.append(
            ConductivityPoint(
                source=str(path),
                temperature_K=float(temperature),
                sigma_S_per_cm=sigma.sigma_S_per_cm,
                sigma_err_S_per_cm=sigma.sigma_err_S_per_cm,
                resistance_ohm=fit.resistance_ohm,
                resistance_err_ohm=fit.resistance_err_ohm,
                relative_residual=fit.relative_residual,
            )
        )
    return arrhenius_from_conductivities(
        [p.temperature_K for p in points],
        [p.sigma_S_per_cm for p in points],
        [p.sigma_err_S_per_cm for p in points],
        material,
        points,
    )
