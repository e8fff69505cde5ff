"""Powder pattern simulation for X-rays, synchrotron, CW and TOF neutrons; x-series figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from pymatgen.core import Lattice, Structure

from sselab.diffraction.crystal import (
    DEFAULT_UISO_A2,
    Orbit,
    build_reflections,
    group_f_squared,
    orbits_from_structure,
)
from sselab.diffraction.pattern import Pattern
from sselab.diffraction.profile import (
    Peaks,
    chebyshev_background,
    d_min_for_range,
    default_profile,
    group_profile_matrix,
)
from sselab.diffraction.radiation import Radiation, TOFNeutron, XRay, parse_radiation
from sselab.roundtrip import RoundTrip

# Reflections are generated a little beyond the data range so refined lattices never lose
# a peak at the high-angle / short-TOF end.
D_MIN_MARGIN = 0.97


def default_range(radiation: Radiation) -> tuple[float, float, float]:
    """(x_min, x_max, step) used when none is given: Cu Kα 10-80° / 0.01°, synchrotron
    2-50° / 0.005°, CW neutrons 10-150° / 0.05°, TOF the bank range / Δt/t = 5e-4.

    Example:
        >>> default_range(XRay())
        (10.0, 80.0, 0.01)
    """
    if isinstance(radiation, TOFNeutron):
        return radiation.bank.tof_min_us, radiation.bank.tof_max_us, 5e-4
    if isinstance(radiation, XRay):
        if radiation.polarization_fraction > 0.9:
            return 2.0, 50.0, 0.005
        return 10.0, 80.0, 0.01
    return 10.0, 150.0, 0.05


def make_axis(radiation: Radiation, x_min: float, x_max: float, step: float) -> np.ndarray:
    """Pattern x axis: uniform in 2θ; for TOF constant Δt/t = step (log spacing).

    Example:
        >>> make_axis(XRay(), 10, 80, 0.01).size
        7001
    """
    if x_max <= x_min or step <= 0:
        raise ValueError(f"bad range {x_min}..{x_max} step {step}")
    if isinstance(radiation, TOFNeutron):
        n = int(np.floor(np.log(x_max / x_min) / np.log1p(step))) + 1
        return x_min * (1 + step) ** np.arange(n)
    n = round((x_max - x_min) / step) + 1
    return x_min + step * np.arange(n)


def calculate_profile(
    x: np.ndarray,
    radiation: Radiation,
    inv_d2: np.ndarray,
    group_intensity: np.ndarray,
    scale: float,
    zero: float,
    profile: dict[str, float],
    background: Sequence[float],
) -> tuple[np.ndarray, Peaks]:
    """Calculated pattern y(x) = scale Σ_peaks I_group L_peak Ω(x - x_peak) + background.

    ``group_intensity`` is m|F|² per reflection group (from the structure, or Le Bail
    intensities). Returns (y, peaks).
    """
    matrix, peaks = group_profile_matrix(x, radiation, inv_d2, zero, profile)
    return matrix @ (scale * group_intensity) + chebyshev_background(x, background), peaks


@dataclass
class SimulatedPattern(RoundTrip):
    """A simulated powder pattern with its reflection list.

    ``as_dict``/``from_dict`` keep the whole pattern; :meth:`summary` is the readable
    reflection list.

    Attributes:
        pattern: x, y (scaled: strongest peak 100 unless a scale was given), σ = sqrt(y).
        radiation: what was simulated.
        hkl: representative (h, k, l) of each reflection group.
        d_angstrom: d-spacing of each group.
        position: peak position of each group (2θ of the first wavelength line, or TOF).
        multiplicity: number of equivalent hkl.
        f_squared: |F|² per hkl (e² or fm²), averaged over the group.
        intensity: integrated stick intensity m|F|²·LP, strongest = 100.
    """

    pattern: Pattern
    radiation: Radiation
    hkl: np.ndarray
    d_angstrom: np.ndarray
    position: np.ndarray
    multiplicity: np.ndarray
    f_squared: np.ndarray
    intensity: np.ndarray

    def summary(self) -> dict[str, Any]:
        """JSON-able reflection list and radiation (the pattern itself goes to .xy files).

        Example:
            >>> from sselab.structures import antifluorite
            >>> simulate_pattern(antifluorite(0.0, a=5.719)).summary()["reflections"][0]["hkl"]
            '111'
        """
        return {
            "radiation": self.radiation.label,
            "x_label": self.pattern.x_label,
            "n_points": int(self.pattern.x.size),
            "reflections": [
                {
                    "hkl": "".join(str(v) for v in hkl),
                    "d_angstrom": float(d),
                    "position": float(p),
                    "multiplicity": int(m),
                    "f_squared": float(f2),
                    "intensity": float(i),
                }
                for hkl, d, p, m, f2, i in zip(
                    self.hkl,
                    self.d_angstrom,
                    self.position,
                    self.multiplicity,
                    self.f_squared,
                    self.intensity,
                    strict=True,
                )
            ],
        }

    def strongest(self, n: int = 5) -> list[tuple[str, float]]:
        """The n strongest reflections as ('hkl', intensity) pairs.

        Example:
            >>> from sselab.structures import antifluorite
            >>> simulate_pattern(antifluorite(0.0, a=5.719), "CuKa").strongest(1)[0][0]
            '111'
        """
        order = np.argsort(-self.intensity)[:n]
        return [("".join(str(v) for v in self.hkl[i]), float(self.intensity[i])) for i in order]


def _reflections(structure: Structure, orbits: list[Orbit], system: str, d_min: float):
    return build_reflections(structure.lattice, orbits, system, d_min * D_MIN_MARGIN)


def simulate_pattern(
    structure: Structure,
    radiation: Radiation | str = "CuKa",
    x_range: tuple[float, float] | None = None,
    step: float | None = None,
    uiso_A2: float | dict[str, float] = DEFAULT_UISO_A2,
    profile: dict[str, float] | None = None,
    background: Sequence[float] = (),
    scale: float | None = None,
    zero: float = 0.0,
) -> SimulatedPattern:
    """Simulate a powder pattern of any (partially occupied) structure.

    Args:
        structure: pymatgen Structure; occupancies as given; site property 'uiso' (Å²)
            overrides ``uiso_A2``.
        radiation: Radiation object or spec string ('CuKa', '0.69511', 'neutron:1.54',
            'tof:BANKFILE').
        x_range: (min, max) in 2θ degrees or TOF µs; default from :func:`default_range`.
        step: 2θ step (deg) or Δt/t for TOF.
        uiso_A2: isotropic displacement (Å²), scalar or per element.
        profile: TCH pseudo-Voigt parameters (see :func:`default_profile`).
        background: Chebyshev coefficients (same units as y).
        scale: multiplies m|F|²·LP; None normalises the strongest peak height to 100.
        zero: 2θ zero shift (deg) or extra TOF zero (µs).

    Example:
        >>> from sselab.structures import antifluorite
        >>> sim = simulate_pattern(antifluorite(0.5), "CuKa")
        >>> sim.pattern.x.size, round(float(sim.pattern.y.max()), 1)
        (7001, 100.0)
    """
    radiation = parse_radiation(radiation) if isinstance(radiation, str) else radiation
    x_min, x_max, default_step = default_range(radiation)
    if x_range is not None:
        x_min, x_max = x_range
    x = make_axis(radiation, x_min, x_max, step or default_step)
    profile = default_profile(radiation) if profile is None else profile
    orbits, system = orbits_from_structure(structure, uiso_A2)
    refl = _reflections(structure, orbits, system, d_min_for_range(radiation, x_max, x_min))
    kind = "xray" if isinstance(radiation, XRay) else "neutron"
    inv_d2 = refl.inv_d2(structure.lattice)
    f2 = group_f_squared(refl, orbits, inv_d2, kind)
    peak_y, peaks = calculate_profile(x, radiation, inv_d2, f2, 1.0, zero, profile, [])
    norm = 100.0 / peak_y.max() if scale is None else scale
    y = norm * peak_y + chebyshev_background(x, background)
    sticks = np.bincount(peaks.group, weights=peaks.factor * f2[peaks.group], minlength=len(f2))
    first_line = np.unique(peaks.group, return_index=True)[1]
    inside = (peaks.position[first_line] >= x_min) & (peaks.position[first_line] <= x_max)
    keep = peaks.group[first_line][inside]
    intensity = sticks[keep]
    return SimulatedPattern(
        pattern=Pattern(x, y, np.sqrt(np.clip(y, 1e-12, None)), radiation.x_label),
        radiation=radiation,
        hkl=refl.representative[keep],
        d_angstrom=1 / np.sqrt(inv_d2[keep]),
        position=peaks.position[first_line][inside],
        multiplicity=refl.multiplicity[keep],
        f_squared=f2[keep] / refl.multiplicity[keep],
        intensity=100 * intensity / intensity.max(),
    )


def add_counting_noise(
    pattern: Pattern, peak_counts: float, seed: int = 0, background_counts: float = 0.0
) -> Pattern:
    """Poisson-noisy copy of a pattern scaled so its maximum is ``peak_counts`` counts.

    Example:
        >>> p = Pattern(np.arange(20.0), np.linspace(1, 100, 20), np.ones(20))
        >>> float(add_counting_noise(p, 1e4).sigma.min()) >= 1
        True
    """
    rng = np.random.default_rng(seed)
    expected = pattern.y * peak_counts / pattern.y.max() + background_counts
    counts = rng.poisson(np.clip(expected, 0, None)).astype(float)
    return Pattern(pattern.x, counts, np.sqrt(np.clip(counts, 1.0, None)), pattern.x_label)


def pattern_figure(sim: SimulatedPattern, title: str = "", n_labels: int = 8) -> Figure:
    """One simulated pattern with reflection ticks and the strongest reflections labelled.

    Example:
        >>> from sselab.structures import antifluorite
        >>> fig = pattern_figure(simulate_pattern(antifluorite(0.5), "CuKa"))
        >>> fig.axes[0].get_xlabel()
        '2θ (°)'
    """
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    p = sim.pattern
    ax.plot(p.x, p.y, lw=0.8, color="k")
    top = float(p.y.max())
    ax.plot(sim.position, np.full(sim.position.size, -0.04 * top), "|", color="tab:purple", ms=8)
    for i in np.argsort(-sim.intensity)[:n_labels]:
        hkl = "".join(str(v) for v in sim.hkl[i])
        window = np.abs(p.x - sim.position[i]) <= 2 * (p.x[1] - p.x[0]) + 1e-3 * sim.position[i]
        height = float(p.y[window].max()) if window.any() else 0.0
        ax.annotate(
            hkl,
            (sim.position[i], height),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.set_xlabel(p.x_label)
    ax.set_ylabel("intensity (strongest = 100)")
    ax.set_title(title or sim.radiation.label, fontsize=9)
    ax.set_ylim(-0.1 * top, 1.12 * top)
    return fig


def series_figure(
    patterns: dict[float, SimulatedPattern],
    zoom_hkl: tuple[int, int, int] = (2, 2, 0),
    title: str = "Li(2+x)N(x)S(1-x), Cu Kα",
) -> Figure:
    """Stacked patterns of an x-series and a zoom on one reflection showing the peak shift
    (the paper's Fig. 2c analogue).

    Example:
        >>> from sselab.structures import antifluorite
        >>> sims = {x: simulate_pattern(antifluorite(x)) for x in (0.1, 0.5)}
        >>> len(series_figure(sims).axes)
        2
    """
    fig = Figure(figsize=(10, 5))
    full, zoom = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    offset = 0.0
    centres = []
    for x_value, sim in sorted(patterns.items()):
        p = sim.pattern
        full.plot(p.x, p.y + offset, lw=0.8, label=f"x = {x_value:g}")
        match = np.flatnonzero((sim.hkl == np.array(zoom_hkl)).all(axis=1))
        if match.size:
            centre = float(sim.position[match[0]])
            centres.append(centre)
            window = (p.x > centre - 1.2) & (p.x < centre + 1.2)
            zoom.plot(p.x[window], p.y[window], lw=1.0, label=f"x = {x_value:g}")
        offset += 1.1 * float(p.y.max())
    full.set_xlabel(next(iter(patterns.values())).pattern.x_label)
    full.set_ylabel("intensity (offset)")
    full.set_title(title)
    full.legend(fontsize=7, loc="upper right")
    hkl_text = "".join(str(v) for v in zoom_hkl)
    if centres:
        zoom.set_xlim(min(centres) - 0.6, max(centres) + 0.6)
    zoom.set_xlabel(full.get_xlabel())
    zoom.set_title(f"({hkl_text}) peak shift")
    fig.tight_layout()
    return fig


def cubic_with_a(structure: Structure, a_angstrom: float) -> Structure:
    """Copy of a cubic structure with lattice constant a (Å).

    Example:
        >>> from sselab.structures import antifluorite
        >>> cubic_with_a(antifluorite(0.5), 5.458).lattice.a
        5.458
    """
    copy = structure.copy()
    copy.lattice = Lattice.cubic(a_angstrom)
    return copy
