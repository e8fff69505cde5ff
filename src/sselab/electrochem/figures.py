"""Figures of the electrochemistry stage (matplotlib ``Figure`` objects, no pyplot state)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sselab.electrochem.eis import EISAnalysis


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
