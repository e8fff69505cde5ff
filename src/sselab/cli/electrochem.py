"""CLI commands of the electrochemistry stage: eis fit/arrhenius, dcpol, aging, cycling."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import typer

from sselab.cli.errors import fail
from sselab.cli.options import OutOption
from sselab.electrochem.readers import INSTRUMENTS
from sselab.electrochem.records import EISFileError

eis_app = typer.Typer(
    help="Impedance spectra: circuit fit, conductivity, Arrhenius series.",
    no_args_is_help=True,
)

LENGTH_HELP = "with a unit: 1mm, 0.1cm, 500um"


def _write(out: Path, stem: str, result: dict[str, Any], figure: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(result, indent=2, default=float))
    figure.savefig(out / f"{stem}.png", dpi=120)
    typer.echo(f"wrote {out / f'{stem}.json'} and {out / f'{stem}.png'}")


def _geometry(thickness: str | None, diameter: str | None) -> tuple[float | None, float | None]:
    from sselab.electrochem.conductivity import parse_length_cm

    if (thickness is None) != (diameter is None):
        raise ValueError("give both --thickness and --diameter, or neither")
    if thickness is None or diameter is None:
        return None, None
    return parse_length_cm(thickness, "--thickness"), parse_length_cm(diameter, "--diameter")


def _echo_warnings(caught: list[warnings.WarningMessage]) -> None:
    for item in caught:
        if issubclass(item.category, UserWarning):
            typer.secho(f"warning: {item.message}", fg=typer.colors.YELLOW, err=True)


@eis_app.command("fit")
def eis_fit_command(
    file: Path = typer.Argument(
        ..., help="Impedance file (.mpt, .mpr, .DTA, .z, .par, .txt, .csv)."
    ),
    thickness: str | None = typer.Option(None, help=f"Pellet thickness, {LENGTH_HELP}."),
    diameter: str | None = typer.Option(None, help=f"Pellet diameter, {LENGTH_HELP}."),
    instrument: str | None = typer.Option(
        None, help=f"File format, guessed when omitted: {', '.join(INSTRUMENTS)}."
    ),
    grain_boundary: bool = typer.Option(False, help="Add a grain-boundary arc R2 ‖ CPE2."),
    tail: str = typer.Option("cpe", help="Electrode tail: cpe (blocking), warburg or none."),
    inductance: bool = typer.Option(False, help="Add a series inductance L0 (cables)."),
    select: bool = typer.Option(
        False, "--select", help="Compare all pellet circuits by BIC and keep the best (slower)."
    ),
    out: OutOption = Path("out"),
) -> None:
    """Fit a spectrum: R_ion (Ω), sigma (S/cm), intercept, Kramers-Kronig test, DRT; writes
    eis_<name>.json and .png to the output folder."""
    from sselab.electrochem.eis import analyze_spectrum
    from sselab.electrochem.figures import eis_figure, value_with_error
    from sselab.electrochem.fit import EISFitError, pellet_circuit
    from sselab.electrochem.readers import read_eis
    from sselab.report.electrochem import PAPER_MATERIAL, paper_block

    try:
        thickness_cm, diameter_cm = _geometry(thickness, diameter)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            spectrum = read_eis(file, instrument)
            circuit = pellet_circuit(grain_boundary, tail, inductance)
            analysis = analyze_spectrum(spectrum, thickness_cm, diameter_cm, circuit, select=select)
    except (EISFileError, EISFitError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    fit = analysis.fit
    typer.echo(f"{spectrum.source}: {spectrum.n_points} points ({spectrum.instrument})")
    typer.echo(f"circuit    {fit.circuit}")
    for name, parameter in fit.parameters.items():
        undetermined = "" if parameter.known else " (undetermined)"
        typer.echo(f"  {name:8s} {value_with_error(parameter, '.5g')}{undetermined}")
    typer.echo(f"R_ion      {value_with_error(fit.resistance_ohm, '.5g')}")
    typer.echo(f"residual   {fit.relative_residual:.3%} (converged: {fit.converged})")
    if analysis.intercept is not None:
        typer.echo(f"intercept  {value_with_error(analysis.intercept.resistance_ohm, '.5g')}")
    if analysis.conductivity is not None:
        typer.echo(f"sigma      {value_with_error(analysis.conductivity.sigma_S_per_cm, '.4g')}")
    kk = analysis.kk
    typer.echo(f"lin-KK     rms {kk.rms_residual_pct:.2f} % of |Z| (valid: {kk.valid})")
    paper = paper_block(
        "transport_measured", f"sigma_RT_{PAPER_MATERIAL}_S_per_cm", "pellet_thickness_mm"
    )
    _write(out, f"eis_{file.stem}", analysis.summary() | paper, eis_figure(analysis))


def _mass_g(text: str) -> float:
    import re

    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(mg|g)?\s*", text)
    if not match:
        raise ValueError(f"--active-mass: cannot read '{text}' (use e.g. 4.9mg or 0.0049g)")
    value = float(match.group(1))
    return value * (1e-3 if match.group(2) == "mg" else 1.0)


@eis_app.command("arrhenius")
def eis_arrhenius_command(
    folders: list[Path] = typer.Argument(
        ..., help="Folders of spectra, one per material (temperatures in names or manifest.csv)."
    ),
    thickness: str = typer.Option(..., help=f"Pellet thickness, {LENGTH_HELP}."),
    diameter: str = typer.Option(..., help=f"Pellet diameter, {LENGTH_HELP}."),
    out: OutOption = Path("out"),
) -> None:
    """sigma(T) from variable-temperature spectra; Ea (eV) and sigma(25 °C) (S/cm) per folder,
    each with its 95 % interval; writes arrhenius.json and .png to the output folder."""
    from sselab.electrochem.arrhenius import arrhenius_series, find_series
    from sselab.electrochem.conductivity import parse_length_cm
    from sselab.electrochem.figures import arrhenius_figure
    from sselab.electrochem.fit import EISFitError
    from sselab.report.electrochem import paper_activation_energy_eV

    results = []
    try:
        thickness_cm = parse_length_cm(thickness, "--thickness")
        diameter_cm = parse_length_cm(diameter, "--diameter")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for folder in folders:
                series = find_series(folder)
                results.append(
                    arrhenius_series(series, thickness_cm, diameter_cm, material=folder.name)
                )
    except (EISFileError, EISFitError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    paper = paper_activation_energy_eV()
    for r in results:
        sigma = r.sigma_25C_S_per_cm
        low, high = sigma.ci95 or (float("nan"), float("nan"))
        typer.echo(
            f"{r.material:20s} Ea = {r.activation_energy_eV}"
            f"   sigma(25 °C) = {sigma.value:.3g} S/cm (95 %: {low:.3g}-{high:.3g})"
        )
    payload = {"materials": [r.as_dict() for r in results], "paper_activation_energy_eV": paper}
    _write(out, "arrhenius", payload, arrhenius_figure(results, paper, "paper"))


@eis_app.command("aging")
def eis_aging_command(
    folder: Path = typer.Argument(
        ..., help="Spectra of one Li|SE|Li cell, rest time in names (12h)."
    ),
    out: OutOption = Path("out"),
) -> None:
    """Conductivity retention (%) of a Li|SE|Li cell over rest time; writes
    aging_<name>.json and .png (with the paper's 12 h retentions) to the output folder."""
    from sselab.electrochem.aging import aging_series
    from sselab.electrochem.arrhenius import EIS_SUFFIXES
    from sselab.electrochem.figures import aging_figure
    from sselab.electrochem.fit import EISFitError
    from sselab.report.electrochem import PAPER_AGING_TIME_H, paper_retention

    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in EIS_SUFFIXES)
    if not files:
        fail(f"{folder}: no impedance files")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = aging_series(files, material=folder.name)
    except (EISFileError, EISFitError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    final = result.final_retention
    error = "" if final.error is None else f" ± {100 * final.error:.1f}"
    typer.echo(f"{result.material}: {100 * final.value:.1f}{error} % after {result.time_h[-1]:g} h")
    paper = paper_retention()
    payload = result.as_dict() | {"paper_retention_12h": paper}
    figure = aging_figure([result], paper, PAPER_AGING_TIME_H, "paper")
    _write(out, f"aging_{folder.name}", payload, figure)


def dcpol_command(
    file: Path = typer.Argument(..., help="Steady U-I table or chronoamperometry record."),
    thickness: str | None = typer.Option(None, help=f"Pellet thickness, {LENGTH_HELP}."),
    diameter: str | None = typer.Option(None, help=f"Pellet diameter, {LENGTH_HELP}."),
    ionic_sigma: float | None = typer.Option(
        None, help="Ionic conductivity (S/cm) to compare with; default: the paper's value."
    ),
    out: OutOption = Path("out"),
) -> None:
    """DC polarisation: electronic resistance (Ω) and conductivity (S/cm) from a U-I fit;
    writes dcpol_<name>.json and .png to the output folder."""
    from sselab.electrochem.dcpol import dc_polarisation, read_dc_polarisation
    from sselab.electrochem.figures import dcpol_figure, value_with_error
    from sselab.report.electrochem import (
        paper_block,
        paper_ionic_sigma_S_per_cm,
        paper_orders_of_magnitude,
    )

    try:
        thickness_cm, diameter_cm = _geometry(thickness, diameter)
        sigma_ion = ionic_sigma or paper_ionic_sigma_S_per_cm()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            voltage, current = read_dc_polarisation(file)
        result = dc_polarisation(voltage, current, thickness_cm, diameter_cm, sigma_ion)
    except (EISFileError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    paper_decades = paper_orders_of_magnitude()
    typer.echo(f"R_e   {value_with_error(result.resistance_ohm, '.4g')}")
    if result.conductivity is not None:
        typer.echo(f"sigma_e {value_with_error(result.conductivity.sigma_S_per_cm, '.3g')}")
    if result.orders_of_magnitude is not None:
        decades = value_with_error(result.orders_of_magnitude, ".2f")
        typer.echo(f"sigma_ion / sigma_e = 10^{decades} (paper: 10^{paper_decades:g})")
    paper = paper_block("transport_measured", "electronic_vs_ionic_orders_of_magnitude")
    figure = dcpol_figure(result, paper_decades, "paper")
    _write(out, f"dcpol_{file.stem}", result.as_dict() | paper, figure)


def cycling_command(
    file: Path = typer.Argument(..., help="Cycling record (BioLogic GCPL .mpt/.mpr or CSV)."),
    cell: str = typer.Option(..., help="symmetric (Li|SE|Li) or full (Li|SE|cathode)."),
    area: float | None = typer.Option(
        None,
        help="Electrode area (cm²): required for --cell symmetric (current densities, CCD; "
        "a 6 mm Li foil is 0.283 cm², a 10 mm pellet 0.785 cm²); for full cells it adds "
        "mAh/cm².",
    ),
    active_mass: str | None = typer.Option(
        None, help="Cathode active mass with unit, e.g. 4.9mg (full cells)."
    ),
    one_c: float = typer.Option(140.0, help="1C in mA/g of active material (LiCoO2: 140)."),
    out: OutOption = Path("out"),
) -> None:
    """Symmetric cells: overpotential, short, CCD (mA/cm²); full cells: mAh/g, CE, retention.
    Writes cycling_<name>.json and .png to the output folder."""
    from sselab.electrochem import cycling, figures
    from sselab.electrochem.readers import read_cycling
    from sselab.report.electrochem import paper_block, paper_ccd_mA_per_cm2

    if cell not in ("symmetric", "full"):
        fail(f"--cell must be symmetric or full, got '{cell}'")
    if cell == "symmetric" and area is None:
        fail(
            "--cell symmetric needs --area, the electrode area in cm² (e.g. 0.283 for the "
            "paper's 6 mm Li foil): current densities and the CCD scale with it"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = read_cycling(file)
        if cell == "symmetric":
            assert area is not None  # checked above
            symmetric = cycling.symmetric_cell(data, area)
            ccd = cycling.critical_current_density(data, area)
        else:
            if active_mass is None:
                raise ValueError("a full cell needs --active-mass (e.g. 4.9mg)")
            full = cycling.full_cell(data, _mass_g(active_mass), area, one_c)
    except (EISFileError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    if cell == "symmetric":
        assert area is not None
        typer.echo(
            f"{len(symmetric.half_cycles)} half-cycles, stable for {symmetric.stable_hours:.1f} h"
        )
        if symmetric.short is not None:
            typer.echo(
                f"short at {symmetric.short.time_s / 3600:.2f} h, "
                f"{symmetric.short.current_density_mA_per_cm2:.3g} mA/cm²"
            )
        staircase = len(ccd.steps_mA_per_cm2) > 2
        if staircase and ccd.ccd_mA_per_cm2 is not None:
            typer.echo(f"CCD   {ccd.ccd_mA_per_cm2} (the staircase step)")
        payload = (
            symmetric.as_dict()
            | {"critical_current_density": ccd.as_dict()}
            | paper_block("cells", "critical_current_density_mA_per_cm2", "symmetric_hours_stable")
        )
        figure = (
            figures.ccd_figure(data, ccd, area, paper_ccd_mA_per_cm2(), "paper")
            if staircase
            else figures.symmetric_figure(data, symmetric)
        )
    else:
        typer.echo(
            f"first cycle: {full.initial_discharge_mAh_per_g:.1f} mAh/g discharge, "
            f"CE {100 * full.initial_coulombic_efficiency:.1f} %, "
            f"{full.cycles[0].c_rate:.2g} C"
        )
        typer.echo(
            f"retention {100 * full.retention[-1]:.1f} % after {full.cycles[-1].cycle} cycles"
        )
        payload = full.summary() | paper_block(
            "cells",
            "full_cell_initial_discharge_mAh_per_g_0.1C",
            "full_cell_initial_coulombic_efficiency",
            "long_cycling_retention",
        )
        figure = figures.full_cell_figure(data, full)
    _write(out, f"cycling_{file.stem}", payload, figure)


def register(app: typer.Typer) -> None:
    """Add the electrochemistry commands to the root app."""
    app.add_typer(eis_app, name="eis")
    app.command("dcpol")(dcpol_command)
    app.command("cycling")(cycling_command)
