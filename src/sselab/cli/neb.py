"""CLI command ``sselab neb``: CI-NEB barrier of a Li hop with an MLIP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import DeviceOption, ModelOption, OutOption, StoreOption
from sselab.store import DEFAULT_STORE_PATH, ResultStore
from sselab.structures import StructureFileError
from sselab.transport.antifluorite_sites import NEB_HOPS
from sselab.transport.neb import BarrierDistribution, EndpointError, NEBResult, ResumeError


def neb_command(
    file: Path = typer.Argument(
        ..., help="Structure file (CIF, POSCAR, extxyz); may be disordered."
    ),
    hop: str = typer.Option("vac-8c-8c", "--hop", help=f"Hop: {', '.join(NEB_HOPS)}."),
    mobile: str = typer.Option("Li", help="Mobile cation."),
    images: int = typer.Option(5, help="Interior NEB images."),
    fmax: float = typer.Option(0.05, help="Force threshold (eV/Å)."),
    supercell: tuple[int, int, int] = typer.Option(
        (2, 2, 2), help="Repetitions of the input cell along a, b, c."
    ),
    index: int | None = typer.Option(
        None, help="Supercell index of the 8c ion that hops (or is removed for vac-8c-8c)."
    ),
    per_environment: int = typer.Option(
        0,
        "--per-environment",
        help="interstitialcy only: run this many knock-off events per 8c environment "
        "(S4 ... N4) and write neb_distribution.json/.png; 0: one hop (--index).",
    ),
    model: ModelOption = DEFAULT_MODEL,
    max_steps: int = typer.Option(500, help="NEB optimiser step limit."),
    seed: int = typer.Option(0, help="Ordering seed for disordered input."),
    device: DeviceOption = "auto",
    store: StoreOption = DEFAULT_STORE_PATH,
    out: OutOption = Path("out/neb"),
) -> None:
    """CI-NEB migration barrier of a Li hop; writes neb_HOP.json, .png and _images.extxyz."""
    from sselab.calculators import get_calculator
    from sselab.structures import read_structure
    from sselab.transport.neb import NEBSettings, barrier_distribution, hop_barrier

    if hop not in NEB_HOPS:
        fail(f"--hop '{hop}' unknown; choose from {', '.join(NEB_HOPS)}")
    if per_environment < 0 or (per_environment and hop != "interstitialcy"):
        fail("--per-environment needs --hop interstitialcy and a count >= 0")
    try:
        settings = NEBSettings(n_images=images, fmax=fmax, max_steps=max_steps)
        structure = read_structure(file)
        calculator = get_calculator(model, device=device)
        with ResultStore(store) as results:
            if per_environment:
                distribution = barrier_distribution(
                    structure, calculator, settings, per_environment=per_environment,
                    mobile=mobile, supercell=supercell, seed=seed, checkpoint_dir=out,
                    store=results, device=device,
                )  # fmt: skip
            else:
                result = hop_barrier(
                    structure, hop, calculator, settings, mobile=mobile, supercell=supercell,
                    index=index, seed=seed, out_dir=out, store=results, device=device,
                )  # fmt: skip
    except (
        StructureFileError,
        ModelUnavailableError,
        EndpointError,
        ResumeError,
        ValueError,
    ) as exc:
        fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    provenance = {"structure_file": str(file), "supercell": list(supercell)}
    if per_environment:
        _write_distribution(distribution, out / "neb_distribution", provenance)
    else:
        _write_hop(result, structure.composition.reduced_formula, out / f"neb_{hop}", provenance)


def _write_hop(result: NEBResult, formula: str, stem: Path, provenance: dict[str, Any]) -> None:
    """neb_HOP.json, .png and _images.extxyz of one band, and a summary on the terminal."""
    from sselab.report.transport import PAPER_NEB_LABEL, paper_neb_barrier_eV
    from sselab.transport.neb import profile_figure, write_images

    paper = paper_neb_barrier_eV()
    summary = {**result.summary(), **provenance, "paper_cineb_barrier_eV": paper}
    Path(f"{stem}.json").write_text(json.dumps(summary, indent=2))
    profile_figure(result, reference_eV=paper, reference_label=PAPER_NEB_LABEL).savefig(
        f"{stem}.png", dpi=120, bbox_inches="tight"
    )
    write_images(result, f"{stem}_images.extxyz")
    barrier = result.barrier_eV
    error = f" ± {barrier.error:.2g}" if barrier.known else ""
    typer.echo(f"{result.hop} in {formula} with {result.model}")
    typer.echo(f"barrier      {barrier.value:.3f}{error} eV (paper CI-NEB {paper:.2f} eV)")
    typer.echo(f"reverse      {result.reverse_barrier_eV.value:.3f} eV")
    typer.echo(f"reaction dE  {result.reaction_energy_eV:.3f} eV")
    typer.echo(f"converged    {result.converged} ({result.n_steps} steps, {result.n_atoms} atoms)")
    typer.echo(f"wrote {stem}.json, {stem}.png and {stem}_images.extxyz")


def _write_distribution(
    distribution: BarrierDistribution, stem: Path, provenance: dict[str, Any]
) -> None:
    """neb_distribution.json and .png of the knock-off barriers, and a terminal table."""
    from sselab.report.transport import PAPER_NEB_LABEL, paper_neb_barrier_eV
    from sselab.transport.neb import distribution_figure

    paper = paper_neb_barrier_eV()
    summary = {**distribution.as_dict(), **provenance, "paper_cineb_barrier_eV": paper}
    Path(f"{stem}.json").write_text(json.dumps(summary, indent=2))
    distribution_figure(distribution, paper, PAPER_NEB_LABEL).savefig(
        f"{stem}.png", dpi=120, bbox_inches="tight"
    )
    typer.echo(
        f"knock-off barriers in {distribution.formula} ({distribution.n_atoms} atoms) "
        f"with {distribution.model}"
    )
    for event in distribution.events:
        barrier = event.barrier_eV
        shown = f"no band ({event.note})" if barrier is None else barrier.format()
        flag = "" if event.converged or barrier is None else " (not converged)"
        typer.echo(f"  via {event.environment:<5} 8c: {shown}{flag}")
    counts = ", ".join(f"{k} {v}" for k, v in distribution.events_per_environment.items())
    typer.echo(f"events in the cell: {counts}")
    typer.echo(f"paper CI-NEB {paper:.2f} eV (path not stated)")
    typer.echo(f"wrote {stem}.json and {stem}.png")


def register(app: typer.Typer) -> None:
    """Add ``sselab neb`` to the root app."""
    app.command("neb")(neb_command)
