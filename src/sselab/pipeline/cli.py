"""CLI commands of the foundation: relax, lattice, reproduce, results."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.pipeline.store import DEFAULT_STORE_PATH, ResultStore
from sselab.structures import StructureFileError

MODEL_HELP = "MLIP: chgnet, chgnet:0.2.0, sevennet, sevennet:7net-l3i5, or NAME:/local/weights"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def relax_command(
    file: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz)."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help=MODEL_HELP),
    fmax: float = typer.Option(0.02, help="Force threshold (eV/Å)."),
    fixed_cell: bool = typer.Option(False, "--fixed-cell", help="Relax positions only."),
    max_steps: int = typer.Option(500, help="Optimiser step limit."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    store: Path = typer.Option(DEFAULT_STORE_PATH, help="SQLite results store."),
    out: Path | None = typer.Option(None, help="Write the relaxed structure here (CIF/POSCAR)."),
) -> None:
    """Relax a structure with an MLIP and print energy and lattice."""
    from sselab.calculators import get_calculator, relax
    from sselab.structures import read_structure

    try:
        structure = read_structure(file)
        calculator = get_calculator(model, device=device)
        with ResultStore(store) as results:
            result = relax(
                structure,
                calculator,
                fmax=fmax,
                relax_cell=not fixed_cell,
                max_steps=max_steps,
                store=results,
            )
    except (StructureFileError, ModelUnavailableError, ValueError) as exc:
        _fail(str(exc))
    a, b, c = result.abc_angstrom
    alpha, beta, gamma = result.angles_deg
    typer.echo(f"{result.structure.composition.reduced_formula} with {result.model}")
    typer.echo(f"energy       {result.energy_eV:.4f} eV ({result.energy_per_atom_eV:.4f} eV/atom)")
    typer.echo(f"a, b, c      {a:.4f} {b:.4f} {c:.4f} Å")
    typer.echo(f"angles       {alpha:.2f} {beta:.2f} {gamma:.2f} °")
    typer.echo(f"volume       {result.volume_angstrom3:.3f} Å^3")
    typer.echo(f"converged    {result.converged} ({result.n_steps} steps)")
    if out is not None:
        result.structure.to(filename=str(out))
        typer.echo(f"wrote {out}")


def lattice_command(
    x: list[float] = typer.Option(
        [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7], "--x", help="Compositions x (repeat --x)."
    ),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help=MODEL_HELP),
    orderings: int = typer.Option(3, help="Orderings relaxed per x."),
    max_anions: int = typer.Option(16, help="Largest supercell, in anion sites (4, 8, 16, 32)."),
    fmax: float = typer.Option(0.02, help="Force threshold (eV/Å)."),
    store: Path = typer.Option(DEFAULT_STORE_PATH, help="SQLite results store."),
    out: Path = typer.Option(Path("out"), help="Folder for lattice.json and lattice.png."),
) -> None:
    """Relaxed lattice constant a(x) of Li(2+x)N(x)S(1-x), table and Vegard plot."""
    from dataclasses import asdict

    from sselab.pipeline.lattice import lattice_table, lattice_vs_x, vegard_figure

    try:
        with ResultStore(store) as results:
            points = lattice_vs_x(
                x,
                model=model,
                n_orderings=orderings,
                max_anions=max_anions,
                fmax=fmax,
                store=results,
            )
    except (ModelUnavailableError, ValueError) as exc:
        _fail(str(exc))
    header, rows = lattice_table(points)
    typer.echo("  ".join(f"{h:>12s}" for h in header))
    for row in rows:
        typer.echo("  ".join(f"{v!s:>12s}" for v in row))
    out.mkdir(parents=True, exist_ok=True)
    (out / "lattice.json").write_text(json.dumps([asdict(p) for p in points], indent=2))
    vegard_figure(points).savefig(out / "lattice.png", dpi=120, bbox_inches="tight")
    typer.echo(f"wrote {out / 'lattice.json'} and {out / 'lattice.png'}")


def reproduce_command(
    quick: bool = typer.Option(False, "--quick", help="CPU profile: small cells (minutes)."),
    full: bool = typer.Option(False, "--full", help="Paper settings (hours; GPU advised)."),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help=MODEL_HELP),
    out: Path = typer.Option(Path("out"), help="Output folder for report.html and the store."),
) -> None:
    """Reproduce the paper's analysis and write OUT/report.html."""
    from sselab.pipeline.reproduce import reproduce

    if quick == full:
        _fail("choose exactly one of --quick and --full")
    try:
        report = reproduce("quick" if quick else "full", out, model=model)
    except (ModelUnavailableError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"wrote {report}")


def results_command(
    store: Path = typer.Option(DEFAULT_STORE_PATH, help="SQLite results store."),
    kind: str | None = typer.Option(None, help="Only rows of this kind (e.g. relax)."),
) -> None:
    """List what the results store holds."""
    if not store.exists():
        _fail(f"{store}: no such results store")
    with ResultStore(store) as results:
        for row in results.rows(kind):
            typer.echo(
                f"{row.created_utc}  {row.kind:10s}  {row.key[:12]}  {row.wall_s or 0:8.1f} s"
            )


def register(app: typer.Typer) -> None:
    """Add the foundation commands to the root app."""
    app.command("relax")(relax_command)
    app.command("lattice")(lattice_command)
    app.command("reproduce")(reproduce_command)
    app.command("results")(results_command)
