"""CLI commands of the electrochemistry stage: eis fit/arrhenius, dcpol, aging, cycling."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import typer

from sselab.cli.errors import fail
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


def _paper(table: str, *keys: str) -> dict[str, Any]:
    """The paper's values for comparison in a JSON (never used as results)."""
    from sselab.reference import paper_value

    return {"paper": {key: paper_value(table, key) for key in keys}}


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
    out: Path = typer.Option(Path("out"), help="Folder for eis_<name>.json and .png."),
) -> None:
    """Fit a spectrum: R_ion (Ω), sigma (S/cm), intercept, Kramers-Kronig test, DRT."""
    from sselab.electrochem.eis import analyze_spectrum
    from sselab.electrochem.figures import eis_figure
    from sselab.electrochem.fit import EISFitError, pellet_circuit
    from sselab.electrochem.readers import read_eis

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
    for name, value, error in zip(fit.parameter_names, fit.values, fit.errors, strict=True):
        typer.echo(f"  {name:8s} {value:.5g} ± {error:.2g}")
    typer.echo(f"R_ion      {fit.resistance_ohm:.5g} ± {fit.resistance_err_ohm:.2g} Ω")
    typer.echo(f"residual   {fit.relative_residual:.3%} (converged: {fit.converged})")
    if analysis.intercept is not None:
        ic = analysis.intercept
        typer.echo(f"intercept  {ic.resistance_ohm:.5g} ± {ic.resistance_err_ohm:.2g} Ω")
    if analysis.conductivity is not None:
        sigma = analysis.conductivity
        typer.echo(f"sigma      {sigma.sigma_S_per_cm:.4g} ± {sigma.sigma_err_S_per_cm:.2g} S/cm")
    kk = analysis.kk
    typer.echo(f"lin-KK     rms {kk.rms_residual_pct:.2f} % of |Z| (valid: {kk.valid})")
    paper = _paper("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm", "pellet_thickness_mm")
    _write(out, f"eis_{file.stem}", analysis.as_dict() | paper, eis_figure(analysis))


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
    out: Path = typer.Option(Path("out"), help="Folder for arrhenius.json and .png."),
) -> None:
    """sigma(T) from variable-temperature spectra; Ea (eV) and sigma(25 °C) (S/cm) per folder."""
    from sselab.electrochem.arrhenius import arrhenius_series, find_series
    from sselab.electrochem.figures import arrhenius_figure
    from sselab.electrochem.fit import EISFitError
    from sselab.reference import paper_value

    results = []
    try:
        thickness_cm, diameter_cm = _geometry(thickness, diameter)
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
    paper = {
        "Li2.5N0.5S0.5": paper_value("transport_measured", "activation_energy_Li2.5N0.5S0.5_eV")
    }
    for r in results:
        typer.echo(
            f"{r.material:20s} Ea = {r.activation_energy_eV:.3f} ± "
            f"{r.activation_energy_err_eV:.3f} eV"
            f"   sigma(25 °C) = {r.sigma_25C_S_per_cm:.3g} ± {r.sigma_25C_err_S_per_cm:.2g} S/cm"
        )
    payload = {"materials": [r.as_dict() for r in results], "paper_activation_energy_eV": paper}
    _write(out, "arrhenius", payload, arrhenius_figure(results, paper))


@eis_app.command("aging")
def eis_aging_command(
    folder: Path = typer.Argument(
        ..., help="Spectra of one Li|SE|Li cell, rest time in names (12h)."
    ),
    out: Path = typer.Option(Path("out"), help="Folder for aging_<name>.json and .png."),
) -> None:
    """Conductivity retention (%) of a Li|SE|Li cell over rest time."""
    from sselab.electrochem.aging import aging_series, paper_retention
    from sselab.electrochem.arrhenius import EIS_SUFFIXES
    from sselab.electrochem.figures import aging_figure
    from sselab.electrochem.fit import EISFitError

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
    value, error = result.final_retention
    typer.echo(
        f"{result.material}: {100 * value:.1f} ± {100 * error:.1f} % after {result.time_h[-1]:g} h"
    )
    payload = result.as_dict() | {"paper_retention_12h": paper_retention()}
    _write(out, f"aging_{folder.name}", payload, aging_figure([result]))


def dcpol_command(
    file: Path = typer.Argument(..., help="Steady U-I table or chronoamperometry record."),
    thickness: str | None = typer.Option(None, help=f"Pellet thickness, {LENGTH_HELP}."),
    diameter: str | None = typer.Option(None, help=f"Pellet diameter, {LENGTH_HELP}."),
    ionic_sigma: float | None = typer.Option(
        None, help="Ionic conductivity (S/cm) to compare with; default: the paper's value."
    ),
    out: Path = typer.Option(Path("out"), help="Folder for dcpol_<name>.json and .png."),
) -> None:
    """DC polarisation: electronic resistance (Ω) and conductivity (S/cm) from a U-I fit."""
    from sselab.electrochem.dcpol import dc_polarisation, read_dc_polarisation
    from sselab.electrochem.figures import dcpol_figure
    from sselab.reference import paper_value

    try:
        thickness_cm, diameter_cm = _geometry(thickness, diameter)
        sigma_ion = ionic_sigma or paper_value(
            "transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            voltage, current, error = read_dc_polarisation(file)
        result = dc_polarisation(voltage, current, error, thickness_cm, diameter_cm, sigma_ion)
    except (EISFileError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    typer.echo(f"R_e   {result.resistance_ohm:.4g} ± {result.resistance_err_ohm:.2g} Ω")
    if result.conductivity is not None:
        c = result.conductivity
        typer.echo(f"sigma_e {c.sigma_S_per_cm:.3g} ± {c.sigma_err_S_per_cm:.2g} S/cm")
        typer.echo(
            f"sigma_ion / sigma_e = 10^{result.orders_of_magnitude:.2f} ± "
            f"{result.orders_of_magnitude_err:.2f} (paper: 10^"
            f"{paper_value('transport_measured', 'electronic_vs_ionic_orders_of_magnitude')})"
        )
    paper = _paper("transport_measured", "electronic_vs_ionic_orders_of_magnitude")
    _write(out, f"dcpol_{file.stem}", result.as_dict() | paper, dcpol_figure(result))


def cycling_command(
    file: Path = typer.Argument(..., help="Cycling record (BioLogic GCPL .mpt/.mpr or CSV)."),
    cell: str = typer.Option(..., help="symmetric (Li|SE|Li) or full (Li|SE|cathode)."),
    area: float = typer.Option(0.785, help="Electrode area (cm²); 0.785 = 10 mm diameter."),
    active_mass: str | None = typer.Option(
        None, help="Cathode active mass with unit, e.g. 4.9mg (full cells)."
    ),
    one_c: float = typer.Option(140.0, help="1C in mA/g of active material (LiCoO2: 140)."),
    out: Path = typer.Option(Path("out"), help="Folder for cycling_<name>.json and .png."),
) -> None:
    """Symmetric cells: overpotential, short, CCD (mA/cm²); full cells: mAh/g, CE, retention."""
    from sselab.electrochem import cycling, figures
    from sselab.electrochem.readers import read_cycling

    if cell not in ("symmetric", "full"):
        fail(f"--cell must be symmetric or full, got '{cell}'")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data = read_cycling(file)
        if cell == "symmetric":
            result = cycling.symmetric_cell(data, area)
            ccd = cycling.critical_current_density(data, area)
        else:
            if active_mass is None:
                raise ValueError("a full cell needs --active-mass (e.g. 4.9mg)")
            result = cycling.full_cell(data, _mass_g(active_mass), area, one_c)
    except (EISFileError, ValueError) as exc:
        fail(str(exc))
    _echo_warnings(caught)
    if cell == "symmetric":
        typer.echo(f"{len(result.half_cycles)} half-cycles, stable for {result.stable_hours:.1f} h")
        if result.short is not None:
            typer.echo(
                f"short at {result.short.time_s / 3600:.2f} h, "
                f"{result.short.current_density_mA_per_cm2:.3g} mA/cm²"
            )
        staircase = len(ccd.steps_mA_per_cm2) > 2
        if staircase and ccd.ccd_mA_per_cm2 is not None:
            typer.echo(f"CCD   {ccd.ccd_mA_per_cm2:.3g} ± {ccd.ccd_err_mA_per_cm2:.2g} mA/cm²")
        payload = (
            result.as_dict()
            | {"critical_current_density": ccd.as_dict()}
            | _paper("cells", "critical_current_density_mA_per_cm2", "symmetric_hours_stable")
        )
        figure = (
            figures.ccd_figure(data, ccd, area)
            if staircase
            else figures.symmetric_figure(data, result)
        )
    else:
        typer.echo(
            f"first cycle: {result.initial_discharge_mAh_per_g:.1f} mAh/g discharge, "
            f"CE {100 * result.initial_coulombic_efficiency:.1f} %, "
            f"{result.cycles[0].c_rate:.2g} C"
        )
        typer.echo(
            f"retention {100 * result.retention[-1]:.1f} % after {result.cycles[-1].cycle} cycles"
        )
        payload = result.as_dict() | _paper(
            "cells",
            "full_cell_initial_discharge_mAh_per_g_0.1C",
            "full_cell_initial_coulombic_efficiency",
            "long_cycling_retention",
        )
        figure = figures.full_cell_figure(data, result)
    _write(out, f"cycling_{file.stem}", payload, figure)


def register(app: typer.Typer) -> None:
    """Add the electrochemistry commands to the root app."""
    app.add_typer(eis_app, name="eis")
    app.command("dcpol")(dcpol_command)
    app.command("cycling")(cycling_command)
