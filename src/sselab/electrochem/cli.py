"""CLI commands of the electrochemistry stage: eis fit/arrhenius, dcpol, aging, cycling."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import typer

from sselab.electrochem.readers import INSTRUMENTS, EISDataWarning, EISFileError

eis_app = typer.Typer(
    help="Impedance spectra: circuit fit, conductivity, Arrhenius series.",
    no_args_is_help=True,
)

LENGTH_HELP = "with a unit: 1mm, 0.1cm, 500um (a bare number is cm)"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


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
        if issubclass(item.category, EISDataWarning | UserWarning):
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
            analysis = analyze_spectrum(
                spectrum, thickness_cm, diameter_cm, pellet_circuit(grain_boundary, tail)
            )
    except (EISFileError, EISFitError, ValueError) as exc:
        _fail(str(exc))
    _echo_warnings(caught)
    fit = analysis.fit
    typer.echo(f"{spectrum.source}: {spectrum.n_points} points ({spectrum.instrument})")
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
    _write(out, f"eis_{file.stem}", analysis.as_dict(), eis_figure(analysis))


def register(app: typer.Typer) -> None:
    """Add the electrochemistry commands to the root app."""
    app.add_typer(eis_app, name="eis")
