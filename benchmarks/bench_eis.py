"""EIS fitting: impedance.py's CustomCircuit.fit (default and tuned) against sselab's fit.

On synthetic pellet spectra (R_bulk = 2000 Ω ‖ CPE, blocking CPE tail, 0.5 % noise,
1 Hz - 1 MHz) every set-up is started twice: from sselab's automatic starting point
("auto_start") and from a generic one 20x off in R ("naive_start"); sselab's own
multi-start fit is "sselab". Reported: median and worst relative error of R_bulk, the
fraction of fits within 2 % and the median wall time per fit; also the time to read
every shared instrument file.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from impedance.models.circuits import CustomCircuit
from tests.electrochem.synthetic import pellet_spectrum

from sselab.electrochem.fit import _initial_guesses, fit_circuit, pellet_circuit
from sselab.electrochem.readers import read_eis
from sselab.electrochem.records import EISDataWarning, EISFileError

N_SPECTRA = 10
NAIVE_START = np.array([1.0, 100.0, 1e-6, 0.8, 1e-4, 0.5])  # R0, R1, Q1, n1, Q2, n2
TUNED = {"weight_by_modulus": True, "ftol": 1e-13, "xtol": 1e-13, "gtol": 1e-13}
SHARED_EIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eis"


def _summary(errors: list[float], seconds: list[float]) -> dict[str, float]:
    e = np.abs(np.array(errors))
    return {
        "median_rel_error_R_bulk": float(np.median(e)),
        "max_rel_error_R_bulk": float(e.max()),
        "fraction_within_2pct": float(np.mean(e < 0.02)),
        "median_seconds_per_fit": float(np.median(seconds)),
    }


def _impedance_py(spectrum: Any, guess: np.ndarray, **options: Any) -> float:
    circuit = CustomCircuit(pellet_circuit(), initial_guess=list(guess))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        circuit.fit(spectrum.frequency_Hz, spectrum.z_ohm, **options)
    r0, r1 = circuit.parameters_[0], circuit.parameters_[1]
    return float(r0 + r1)


def _sselab(spectrum: Any, guess: np.ndarray | None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_circuit(spectrum, initial_guess=guess).resistance_ohm.value


def main() -> dict[str, Any]:
    """Fit accuracy and speed of three fitting set-ups, and reader speed."""
    names = (
        "impedance_py_default_auto_start",
        "impedance_py_tuned_auto_start",
        "impedance_py_default_naive_start",
        "impedance_py_tuned_naive_start",
        "sselab_naive_start",
        "sselab",
    )
    results = {name: {"errors": [], "seconds": []} for name in names}
    for seed in range(N_SPECTRA):
        spectrum = pellet_spectrum(noise=0.005, seed=1000 + seed)
        auto = _initial_guesses(spectrum, pellet_circuit())[0]
        runs = {
            "impedance_py_default_auto_start": lambda s=spectrum, g=auto: _impedance_py(s, g),
            "impedance_py_tuned_auto_start": lambda s=spectrum, g=auto: _impedance_py(
                s, g, maxfev=50_000, **TUNED
            ),
            "impedance_py_default_naive_start": lambda s=spectrum: _impedance_py(s, NAIVE_START),
            "impedance_py_tuned_naive_start": lambda s=spectrum: _impedance_py(
                s, NAIVE_START, maxfev=50_000, **TUNED
            ),
            "sselab_naive_start": lambda s=spectrum: _sselab(s, NAIVE_START),
            "sselab": lambda s=spectrum: _sselab(s, None),
        }
        for name, run in runs.items():
            start = time.perf_counter()
            r_ion = run()
            results[name]["seconds"].append(time.perf_counter() - start)
            results[name]["errors"].append(r_ion / 2000.0 - 1)
    out: dict[str, Any] = {name: _summary(r["errors"], r["seconds"]) for name, r in results.items()}
    start = time.perf_counter()
    readable = 0
    for path in sorted(SHARED_EIS.glob("example*")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EISDataWarning)
                read_eis(path)
            readable += 1
        except EISFileError:
            pass
    out["read_shared_files"] = {
        "files_read": readable,
        "seconds_total": time.perf_counter() - start,
    }
    return out
