"""CLI command of the screen: run a study's stages for every candidate and rank them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sselab.calculators import ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import (
    DeviceOption,
    GpusOption,
    OutOption,
    ProgressOption,
    SchedulerOption,
    WorkersOption,
)
from sselab.store import ResultStore


def screen_command(
    study: str = typer.Argument(..., help="Study TOML file, or 'seed' for the built-in study."),
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
    from sselab.pipeline.study import StudyError, load_study
    from sselab.report.screen import write_screen

    try:
        parsed = load_study(study)
        with (
            dask_client(workers, scheduler, gpus) as client,
            ResultStore(store or out / "sselab.sqlite") as results,
        ):
            result = screen(parsed, results, client, out / "work", device, progress)
    except (StudyError, ModelUnavailableError, ValueError, OSError) as exc:
        fail(str(exc))
    for row in result.rows:
        e_tie = row.e_above_tie_meV_per_atom
        typer.echo(
            f"{row.rank:3d}  {row.name:24s}  "
            f"E_tie {'n/a' if e_tie is None else f'{e_tie.value:7.1f}'} meV/atom  {row.notes}"
        )
    for note in result.notes:
        typer.echo(f"note: {note}")
    paths = write_screen(result, out)
    typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}")
    if result.run["failed"]:
        fail(f"{len(result.run['failed'])} task(s) failed; see {paths['json']}")


def register(app: typer.Typer) -> None:
    """Add the screen command to the root app."""
    app.command("screen")(screen_command)
