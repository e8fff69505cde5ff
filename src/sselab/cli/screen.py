"""CLI command of the screen: run a study's stages for every candidate and rank them.

``sselab screen study.toml`` runs a study file (or the built-in ``seed``);
``sselab screen DIR_OR_FILES...`` screens structure files (CIF, POSCAR, extxyz), folders
expanded; ``sselab screen --validate`` runs the shipped validation set and prints the
Spearman table.
"""

from __future__ import annotations

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
    WorkersOption,
)
from sselab.store import ResultStore


def _is_study(inputs: list[str]) -> bool:
    from sselab.pipeline.study import BUILTIN_STUDIES

    return len(inputs) == 1 and (
        inputs[0].lower().endswith(".toml")
        or (inputs[0] in BUILTIN_STUDIES and not Path(inputs[0]).exists())
    )


def _print_validation(
    out: Path,
    resolution: float,
    progress: bool,
    md: bool,
    md_temperatures_K: list[float],
    md_seed: int,
    li_metal: bool,
    model: str,
    store: Path | None,
    client: object | None,
    device: str,
) -> None:
    import json

    from sselab.pipeline.screen import MDPredictor, validate
    from sselab.report.screen import validation_figure, validation_table

    # one predictor for both: the windows take the MD's relaxed cells from the store
    predictor = MDPredictor(model=model, seed=md_seed)
    if md or li_metal:
        with ResultStore(store or out / "sselab.sqlite") as results:
            result = validate(
                resolution_angstrom=resolution,
                store=results,
                progress=progress,
                md=predictor if md else None,
                li_metal=predictor if li_metal else None,
                client=client,
                work_dir=out / "work",
                device=device,
                md_temperatures_K=md_temperatures_K or None,
            )
    else:
        result = validate(resolution_angstrom=resolution, progress=progress)
    typer.echo(validation_table(result))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "validation.json"
    path.write_text(json.dumps(result.as_dict(), indent=2))
    figure = out / "validation.png"
    validation_figure(result).savefig(figure, dpi=120)
    typer.echo(f"wrote {path} and {figure}")


def screen_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Study TOML file, 'seed', or structure files/folders (CIF, POSCAR, extxyz)."
        ),
    ] = None,
    relax: Annotated[
        bool,
        typer.Option(
            "--relax",
            help="Structure files: also relax ordered supercells with the MLIP and, where "
            "sselab has the reference phases, compute the Li-metal stability window.",
        ),
    ] = False,
    resolution: Annotated[
        float,
        typer.Option("--resolution", help="BVSE grid spacing (Å) for structure files."),
    ] = 0.2,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Run the shipped validation set (BVSE vs measured sigma_RT) and print "
            "the Spearman table.",
        ),
    ] = False,
    md: Annotated[
        bool,
        typer.Option(
            "--md",
            help="With --validate: also run the quick MLIP-MD predictor (order, relax, "
            "2 ps NVT at 700 K per compound; hours on 2 CPU cores, resumable from the "
            "store).",
        ),
    ] = False,
    md_temperatures_K: Annotated[
        list[float] | None,
        typer.Option(
            "--md-temperature",
            help="With --md: thermostat temperature (K) of the MD predictor (default: "
            "MDPredictor's, 700 K); repeat it for an Arrhenius sigma(300 K) per compound "
            "(e.g. --md-temperature 700 --md-temperature 850 --md-temperature 1000; "
            "trajectories are read back from OUT/work, so give every temperature the same "
            "--out). Each temperature is its own set of stored runs.",
        ),
    ] = None,
    li_metal: Annotated[
        bool,
        typer.Option(
            "--li-metal",
            help="With --validate: also relax each compound's ordering and compute its "
            "stability window against sselab's reference phases; the Li-metal call is set "
            "beside the expected one (tens of minutes on 2 CPU cores, resumable).",
        ),
    ] = False,
    md_seed: Annotated[
        int | None,
        typer.Option(
            "--md-seed",
            min=0,
            help="With --md or --li-metal: seed of the ordering sample (and of the MD's "
            "initial velocities; default 0); another seed is another set of stored runs, "
            "a replicate of the same predictor.",
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    gpus: GpusOption = None,
    out: OutOption = Path("out/screen"),
    store: Annotated[
        Path | None,
        typer.Option("--store", help="SQLite results store (default OUT/sselab.sqlite)."),
    ] = None,
    device: DeviceOption = "auto",
    progress: ProgressOption = True,
) -> None:
    """Run a study's stages for every candidate (cached, resumable); rank them (OUT/screen.*)."""
    from sselab.pipeline.executor import dask_client
    from sselab.pipeline.screen import screen
    from sselab.pipeline.study import StudyError, load_study, structure_study
    from sselab.report.screen import write_screen

    if resolution <= 0:
        fail(f"--resolution {resolution}: must be > 0 Å")
    if md and not validate:
        fail("--md belongs to --validate (structure files get MD from a study's md stage)")
    temperatures = md_temperatures_K or []
    if temperatures and not md:
        fail("--md-temperature belongs to --md")
    for temperature in temperatures:
        if temperature <= 0:
            fail(f"--md-temperature {temperature:g}: must be > 0 K")
    if li_metal and not validate:
        fail("--li-metal belongs to --validate (structure files get it from --relax)")
    if md_seed is not None and not (md or li_metal):
        fail("--md-seed belongs to --md or --li-metal (it picks the ordering sample)")
    if len(set(temperatures)) != len(temperatures):
        fail(f"--md-temperature {' '.join(f'{t:g}' for t in temperatures)}: a temperature twice")
    if validate:
        try:
            with dask_client(workers, scheduler, gpus) as client:
                _print_validation(
                    out,
                    resolution,
                    progress,
                    md,
                    temperatures,
                    md_seed or 0,
                    li_metal,
                    model,
                    store,
                    client,
                    device,
                )
        except (ModelUnavailableError, ValueError, OSError) as exc:
            fail(str(exc))
        return
    if not inputs:
        fail("give a study TOML file, 'seed', structure files or folders, or --validate")
    try:
        if _is_study(inputs):
            parsed = load_study(inputs[0])
        else:
            stages = ["bvse", "diffraction"] + (["relax", "window"] if relax else [])
            parsed = structure_study(inputs, stages, model, resolution)
        with (
            dask_client(workers, scheduler, gpus) as client,
            ResultStore(store or out / "sselab.sqlite") as results,
        ):
            result = screen(parsed, results, client, out / "work", device, progress)
    except (StudyError, ModelUnavailableError, ValueError, OSError) as exc:
        fail(str(exc))
    for line in result.refused:
        typer.secho(f"refused: {line}", fg=typer.colors.YELLOW, err=True)
    for row in result.rows:
        e_tie = row.e_above_tie_meV_per_atom
        barrier = row.barrier_3d_eV
        typer.echo(
            f"{row.rank:3d}  {row.name:24s}  "
            f"E_tie {'n/a' if e_tie is None else f'{e_tie.value:7.1f}'} meV/atom  "
            f"BVSE 3D {'n/a' if barrier is None else f'{barrier.value:.3f}'} eV  "
            f"{row.rank_reason}  {row.notes}"
        )
    for note in result.notes:
        typer.echo(f"note: {note}")
    paths = write_screen(result, out)
    typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}")
    if result.run["failed"]:
        fail(f"{len(result.run['failed'])} task(s) failed; see {paths['json']}")
    if not result.rows:
        fail(f"no structure could be screened ({len(result.refused)} refused)")


def register(app: typer.Typer) -> None:
    """Add the screen command to the root app."""
    app.command("screen")(screen_command)
