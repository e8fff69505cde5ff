"""Variable-temperature impedance: sigma(T) from a folder of spectra, then sigma T Arrhenius.

sigma T = A exp(-Ea / kB T) is fitted as ln(sigma T) against 1/T by
:func:`sselab.transport.analysis.arrhenius_fit` (weighted by each point's error, the
covariance widened by the reduced chi^2 when the scatter exceeds the errors), so MD and
impedance activation energies come from one implementation. The 95 % intervals of Ea
and of sigma(25 °C) use that fit's covariance with Student t at n - 2 degrees of
freedom (a handful of temperatures: the normal quantile would be too narrow); sigma is
extrapolated in ln(sigma T), so its interval is asymmetric.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats
from tqdm.auto import tqdm

from sselab.electrochem.conductivity import pellet_conductivity
from sselab.electrochem.fit import fit_circuit
from sselab.electrochem.readers import read_eis
from sselab.electrochem.records import EISFileError
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.analysis import arrhenius_fit
from sselab.units import BOLTZMANN_EV_PER_K, KELVIN_AT_0_CELSIUS, T_25C_K

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
        kelvin = float(value) + (0.0 if unit == "K" else KELVIN_AT_0_CELSIUS)
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
        >>> _ = Path("/tmp/manifest.csv").write_text("file,temperature_C\\na.mpt,25\\nb.mpt,60\\n")
        >>> read_manifest("/tmp/manifest.csv")
        [(PosixPath('/tmp/a.mpt'), 298.15), (PosixPath('/tmp/b.mpt'), 333.15)]
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
        kelvin = value + (KELVIN_AT_0_CELSIUS if key == "temperature_C" else 0.0)
        if not kelvin > 0:
            raise EISFileError(f"{path}, line {line_no}: {key} = {value} is below 0 K")
        out.append((path.parent / row["file"], kelvin))
    return out


@dataclass
class ConductivityPoint(RoundTrip):
    """sigma at one temperature.

    Attributes:
        source: the spectrum file ("" when sigma was given directly).
        temperature_K: temperature (K).
        sigma_S_per_cm: conductivity (S/cm).
        resistance_ohm: the fitted resistance (None when sigma was given directly).
        relative_residual: of the circuit fit (None when sigma was given directly).
    """

    source: str
    temperature_K: float
    sigma_S_per_cm: Estimate
    resistance_ohm: Estimate | None = None
    relative_residual: float | None = None


@dataclass
class ArrheniusResult(RoundTrip):
    """sigma T = A exp(-Ea / kB T) fitted to a variable-temperature series.

    Attributes:
        material: label.
        points: the sigma(T) data.
        activation_energy_eV: Ea with its 1-sigma error and Student-t 95 % interval.
        ln_prefactor: ln A (A in S K / cm).
        sigma_25C_S_per_cm: sigma at 25 °C (298.15 K), interpolated or extrapolated,
            with its log-normal (asymmetric) 95 % interval.
        reduced_chi2: of the weighted fit (None with two points).
        covariance: 2x2 covariance of (ln A, Ea in eV).
    """

    material: str
    points: list[ConductivityPoint]
    activation_energy_eV: Estimate
    ln_prefactor: Estimate
    sigma_25C_S_per_cm: Estimate
    reduced_chi2: float | None
    covariance: np.ndarray

    def sigma_at(self, temperature_K: np.ndarray) -> np.ndarray:
        """Fitted sigma (S/cm) at ``temperature_K``."""
        t = np.asarray(temperature_K, dtype=float)
        ln_a, ea = self.ln_prefactor.value, self.activation_energy_eV.value
        return np.exp(ln_a - ea / (BOLTZMANN_EV_PER_K * t)) / t


def _t_quantile(n_points: int) -> float:
    """Two-sided 95 % quantile: Student t at n - 2 dof, normal when no dof is spare."""
    dof = n_points - 2
    return float(stats.t.ppf(0.975, dof)) if dof > 0 else float(stats.norm.ppf(0.975))


def arrhenius_from_conductivities(
    temperatures_K: Sequence[float],
    sigma_S_per_cm: Sequence[float | Estimate],
    material: str = "sample",
    points: list[ConductivityPoint] | None = None,
) -> ArrheniusResult:
    """Fit sigma T = A exp(-Ea / kB T) and give Ea and sigma(25 °C) with 95 % intervals.

    The fit is weighted when every sigma is an Estimate with a known error, else
    ordinary least squares (needs >= 3 temperatures).

    Example:
        >>> T = np.array([298.15, 323.15, 348.15, 373.15])
        >>> sigma = 1e2 / T * np.exp(-0.35 / (8.617333262e-5 * T))
        >>> noisy = [Estimate.normal(s, 0.02 * s, "S/cm") for s in sigma * [1, 1.02, 0.99, 1.0]]
        >>> result = arrhenius_from_conductivities(T, noisy)
        >>> print(result.activation_energy_eV)
        0.3489 ± 0.0034 eV
        >>> low, high = result.sigma_25C_S_per_cm.ci95
        >>> value = result.sigma_25C_S_per_cm.value
        >>> bool(low < value < high), bool(high - value > value - low)  # log-normal
        (True, True)
    """
    estimates = [_as_estimate(s) for s in sigma_S_per_cm]
    t = np.asarray(temperatures_K, dtype=float)
    sigma = np.array([s.value for s in estimates])
    if t.shape != sigma.shape or t.size < 2:
        raise ValueError("need sigma at >= 2 temperatures, with matching arrays")
    if not (np.all(np.isfinite(sigma)) and np.all(sigma > 0)):
        raise ValueError(f"conductivities must be positive and finite, got {sigma.tolist()}")
    weighted = all(s.error is not None and s.error > 0 for s in estimates)
    errors = np.array([s.error or 0.0 for s in estimates]) * t if weighted else None
    fit = arrhenius_fit(t, sigma * t, errors, quantity="sigmaT_S_K_per_cm", unit="S K/cm")
    quantile = _t_quantile(t.size)

    def estimate(value: float, variance: float, unit: str) -> Estimate:
        error = math.sqrt(variance)
        return Estimate(value, error, (value - quantile * error, value + quantile * error), unit)

    # ln(sigma T)(T25) = ln A - Ea / (kB T25), its variance from the covariance
    gradient = np.array([1.0, -1.0 / (BOLTZMANN_EV_PER_K * T_25C_K)])
    ln_a, ea = fit.ln_prefactor.value, fit.activation_energy_eV.value
    ln_error = float(np.sqrt(gradient @ fit.covariance @ gradient))
    sigma_25 = math.exp(ln_a + gradient[1] * ea) / T_25C_K
    interval = (sigma_25 * math.exp(-quantile * ln_error), sigma_25 * math.exp(quantile * ln_error))
    if points is None:
        points = [
            ConductivityPoint("", float(temperature), s)
            for temperature, s in zip(t, estimates, strict=True)
        ]
    return ArrheniusResult(
        material=material,
        points=points,
        activation_energy_eV=estimate(ea, float(fit.covariance[1, 1]), "eV"),
        ln_prefactor=estimate(ln_a, float(fit.covariance[0, 0]), "ln(S K/cm)"),
        sigma_25C_S_per_cm=Estimate(sigma_25, sigma_25 * ln_error, interval, "S/cm"),
        reduced_chi2=fit.reduced_chi2,
        covariance=fit.covariance,
    )


def _as_estimate(sigma: float | Estimate) -> Estimate:
    return sigma if isinstance(sigma, Estimate) else Estimate.exact(float(sigma), "S/cm")


def find_series(folder: str | Path) -> list[tuple[Path, float]]:
    """(file, temperature K) of a variable-temperature folder: manifest.csv if present,
    else every impedance file with a temperature in its name.

    Example:
        >>> find_series("vt_LNS")  # doctest: +SKIP
        [(PosixPath('vt_LNS/LNS_25C.mpt'), 298.15), ...]

    Skipped (needs a folder); tests/electrochem/test_series.py reads one.
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
        >>> result.activation_energy_eV.value  # doctest: +SKIP
        0.35

    Skipped (fits six spectra); tests/electrochem/test_series.py runs a series.
    """
    points = []
    for path, temperature in tqdm(series, desc=f"fitting {material}", leave=False):
        fit = fit_circuit(read_eis(path), circuit)
        sigma = pellet_conductivity(fit.resistance_ohm, thickness_cm, diameter_cm)
        points.append(
            ConductivityPoint(
                source=str(path),
                temperature_K=float(temperature),
                sigma_S_per_cm=sigma.sigma_S_per_cm,
                resistance_ohm=fit.resistance_ohm,
                relative_residual=fit.relative_residual,
            )
        )
    return arrhenius_from_conductivities(
        [p.temperature_K for p in points],
        [p.sigma_S_per_cm for p in points],
        material,
        points,
    )
