"""EIS fitting: impedance.py's CustomCircuit.fit (default and tuned) against sselab's fit.

On synthetic pellet spectra (R_bulk = 2000 Ω ‖ CPE, blocking CPE tail, 0.5 % noise,
1 Hz - 1 MHz) all fits start from the same automatic starting point; reported are the
median and worst relative error of R_bulk, the fraction of fits within 2 % and the
median wall time per fit. Also the time to read every shared instrument file.
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
from sselab.electrochem.readers import EISDataWarning, EISFileError, read_eis

N_SPECTRA = 10
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


def main() -> dict[str, Any]:
    """Fit accuracy and speed of three fitting set-ups, and reader speed."""
    results: dict[str, dict[str, list[float]]] = {
        name: {"errors": [], "seconds": []}
        for name in ("impedance_py_default", "impedance_py_tuned", "sselab")
    }
    for seed in range(N_SPECTRA):
        spectrum = pellet_spectrum(noise=0.005, seed=1000 + seed)
        guess = _initial_guesses(spectrum, pellet_circuit())[0]
        runs = {
            "impedance_py_default": lambda s=spectrum, g=guess: _impedance_py(s, g),
            "impedance_py_tuned": lambda s=spectrum, g=guess: _impedance_py(
                s, g, weight_by_modulus=True, ftol=1e-13, xtol=1e-13, gtol=1e-13, maxfev=50_000
            ),
            "sselab": lambda s=spectrum: fit_circuit(s).resistance_ohm,
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
