"""Presentation of a screening: CSV, a sortable HTML page, JSON, a figure, a report section.

The screening itself (tasks, ranking) is :func:`sselab.pipeline.screen.screen`.
"""

from __future__ import annotations

import csv
import html
import json
import math
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sselab.pipeline.screen import CandidateRow, ScreenResult, ValidationResult
from sselab.reference import paper_value
from sselab.report.html import Comparison, Section

COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "rank"),
    ("name", "candidate"),
    ("formula", "formula (cell)"),
    ("e_above_tie_meV_per_atom", "E above tie line (meV/atom)"),
    ("e_above_tie_meV_per_atom.error", "ordering spread, s.d. (meV/atom)"),
    ("e_hull_meV_per_atom", "E above full hull (meV/atom)"),
    ("reduction_limit_V", "reduction limit (V vs Li)"),
    ("oxidation_limit_V", "oxidation limit (V vs Li)"),
    ("barrier_1d_eV", "BVSE 1D barrier (eV)"),
    ("barrier_3d_eV", "BVSE 3D barrier (eV)"),
    ("barrier_3d_eV.error", "BVSE 3D grid error (eV)"),
    ("dimensionality", "BVSE network (D)"),
    ("sigma_300K_S_per_cm", "σ(300 K) (S/cm)"),
    ("sigma_300K_S_per_cm.error", "σ(300 K) error (S/cm)"),
    ("activation_energy_eV", "Ea MD (eV)"),
    ("activation_energy_eV.error", "Ea error (eV)"),
    ("a_angstrom", "a (Å)"),
    ("li_metal_stability", "Li-metal stability"),
    ("li_metal_products", "phases with Li metal"),
    ("hull_contains", "hull built from"),
    ("oxidation_states", "oxidation states"),
    ("n_atoms", "ordered cell (atoms)"),
    ("occupancy_error", "ordered cell occupancy error"),
    ("rank_reason", "reason for rank"),
    ("source", "file"),
    ("notes", "notes"),
)


def flat_row(row: CandidateRow) -> dict[str, Any]:
    """Every field of a row; an Estimate field ``f`` gives ``f`` (value), ``f.error`` and
    ``f.error_kind`` (None where not computed).

    Example:
        >>> from sselab.estimate import Estimate
        >>> row = CandidateRow(1, "a", "f", "Li", "S-N", 0.5,
        ...                    e_above_tie_meV_per_atom=Estimate.exact(12.0, "meV/atom"))
        >>> flat = flat_row(row)
        >>> flat["e_above_tie_meV_per_atom"], flat["e_above_tie_meV_per_atom.error"]
        (12.0, None)
    """
    flat: dict[str, Any] = {}
    hints = typing.get_type_hints(CandidateRow)
    for item in fields(CandidateRow):
        value = getattr(row, item.name)
        if "Estimate" in str(hints[item.name]):
            flat[item.name] = None if value is None else value.value
            flat[f"{item.name}.error"] = None if value is None else value.error
            flat[f"{item.name}.error_kind"] = None if value is None else value.error_kind
        else:
            flat[item.name] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_screen_csv(result: ScreenResult, path: str | Path) -> Path:
    """All :class:`CandidateRow` fields as CSV (full precision, empty = not computed;
    Estimate fields as value, ``.error`` and ``.error_kind`` columns).

    Example:
        >>> write_screen_csv(ScreenResult("s", "chgnet:0.3.0", [], []), "/tmp/s.csv").name
        's.csv'
    """
    path = Path(path)
    rows = [flat_row(row) for row in result.rows]
    names = list(flat_row(CandidateRow(0, "", "", "", "", None)))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


# Tiny click-to-sort (numbers numerically, empty cells last); inline so the page works
# offline and can be mailed.
_SORT_JS = """
document.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const up = th.dataset.dir !== "asc"; th.dataset.dir = up ? "asc" : "desc";
  const value = (tr) => tr.cells[col].dataset.v;
  [...body.rows].sort((a, b) => {
    const x = value(a), y = value(b);
    if (x === "" || y === "") return (x === "") - (y === "");
    const d = isNaN(x) || isNaN(y) ? x.localeCompare(y) : x - y;
    return up ? d : -d;
  }).forEach((tr) => body.appendChild(tr));
}));
"""

_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:4px 6px;text-align:right}th{cursor:pointer;"
    "background:#eee}td:nth-child(2),td:last-child{text-align:left}"
)


def screen_html(result: ScreenResult) -> str:
    """Self-contained HTML page with the sortable screening table.

    Example:
        >>> "<table" in screen_html(ScreenResult("s", "chgnet:0.3.0", [], []))
        True
    """
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in COLUMNS)
    body = []
    for row in result.rows:
        values = flat_row(row)
        cells = "".join(
            f'<td data-v="{html.escape("" if values[k] is None else str(values[k]))}">'
            f"{html.escape(_cell(values[k]))}</td>"
            for k, _ in COLUMNS
        )
        body.append(f"<tr>{cells}</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    notes += "".join(f"<li>refused: {html.escape(n)}</li>" for n in result.refused)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>sselab screen: {html.escape(result.study)}</title><style>{_CSS}</style></head>"
        f"<body><h1>Screening: {html.escape(result.study)}</h1>"
        f"<p>Model {html.escape(result.model)}; stages {html.escape(', '.join(result.stages))}."
        f" Ranking: {html.escape(result.ranking)}. Click a header to sort.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<ul>{notes}</ul><script>{_SORT_JS}</script></body></html>"
    )


def screen_figure(result: ScreenResult) -> Figure:
    """E above the tie line per candidate (bar chart, rank order); the BVSE 3D barrier
    where no candidate has a tie line (structure files).

    Example:
        >>> screen_figure(ScreenResult("s", "chgnet:0.3.0", [], [])).axes[0].get_ylabel()
        'E above tie line (meV/atom)'
    """
    fig = Figure(figsize=(max(4.0, 0.6 * len(result.rows) + 2), 3.5))
    ax = fig.add_subplot()
    energies = [(r.name, r.e_above_tie_meV_per_atom) for r in result.rows]
    shown = [(name, e) for name, e in energies if e is not None]
    label = "lowest ordering; bars: spread over orderings"
    ylabel = "E above tie line (meV/atom)"
    if not shown and any(r.barrier_3d_eV is not None for r in result.rows):
        shown = [(r.name, r.barrier_3d_eV) for r in result.rows if r.barrier_3d_eV is not None]
        label, ylabel = "site-averaged cell; bars: grid error", "BVSE 3D barrier (eV)"
    ax.bar(
        [name for name, _ in shown],
        [e.value for _, e in shown],
        yerr=[e.error or 0.0 for _, e in shown],
        capsize=3,
        label=label,
    )
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.set_title(f"{result.study} ({result.model})", fontsize=9)
    fig.tight_layout()
    return fig


def write_screen(result: ScreenResult, out_dir: str | Path) -> dict[str, Path]:
    """Write screen.csv, screen.html, screen.json and screen.png into ``out_dir``.

    Example:
        >>> sorted(write_screen(ScreenResult("s", "chgnet:0.3.0", [], []), "/tmp/scr"))
        ['csv', 'html', 'json', 'png']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": write_screen_csv(result, out / "screen.csv"),
        "html": out / "screen.html",
        "json": out / "screen.json",
        "png": out / "screen.png",
    }
    paths["html"].write_text(screen_html(result))
    paths["json"].write_text(json.dumps(result.as_dict(), indent=2))
    screen_figure(result).savefig(paths["png"], dpi=120)
    return paths


def screen_section(result: ScreenResult) -> Section:
    """Report section: the ranked table, the E-above-tie figure, and the paper's Li5NS value.

    Example:
        >>> screen_section(ScreenResult("s", "chgnet:0.3.0", [], [])).title
        'Candidate screening: s'
    """
    paper = paper_value("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    comparisons = [
        Comparison(
            "E above Li2S–Li3N tie line, x = 0.5 (meV/atom)",
            row.e_above_tie_meV_per_atom.value,
            row.e_above_tie_meV_per_atom.error,
            paper,
            f"{result.model}, {row.n_atoms}-atom ordered cell, 0 K; ± = spread over orderings",
        )
        for row in result.rows
        if row.anions == "S-N"
        and row.cation == "Li"
        and row.x is not None
        and abs(row.x - 0.5) < 1e-9
        and row.e_above_tie_meV_per_atom is not None
    ]
    return Section(
        f"Candidate screening: {result.study}",
        text=result.ranking
        + ". "
        + " ".join(result.notes)
        + "".join(f" Refused: {line}." for line in result.refused),
        figures=[screen_figure(result)],
        table_header=[title for _, title in COLUMNS],
        table_rows=[[flat_row(r)[k] for k, _ in COLUMNS] for r in result.rows],
        comparisons=comparisons,
        settings={"model": result.model, "stages": ", ".join(result.stages)},
    )


def _interval(estimate: Any) -> str:
    if estimate is None:
        return "n/a"
    low, high = estimate.ci95 if estimate.ci95 is not None else (math.nan, math.nan)
    return f"{estimate.value:+.2f} [{low:+.2f}, {high:+.2f}]"


def validation_table(result: ValidationResult) -> str:
    """Plain-text table of a validation run: every compound, then rho and precision/recall.

    Example:
        >>> from sselab.estimate import Estimate
        >>> from sselab.pipeline.screen import PredictorScore
        >>> rho = Estimate(-0.5, 0.1, (-0.7, -0.3))
        >>> res = ValidationResult([], [PredictorScore("BVSE 3D barrier", rho, 25)], None, None,
        ...                        1e-4, 0.35, 0.3, 0, 2000, 1.0)
        >>> print(validation_table(res).splitlines()[-3])
        BVSE 3D barrier                            -0.50 [-0.70, -0.30]  (n = 25)
    """
    temperatures = result.md_temperatures_K if result.md else []
    arrhenius = len(temperatures) >= 2
    md_header = "".join(f" {f'MSD {t:g}K':>9s} {f'D {t:g}K':>9s}" for t in temperatures)
    if arrhenius:
        md_header += f" {'MD σ300 (S/cm)':>14s} {'MD Ea (eV)':>10s}"
    if result.li_metal is not None:
        md_header += f" {'Li metal: computed':>20s} {'expected':>8s}"
    lines = [
        f"{'compound':30s} {'sigma_RT (S/cm)':>15s} {'1D (eV)':>8s} {'3D (eV)':>8s} "
        f"{'Li site (eV)':>12s} {'Li disorder':>11s}{md_header}  oxidation states"
    ]
    for row in result.rows:
        one = "-" if row.barrier_1d_eV is None else f"{row.barrier_1d_eV.value:.3f}"
        three = "-" if row.barrier_3d_eV is None else f"{row.barrier_3d_eV.value:.3f}"
        # highest occupied Li site above the global minimum the barriers start from
        site = "-" if row.occupied_site_eV is None else f"{row.occupied_site_eV:.3f}"
        md_columns = ""
        runs = {r.temperature_K: r for r in row.md_runs}
        for temperature in temperatures:
            run = runs.get(temperature)
            msd = "-" if run is None else f"{run.msd_angstrom2:.3f}"
            # the fraction-rule D; "*" marks a run the rule does not call diffusive
            diffusion = (
                "-"
                if run is None or run.D_cm2_per_s is None
                else (f"{run.D_cm2_per_s.value:.2g}" + ("" if run.diffusive else "*"))
            )
            md_columns += f" {msd:>9s} {diffusion:>9s}"
        if arrhenius:
            sigma, ea = row.md_sigma_300K_S_per_cm, row.md_activation_energy_eV
            md_columns += f" {'-' if sigma is None else f'{sigma.value:.2g}':>14s}"
            md_columns += f" {'-' if ea is None else f'{ea.value:.2f}':>10s}"
        if result.li_metal is not None:
            call = row.li_metal_call or "unknown"
            if row.li_metal_call == "reduced":
                call += f" < {row.reduction_limit_V:.2f} V"
            md_columns += f" {call:>20s} {row.li_metal_expected or '-':>8s}"
        problem = row.refused or (f"MD failed: {row.md_failed}" if row.md_failed else None)
        lines.append(
            f"{row.name:30s} {row.sigma_RT_S_per_cm:15.2g} {one:>8s} {three:>8s} "
            f"{site:>12s} {row.li_disorder or 0:11.2f}{md_columns}  "
            f"{problem or row.oxidation_states}"
        )
    lines.append(
        f"\nSpearman rho with log10 sigma_RT, bootstrap 95 % interval ({result.n_bootstrap} "
        f"resamples), BVSE at {result.resolution_angstrom} Å; refused: {result.n_refused}"
    )
    for score in result.scores:
        lines.append(f"{score.predictor:42s} {_interval(score.rho)}  (n = {score.n})")
    lines.append(
        f"'3D barrier < {result.barrier_threshold_eV} eV' for 'sigma_RT > "
        f"{result.sigma_threshold_S_per_cm:g} S/cm': precision {_interval(result.precision)}, "
        f"recall {_interval(result.recall)}"
    )
    if arrhenius:
        lines.append(
            f"'MD sigma(300 K) > {result.sigma_threshold_S_per_cm:g} S/cm' for the same: "
            f"precision {_interval(result.md_precision)}, recall {_interval(result.md_recall)}"
        )
    if result.li_metal is not None:
        unknown = [r.name for r in result.rows if r.li_metal_call is None]
        lines.append(
            f"Li-metal call (window of the relaxed ordering against sselab's reference "
            f"phases; reduction limits are lower bounds) agrees with the expected one for "
            f"{result.li_metal_agreed} of {result.li_metal_scored} scored compounds"
            + (f"; no call: {', '.join(unknown)}" if unknown else "")
        )
    unread = [r for row in result.rows for r in row.md_runs if r.D_cm2_per_s is None]
    if unread:
        # trajectories missing (stored runs of another --out folder) or unreadable: no D
        lines.append(f"MD runs without a readable trajectory: {len(unread)} ({unread[0].note})")
    lines.append(f"BVSE wall time {result.wall_s:.1f} s")
    if result.md:
        md = result.md
        kelvin = "/".join(f"{t:g}" for t in temperatures) or f"{md.temperature_K:g}"
        lines.append(
            f"MD: {md.model}, {kelvin} K, {md.time_ps:g} ps after "
            f"{md.equilibration_ps:g} ps, cells >= {md.min_height_angstrom:g} Å face to face; "
            f"MSD at {md.lag_ps:g} ps; seed {md.seed}; D by the fraction rule (* not diffusive); "
            f"wall time {result.md_wall_s or 0:.0f} s (stored tasks 0)"
        )
    elif result.li_metal is not None:
        ordering = result.li_metal
        lines.append(
            f"Li-metal windows: {ordering.model}, lowest-Ewald ordering of "
            f"{ordering.n_candidates} (seed {ordering.seed}), relaxed to "
            f"{ordering.fmax_eV_per_angstrom:g} eV/Å in <= {ordering.max_relax_steps} steps; "
            f"wall time {result.md_wall_s or 0:.0f} s (stored tasks 0)"
        )
    return "\n".join(lines)


def _short_name(name: str) -> str:
    """A compound's label in a crowded scatter: the parenthesised nickname where there is
    one ("Li10GeP2S12 (LGPS)" -> "LGPS"), else the name without its qualifier."""
    head, _, tail = name.partition(" (")
    nickname = tail.rstrip(")")
    return nickname if nickname.isupper() and nickname.isalpha() else head


def validation_figure(result: ValidationResult) -> Figure:
    """Each predictor against measured sigma_RT, one panel each, rho and interval in the title.

    Panels: the BVSE 3D barrier (dashed: the call's threshold), the MD Li MSD per
    temperature when MD ran, and the Arrhenius sigma(300 K) with two or more
    temperatures (compounds without a fit are not drawn; their rank tier is in the
    table). The dotted vertical line is the "fast" threshold of the precision/recall
    call; a compound without a value (no percolation, MD failed) is left out and
    counted in the panel's corner.

    Example:
        >>> from sselab.estimate import Estimate
        >>> from sselab.pipeline.screen import PredictorScore, ValidationRow
        >>> rows = [ValidationRow(n, "Li", s, barrier_3d_eV=Estimate.exact(b, "eV"))
        ...         for n, s, b in (("LiI", 1e-7, 0.6), ("Li10GeP2S12 (LGPS)", 1e-2, 0.5))]
        >>> rho = Estimate(-1.0, 0.0, (-1.0, -1.0))
        >>> res = ValidationResult(rows, [PredictorScore("BVSE 3D barrier", rho, 2)], None,
        ...                        None, 1e-4, 0.35, 0.3, 0, 2000, 1.0)
        >>> validation_figure(res).axes[0].get_title()
        'BVSE 3D barrier: ρ = -1.00 [-1.00, -1.00], n = 2'
    """
    rho = {score.predictor: score for score in result.scores}
    rows = result.rows
    panels: list[tuple[str, str, list[float | None], float | None, bool]] = [
        (
            "BVSE 3D barrier",
            "BVSE 3D barrier (eV)",
            [None if r.barrier_3d_eV is None else r.barrier_3d_eV.value for r in rows],
            result.barrier_threshold_eV,
            False,
        )
    ]
    temperatures = result.md_temperatures_K if result.md else []
    lag = result.md.lag_ps if result.md else 0.0
    for temperature in temperatures:
        panels.append(
            (
                f"-(MD Li MSD at {lag:g} ps, {temperature:g} K)",
                f"Li MSD at {lag:g} ps, {temperature:g} K (Å²)",
                [r.md_msd_at(temperature) for r in rows],
                None,
                False,
            )
        )
    if len(temperatures) >= 2:
        kelvin = "/".join(f"{t:g}" for t in temperatures)
        panels.append(
            (
                f"-(MD Arrhenius rank, {kelvin} K)",
                "MD Arrhenius σ(300 K) (S/cm)",
                [
                    None if r.md_sigma_300K_S_per_cm is None else r.md_sigma_300K_S_per_cm.value
                    for r in rows
                ],
                result.sigma_threshold_S_per_cm,
                True,
            )
        )
    columns = min(len(panels), 3)
    n_rows = math.ceil(len(panels) / columns)
    fig = Figure(figsize=(4.6 * columns, 4.0 * n_rows))
    for index, (predictor, ylabel, values, threshold, log_y) in enumerate(panels):
        ax = fig.add_subplot(n_rows, columns, index + 1)
        shown = [(r, v) for r, v in zip(rows, values, strict=True) if v is not None]
        ax.scatter([r.sigma_RT_S_per_cm for r, _ in shown], [v for _, v in shown], s=18)
        for row, value in shown:
            ax.annotate(
                _short_name(row.name),
                (row.sigma_RT_S_per_cm, value),
                fontsize=6,
                xytext=(3, 2),
                textcoords="offset points",
            )
        ax.set_xlabel("measured σ_RT (S/cm)")
        ax.set_ylabel(ylabel)
        if not shown:
            ax.set_title(f"{predictor}: no values", fontsize=8)
            continue
        ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
        ax.axvline(result.sigma_threshold_S_per_cm, color="0.5", ls=":", lw=0.8)
        if threshold is not None:
            ax.axhline(threshold, color="0.5", ls="--", lw=0.8)
        # the table's predictor names and sign convention (rho < 0: the right sign)
        score = rho.get(predictor)
        reading = (
            "no rank correlation"
            if score is None
            else (f"ρ = {_interval(score.rho)}, n = {score.n}")
        )
        ax.set_title(f"{predictor}: {reading}", fontsize=8)
        left_out = len(rows) - len(shown)
        if left_out:
            ax.text(
                0.02,
                0.97,
                f"{left_out} without a value",
                transform=ax.transAxes,
                fontsize=7,
                va="top",
            )
    fig.tight_layout()
    return fig
