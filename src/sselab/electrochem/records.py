"""Measured electrochemical records: impedance spectra and galvanostatic cycling data.

Every reader (:mod:`sselab.electrochem.readers`) returns these, in lab units (Hz, Ω, s,
V, mA) and with the convention ``z_imag_ohm = Im(Z)`` (negative for a capacitive arc).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sselab.roundtrip import RoundTrip

MAX_CYCLE_INDEX = 1e9  # more cycles than any cell lives: a corrupt cell, not an index


class EISFileError(ValueError):
    """An instrument file that cannot be read; the message names the file and the problem."""


class EISDataWarning(UserWarning):
    """Points were dropped or a run is incomplete; the message says which and why."""


@dataclass
class EISSpectrum(RoundTrip):
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


@dataclass
class CyclingData(RoundTrip):
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
        if self.cycle is None:
            cycle = np.full(t.size, -1, dtype=int)
        else:
            raw = np.asarray(self.cycle, dtype=float)
            if raw.shape != t.shape:
                raise EISFileError(f"{self.source}: cycle column length differs from time")
            # NaN or 1e300 cast to int is -2**63: a silently wrong cycle index.
            wrong = ~(np.abs(raw) <= MAX_CYCLE_INDEX)
            if np.any(wrong):
                row = int(np.flatnonzero(wrong)[0]) + 1
                raise EISFileError(
                    f"{self.source}: cycle number {raw[row - 1]:g} at row {row} is not a "
                    "cycle index"
                )
            cycle = raw.astype(int)
        self.time_s, self.voltage_V, self.current_mA, self.cycle = t, v, i, cycle

    @property
    def duration_h(self) -> float:
        """Length of the record (h)."""
        return float(self.time_s[-1] - self.time_s[0]) / 3600.0


def _first_drop(values: np.ndarray) -> int:
    return int(np.flatnonzero(np.diff(values) < 0)[0]) + 1
