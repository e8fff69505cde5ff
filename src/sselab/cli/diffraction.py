"""CLI commands of the diffraction stage: xrd (simulate), refine (Rietveld / Le Bail), vegard."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer

from sselab.cli.errors import fail
from sselab.cli.options import OutOption
from sselab.diffraction.pattern import PatternDataWarning, PatternFileError
from sselab.diffraction.radiation import RadiationSpecError
from sselab.diffraction.vegard import VegardInputError
from sselab.structures import StructureFileError

RADIATION_HELP = (
    "CuKa (Kα1/Kα2), CuKa1, a wavelength in Å for synchrotron (e.g. 0.69511), xray:λ "
    "(unpolarised), neutron:λ (CW neutrons, Å) or tof:BANKFILE (DIFC/DIFA/ZERO in µs)"
)
_INPUT_ERRORS = (PatternFileError, RadiationSpecError, StructureFileError, VegardInputError)


def xrd_command(
    file: Path = typer.Argument(..., help="Structure file (CIF keeps partial occupancies)."),
    radiation: str = typer.Option("CuKa", "--radiation", "-r", help=RADIATION_HELP),
    x_min: float | None = typer.Option(None, help="Range start: 2θ (deg) or TOF (µs)."),
    x_max: float | None = typer.Option(None, help="Range end: 2θ (deg) or TOF (µs)."),
    step: float | None = typer.Option(None, help="2θ step (deg), or Δt/t for TOF."),
    uiso: float = typer.Option(0.01, help="Isotropic displacement Uiso for all sites (Å²)."),
    out: OutOption = Path("out/xrd"),
) -> None:
    """Simulate a powder pattern (X-ray, synchrotron, CW or TOF neutron) of a structure;
    writes NAME.xy, NAME.png and NAME.json to the output folder."""
    from sselab.diffraction.pattern import write_pattern
    from sselab.diffraction.radiation import parse_radiation
    from sselab.diffraction.simulate import pattern_figure, simulate_pattern
    from sselab.structures import read_structure

    if (x_min is None) != (x_max is None):
        fail("give both --x-min and --x-max, or neither")
    try:
        structure = read_structure(file)
        beam = parse_radiation(radiation)
        x_range = None if x_min is None or x_max is None else (x_min, x_max)
        sim = simulate_pattern(structure, beam, x_range=x_range, step=step, uiso_A2=uiso)
    except (*_INPUT_ERRORS, ValueError) as exc:
        fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    stem = out / file.stem
    write_pattern(sim.pattern, stem.with_suffix(".xy"))
    formula = structure.composition.reduced_formula
    pattern_figure(sim, f"{formula}, {beam.label}").savefig(
        stem.with_suffix(".png"), dpi=120, bbox_inches="tight"
    )
    summary = {"structure": str(file), "formula": formula, "uiso_A2": uiso, **sim.summary()}
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    typer.echo(f"{formula}, {beam.label}: {sim.intensity.size} reflections")
    for hkl, intensity in sim.strongest(5):
        typer.echo(f"  ({hkl})  {intensity:6.1f}")
    typer.echo(f"wrote {stem}.xy, {stem}.png and {stem}.json")


def refine_command(
    pattern: Path = typer.Argument(..., help="Measured pattern: .xy, .xye or .csv."),
    model: Path = typer.Option(..., "--model", help="Start structure (CIF, POSCAR, ...)."),
    radiation: str = typer.Option("CuKa", "--radiation", "-r", help=RADIATION_HELP),
    neutron: list[Path] = typer.Option(
        [], help="Neutron pattern refined jointly with PATTERN (repeat for several TOF banks)."
    ),
    neutron_radiation: list[str] = typer.Option(
        ["neutron:1.54"],
        help=f"Radiation of each --neutron, in the same order (one is reused): {RADIATION_HELP}.",
    ),
    method: str = typer.Option("rietveld", help="rietveld or lebail."),
    occupancy: list[str] = typer.Option(
        [], help="Site whose occupancy factor (fraction of nominal) is refined, e.g. 'Li 24e'."
    ),
    uiso: str = typer.Option("element", help="Uiso per element, per site, or fixed."),
    background: int = typer.Option(6, help="Chebyshev background terms per pattern."),
    fix: list[str] = typer.Option([], help="Parameter kept fixed, e.g. xray.zero (repeat)."),
    lattice_search: float = typer.Option(
        0.02, help="Relative half-width of the start lattice grid search (0 = none)."
    ),
    background_subtracted: bool = typer.Option(
        False,
        "--background-subtracted",
        help="Accept negative counts (background-subtracted patterns); refused otherwise.",
    ),
    out: OutOption = Path("out/refine"),
) -> None:
    """Rietveld or Le Bail refinement of a pattern, or joint X-ray + neutron refinement;
    writes refine.json, refine.png and fit_<dataset>.csv to the output folder."""
    from sselab.diffraction.pattern import read_pattern
    from sselab.diffraction.radiation import parse_radiation
    from sselab.diffraction.refine import Dataset, difference_figure, refine
    from sselab.structures import read_structure

    if len(neutron_radiation) not in (1, len(neutron)):
        fail(f"{len(neutron)} --neutron patterns need 1 or {len(neutron)} --neutron-radiation")
    one_for_all = len(neutron_radiation) != len(neutron)
    specs = [radiation, *(neutron_radiation * len(neutron) if one_for_all else neutron_radiation)]
    try:
        structure = read_structure(model)
        datasets: list[Dataset] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PatternDataWarning)
            for path, spec in zip([pattern, *neutron], specs, strict=True):
                beam = parse_radiation(spec)
                # Parameter prefixes: xray., neutron., tof. (tof2., ... when kinds repeat).
                taken = sum(d.radiation.kind == beam.kind for d in datasets)
                name = beam.kind if taken == 0 else f"{beam.kind}{taken + 1}"
                measured = read_pattern(path, allow_negative=background_subtracted)
                data = replace(measured, x_label=beam.x_label)
                datasets.append(Dataset(data, beam, name, n_background=background))
        for item in caught:  # shown, not raised: the pattern was read
            if issubclass(item.category, UserWarning):
                typer.secho(f"warning: {item.message}", fg=typer.colors.YELLOW, err=True)
        result = refine(
            structure,
            datasets,
            method=method,
            occupancies=occupancy,
            uiso=uiso,
            fixed=fix,
            lattice_search=lattice_search,
            progress=True,
        )
    except (*_INPUT_ERRORS, ValueError) as exc:
        fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    (out / "refine.json").write_text(json.dumps(result.summary(), indent=2))
    difference_figure(result).savefig(out / "refine.png", dpi=120, bbox_inches="tight")
    for fit in result.datasets:
        columns = np.column_stack(
            [fit.x, fit.y_obs, fit.sigma, fit.y_calc, fit.y_obs - fit.y_calc, fit.background]
        )
        header = "x,y_obs,sigma,y_calc,difference,background"
        np.savetxt(out / f"fit_{fit.name}.csv", columns, delimiter=",", header=header, comments="")
    typer.echo(
        f"{result.method}: Rwp = {100 * result.rwp:.2f} %, Rexp = {100 * result.rexp:.2f} %, "
        f"GoF = {result.gof:.3f} ({result.n_refined} parameters, {result.n_points} points)"
    )
    for name, parameter in result.parameters.items():
        if parameter.refined and parameter.kind != "background":
            typer.echo(f"  {name:18s} {parameter.estimate}")
    typer.echo(f"wrote {out / 'refine.json'}, {out / 'refine.png'} and fit_*.csv")


def vegard_command(
    file: Path = typer.Argument(..., help="CSV with columns x, a (Å)[, a_err (Å)]."),
    out: OutOption = Path("out/vegard"),
) -> None:
    """Vegard fit of a(x) and the solubility limit where the slope changes; writes
    vegard.json and vegard.png (marking the paper's limit and a(x = 0.5))."""
    from sselab.diffraction.vegard import fit_vegard, read_vegard_csv, vegard_figure
    from sselab.reference import paper_value

    try:
        x, a = read_vegard_csv(file)
        fit = fit_vegard(x, a, source=str(file))
    except _INPUT_ERRORS as exc:
        fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    (out / "vegard.json").write_text(json.dumps(fit.as_dict(), indent=2))
    figure = vegard_figure(
        fit,
        reference_limit_x=paper_value("structure", "solubility_limit_x"),
        reference_points={0.5: paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")},
        reference_label="paper",
    )
    figure.savefig(out / "vegard.png", dpi=120, bbox_inches="tight")
    typer.echo(f"one line: da/dx = {fit.slope_angstrom}, a(0) = {fit.intercept_angstrom}")
    low, high = fit.breakpoint_x.ci95 or (math.nan, math.nan)
    typer.echo(
        f"two segments: x_b = {fit.breakpoint_x.value:.3f} (95 %: [{low:.3f}, {high:.3f}]), "
        f"da/dx = {fit.slope_below_angstrom} below, {fit.slope_above_angstrom} above, "
        f"p = {fit.p_value:.2g}"
    )
    limit = fit.solubility_limit_x
    typer.echo(
        f"solubility limit: x = {limit}"
        if limit is not None
        else "solubility limit: none detected (slope change not significant)"
    )
    typer.echo(f"wrote {out / 'vegard.json'} and {out / 'vegard.png'}")


def register(app: typer.Typer) -> None:
    """Add the diffraction commands to the root app."""
    app.command("xrd")(xrd_command)
    app.command("refine")(refine_command)
    app.command("vegard")(vegard_command)
