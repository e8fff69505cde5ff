"""Radiation and instrument geometry: lab X-rays, synchrotron, CW and time-of-flight neutrons.

A radiation object says which scattering factors apply (X-ray form factors or neutron
scattering lengths), how reflections are placed on the pattern's x axis (2θ in degrees
or TOF in µs) and which intensity (Lorentz-polarisation) factor applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sselab.roundtrip import RoundTrip

# Cu K-alpha1 / K-alpha2 (Å), Hoelzer et al., Phys. Rev. A 56, 4554 (1997); the 2:1 intensity
# ratio is the usual lab-diffractometer value.
CU_KA1_ANGSTROM = 1.540593
CU_KA2_ANGSTROM = 1.544414
CU_KA2_RATIO = 0.5


class RadiationSpecError(ValueError):
    """A radiation string or TOF bank file cannot be understood; the message says why."""


B = TypeVar("B", bound="_KindTagged")


class _KindTagged(RoundTrip):
    """RoundTrip that writes the radiation ``kind``, so a ``Radiation`` field (a union)
    decodes to the class it was written from."""

    kind: str

    def as_dict(self) -> dict[str, Any]:
        """Fields plus ``kind``."""
        return {"kind": self.kind, **super().as_dict()}

    @classmethod
    def from_dict(cls: type[B], data: dict[str, Any]) -> B:
        """Inverse of :meth:`as_dict`; ValueError when ``kind`` belongs to another class."""
        if data.get("kind") != cls.kind:
            raise ValueError(f"radiation kind {data.get('kind')!r} is not {cls.kind!r}")
        return super().from_dict(data)


@dataclass(frozen=True)
class XRay(_KindTagged):
    """Angle-dispersive X-rays (lab tube or synchrotron).

    Attributes:
        wavelengths_angstrom: ((λ, relative weight), ...); two entries for a K-alpha doublet.
        polarization_fraction: K, fraction of the beam polarised perpendicular to the scattering
            plane; polarisation factor P = K + (1 - K) cos²2θ. 0.5: unpolarised tube without
            monochromator; ~1: synchrotron with vertical scattering plane.
    """

    wavelengths_angstrom: tuple[tuple[float, float], ...] = (
        (CU_KA1_ANGSTROM, 1.0),
        (CU_KA2_ANGSTROM, CU_KA2_RATIO),
    )
    polarization_fraction: float = 0.5
    kind: str = field(default="xray", init=False)
    x_label: str = field(default="2θ (°)", init=False)

    @property
    def label(self) -> str:
        """Short text for legends, e.g. 'X-ray λ = 0.69511 Å'."""
        if len(self.wavelengths_angstrom) == 2:
            return "Cu Kα1/Kα2"
        return f"X-ray λ = {self.wavelengths_angstrom[0][0]:g} Å"


@dataclass(frozen=True)
class CWNeutron(_KindTagged):
    """Constant-wavelength neutrons (Lorentz factor only, no polarisation)."""

    wavelength_angstrom: float = 1.54
    kind: str = field(default="neutron", init=False)
    x_label: str = field(default="2θ (°)", init=False)

    @property
    def wavelengths_angstrom(self) -> tuple[tuple[float, float], ...]:
        """Single line: ((λ, 1.0),)."""
        return ((self.wavelength_angstrom, 1.0),)

    @property
    def label(self) -> str:
        """Short text for legends."""
        return f"neutron λ = {self.wavelength_angstrom:g} Å"


@dataclass(frozen=True)
class TOFBank(RoundTrip):
    """One time-of-flight detector bank: TOF (µs) = ZERO + DIFC d + DIFA d² (d in Å).

    Attributes:
        difc_us_per_angstrom: DIFC.
        difa_us_per_angstrom2: DIFA.
        zero_us: ZERO.
        two_theta_deg: bank angle (only reported; intensities use the d⁴ TOF Lorentz factor).
        tof_min_us / tof_max_us: default simulation range.
    """

    difc_us_per_angstrom: float = 9330.0
    difa_us_per_angstrom2: float = 0.0
    zero_us: float = 0.0
    two_theta_deg: float = 90.0
    tof_min_us: float = 4000.0
    tof_max_us: float = 40000.0


@dataclass(frozen=True)
class TOFNeutron(_KindTagged):
    """Time-of-flight neutrons in one bank.

    Example:
        >>> beam = TOFNeutron(TOFBank(difc_us_per_angstrom=9300.0))
        >>> TOFNeutron.from_dict(beam.as_dict()) == beam
        True
    """

    bank: TOFBank = field(default_factory=TOFBank)
    kind: str = field(default="tof", init=False)
    x_label: str = field(default="TOF (µs)", init=False)

    @property
    def label(self) -> str:
        """Short text for legends."""
        return f"TOF neutron, bank 2θ = {self.bank.two_theta_deg:g}°"


Radiation = XRay | CWNeutron | TOFNeutron

_BANK_KEYS = {
    "difc": "difc_us_per_angstrom",
    "difa": "difa_us_per_angstrom2",
    "zero": "zero_us",
    "2-theta": "two_theta_deg",
    "2theta": "two_theta_deg",
    "two_theta": "two_theta_deg",
    "tof_min": "tof_min_us",
    "tof_max": "tof_max_us",
}


def read_tof_bank(path: str | Path) -> TOFBank:
    """Read a TOF bank: 'key value', 'key: value' or 'key = value' lines.

    Keys (case-insensitive): DIFC, DIFA, ZERO, 2-theta, TOF_MIN, TOF_MAX; other keys (as in a
    GSAS-II .instprm file) are ignored, '#' starts a comment. DIFC is required.

    Example:
        >>> _ = Path("/tmp/bank.txt").write_text("DIFC 9300\\nZERO: 2.5\\n2-theta = 90\\n")
        >>> read_tof_bank("/tmp/bank.txt").difc_us_per_angstrom
        9300.0
    """
    path = Path(path)
    if not path.is_file():
        raise RadiationSpecError(f"{path}: TOF bank file not found")
    values: dict[str, float] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s*[:=]\s*|\s+", line, maxsplit=1)
        if len(parts) != 2:
            raise RadiationSpecError(f"{path}:{number}: expected 'key value', got '{line}'")
        key = parts[0].lower()
        if key not in _BANK_KEYS:
            continue
        try:
            values[_BANK_KEYS[key]] = float(parts[1].split(",")[0])
        except ValueError as exc:
            raise RadiationSpecError(f"{path}:{number}: {parts[0]} is not a number") from exc
    if "difc_us_per_angstrom" not in values:
        raise RadiationSpecError(f"{path}: no DIFC given")
    if values["difc_us_per_angstrom"] <= 0:
        raise RadiationSpecError(f"{path}: DIFC must be positive")
    return TOFBank(**values)


def parse_radiation(spec: str) -> Radiation:
    """Radiation from a CLI string.

    'CuKa' (Kα1/Kα2 doublet), 'CuKa1', a wavelength in Å such as '0.69511' (synchrotron,
    polarised), 'xray:1.5406' (unpolarised single line), 'neutron:1.54', or 'tof:BANKFILE'.

    Example:
        >>> parse_radiation("0.69511").wavelengths_angstrom
        ((0.69511, 1.0),)
        >>> parse_radiation("neutron:1.54").kind
        'neutron'
    """
    text = spec.strip()
    lowered = text.lower()
    if lowered == "cuka":
        return XRay()
    if lowered == "cuka1":
        return XRay(wavelengths_angstrom=((CU_KA1_ANGSTROM, 1.0),))
    if lowered.startswith("tof:"):
        return TOFNeutron(bank=read_tof_bank(text[4:]))
    prefix, _, value = lowered.rpartition(":")
    try:
        wavelength = float(value)
    except ValueError as exc:
        raise RadiationSpecError(
            f"radiation '{spec}' not understood; use CuKa, CuKa1, a wavelength in Å "
            "(e.g. 0.69511), xray:λ, neutron:λ or tof:BANKFILE"
        ) from exc
    if not 0.05 < wavelength < 10:
        raise RadiationSpecError(f"radiation '{spec}': wavelength {wavelength} Å is implausible")
    if prefix == "neutron":
        return CWNeutron(wavelength_angstrom=wavelength)
    if prefix == "xray":
        return XRay(wavelengths_angstrom=((wavelength, 1.0),), polarization_fraction=0.5)
    if prefix == "":
        return XRay(wavelengths_angstrom=((wavelength, 1.0),), polarization_fraction=1.0)
    raise RadiationSpecError(f"radiation '{spec}': unknown prefix '{prefix}'")
