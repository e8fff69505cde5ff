"""Equivalent-circuit fits of pellet spectra, the intercept method, and conductivity.

Circuits are impedance.py strings, evaluated with impedance.py's own parser and element
library but compiled once per circuit (``wrapCircuit`` re-parses the string and prints
the frequency array into Python source on every call: 10x slower). The minimisation is
``scipy.optimize.least_squares`` driven here rather than ``CustomCircuit.fit``, measured
in benchmarks/bench_eis.py on 10 synthetic pellet spectra (0.5 % noise): from a start
20x off in R, impedance.py's default fit stops with R_bulk 1-9 % off (median 6.9 %),
and with modulus weighting and 1e-13 tolerances it settles in a wrong minimum (-95 %);
fitting log-parameters and arc time constants (see ``_Coordinates``) recovers R_bulk
within 0.34 % from the same start. Residuals are weighted by |Z|, steps scaled by the
Jacobian, tolerances 1e-12, and several automatic starts (spectrum shape and DRT)
are tried.

Ionic resistance convention: the total resistance before the blocking-electrode tail,
R_ion = R0 + R1 (+ R2 with a grain-boundary arc), i.e. the value the intercept method
reads off the Nyquist plot; sigma = L / (R_ion * A).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from impedance.models.circuits.elements import circuit_elements
from impedance.models.circuits.fitting import buildCircuit
from scipy.optimize import least_squares

from sselab.electrochem.drt import drt
from sselab.electrochem.records import EISSpectrum
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip

TAILS = ("cpe", "warburg", "none")
SCREENING_EVALUATIONS = 500  # per starting point, before the best start is polished
MIN_CPE_EXPONENT = 0.3
POOR_FIT_RESIDUAL = 0.05  # rms |Z_fit - Z| / |Z| above which a fit is reported as poor
# A fit whose every parameter is "known" to better than this (relative standard error)
# has an error at the level of rounding, not of the data: the data fix no uncertainty.
DEGENERATE_RELATIVE_ERROR = 1e-10


class EISFitError(ValueError):
    """A spectrum that cannot be fitted; the message says why."""


class EISFitWarning(UserWarning):
    """A fit that converged but describes the data poorly, or hit its step limit."""


def pellet_circuit(
    grain_boundary: bool = False, tail: str = "cpe", inductance: bool = False
) -> str:
    """impedance.py circuit string for a pellet between two electrodes.

    R0 (leads and any bulk arc above the frequency window) in series with the bulk
    arc R1 ‖ CPE1, optionally a grain-boundary arc R2 ‖ CPE2, and the electrode tail:
    a CPE (blocking electrodes), a semi-infinite Warburg W, or nothing; optionally a
    series inductance L0 (cables, at the highest frequencies).

    Example:
        >>> pellet_circuit()
        'R0-p(R1,CPE1)-CPE2'
        >>> pellet_circuit(grain_boundary=True, tail="warburg", inductance=True)
        'L0-R0-p(R1,CPE1)-p(R2,CPE2)-W3'
    """
    if tail not in TAILS:
        raise ValueError(f"tail must be one of {TAILS}, got '{tail}'")
    parts = ["R0", "p(R1,CPE1)"]
    if grain_boundary:
        parts.append("p(R2,CPE2)")
    index = len(parts)
    if tail == "cpe":
        parts.append(f"CPE{index}")
    elif tail == "warburg":
        parts.append(f"W{index}")
    if inductance:
        parts.insert(0, "L0")
    return "-".join(parts)


class _Symbol:
    """Stands in for a parameter while impedance.py prints a circuit as Python source."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


@cache
def _compiled(circuit: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Complex Z(params, frequency_Hz) of an impedance.py circuit string."""
    n_params = len(_parameter_names(circuit))
    source, _ = buildCircuit(
        circuit, "F", *[_Symbol(f"x[{k}]") for k in range(n_params)], constants={}
    )
    return eval(f"lambda x, F: {source}", dict(circuit_elements))


# Units of the circuit parameters by element kind (CPE: Q and the exponent n).
PARAMETER_UNITS = {"R": "Ω", "W": "Ω s^-1/2", "C": "F", "L": "H", "CPE_Q": "S s^n", "CPE_n": ""}


def parameter_unit(name: str) -> str:
    """Unit of a circuit parameter, e.g. "Ω" for R1, "S s^n" for CPE1_Q.

    Example:
        >>> parameter_unit("R1"), parameter_unit("CPE2_n"), parameter_unit("W3")
        ('Ω', '', 'Ω s^-1/2')
    """
    kind = re.sub(r"\d+", "", name)
    if kind not in PARAMETER_UNITS:
        raise ValueError(f"no unit known for circuit parameter {name}")
    return PARAMETER_UNITS[kind]


def _element_kind(element: str) -> str:
    match = re.match(r"[A-Za-z]+", element)
    if match is None:
        raise ValueError(f"'{element}' is not a circuit element")
    return match.group(0)


def _parameter_names(circuit: str) -> list[str]:
    names = []
    for element in re.findall(r"[A-Za-z]+\d+", circuit):
        kind = _element_kind(element)
        if kind == "CPE":
            names += [f"{element}_Q", f"{element}_n"]
        elif kind in ("R", "W", "C", "L"):
            names.append(element)
        else:
            raise ValueError(f"element {element} is not supported by the pellet fit")
    return names


@dataclass
class CircuitFit(RoundTrip):
    """Result of an equivalent-circuit fit.

    Attributes:
        circuit: impedance.py circuit string.
        parameters: every parameter in circuit order (R0, R1, CPE1_Q, CPE1_n ...), each
            with its 1-sigma standard error (Jacobian covariance scaled by the residual
            variance), a Student-t 95 % interval (2N - P dof) and unit (R in Ω, Q in
            S s^n, n unitless, W in Ω s^-1/2). A parameter the data do not determine (the
            residuals do not depend on it, e.g. an element parked at its bound) has error
            and interval None.
        covariance: parameter covariance matrix (circuit order).
        resistance_ohm: ionic resistance R0 + R1 (+ R2), its error from the covariance.
        relative_residual: rms of |Z_fit - Z| / |Z| over the spectrum.
        converged: least_squares met its tolerances (not the step limit).
        n_evaluations: model evaluations used by the winning start.
        source: the spectrum's source.
        message: the minimiser's stop message.
    """

    circuit: str
    parameters: dict[str, Estimate]
    covariance: np.ndarray
    resistance_ohm: Estimate
    relative_residual: float
    converged: bool
    n_evaluations: int
    source: str = ""
    message: str = ""

    @property
    def parameter_names(self) -> list[str]:
        """Names in circuit order."""
        return list(self.parameters)

    @property
    def values(self) -> np.ndarray:
        """Best-fit values in circuit order."""
        return np.array([p.value for p in self.parameters.values()])

    def parameter(self, name: str) -> Estimate:
        """One parameter, e.g. ``fit.parameter("R1")``."""
        if name not in self.parameters:
            raise KeyError(f"{name} not in {self.parameter_names}")
        return self.parameters[name]

    def predict(self, frequency_Hz: np.ndarray) -> np.ndarray:
        """Complex impedance (Ω) of the fitted circuit at ``frequency_Hz``."""
        f = np.asarray(frequency_Hz, dtype=float)
        return _compiled(self.circuit)(self.values, f)


def valley_index(spectrum: EISSpectrum) -> int:
    """Index of the arc-tail minimum of -Im(Z) (the Nyquist "valley"), high-to-low frequency.

    The local minimum of -Z'' that lies deepest below the arc maximum preceding it;
    the last index when -Z'' only falls (no tail), 0 when it only rises (no arc).

    Example:
        >>> f = np.logspace(6, 0, 61)
        >>> w = 2j * np.pi * f
        >>> z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
        >>> s = EISSpectrum(f, z.real, z.imag)
        >>> bool(1900 < s.z_real_ohm[valley_index(s)] < 2600)
        True
    """
    y = -spectrum.z_imag_ohm
    running_max = np.maximum.accumulate(y)
    drop = running_max - y
    interior = np.arange(1, y.size - 1)
    minima = interior[(y[interior] <= y[interior - 1]) & (y[interior] <= y[interior + 1])]
    minima = minima[drop[minima] > 0]
    if minima.size:
        return int(minima[np.argmax(drop[minima])])
    return y.size - 1 if y[-1] <= y[0] else 0


def _arc_options(spectrum: EISSpectrum, v: int, r_arcs: float, n_arcs: int) -> list[list]:
    """Candidate (R, tau) per arc: from the -Z'' maximum, and from the DRT peaks."""
    omega = 2 * np.pi * spectrum.frequency_Hz
    tau_peak = 1.0 / omega[int(np.argmax(-spectrum.z_imag_ohm[: v + 1]))]
    if n_arcs == 1:
        options = [[(r_arcs, tau_peak)]]
    else:
        options = [
            [(0.6 * r_arcs, tau_peak), (0.4 * r_arcs, 100 * tau_peak)],
            [(0.4 * r_arcs, tau_peak / 100), (0.6 * r_arcs, tau_peak)],
        ]
    # DRT peaks faster than the valley are the arcs; slower ones belong to the tail.
    peaks = [p for p in drt(spectrum).peaks if p.tau_s < 3.0 / omega[v]]
    if len(peaks) >= n_arcs:
        chosen = sorted(
            sorted(peaks, key=lambda p: -p.resistance_ohm.value)[:n_arcs], key=lambda p: p.tau_s
        )
        total = sum(p.resistance_ohm.value for p in chosen)
        options.append([(r_arcs * p.resistance_ohm.value / total, p.tau_s) for p in chosen])
    return options


def _initial_guesses(spectrum: EISSpectrum, circuit: str) -> list[np.ndarray]:
    """Starting points read off the spectrum: arc width, peak frequency, DRT, tail slope."""
    names = _parameter_names(circuit)
    omega = 2 * np.pi * spectrum.frequency_Hz
    zr, y = spectrum.z_real_ohm, -spectrum.z_imag_ohm
    n_arcs = 2 if "R2" in names else 1
    v = valley_index(spectrum)
    if v >= 2:
        hypotheses = [(v, float(zr[v]))]
    else:
        # -Z'' only rises: either an arc still open at the lowest frequency (resistance
        # from a circle through it) or an arc closed mid-spectrum followed by a tail.
        last, middle = spectrum.n_points - 1, max(2, spectrum.n_points // 2)
        hypotheses = [(middle, float(zr[middle]))]
        center, _ = _fit_circle(zr, y)
        radius = float(np.hypot(zr[0] - center[0], y[0] - center[1]))
        if radius > abs(center[1]):
            hypotheses.append((last, float(center[0] + math.sqrt(radius**2 - center[1] ** 2))))
    guesses = []
    for v, r_read in hypotheses:
        r_total = max(r_read, float(np.abs(spectrum.z_ohm).min()), 1e-12)
        low = slice(max(v, spectrum.n_points - 4), spectrum.n_points)
        y_low = np.clip(y[low], 1e-12 * r_total, None)
        slope = -np.polyfit(np.log(omega[low]), np.log(y_low), 1)[0] if y_low.size > 1 else 0.8
        n_tail = float(np.clip(slope, 0.5, 0.95))
        y_end, omega_end = max(float(y[-1]), 1e-6 * r_total), float(omega[-1])
        for r0_fraction in (0.0, 0.5):
            r0 = max(float(zr[0]), 0.0) * r0_fraction
            r_arcs = max(r_total - r0, 1e-3 * r_total)
            for arcs in _arc_options(spectrum, v, r_arcs, n_arcs):
                # L from the inductive (Im Z > 0) part at the highest frequency, if any
                l0 = max(float(-y[0]), 1e-6 * r_total) / float(omega[0])
                values = {"R0": r0, "L0": l0}
                for k, (r, tau) in enumerate(arcs, start=1):
                    # tau = (R Q)^(1/n) for R || CPE with n = 0.9
                    values |= {f"R{k}": r, f"CPE{k}_Q": tau**0.9 / r, f"CPE{k}_n": 0.9}
                for name in names:
                    if name.startswith("CPE") and name not in values:
                        if name.endswith("_Q"):
                            q = math.sin(n_tail * math.pi / 2) / (omega_end**n_tail * y_end)
                            values[name] = q
                        else:
                            values[name] = n_tail
                    elif name.startswith("W"):
                        values[name] = y_end * math.sqrt(omega_end)
                guesses.append(np.array([values[name] for name in names]))
    return guesses


class _Coordinates:
    """Fit coordinates u <-> impedance.py parameters p.

    Positive parameters (R, Q, W) are fitted as logarithms, which turns their 1e12
    spread of magnitudes into O(1) steps (pellet fits converge in ~10-30 evaluations
    instead of crawling for thousands). The CPE of each R ‖ CPE arc is fitted through
    its time constant, log tau with Q = tau^n / R, bounded to two decades beyond the
    measured window: an arc above the window then collapses onto R0 (only R0 + R1 is
    determined, and that is what sigma needs) instead of running off to R1 -> inf,
    Q -> inf. R0 stays linear so it can reach 0.
    """

    def __init__(self, circuit: str, names: list[str], spectrum: EISSpectrum) -> None:
        self.logged = np.array([not (n == "R0" or n.endswith("_n")) for n in names])
        compact = circuit.replace(" ", "")
        self.arcs = [
            (names.index(f"R{k}"), names.index(f"CPE{k}_Q"), names.index(f"CPE{k}_n"))
            for k in re.findall(r"p\(R(\d+),CPE\1\)", compact)
        ]
        omega = 2 * np.pi * spectrum.frequency_Hz
        z_max = float(np.abs(spectrum.z_ohm).max())
        # An element the data do not need drifts to 0 or infinity, and in log space that
        # never converges: each is kept between "negligible" (1e-9 |Z|max) and
        # "dominant" (1e4 |Z|max) impedance somewhere in the measured window.
        low, high = 1e-9 * z_max, 1e4 * z_max
        ranges = {
            "R": (low, high),
            "L": (low / omega.max(), high / omega.min()),
            "W": (low * math.sqrt(omega.min()), high * math.sqrt(omega.max())),
            "CPE": (1 / (high * max(omega.max(), 1.0)), 1 / (low * min(omega.min(), 1.0))),
        }
        # CPE exponents in [MIN_CPE_EXPONENT, 1]: below, a CPE is a resistor in disguise
        # and trades off against R0 (seen on a spectrum without tail: R0 ± 2400 Ω).
        exponent = np.array([n.endswith("_n") for n in names])
        self.lower = np.where(self.logged, -np.inf, np.where(exponent, MIN_CPE_EXPONENT, 0.0))
        self.upper = np.where(exponent, 1.0, np.inf)
        for k, name in enumerate(names):
            if self.logged[k]:
                lo, hi = ranges[_element_kind(name)]
                self.lower[k], self.upper[k] = math.log(lo), math.log(hi)
        tau_fast, tau_slow = 1 / omega.max(), 1 / omega.min()
        for _, q, _ in self.arcs:
            self.lower[q], self.upper[q] = math.log(tau_fast / 100), math.log(tau_slow * 100)

    def to_params(self, u: np.ndarray) -> np.ndarray:
        p = np.where(self.logged, np.exp(np.where(self.logged, u, 0.0)), u)
        for r, q, n in self.arcs:
            p[q] = math.exp(u[n] * u[q]) / p[r]
        return p

    def from_params(self, p: np.ndarray) -> np.ndarray:
        u = np.where(self.logged, np.log(np.where(self.logged, np.maximum(p, 1e-300), 1.0)), p)
        for r, q, n in self.arcs:
            u[q] = math.log(max(p[r] * p[q], 1e-300)) / max(p[n], 0.05)
        span = np.where(np.isfinite(self.upper - self.lower), self.upper - self.lower, 1.0)
        return np.clip(u, self.lower + 1e-6 * span, self.upper - 1e-6 * span)

    def derivative(self, u: np.ndarray) -> np.ndarray:
        """dp/du (central differences), to carry the covariance over to p."""
        out = np.zeros((u.size, u.size))
        for k in range(u.size):
            step = 1e-6 * max(1.0, abs(u[k]))
            up, down = u.copy(), u.copy()
            up[k] += step
            down[k] -= step
            out[:, k] = (self.to_params(up) - self.to_params(down)) / (2 * step)
        return out


def fit_circuit(
    spectrum: EISSpectrum,
    circuit: str | None = None,
    initial_guess: np.ndarray | None = None,
    max_evaluations: int = 20_000,
) -> CircuitFit:
    """Fit an equivalent circuit to a spectrum, with standard errors.

    Residuals are (Z_fit - Z) / |Z| (real and imaginary parts), so every decade of the
    spectrum counts and a 0.5 % proportional noise gives a residual rms of ~0.005.
    Parameters are bounded (R, Q, W > 0 within a wide range; 0.3 <= n <= 1); several
    starting points from the spectrum are tried and the lowest cost kept. A parameter
    the data do not determine gets error None (see :class:`CircuitFit`).

    Refused rather than reported (:class:`EISFitError` naming the spectrum's source):
    fewer distinct frequencies than the circuit's parameter count + 1 (repeated
    frequencies count once: each adds two residuals but no new information about the
    frequency dependence), and a degenerate fit: a singular Jacobian among the
    determined parameters, or every parameter's relative error below
    :data:`DEGENERATE_RELATIVE_ERROR` (an error at rounding level, e.g. five copies of
    one point fitted exactly).

    Args:
        spectrum: the data.
        circuit: impedance.py circuit string; default :func:`pellet_circuit()`.
        initial_guess: override the automatic starting points (order of
            ``CircuitFit.parameter_names``).
        max_evaluations: least_squares step budget per start.

    Returns:
        :class:`CircuitFit`.

    Raises:
        EISFitError: too few distinct frequencies, the fit fails on every start, or
            the fit is degenerate.

    Example:
        >>> f = np.logspace(6, 0, 61)
        >>> w = 2j * np.pi * f
        >>> z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
        >>> fit = fit_circuit(EISSpectrum(f, z.real, z.imag))
        >>> round(fit.resistance_ohm.value), fit.parameter("CPE1_n").unit
        (2000, '')
    """
    circuit = circuit or pellet_circuit()
    names = _parameter_names(circuit)
    model = _compiled(circuit)
    f = spectrum.frequency_Hz
    distinct = int(np.unique(f).size)
    if distinct < len(names) + 1:
        raise EISFitError(
            f"{spectrum.source}: {distinct} distinct frequencies are too few to determine "
            f"the {len(names)} parameters of {circuit}; a fit needs at least "
            f"{len(names) + 1} (parameters + 1)"
        )
    z = spectrum.z_ohm
    scale = np.concatenate([np.abs(z), np.abs(z)])
    target = np.concatenate([z.real, z.imag]) / scale

    coords = _Coordinates(circuit, names, spectrum)

    def residuals(u: np.ndarray) -> np.ndarray:
        z_model = model(coords.to_params(u), f)
        return np.concatenate([z_model.real, z_model.imag]) / scale - target

    if initial_guess is not None:
        starts = [np.asarray(initial_guess, dtype=float)]
        if starts[0].shape != (len(names),) or np.any(starts[0][coords.logged] <= 0):
            raise ValueError(f"initial_guess needs {len(names)} values (R, Q, W > 0) for {names}")
    else:
        starts = _initial_guesses(spectrum, circuit)

    def solve(u0: np.ndarray, budget: int) -> Any:
        with np.errstate(all="ignore"):
            return least_squares(
                residuals,
                u0,
                bounds=(coords.lower, coords.upper),
                x_scale="jac",
                ftol=1e-12,
                xtol=1e-12,
                gtol=1e-12,
                max_nfev=budget,
            )

    # Every start gets a short budget (good starts converge in tens of evaluations);
    # only the best one, if still moving, gets the full budget.
    best = None
    for start in starts:
        try:
            result = solve(coords.from_params(start), min(SCREENING_EVALUATIONS, max_evaluations))
        except ValueError:
            continue  # a start that evaluates to NaN/inf: the others may still work
        if np.isfinite(result.cost) and (best is None or result.cost < best.cost):
            best = result
    if best is not None and best.status == 0 and max_evaluations > SCREENING_EVALUATIONS:
        best = solve(best.x, max_evaluations)
    if best is None:
        raise EISFitError(f"{spectrum.source}: circuit {circuit} could not be evaluated")
    values = coords.to_params(best.x)
    dof = max(target.size - len(names), 1)
    variance = 2.0 * best.cost / dof
    # Covariance in fit coordinates (columns scaled to unit norm so the pseudo-inverse
    # cuts only truly degenerate directions), then mapped to the parameters.
    norms = np.linalg.norm(best.jac, axis=0)
    norms[norms == 0] = 1.0
    scaled = best.jac / norms
    cov_u = np.linalg.pinv(scaled.T @ scaled) * variance / np.outer(norms, norms)
    to_p = coords.derivative(best.x)
    covariance = to_p @ cov_u @ to_p.T
    errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    # A parameter the residuals do not depend on (an element parked at its
    # "negligible" bound) is undetermined: infinite error, not the zero pinv gives.
    sensitivity = np.linalg.norm(best.jac, axis=0)
    errors[sensitivity <= 1e-10 * sensitivity.max()] = np.inf
    _refuse_degenerate(spectrum.source, circuit, scaled, values, errors)
    resistors = [k for k, name in enumerate(names) if re.fullmatch(r"R\d+", name)]
    r_ion = float(values[resistors].sum())
    r_ion_err = float(np.sqrt(covariance[np.ix_(resistors, resistors)].sum()))
    if not np.all(np.isfinite(errors[resistors])):
        r_ion_err = math.inf  # an undetermined resistor leaves R_ion undetermined
    misfit = np.abs(model(values, f) - z) / np.abs(z)
    relative_residual = float(np.sqrt(np.mean(misfit**2)))
    if relative_residual > POOR_FIT_RESIDUAL:
        warnings.warn(
            f"{spectrum.source}: {circuit} leaves a relative residual of "
            f"{relative_residual:.1%}; the circuit does not describe this spectrum well "
            "(check the Nyquist plot, try --grain-boundary or another tail)",
            EISFitWarning,
            stacklevel=2,
        )
    converged = bool(best.status > 0)
    if not converged:
        warnings.warn(
            f"{spectrum.source}: fit of {circuit} stopped at the step limit ({best.message})",
            EISFitWarning,
            stacklevel=2,
        )
    return CircuitFit(
        circuit=circuit,
        # Estimate.normal turns the infinite error of an undetermined parameter into None
        parameters={
            name: Estimate.normal(float(v), float(e), parameter_unit(name), dof=dof)
            for name, v, e in zip(names, values, errors, strict=True)
        },
        covariance=covariance,
        resistance_ohm=Estimate.normal(r_ion, r_ion_err, "Ω", dof=dof),
        relative_residual=relative_residual,
        converged=converged,
        n_evaluations=int(best.nfev),
        source=spectrum.source,
        message=str(best.message),
    )


def _refuse_degenerate(
    source: str, circuit: str, scaled_jacobian: np.ndarray, values: np.ndarray, errors: np.ndarray
) -> None:
    """EISFitError when the determined parameters' covariance is singular or every
    relative error is below :data:`DEGENERATE_RELATIVE_ERROR`."""
    determined = np.isfinite(errors)
    if not np.any(determined):
        raise EISFitError(f"{source}: degenerate fit of {circuit}: no parameter is determined")
    rank = int(np.linalg.matrix_rank(scaled_jacobian[:, determined]))
    if rank < int(determined.sum()):
        raise EISFitError(
            f"{source}: degenerate fit of {circuit}: singular covariance (the data fix only "
            f"{rank} combinations of {int(determined.sum())} parameters)"
        )
    with np.errstate(all="ignore"):  # a parameter at 0 has an infinite relative error
        relative = errors[determined] / np.abs(values[determined])
    largest = float(np.nanmax(np.where(np.isfinite(relative), relative, np.nan), initial=0.0))
    if largest < DEGENERATE_RELATIVE_ERROR:
        raise EISFitError(
            f"{source}: degenerate fit of {circuit}: every relative error is below "
            f"{DEGENERATE_RELATIVE_ERROR:g} (largest {largest:.1e}), i.e. at rounding "
            "level; the data fix no uncertainty (repeated or exactly computed points?)"
        )


@dataclass
class InterceptResult(RoundTrip):
    """Ionic resistance read where the fitted arc meets the low-frequency tail.

    Attributes:
        resistance_ohm: Z' at the arc-tail intersection, its 1-sigma error propagated
            from the circle and line fit covariances (normal 95 % interval). The error is
            statistical only: with a depressed (CPE) arc the crossing lies ~1 % below the
            true R (1982 ± 4 Ω for R = 2000 Ω, n = 0.9, 0.5 % noise); the circuit fit is
            the unbiased estimate.
        method: "arc_tail" (intersection), "arc_intercept" (no tail: the arc's
            low-frequency real-axis crossing).
        circle_center_ohm: (Z', -Z'') of the fitted arc's centre; circle_radius_ohm.
        tail_slope: d(-Z'')/dZ' of the tail line (None without tail).
        n_arc_points, n_tail_points: points used.
    """

    resistance_ohm: Estimate
    method: str
    circle_center_ohm: tuple[float, float]
    circle_radius_ohm: float
    tail_slope: float | None
    n_arc_points: int
    n_tail_points: int


def _fit_circle(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometric circle fit (centre x, centre y, radius) and its covariance."""
    # Algebraic (Kasa) solution as the start, then orthogonal-distance least squares.
    design = np.column_stack([x, y, np.ones_like(x)])
    a, b, c = np.linalg.lstsq(design, x**2 + y**2, rcond=None)[0]
    cx, cy = a / 2, b / 2
    start = np.array([cx, cy, math.sqrt(max(c + cx**2 + cy**2, 1e-30))])
    result = least_squares(lambda p: np.hypot(x - p[0], y - p[1]) - p[2], start, x_scale="jac")
    dof = max(x.size - 3, 1)
    covariance = np.linalg.pinv(result.jac.T @ result.jac) * (2 * result.cost / dof)
    return result.x, covariance


def _arc_tail_crossing(circle: np.ndarray, line: np.ndarray, near: float) -> float:
    """Z' where the circle meets the line y = line[0] * x + line[1], the root nearest ``near``."""
    cx, cy, r = circle
    slope, offset = line
    # (x - cx)^2 + (slope x + offset - cy)^2 = r^2
    qa = 1 + slope**2
    qb = 2 * (slope * (offset - cy) - cx)
    qc = cx**2 + (offset - cy) ** 2 - r**2
    disc = qb**2 - 4 * qa * qc
    if disc < 0:
        return math.nan
    roots = (-qb + np.array([-1.0, 1.0]) * math.sqrt(disc)) / (2 * qa)
    return float(roots[np.argmin(np.abs(roots - near))])


def intercept_resistance(spectrum: EISSpectrum, n_tail_points: int = 6) -> InterceptResult:
    """The paper's intercept method: where the bulk semicircle meets the tail.

    A circle is fitted (orthogonal distance) to the arc points from the highest
    frequency down to the Nyquist valley, a straight line to the first
    ``n_tail_points`` tail points below it, and R is Z' at their intersection; the
    error propagates both fits' covariances. Without a tail the arc's low-frequency
    real-axis crossing is used.

    Raises:
        EISFitError: fewer than 3 distinct arc points, the tail line misses the arc, or a
            degenerate result (relative error below :data:`DEGENERATE_RELATIVE_ERROR`).

    Example:
        >>> f = np.logspace(6, 0, 61)
        >>> w = 2j * np.pi * f
        >>> z = 1 / (1 / 2000 + 1e-9 * w**0.9) + 1 / (1e-6 * w**0.8)
        >>> r = intercept_resistance(EISSpectrum(f, z.real, z.imag))
        >>> 1900 < r.resistance_ohm.value < 2200
        True
    """
    x, y = spectrum.z_real_ohm, -spectrum.z_imag_ohm
    v = valley_index(spectrum)
    arc = np.arange(0, v + 1)
    arc = arc[y[arc] > 0]
    distinct = np.unique(np.column_stack([x[arc], y[arc]]), axis=0).shape[0]
    if distinct < 3:
        raise EISFitError(
            f"{spectrum.source}: only {distinct} distinct points on the high-frequency arc; "
            "the intercept method needs >= 3 (arc above the frequency window? use the "
            "circuit fit)"
        )
    circle, circle_cov = _fit_circle(x[arc], y[arc])
    tail = np.arange(v, min(v + n_tail_points, spectrum.n_points))
    cx, cy, r = circle
    if tail.size < 3:
        if r**2 < cy**2:
            raise EISFitError(f"{spectrum.source}: the fitted arc does not reach the real axis")

        def crossing(p: np.ndarray) -> float:
            return float(p[0] + math.sqrt(max(p[2] ** 2 - p[1] ** 2, 0.0)))

        params, covariance, method = circle, circle_cov, "arc_intercept"
        slope: float | None = None
    else:
        line, line_cov = np.polyfit(x[tail], y[tail], 1, cov="unscaled")
        dof = max(tail.size - 2, 1)
        line_cov = line_cov * float(np.sum((np.polyval(line, x[tail]) - y[tail]) ** 2)) / dof
        params = np.concatenate([circle, line])
        covariance = np.zeros((5, 5))
        covariance[:3, :3], covariance[3:, 3:] = circle_cov, line_cov

        def crossing(p: np.ndarray) -> float:
            return _arc_tail_crossing(p[:3], p[3:], float(x[v]))

        method, slope = "arc_tail", float(line[0])
    value = crossing(params)
    if not math.isfinite(value):
        raise EISFitError(
            f"{spectrum.source}: the tail line misses the fitted arc; "
            "use the circuit fit (fit_circuit) for this spectrum"
        )
    gradient = np.zeros(params.size)
    for k in range(params.size):
        step = 1e-6 * max(abs(params[k]), 1e-12)
        shifted = params.copy()
        shifted[k] += step
        gradient[k] = (crossing(shifted) - value) / step
    error = float(np.sqrt(max(gradient @ covariance @ gradient, 0.0)))
    if not (math.isfinite(error) and error > DEGENERATE_RELATIVE_ERROR * abs(value)):
        raise EISFitError(
            f"{spectrum.source}: degenerate intercept: its error {error:.1e} Ω is at rounding "
            f"level for R = {value:.4g} Ω (arc points repeated or exactly on a circle?)"
        )
    return InterceptResult(
        resistance_ohm=Estimate.normal(value, error, "Ω"),
        method=method,
        circle_center_ohm=(float(cx), float(cy)),
        circle_radius_ohm=float(r),
        tail_slope=slope,
        n_arc_points=int(arc.size),
        n_tail_points=int(tail.size) if method == "arc_tail" else 0,
    )


def select_circuit(
    spectrum: EISSpectrum, candidates: list[str] | None = None, max_evaluations: int = 20_000
) -> tuple[CircuitFit, list[dict[str, Any]]]:
    """Fit several pellet circuits and keep the one with the lowest BIC.

    BIC = N ln(RSS / N) + k ln N on the |Z|-weighted residuals (N = 2 x points, k =
    parameters), so an extra arc, tail or inductance must pay for its parameters.

    Args:
        spectrum: the data.
        candidates: circuit strings; default every :func:`pellet_circuit` variant
            (grain boundary or not, CPE/Warburg/no tail, inductance or not). A
            candidate :func:`fit_circuit` refuses (more parameters than the spectrum's
            distinct frequencies allow, or a degenerate fit) is left out.
        max_evaluations: least_squares step budget per start of each fit.

    Returns:
        (best fit, table of every candidate's circuit, BIC and relative residual).

    Example:
        >>> best, table = select_circuit(read_eis("cell.DTA"))  # doctest: +SKIP

    Skipped (12 fits, seconds); tests/electrochem/test_eis.py checks the selection.
    """
    if candidates is None:
        candidates = [
            pellet_circuit(gb, tail, ind)
            for gb in (False, True)
            for tail in TAILS
            for ind in (False, True)
        ]
    fits, table, refused = [], [], []
    n = 2 * spectrum.n_points
    for circuit in candidates:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EISFitWarning)
            try:
                fit = fit_circuit(spectrum, circuit, max_evaluations=max_evaluations)
            except EISFitError as exc:
                refused.append(str(exc))  # too many parameters for the data, or degenerate
                continue
        rss = 2 * spectrum.n_points * fit.relative_residual**2
        bic = n * math.log(max(rss, 1e-300) / n) + len(fit.parameter_names) * math.log(n)
        fits.append((bic, fit))
        table.append({"circuit": circuit, "bic": bic, "relative_residual": fit.relative_residual})
    if not fits:
        raise EISFitError(f"no candidate circuit can be fitted: {'; '.join(refused)}")
    best = min(fits, key=lambda item: item[0])[1]
    return best, sorted(table, key=lambda row: row["bic"])
