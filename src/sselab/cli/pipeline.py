"""CLI commands of the pipeline: relax, lattice, reproduce, results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import (
    DeviceOption,
    GpusOption,
    ModelOption,
    OutOption,
    ProgressOption,
    SchedulerOption,
    StoreOption,
    WorkersOption,
)
from sselab.store import DEFAULT_STORE_PATH, ResultStore
from sselab.structures import StructureFileError


def relax_command(
    file: Path = typer.Argument(..., help="Structure file (CIF, POSCAR, extxyz)."),
    model: ModelOption = DEFAULT_MODEL,
    fmax: float = typer.Option(0.02, help="Force threshold (eV/Å)."),
    fixed_cell: bool = typer.Option(False, "--fixed-cell", help="Relax positions only."),
    max_steps: int = typer.Option(500, help="Optimiser step limit."),
    optimizer: str = typer.Option(
        "FIRE", help="ASE optimiser: FIRE, or FIRE2 (fewer steps on ordered supercells)."
    ),
    device: DeviceOption = "auto",
    store: StoreOption = DEFAULT_STORE_PATH,
    out: Path | None = typer.Option(None, help="Write the relaxed structure here (CIF/POSCAR)."),
) -> None:
    """Relax a structure with an MLIP and print energy and lattice."""
    from sselab.calculators import get_calculator, relax
    from sselab.calculators.relax import OPTIMIZERS
    from sselab.structures import read_structure

    if optimizer not in OPTIMIZERS:
        fail(f"--optimizer {optimizer}: choose from {sorted(OPTIMIZERS)}")
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
                optimizer=optimizer,
            )
    except (StructureFileError, ModelUnavailableError, ValueError) as exc:
        fail(str(exc))
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
    model: ModelOption = DEFAULT_MODEL,
    orderings: int = typer.Option(3, help="Orderings relaxed per x."),
    max_anions: int = typer.Option(16, help="Largest supercell, in anion sites (4, 8, 16, 32)."),
    fmax: float = typer.Option(0.02, help="Force threshold (eV/Å)."),
    store: StoreOption = DEFAULT_STORE_PATH,
    out: OutOption = Path("out"),
) -> None:
    """Relaxed lattice constant a(x) of Li(2+x)N(x)S(1-x), table and Vegard plot (OUT/lattice.*)."""
    from sselab.pipeline.lattice import LatticeScan, lattice_vs_x
    from sselab.report.lattice import lattice_table, vegard_figure

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
        fail(str(exc))
    header, rows = lattice_table(points)
    typer.echo("  ".join(f"{h:>12s}" for h in header))
    for row in rows:
        typer.echo("  ".join(f"{v!s:>12s}" for v in row))
    out.mkdir(parents=True, exist_ok=True)
    (out / "lattice.json").write_text(json.dumps(LatticeScan(points).as_dict(), indent=2))
    vegard_figure(points).savefig(out / "lattice.png", dpi=120, bbox_inches="tight")
    typer.echo(f"wrote {out / 'lattice.json'} and {out / 'lattice.png'}")


def reproduce_command(
    quick: bool = typer.Option(False, "--quick", help="CPU profile: small cells (minutes)."),
    full: bool = typer.Option(False, "--full", help="Paper settings (hours; GPU advised)."),
    model: ModelOption = DEFAULT_MODEL,
    out: OutOption = Path("out"),
    stages: list[str] | None = typer.Option(
        None, "--stage", help="Run only these stages (repeat); default all."
    ),
    store: Annotated[
        Path | None,
        typer.Option("--store", help="SQLite results store (default OUT/sselab.sqlite)."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    gpus: GpusOption = None,
    device: DeviceOption = "auto",
    progress: ProgressOption = False,
    measured: str | None = typer.Option(
        None,
        "--measured",
        help="Folder of your own measurements with measured.toml (patterns, EIS, DC "
        "polarisation, aging, cycling), analysed beside the computed claims; 'example' is "
        "the packaged SYNTHETIC example set.",
    ),
) -> None:
    """Reproduce the paper's analysis (cached tasks, resumable) and write OUT/report.html;
    with --measured DIR, your own data join it (a Measured section per kind and a
    measured column in the claims table)."""
    from sselab.pipeline.executor import dask_client
    from sselab.pipeline.reproduce import reproduce
    from sselab.report.reproduce import write_reproduce_report

    if quick == full:
        fail("choose exactly one of --quick and --full")
    try:
        with dask_client(workers, scheduler, gpus) as client:
            run = reproduce(
                "quick" if quick else "full",
                out,
                model=model,
                store_path=store,
                stages=stages or None,
                client=client,
                device=device,
                progress=progress,
                measured=measured,
            )
    except (ModelUnavailableError, ValueError, OSError) as exc:
        fail(str(exc))
    report = write_reproduce_report(run, out / "report.html")
    (out / "reproduce.json").write_text(json.dumps(run.as_dict(), indent=2, default=str))
    for stage, seconds in run.timings_s.items():
        status = "FAILED: " + run.failed[stage] if stage in run.failed else "ok"
        typer.echo(f"{stage:16s} {seconds:8.1f} s  {status}")
    if run.measured is not None:  # per-section problems of the user's files, one line each
        for problem in run.measured.manifest.problems:
            typer.secho(f"warning: {problem}", fg=typer.colors.YELLOW, err=True)
        for section, error in run.measured.errors.items():
            typer.secho(f"measured {section}: {error}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"wrote {report} and {out / 'reproduce.json'}")
    if run.failed:
        fail(f"{len(run.failed)} stage(s) failed; see {report}")


def results_command(
    store: StoreOption = DEFAULT_STORE_PATH,
    kind: str | None = typer.Option(None, help="Only rows of this kind (e.g. relax)."),
    export: str | None = typer.Option(
        None, "--export", help="Also write the rows as csv (scalars flattened) or json."
    ),
    structures: str | None = typer.Option(
        None, "--structures", help="Also write every stored structure as cif or extxyz."
    ),
    out: OutOption = Path("out"),
) -> None:
    """List what the results store holds; optionally export rows and structures (to OUT)."""
    from sselab.pipeline.export import export_results, export_structures

    if not store.exists():
        fail(f"{store}: no such results store")
    with ResultStore(store) as results:
        counts = results.execution_counts()
        for row in results.rows(kind):
            typer.echo(
                f"{row.created_utc}  {row.kind:12s}  {row.key[:12]}  {row.wall_s or 0:8.1f} s"
                f"  x{counts.get(row.key, 0)}"
            )
        try:
            if export is not None:
                path = export_results(results, out / f"results.{export}", export, kind)
                typer.echo(f"wrote {path}")
            if structures is not None:
                written = export_structures(results, out / "structures", structures, kind)
                typer.echo(f"wrote {len(written)} structures to {out / 'structures'}")
        except ValueError as exc:
            fail(str(exc))
        summary = {
            "store": str(store),
            "rows": len(results),
            "per_kind": {k: len(results.keys(k)) for k in sorted({r.kind for r in results.rows()})},
            "executions": sum(counts.values()),
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results_summary.json").write_text(json.dumps(summary, indent=2))


def register(app: typer.Typer) -> None:
    """Add the foundation commands to the root app."""
    app.command("relax")(relax_command)
    app.command("lattice")(lattice_command)
    app.command("reproduce")(reproduce_command)
    app.command("results")(results_command)
