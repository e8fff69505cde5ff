"""The measured half of the report: one section per kind of the user's data, and the
*measured (yours)* column of the claims table.

:func:`sselab.pipeline.measured.analyse_measured` analyses the folder; this module
lays the results out with the figures of the matching CLI commands
(:func:`measured_sections`) and puts each measured number beside the computed one and
the paper's (:func:`add_measured_claims`). A synthetic set (``synthetic = true`` in its
manifest, as the packaged example) is labelled SYNTHETIC in every section title and in
the claims table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from scipy import stats

from sselab.estimate import Estimate
from sselab.pipeline.measured import SECTION_TITLES, MeasuredResults
from sselab.pipeline.reproduce import ReproduceResults
from sselab.report.claims import (
    BARRIER_TOLERANCE_EV,
    SIGMA_TOLERANCE_FACTOR,
    Claim,
    judge,
    paper_number,
)
from sselab.report.html import Section

_Z95 = float(stats.norm.ppf(0.975))
SIGMA_RT_CLAIM = "Ionic conductivity at room temperature (EIS)"
EA_CLAIM = "Activation energy (EIS, sigma T Arrhenius)"


def data_label(measured: MeasuredResults) -> str:
    """How the report names the user's data: SYNTHETIC for a generated set.

    Example:
        >>> from sselab.pipeline.measured import MeasuredManifest
        >>> data_label(MeasuredResults(MeasuredManifest("/d", "pellet", synthetic=True)))
        'SYNTHETIC data (pellet), not measured'
    """
    name = measured.manifest.sample
    return f"SYNTHETIC data ({name}), not measured" if measured.manifest.synthetic else name


# --------------------------------------------------------------------------- comparison


def compare(computed: Estimate | None, measured: Estimate | None, ratio: bool) -> str:
    """Measured vs computed in words: a factor (conductivities) or a difference, with the
    95 % interval from both 1-sigma errors where both are known.

    Example:
        >>> sigma_md = Estimate.normal(4e-4, 1e-4, "S/cm")
        >>> compare(sigma_md, Estimate.normal(2e-4, 2e-5, "S/cm"), ratio=True)
        'computed/measured = 2 (95 %: 1.2–3.4)'
        >>> compare(Estimate.normal(0.30, 0.02, "eV"), Estimate.normal(0.35, 0.01), ratio=False)
        'computed − measured = -0.050 ± 0.022 eV (95 %: -0.094 to -0.006)'
        >>> compare(None, Estimate.exact(1.2, "mA/cm²"), ratio=True)
        'not computed'
    """
    if measured is None:
        return "not measured"
    if computed is None:
        return "not computed"
    errors_known = computed.known and measured.known
    if ratio:
        if not (computed.value > 0 and measured.value > 0):
            return "not comparable (non-positive value)"
        factor = computed.value / measured.value
        text = f"computed/measured = {factor:.2g}"
        if errors_known:
            assert computed.error is not None and measured.error is not None
            log_error = math.hypot(computed.error / computed.value, measured.error / measured.value)
            low, high = factor * math.exp(-_Z95 * log_error), factor * math.exp(_Z95 * log_error)
            text += f" (95 %: {low:.2g}–{high:.2g})"
        return text
    difference = computed.value - measured.value
    unit = f" {measured.unit or computed.unit}".rstrip()
    if not errors_known:
        return f"computed − measured = {difference:+.4g}{unit}"
    assert computed.error is not None and measured.error is not None
    error = math.hypot(computed.error, measured.error)
    estimate = Estimate.normal(difference, error, unit.strip())
    assert estimate.ci95 is not None
    low, high = estimate.ci95
    spread = " (computed error is a spread)" if computed.error_kind == "spread" else ""
    digits = max(0, 1 - math.floor(math.log10(error))) if error > 0 else 3
    return (
        f"computed − measured = {estimate.format()}{spread} "
        f"(95 %: {low:.{digits}f} to {high:.{digits}f})"
    )


def _nearest_lattice(results: ReproduceResults, x: float) -> Estimate | None:
    if results.lattice is None or not results.lattice.points:
        return None
    point = min(results.lattice.points, key=lambda p: abs(p.x_actual - x))
    return point.a_angstrom if abs(point.x_actual - x) <= 0.05 else None


def _md(results: ReproduceResults) -> tuple[Estimate | None, Estimate | None, str]:
    study = None if results.transport is None else results.transport.study
    if study is None or study.arrhenius is None:
        return None, None, "transport stage not run (or no Arrhenius fit)"
    temps = ", ".join(f"{r.temperature_K:g}" for r in study.results)
    note = f"computed: {results.model} NVT MD at {temps} K, extrapolated to 300 K"
    return study.arrhenius.sigma_S_per_cm, study.arrhenius.fit.activation_energy_eV, note


def _structure_claims(claims: list[Claim], results: ReproduceResults, label: str) -> list[Claim]:
    measured = results.measured
    assert measured is not None
    fit, x = measured.refinement, measured.manifest.x
    out = []
    for claim in claims:
        if fit is not None and x is not None and claim.claim.startswith("Lattice constant a"):
            computed = _nearest_lattice(results, x)
            a = fit.estimate("a")
            at_x = "" if computed is None else f" (computed a at x = {x:g})"
            claim = replace(
                claim,
                measured=a,
                comparison=compare(computed, a, ratio=False) + at_x,
                note=f"{claim.note}; measured: Rietveld of {label}, x = {x:g}",
            )
        elif fit is not None and claim.claim.startswith("Li on 24e") and x:
            claim = replace(
                claim,
                measured=fit.estimate("occ[Li 24e]"),
                comparison="computed value is a round trip of a simulated pattern, not a "
                "prediction",
                note=f"{claim.note}; measured: Rietveld of {label}",
            )
        out.append(claim)
    return out


def _with(claim: Claim, measured: Estimate | None, comparison: str, note: str) -> Claim:
    return replace(claim, measured=measured, comparison=comparison, note=note)


def _transport_claims(results: ReproduceResults, label: str) -> list[Claim]:
    measured = results.measured
    assert measured is not None
    sigma_md, ea_md, md_note = _md(results)
    sigma = measured.ionic_sigma_S_per_cm()
    source = "RT spectrum" if measured.eis_rt is not None else "Arrhenius sigma(25 °C)"
    ea = None if measured.arrhenius is None else measured.arrhenius.activation_energy_eV
    sigma_claim = judge(
        SIGMA_RT_CLAIM,
        paper_number("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm"),
        "S/cm",
        sigma_md,
        tolerance_factor=SIGMA_TOLERANCE_FACTOR,
    )
    ea_claim = judge(
        EA_CLAIM,
        paper_number("transport_measured", "activation_energy_Li2.5N0.5S0.5_eV"),
        "eV",
        ea_md,
        tolerance=BARRIER_TOLERANCE_EV,
    )
    return [
        _with(
            sigma_claim,
            sigma,
            compare(sigma_md, sigma, ratio=True),
            f"{md_note}; measured: {source} of {label}",
        ),
        _with(
            ea_claim,
            ea,
            compare(ea_md, ea, ratio=False),
            f"{md_note}; measured: variable-temperature EIS of {label}",
        ),
    ]


def _measured_only(claim: str, paper: float, unit: str, value: Estimate | None, note: str) -> Claim:
    """A claim sselab does not compute: verdict "not computed", the measured value beside."""
    row = judge(claim, paper, unit, None)
    return replace(row, measured=value, comparison=compare(None, value, ratio=False), note=note)


def _cell_claims(results: ReproduceResults, label: str) -> list[Claim]:
    measured = results.measured
    assert measured is not None
    dcpol, full, ccd = measured.dcpol, measured.full_cell, measured.ccd
    sigma_e = None if dcpol is None or dcpol.conductivity is None else dcpol.conductivity
    decades = paper_number("transport_measured", "electronic_vs_ionic_orders_of_magnitude")
    sigma_rt = paper_number("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm")
    rows = [
        _measured_only(
            "Electronic conductivity (DC polarisation)",
            sigma_rt / 10**decades,
            "S/cm",
            None if sigma_e is None else sigma_e.sigma_S_per_cm,
            f"paper: {decades:g} decades below its sigma(RT); measured: {label}",
        ),
        _measured_only(
            "Ionic/electronic conductivity ratio (DC polarisation)",
            decades,
            "decades",
            None if dcpol is None else dcpol.orders_of_magnitude,
            f"log10(sigma_ion / sigma_e), both measured; {label}",
        ),
        _measured_only(
            "Interface aging vs Li: conductivity retained after 12 h",
            paper_number("interface_aging", "retention_Li2.5N0.5S0.5"),
            "",
            None if measured.aging is None else measured.aging.final_retention,
            "measured: last rest time "
            + (f"{measured.aging.time_h[-1]:g} h" if measured.aging is not None else "")
            + f"; {label}",
        ),
        _measured_only(
            "Critical current density (Li|SE|Li staircase)",
            paper_number("cells", "critical_current_density_mA_per_cm2"),
            "mA/cm²",
            None if ccd is None else ccd.ccd_mA_per_cm2,
            f"error: the staircase step (resolution); {label}",
        ),
        _measured_only(
            "Symmetric cell: hours without short",
            paper_number("cells", "symmetric_hours_stable"),
            "h",
            None
            if measured.symmetric is None
            else Estimate.exact(measured.symmetric.stable_hours, "h"),
            (
                "measured: time to the short"
                if measured.symmetric is not None and measured.symmetric.short is not None
                else "measured: record length, no short (a lower bound)"
            )
            + f"; {label}",
        ),
    ]
    cycles = (
        "" if full is None else f"{full.cycles[-1].cycle} cycles at {full.cycles[0].c_rate:.2g}C"
    )
    rows += [
        _measured_only(
            "Full cell: initial discharge capacity (0.1C)",
            paper_number("cells", "full_cell_initial_discharge_mAh_per_g_0.1C"),
            "mAh/g",
            None if full is None else Estimate.exact(full.initial_discharge_mAh_per_g, "mAh/g"),
            f"measured: first cycle at {full.cycles[0].c_rate:.2g}C; {label}" if full else label,
        ),
        _measured_only(
            "Full cell: initial Coulombic efficiency",
            paper_number("cells", "full_cell_initial_coulombic_efficiency"),
            "",
            None if full is None else Estimate.exact(full.initial_coulombic_efficiency),
            label,
        ),
        _measured_only(
            "Full cell: capacity retention",
            paper_number("cells", "long_cycling_retention"),
            "",
            None if full is None else Estimate.exact(float(full.retention[-1])),
            "paper: 290 cycles at 1.5C; measured: " + (cycles or "none") + f"; {label}",
        ),
    ]
    return rows


def add_measured_claims(claims: list[Claim], results: ReproduceResults) -> list[Claim]:
    """The claims with the measured column filled and the rows only a measurement answers.

    The rows of the lattice constant and the 24e occupancy get the refined values; new
    rows: room-temperature sigma and Ea (EIS vs the MD Arrhenius prediction), electronic
    sigma and the ionic/electronic ratio, 12 h aging retention, CCD, symmetric-cell
    hours, full-cell capacity, CE and retention. Without measured results (the stage
    failed), every measured cell reads "not measured".

    Example:
        >>> from sselab.pipeline.reproduce import PROFILES
        >>> empty = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, ["measured"])
        >>> rows = add_measured_claims([], empty)
        >>> len(rows), {c.verdict for c in rows}, {c.comparison for c in rows}
        (10, {'not computed'}, {'not measured'})
    """
    if results.measured is None:
        from sselab.pipeline.measured import MeasuredManifest

        results = replace(results, measured=MeasuredResults(MeasuredManifest("")))
        label = "measured stage did not run"
    else:
        label = data_label(results.measured)
    return [
        *_structure_claims(claims, results, label),
        *_transport_claims(results, label),
        *_cell_claims(results, label),
    ]


# --------------------------------------------------------------------------- sections


def _title(measured: MeasuredResults, section: str) -> str:
    tag = " [SYNTHETIC]" if measured.manifest.synthetic else ""
    return f"Measured{tag}: {SECTION_TITLES[section]}"


def _truth_column(measured: MeasuredResults, key: str) -> list[str]:
    if not measured.manifest.truth:
        return []
    value = measured.manifest.truth.get(key)
    return ["–" if value is None else f"{value:.6g}"]


def _xrd(measured: MeasuredResults) -> Section:
    from sselab.diffraction.refine import difference_figure

    fit = measured.refinement
    assert fit is not None
    names = [("a", "a_angstrom")]
    if "occ[Li 24e]" in fit.parameters:
        names.append(("occ[Li 24e]", "occupancy_24e"))
    rows = [[name, str(fit.estimate(name)), *_truth_column(measured, key)] for name, key in names]
    header = ["parameter", "refined"] + (
        ["generating value (synthetic)"] if measured.manifest.truth else []
    )
    files = [*measured.manifest.files["xrd"], *measured.manifest.files.get("neutron", [])]
    return Section(
        title=_title(measured, "xrd"),
        text=(
            f"{fit.method} refinement of {', '.join(files)} from the disordered "
            f"Li(2+x)N(x)S(1-x) cell at x = {measured.manifest.x:g} (as `sselab refine`): "
            f"Rwp {100 * fit.rwp:.2f} %, GoF {fit.gof:.2f}."
        ),
        figures=[difference_figure(fit)],
        table_header=header,
        table_rows=rows,
        settings={"refined parameters": fit.n_refined, "points": fit.n_points},
    )


def _eis_rt(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import eis_figure

    analysis = measured.eis_rt
    assert analysis is not None and analysis.conductivity is not None
    fit = analysis.fit
    rows = [
        ["R_ion", str(fit.resistance_ohm), "–"],
        [
            "sigma",
            str(analysis.conductivity.sigma_S_per_cm),
            *(_truth_column(measured, "sigma_25C_S_per_cm") or ["–"]),
        ],
        ["fit residual", f"{100 * fit.relative_residual:.2f} %", "–"],
        ["lin-KK valid", str(analysis.kk.valid), "–"],
    ]
    if analysis.intercept_conductivity is not None:
        rows.append(["sigma (intercept)", str(analysis.intercept_conductivity.sigma_S_per_cm), "–"])
    return Section(
        title=_title(measured, "eis_rt"),
        text=f"{analysis.spectrum.source}: circuit {fit.circuit} (as `sselab eis fit`).",
        figures=[eis_figure(analysis)],
        table_header=["quantity", "value", "generating value"],
        table_rows=rows,
    )


def _eis_extra(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import eis_figure

    rows = [
        [
            a.spectrum.source.rsplit("/", 1)[-1],
            a.spectrum.instrument,
            str(a.fit.resistance_ohm),
            f"{100 * a.fit.relative_residual:.2f} %",
            str(a.kk.valid),
        ]
        for a in measured.eis_extra
    ]
    return Section(
        title=_title(measured, "eis_extra"),
        text=(
            "Further spectra, fitted without geometry and used in no claim. Files named "
            "real_* are real instrument exports (the example's is impedance.py's ZPlot "
            "example, MIT licence), not antifluorite electrolytes."
        ),
        figures=[eis_figure(a) for a in measured.eis_extra],
        table_header=["file", "format", "R_ion", "fit residual", "lin-KK valid"],
        table_rows=rows,
    )


def _arrhenius(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import arrhenius_figure
    from sselab.report.electrochem import paper_activation_energy_eV

    result = measured.arrhenius
    assert result is not None
    rows = [[f"{p.temperature_K:.2f}", str(p.sigma_S_per_cm)] for p in result.points]
    return Section(
        title=_title(measured, "arrhenius"),
        text=(
            f"sigma T Arrhenius of {len(result.points)} spectra (as `sselab eis arrhenius`): "
            f"Ea = {result.activation_energy_eV}, sigma(25 °C) = {result.sigma_25C_S_per_cm}."
        ),
        figures=[arrhenius_figure([result], paper_activation_energy_eV(), "paper")],
        table_header=["T (K)", "sigma"],
        table_rows=rows,
    )


def _dcpol(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import dcpol_figure
    from sselab.report.electrochem import paper_orders_of_magnitude

    result = measured.dcpol
    assert result is not None
    sigma_e = "–" if result.conductivity is None else str(result.conductivity.sigma_S_per_cm)
    decades = (
        "not measured" if result.orders_of_magnitude is None else str(result.orders_of_magnitude)
    )
    return Section(
        title=_title(measured, "dcpol"),
        text=(
            "Steady currents at each bias and the U-I line (as `sselab dcpol`); the ionic "
            "sigma compared against is the measured one."
        ),
        figures=[dcpol_figure(result, paper_orders_of_magnitude(), "paper")],
        table_header=["quantity", "value"],
        table_rows=[
            ["R_e", str(result.resistance_ohm)],
            ["sigma_e", sigma_e],
            ["log10(sigma_ion / sigma_e)", decades],
        ],
    )


def _aging(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import aging_figure
    from sselab.report.electrochem import PAPER_AGING_TIME_H, paper_retention

    result = measured.aging
    assert result is not None
    rows = [
        [f"{t:g}", str(r), str(k)]
        for t, r, k in zip(result.time_h, result.resistance_ohm, result.retention, strict=True)
    ]
    return Section(
        title=_title(measured, "aging"),
        text="Li|SE|Li total resistance over rest time (as `sselab eis aging`).",
        figures=[aging_figure([result], paper_retention(), PAPER_AGING_TIME_H, "paper")],
        table_header=["rest time (h)", "R", "retention"],
        table_rows=rows,
    )


def _symmetric(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import symmetric_figure

    result, data = measured.symmetric, measured.symmetric_data
    assert result is not None and data is not None
    short = "none" if result.short is None else f"at {result.short.time_s / 3600:.2f} h"
    return Section(
        title=_title(measured, "symmetric"),
        text=(
            f"{len(result.half_cycles)} half-cycles, stable for {result.stable_hours:.1f} h, "
            f"short: {short} (as `sselab cycling --cell symmetric`)."
        ),
        figures=[symmetric_figure(data, result)],
        settings={"electrode area (cm²)": result.area_cm2},
    )


def _ccd(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import ccd_figure
    from sselab.report.electrochem import paper_ccd_mA_per_cm2

    result, data = measured.ccd, measured.ccd_data
    assert result is not None and data is not None
    area = measured.manifest.positive("electrode_area_cm2", "CCD staircase")
    value = "no short" if result.ccd_mA_per_cm2 is None else str(result.ccd_mA_per_cm2)
    return Section(
        title=_title(measured, "ccd"),
        text=f"Current-density staircase: CCD {value} (as `sselab cycling --cell symmetric`).",
        figures=[ccd_figure(data, result, area, paper_ccd_mA_per_cm2(), "paper")],
        settings={"electrode area (cm²)": area},
    )


def _full_cell(measured: MeasuredResults) -> Section:
    from sselab.electrochem.figures import full_cell_figure

    result, data = measured.full_cell, measured.full_cell_data
    assert result is not None and data is not None
    return Section(
        title=_title(measured, "full_cell"),
        text=(
            f"{len(result.cycles)} cycles: first discharge "
            f"{result.initial_discharge_mAh_per_g:.1f} mAh/g, CE "
            f"{100 * result.initial_coulombic_efficiency:.1f} %, retention "
            f"{100 * result.retention[-1]:.1f} % (as `sselab cycling --cell full`)."
        ),
        figures=[full_cell_figure(data, result)],
        settings={"active mass (g)": result.active_mass_g, "1C (mA/g)": result.one_c_mA_per_g},
    )


_SECTIONS: dict[str, Callable[[MeasuredResults], Section]] = {
    "xrd": _xrd,
    "eis_rt": _eis_rt,
    "eis_extra": _eis_extra,
    "arrhenius": _arrhenius,
    "dcpol": _dcpol,
    "aging": _aging,
    "symmetric": _symmetric,
    "ccd": _ccd,
    "full_cell": _full_cell,
}


def overview_section(measured: MeasuredResults) -> Section:
    """What the folder held: each section's file(s), status and time; manifest problems.

    Example:
        >>> from sselab.pipeline.measured import MeasuredManifest
        >>> empty = MeasuredResults(MeasuredManifest("/d", "pellet"))
        >>> overview_section(empty).title
        'Measured data: pellet'
    """
    manifest = measured.manifest
    rows = []
    for section, files in manifest.files.items():
        if section not in SECTION_TITLES:
            continue
        status = measured.errors.get(section, "analysed")
        if section in measured.warnings:
            status += "; warnings: " + "; ".join(measured.warnings[section])
        seconds = measured.timings_s.get(section)
        rows.append(
            [
                SECTION_TITLES[section],
                ", ".join(files) + (" (found by name)" if section in manifest.discovered else ""),
                status,
                "–" if seconds is None else f"{seconds:.1f}",
            ]
        )
    synthetic = (
        "SYNTHETIC: these files were generated by sselab's own simulators from the values in "
        "the manifest's [truth] table; they are not measurements and not the paper's data. "
        if manifest.synthetic
        else ""
    )
    problems = " ".join(manifest.problems)
    return Section(
        title=f"Measured data{' [SYNTHETIC]' if manifest.synthetic else ''}: {manifest.sample}",
        text=(
            f"{synthetic}{manifest.description} Folder: {manifest.folder}. "
            "Each file is analysed as the matching sselab command does; a section whose file "
            "or manifest field is wrong shows its error and the others still run."
            + (f" Manifest: {problems}" if problems else "")
        ).strip(),
        table_header=["section", "file(s)", "status", "time (s)"],
        table_rows=rows,
        settings={f"geometry: {k}": v for k, v in manifest.geometry.items()},
    )


def measured_sections(measured: MeasuredResults) -> list[Section]:
    """The overview, then one section per analysed kind (a figure that fails to draw
    becomes that section's error, the others stay).

    Example:
        >>> from sselab.pipeline.measured import MeasuredManifest
        >>> empty = MeasuredResults(MeasuredManifest("/d", "pellet"))
        >>> [s.title for s in measured_sections(empty)]
        ['Measured data: pellet']
    """
    sections = [overview_section(measured)]
    for section in measured.analysed:
        try:
            sections.append(_SECTIONS[section](measured))
        except Exception as exc:  # a broken figure must not lose the other sections
            error = f"report: {type(exc).__name__}: {exc}"
            sections.append(Section(title=f"{_title(measured, section)}: FAILED", text=error))
    return sections
