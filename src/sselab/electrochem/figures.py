"""Figures of the electrochemistry stage (matplotlib ``Figure`` objects, no pyplot state).

Figures that can show a value from elsewhere (a paper, another lab) take it as an
optional ``reference_...`` argument with a ``reference_label``; the presentation layer
(:mod:`sselab.report.electrochem`, the CLI) passes the paper's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from sselab.electrochem.aging import AgingResult
from sselab.electrochem.arrhenius import ArrheniusResult
from sselab.electrochem.cycling import (
    CriticalCurrentDensity,
    FullCellResult,
    SymmetricCellResult,
    cycle_index,
)
from sselab.electrochem.dcpol import DCPolarisation
from sselab.electrochem.eis import EISAnalysis
from sselab.electrochem.records import CyclingData
from sselab.estimate import Estimate


def eis_figure(analysis: EISAnalysis) -> Figure:
    """Nyquist and Bode plots with the circuit fit, lin-KK residuals and the DRT.

    Example:
        >>> eis_figure(analyze_spectrum(spectrum)).savefig("eis.png")  # doctest: +SKIP

    Skipped (needs a spectrum and a file); tests/electrochem/test_eis.py draws it through
    ``sselab eis fit``.
    """
    spectrum, fit = analysis.spectrum, analysis.fit
    f = spectrum.frequency_Hz
    dense = np.logspace(np.log10(f.max()), np.log10(f.min()), 400)
    z_fit = fit.predict(dense)
    fig = Figure(figsize=(11.0, 8.0), layout="constrained")
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    ax.plot(spectrum.z_real_ohm, -spectrum.z_imag_ohm, "o", ms=4, mfc="none", label="data")
    ax.plot(z_fit.real, -z_fit.imag, "-", label=f"fit {fit.circuit}")
    if analysis.intercept is not None:
        r = analysis.intercept.resistance_ohm.value
        ax.axvline(r, color="0.5", ls=":", label=f"intercept {r:.4g} Ω")
    ax.set_xlabel("Z' (Ω)")
    ax.set_ylabel("-Z'' (Ω)")
    ax.set_aspect("equal", adjustable="datalim")
    title = f"R_ion = {value_with_error(fit.resistance_ohm, '.4g', '.2g')}"
    if analysis.conductivity is not None:
        title += f"\nσ = {value_with_error(analysis.conductivity.sigma_S_per_cm, '.3g', '.1g')}"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.loglog(f, np.abs(spectrum.z_ohm), "o", ms=4, mfc="none", label="|Z| data")
    ax.loglog(dense, np.abs(z_fit), "-", label="|Z| fit")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("|Z| (Ω)")
    phase_ax = ax.twinx()
    phase_ax.semilogx(f, -np.angle(spectrum.z_ohm, deg=True), "s", ms=3, color="C2", mfc="none")
    phase_ax.semilogx(dense, -np.angle(z_fit, deg=True), "-", color="C3")
    phase_ax.set_ylabel("-phase (°)")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(f"relative residual {fit.relative_residual:.2%}", fontsize=10)
    ax = axes[1, 0]
    kk = analysis.kk
    ax.semilogx(f, 100 * kk.residual_real, "o-", ms=3, label="Δ real")
    ax.semilogx(f, 100 * kk.residual_imag, "s-", ms=3, label="Δ imag")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("lin-KK residual (% of |Z|)")
    verdict = "valid" if kk.valid else "NOT valid"
    ax.set_title(f"Kramers-Kronig: rms {kk.rms_residual_pct:.2f} % ({verdict})", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.semilogx(analysis.drt.tau_s, analysis.drt.gamma_ohm, "-")
    for peak in analysis.drt.peaks:
        ax.axvline(peak.tau_s, color="0.6", ls=":", lw=0.8)
    ax.set_xlabel("τ (s)")
    ax.set_ylabel("γ (Ω)")
    ax.set_title(f"DRT (λ = {analysis.drt.regularisation:g})", fontsize=10)
    fig.suptitle(spectrum.source.split("/")[-1], fontsize=11)
    return fig


def value_with_error(
    estimate: Estimate, value_format: str = ".4g", error_format: str = ".2g"
) -> str:
    """``value ± error unit`` with a format for each (figure titles and terminal lines show
    few digits; ``str(estimate)`` rounds the value to the error instead).

    Example:
        >>> value_with_error(Estimate.normal(6.3662e-05, 6.4e-07, "S/cm"))
        '6.366e-05 ± 6.4e-07 S/cm'
        >>> value_with_error(Estimate.exact(2000.0, "Ω"), ".5g")
        '2000 Ω'
    """
    text = format(estimate.value, value_format)
    if estimate.known:
        text += f" ± {format(estimate.error, error_format)}"
    return f"{text} {estimate.unit}".rstrip()


def arrhenius_figure(
    results: Sequence[ArrheniusResult],
    reference_Ea_eV: dict[str, float] | None = None,
    reference_label: str = "reference",
) -> Figure:
    """log10 sigma against 1000/T for several materials with their sigma T fits (Fig. 2e).

    Args:
        results: one Arrhenius fit per material.
        reference_Ea_eV: {material: Ea (eV)} from elsewhere, shown in the legend.
        reference_label: what the reference values are (e.g. "paper").

    Example:
        >>> from sselab.electrochem.arrhenius import arrhenius_from_conductivities
        >>> T = np.array([298.15, 323.15, 348.15])
        >>> lns = arrhenius_from_conductivities(T, 1e2 / T * np.exp(-0.35 / (8.617e-5 * T)))
        >>> fig = arrhenius_figure([lns], {"sample": 0.35}, "paper")
        >>> "(paper 0.35)" in fig.axes[0].get_legend_handles_labels()[1][0]
        True
    """
    fig = Figure(figsize=(6.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for k, result in enumerate(results):
        t = np.array([p.temperature_K for p in result.points])
        sigma = np.array([p.sigma_S_per_cm.value for p in result.points])
        known = all(p.sigma_S_per_cm.error is not None for p in result.points)
        err = [p.sigma_S_per_cm.error or 0.0 for p in result.points] if known else None
        ea = value_with_error(result.activation_energy_eV, ".3f", ".3f")
        label = f"{result.material}: Ea = {ea}"
        if reference_Ea_eV and result.material in reference_Ea_eV:
            label += f" ({reference_label} {reference_Ea_eV[result.material]:.2f})"
        ax.errorbar(1000 / t, sigma, yerr=err, fmt="o", color=f"C{k}", mfc="none", label=label)
        dense = np.linspace(t.min() - 5, t.max() + 5, 100)
        ax.plot(1000 / dense, result.sigma_at(dense), "-", color=f"C{k}")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("σ (S/cm)")
    ax.set_title("Arrhenius fits of σT = A exp(-Ea / kB T)", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def dcpol_figure(
    result: DCPolarisation,
    reference_orders_of_magnitude: float | None = None,
    reference_label: str = "reference",
) -> Figure:
    """Steady DC current against bias with the U-I line; sigma_ion / sigma_e in the title,
    with a reference ratio (decades) when given.

    Example:
        >>> from sselab.electrochem.dcpol import dc_polarisation
        >>> v = np.array([0.10, 0.15, 0.20, 0.25])
        >>> result = dc_polarisation(v, v / 2.5e7 + [0, 1e-11, 0, 0], 0.1, 1.0, 2.1e-4)
        >>> "(paper: 10^4)" in dcpol_figure(result, 4, "paper").axes[0].get_title()
        True
    """
    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    current_nA = [1e9 * c.value for c in result.current_A]
    known = all(c.error is not None for c in result.current_A)
    error_nA = [1e9 * (c.error or 0.0) for c in result.current_A] if known else None
    ax.errorbar(result.voltage_V, current_nA, yerr=error_nA, fmt="o")
    v = np.linspace(0, result.voltage_V.max() * 1.05, 50)
    ax.plot(v, (v / result.resistance_ohm.value + result.offset_A.value) * 1e9, "-")
    ax.set_xlabel("bias (V)")
    ax.set_ylabel("steady current (nA)")
    title = f"R_e = {value_with_error(result.resistance_ohm, '.3g', '.2g')}"
    if result.conductivity is not None:
        title += f", σ_e = {value_with_error(result.conductivity.sigma_S_per_cm, '.2g', '.1g')}"
    if result.orders_of_magnitude is not None:
        title += f"\nσ_ion / σ_e = 10^{result.orders_of_magnitude.value:.2f}"
        if reference_orders_of_magnitude is not None:
            title += f" ({reference_label}: 10^{reference_orders_of_magnitude:g})"
    ax.set_title(title, fontsize=10)
    return fig


def aging_figure(
    results: Sequence[AgingResult],
    reference_retention: dict[str, float] | None = None,
    reference_time_h: float = 12.0,
    reference_label: str = "reference",
) -> Figure:
    """Conductivity retention against rest time (Fig. S12), optionally with reference
    retentions (fractions by material) at ``reference_time_h``.

    Example:
        >>> from sselab.electrochem.aging import conductivity_retention
        >>> aged = conductivity_retention([0, 6, 12], [100.0, 102.0, 103.6], "LNS")
        >>> fig = aging_figure([aged], {"Li2.5N0.5S0.5": 0.965}, reference_label="paper")
        >>> fig.axes[0].get_legend_handles_labels()[1]
        ['paper Li2.5N0.5S0.5: 96.50 %', 'LNS: 96.5 %']
    """
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for k, result in enumerate(results):
        known = all(r.error is not None for r in result.retention)
        ax.errorbar(
            result.time_h,
            [100 * r.value for r in result.retention],
            yerr=[100 * (r.error or 0.0) for r in result.retention] if known else None,
            fmt="o-",
            color=f"C{k}",
            label=f"{result.material}: {100 * result.final_retention.value:.1f} %",
        )
    for k, (material, value) in enumerate((reference_retention or {}).items()):
        ax.plot(
            reference_time_h,
            100 * value,
            marker="*",
            ms=12,
            ls="none",
            color=f"C{k + 5}",
            label=f"{reference_label} {material}: {100 * value:.2f} %",
        )
    ax.set_xlabel("rest time (h)")
    ax.set_ylabel("conductivity retention (%)")
    ax.set_ylim(0, 110)
    ax.legend(fontsize=8)
    return fig


def symmetric_figure(data: CyclingData, result: SymmetricCellResult) -> Figure:
    """Voltage of a Li | SE | Li cell against time and overpotential per half-cycle (Fig. 5c/d).

    Example:
        >>> symmetric_figure(data, symmetric_cell(data, 0.785)).savefig("sym.png")  # doctest: +SKIP

    Skipped (needs a record); tests/electrochem/test_cycling.py draws it through
    ``sselab cycling --cell symmetric``.
    """
    fig = Figure(figsize=(9.0, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    hours = data.time_s / 3600
    top.plot(hours, 1e3 * data.voltage_V, lw=0.6)
    top.set_ylabel("voltage (mV)")
    if result.short is not None:
        t_short = result.short.time_s / 3600
        for ax in (top, bottom):
            ax.axvline(t_short, color="r", ls="--", lw=1)
        top.set_title(
            f"short circuit at {t_short:.1f} h, "
            f"{result.short.current_density_mA_per_cm2:.3g} mA/cm²",
            fontsize=10,
        )
    else:
        top.set_title(f"no short in {result.stable_hours:.0f} h", fontsize=10)
    mid = np.array([(h.start_s + h.end_s) / 7200 for h in result.half_cycles])
    bottom.plot(mid, [1e3 * h.overpotential_V for h in result.half_cycles], "o", ms=3)
    bottom.set_ylabel("overpotential (mV)")
    bottom.set_xlabel("time (h)")
    return fig


def ccd_figure(
    data: CyclingData,
    ccd: CriticalCurrentDensity,
    area_cm2: float,
    reference_ccd_mA_per_cm2: float | None = None,
    reference_label: str = "reference",
) -> Figure:
    """Staircase voltage with the current-density steps and the CCD (and a reference CCD
    in the title when given).

    Example:
        >>> ccd_figure(data, critical_current_density(data, 0.283), 0.283)  # doctest: +SKIP

    The skipped example needs a staircase record; tests/electrochem/test_cycling.py
    draws one through the CLI.
    """
    fig = Figure(figsize=(9.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    hours = data.time_s / 3600
    ax.plot(hours, 1e3 * data.voltage_V, lw=0.6, color="C0")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("voltage (mV)", color="C0")
    twin = ax.twinx()
    twin.plot(hours, np.abs(data.current_mA) / area_cm2, color="C1", lw=0.8)
    twin.set_ylabel("|j| (mA/cm²)", color="C1")
    if ccd.ccd_mA_per_cm2 is not None and ccd.short is not None:
        ax.axvline(ccd.short.time_s / 3600, color="r", ls="--", lw=1)
        title = f"CCD = {value_with_error(ccd.ccd_mA_per_cm2, '.3g', '.2g')} (step size)"
        if reference_ccd_mA_per_cm2 is not None:
            title += f", {reference_label} {reference_ccd_mA_per_cm2:g} mA/cm²"
        ax.set_title(title, fontsize=10)
    else:
        ax.set_title(f"no short up to {ccd.last_stable_mA_per_cm2} mA/cm²", fontsize=10)
    return fig


def full_cell_figure(data: CyclingData, result: FullCellResult) -> Figure:
    """Voltage-capacity curves of selected cycles; capacity, CE and retention per cycle.

    Example:
        >>> full_cell_figure(data, full_cell(data, 0.0049)).savefig("full.png")  # doctest: +SKIP

    Skipped (needs a record); tests/electrochem/test_cycling.py draws it through
    ``sselab cycling --cell full``.
    """
    fig = Figure(figsize=(11.0, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    numbers = cycle_index(data)
    done = [c.cycle for c in result.cycles]
    shown = sorted({done[0], done[min(1, len(done) - 1)], done[len(done) // 2], done[-1]})
    for k, n in enumerate(shown):
        mask = numbers == n
        t, i, v = data.time_s[mask], data.current_mA[mask], data.voltage_V[mask]
        dq = np.concatenate([[0.0], i[:-1] * np.diff(t) / 3600]) / result.active_mass_g
        for sign in (1, -1):
            part = np.sign(i) == sign
            q = np.cumsum(np.abs(dq) * part)[part]
            left.plot(q, v[part], color=f"C{k}", label=f"cycle {n}" if sign > 0 else None)
    left.set_xlabel("specific capacity (mAh/g)")
    left.set_ylabel("voltage (V)")
    left.legend(fontsize=8)
    cycles = np.array(done)
    right.plot(cycles, [c.charge_mAh_per_g for c in result.cycles], "^", ms=4, label="charge")
    right.plot(cycles, [c.discharge_mAh_per_g for c in result.cycles], "o", ms=4, label="discharge")
    right.set_xlabel("cycle")
    right.set_ylabel("capacity (mAh/g)")
    right.legend(fontsize=8, loc="lower left")
    twin = right.twinx()
    twin.plot(cycles, [100 * c.coulombic_efficiency for c in result.cycles], "s", ms=3, color="C3")
    twin.set_ylabel("Coulombic efficiency (%)", color="C3")
    twin.ticklabel_format(axis="y", useOffset=False)
    efficiencies = [100 * c.coulombic_efficiency for c in result.cycles]
    twin.set_ylim(min(90.0, min(efficiencies) - 1), max(101.0, max(efficiencies) + 1))
    right.set_title(
        f"retention {100 * result.retention[-1]:.1f} % after {cycles[-1]} cycles, "
        f"first CE {100 * result.initial_coulombic_efficiency:.1f} %",
        fontsize=10,
    )
    return fig
