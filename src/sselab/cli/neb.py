"""CLI command ``sselab neb``: CI-NEB barrier of a Li hop with an MLIP."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import MODEL_HELP
from sselab.store import DEFAULT_STORE_PATH, ResultStore
from sselab.structures import StructureFileError
from sselab.transport.neb import HOPS, EndpointError, ResumeError


def neb_command(
    file: Path = typer.Argument(
        ..., help="Structure file (CIF, POSCAR, extxyz); may be disordered."
    ),
    hop: str = typer.Option("vac-8c-8c", "--hop", help=f"Hop: {', '.join(HOPS)}."),
    mobile: str = typer.Option("Li", help="Mobile cation."),
    images: int = typer.Option(5, help="Interior NEB images."),
    fmax: float = typer.Option(0.05, help="Force threshold (eV/Å)."),
    supercell: tuple[int, int, int] = typer.Option(
        (2, 2, 2), help="Repetitions of the input cell along a, b, c."
    ),
    index: int | None = typer.Option(
        None, help="Supercell index of the 8c ion that hops (or is removed for vac-8c-8c)."
    ),
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help=MODEL_HELP),
    max_steps: int = typer.Option(500, help="NEB optimiser step limit."),
    seed: int = typer.Option(0, help="Ordering seed for disordered input."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    store: Path = typer.Option(DEFAULT_STORE_PATH, help="SQLite results store."),
    out: Path = typer.Option(Path("out/neb"), help="Folder for JSON, PNG, images, checkpoint."),
) -> None:
    """CI-NEB migration barrier of a Li hop; writes neb_HOP.json, .png and _images.extxyz."""
    from sselab.calculators import get_calculator
    from sselab.reference import paper_value
    from sselab.structures import read_structure
    from sselab.transport.neb import hop_barrier, profile_figure, write_images

    if hop not in HOPS:
        fail(f"--hop '{hop}' unknown; choose from {', '.join(HOPS)}")
    try:
        structure = read_structure(file)
        calculator = get_calculator(model, device=device)
        with ResultStore(store) as results:
            result = hop_barrier(
                structure,
                hop,
                calculator,
                mobile=mobile,
                supercell=supercell,
                index=index,
                seed=seed,
                n_images=images,
                fmax=fmax,
                max_steps=max_steps,
                out_dir=out,
                store=results,
                device=device,
            )
    except (
        StructureFileError,
        ModelUnavailableError,
        EndpointError,
        ResumeError,
        ValueError,
    ) as exc:
        fail(str(exc))
    paper = float(paper_value("transport_computed", "cineb_barrier_eV"))
    stem = out / f"neb_{hop}"
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        **result.summary(),
        "structure_file": str(file),
        "supercell": list(supercell),
        "paper_cineb_barrier_eV": paper,
    }
    Path(f"{stem}.json").write_text(json.dumps(summary, indent=2))
    profile_figure(
        result, reference_eV=paper, reference_label="paper CI-NEB, Li2.5N0.5S0.5 (DFT)"
    ).savefig(f"{stem}.png", dpi=120, bbox_inches="tight")
    write_images(result, f"{stem}_images.extxyz")
    typer.echo(f"{hop} in {structure.composition.reduced_formula} with {result.model}")
    typer.echo(
        f"barrier      {result.barrier_eV:.3f} ± {result.barrier_uncertainty_eV:.2g} eV "
        f"(paper CI-NEB {paper:.2f} eV)"
    )
    typer.echo(f"reverse      {result.reverse_barrier_eV:.3f} eV")
    typer.echo(f"reaction dE  {result.reaction_energy_eV:.3f} eV")
    typer.echo(f"converged    {result.converged} ({result.n_steps} steps, {result.n_atoms} atoms)")
    typer.echo(f"wrote {stem}.json, {stem}.png and {stem}_images.extxyz")


def register(app: typer.Typer) -> None:
    """Add ``sselab neb`` to the root app."""
    app.command("neb")(neb_command)
