"""CLI command ``sselab bvse``: BVSE percolation barriers, named paths, .cube and figure."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sselab.cli.errors import fail
from sselab.cli.options import MaxMemoryOption, OutOption
from sselab.structures import StructureFileError


def bvse_command(
    file: Path = typer.Argument(
        ..., help="Structure file (CIF, POSCAR, extxyz); may be disordered."
    ),
    mobile: str = typer.Option(
        "Li", "--mobile", help="Mobile element (softBV cation, e.g. Li, Na)."
    ),
    resolution: float = typer.Option(0.1, "--resolution", help="Grid spacing (Å)."),
    convention: str = typer.Option(
        "softbv",
        "--convention",
        help="softbv (published model) or paper (Morse scale calibrated to Yu et al.'s Li2S).",
    ),
    hop: list[str] = typer.Option(
        [], "--hop", help="Antifluorite path to resolve: 8c-4b-8c or 8c-24e-8c (repeatable)."
    ),
    chgcar: bool = typer.Option(
        False, "--chgcar", help="Also write a VASP CHGCAR of the landscape."
    ),
    max_memory_gb: MaxMemoryOption = None,
    out: OutOption = Path("out/bvse"),
) -> None:
    """Bond-valence site energy landscape: 1D/2D/3D percolation barriers (eV)."""
    from sselab.structures import read_structure
    from sselab.transport.antifluorite_sites import antifluorite_hop
    from sselab.transport.bvse import (
        BVSEParameterError,
        landscape_figure,
        minimum_energy_path,
        percolation_barriers,
        write_chgcar,
        write_cube,
    )

    try:
        structure = read_structure(file)
        result = percolation_barriers(
            structure,
            mobile,
            resolution,
            convention,
            progress=True,
            max_memory_gb=max_memory_gb,
        )
        landscape = result.landscape
        assert landscape is not None  # computed here, not a store lookup
        paths = [
            minimum_energy_path(landscape, antifluorite_hop(structure, h, mobile), hop=h)
            for h in hop
        ]
    except (StructureFileError, BVSEParameterError, ValueError) as exc:
        fail(str(exc))
    typer.echo(f"{result.formula}: {mobile} BVSE ({convention}), grid {result.grid_shape}")
    for dim, barrier in zip(
        ("1D", "2D", "3D"),
        (result.barrier_1d_eV, result.barrier_2d_eV, result.barrier_3d_eV),
        strict=True,
    ):
        typer.echo(f"{dim} percolation barrier  {barrier.format()}")
    for path in paths:
        typer.echo(
            f"{path.hop:10s} barrier {path.barrier_eV.value:.3f} eV "
            f"({path.barrier_from_start_eV.value:.3f} eV from the start site)"
        )
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "file": str(file),
        **result.as_dict(),
        "paths": [p.as_dict() for p in paths],
    }
    (out / "bvse.json").write_text(json.dumps(payload, indent=2))
    write_cube(landscape, out / "bvse.cube")
    written = ["bvse.json", "bvse.cube", "bvse.png"]
    if chgcar:
        write_chgcar(landscape, out / "CHGCAR")
        written.append("CHGCAR")
    figure = landscape_figure(landscape, profile=paths[0] if paths else None)
    figure.savefig(out / "bvse.png", dpi=120, bbox_inches="tight")
    typer.echo(f"wrote {', '.join(str(out / name) for name in written)}")


def register(app: typer.Typer) -> None:
    """Add ``sselab bvse`` to the root app."""
    app.command("bvse")(bvse_command)
