"""Figures of the electrochemistry stage (matplotlib ``Figure`` objects, no pyplot state)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from sselab.electrochem.aging import AgingResult, paper_retention
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
from sselab.reference import paper_value


def eis_figure(analysis: EISAnalysis) -> Figure:
    """Nyquist and Bode plots with the circuit fit, lin-KK residuals and the DRT.

    Example:
        >>> eis_figure(analyze_spectrum(spectrum)).savefig("eis.png")  # doctest: +SKIP
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
        r = analysis.intercept.resistance_ohm
        ax.axvline(r, color="0.5", ls=":", label=f"intercept {r:.4g} Ω")
    ax.set_xlabel("Z' (Ω)")
    ax.set_ylabel("-Z'' (Ω)")
    ax.set_aspect("equal", adjustable="datalim")
    title = f"R_ion = {fit.resistance_ohm:.4g} ± {fit.resistance_err_ohm:.2g} Ω"
    if analysis.conductivity is not None:
        sigma = analysis.conductivity
        title += f"\nσ = {sigma.sigma_S_per_cm:.3g} ± {sigma.sigma_err_S_per_cm:.1g} S/cm"
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


def arrhenius_figure(
    results: Sequence[ArrheniusResult], paper_Ea_eV: dict[str, float] | None = None
) -> Figure:
    """log10 sigma against 1000/T for several materials with their sigma T fits (Fig. 2e).

    Example:
        >>> fig = arrhenius_figure([lns, lgps], {"Li2.5N0.5S0.5": 0.35})  # doctest: +SKIP
    """
    fig = Figure(figsize=(6.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for k, result in enumerate(results):
        t = np.array([p.temperature_K for p in result.points])
        sigma = np.array([p.sigma_S_per_cm for p in result.points])
        err = np.array([p.sigma_err_S_per_cm for p in result.points])
        label = (
            f"{result.material}: Ea = {result.activation_energy_eV:.3f} ± "
            f"{result.activation_energy_err_eV:.3f} eV"
        )
        if paper_Ea_eV and result.material in paper_Ea_eV:
            label += f" (paper {paper_Ea_eV[result.material]:.2f})"
        ax.errorbar(1000 / t, sigma, yerr=err, fmt="o", color=f"C{k}", mfc="none", label=label)
        dense = np.linspace(t.min() - 5, t.max() + 5, 100)
        ax.plot(1000 / dense, result.sigma_at(dense), "-", color=f"C{k}")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("σ (S/cm)")
    ax.set_title("Arrhenius fits of σT = A exp(-Ea / kB T)", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def dcpol_figure(result: DCPolarisation) -> Figure:
    """Steady DC current against bias with the U-I line.

    Example:
        >>> dcpol_figure(dc_polarisation(v, i)).savefig("dcpol.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(result.voltage_V, result.current_A * 1e9, yerr=result.current_err_A * 1e9, fmt="o")
    v = np.linspace(0, result.voltage_V.max() * 1.05, 50)
    ax.plot(v, (v / result.resistance_ohm + result.offset_A) * 1e9, "-")
    ax.set_xlabel("bias (V)")
    ax.set_ylabel("steady current (nA)")
    title = f"R_e = {result.resistance_ohm:.3g} ± {result.resistance_err_ohm:.2g} Ω"
    if result.conductivity is not None:
        c = result.conductivity
        title += f", σ_e = {c.sigma_S_per_cm:.2g} ± {c.sigma_err_S_per_cm:.1g} S/cm"
    if result.orders_of_magnitude is not None:
        paper = paper_value("transport_measured", "electronic_vs_ionic_orders_of_magnitude")
        title += f"\nσ_ion / σ_e = 10^{result.orders_of_magnitude:.2f} (paper: 10^{paper})"
    ax.set_title(title, fontsize=10)
    return fig


def aging_figure(results: Sequence[AgingResult]) -> Figure:
    """Conductivity retention against rest time, with the paper's 12 h values (Fig. S12).

    Example:
        >>> aging_figure([aging_series(files)]).savefig("aging.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for k, result in enumerate(results):
        ax.errorbar(
            result.time_h,
            100 * result.retention,
            yerr=100 * result.retention_err,
            fmt="o-",
            color=f"C{k}",
            label=f"{result.material}: {100 * result.final_retention[0]:.1f} %",
        )
    for k, (material, value) in enumerate(paper_retention().items()):
        ax.plot(
            12,
            100 * value,
            marker="*",
            ms=12,
            ls="none",
            color=f"C{k + 5}",
            label=f"paper {material}: {100 * value:.2f} %",
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


def ccd_figure(data: CyclingData, ccd: CriticalCurrentDensity, area_cm2: float) -> Figure:
    """Staircase voltage with the current-density steps and the CCD.

    Example:
        >>> ccd_figure(data, critical_current_density(data, 0.785), 0.785)  # doctest: +SKIP
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
        ax.set_title(
            f"CCD = {ccd.ccd_mA_per_cm2:.3g} ± {ccd.ccd_err_mA_per_cm2:.2g} mA/cm² "
            f"(paper {paper_value('cells', 'critical_current_density_mA_per_cm2')})",
            fontsize=10,
        )
    else:
        ax.set_title(f"no short up to {ccd.last_stable_mA_per_cm2} mA/cm²", fontsize=10)
    return fig


def full_cell_figure(data: CyclingData, result: FullCellResult) -> Figure:
    """Voltage-capacity curves of selected cycles; capacity, CE and retention per cycle.

    Example:
        >>> full_cell_figure(data, full_cell(data, 0.0049)).savefig("full.png")  # doctest: +SKIP
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
