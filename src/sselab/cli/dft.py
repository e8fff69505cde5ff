"""CLI commands ``sselab dft single|relax|dos FILE``: GPAW plane-wave PAW (PBE) jobs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sselab.calculators.paw import PawSettings
from sselab.cli.errors import fail
from sselab.cli.options import OutOption, StoreOption
from sselab.store import DEFAULT_STORE_PATH

if TYPE_CHECKING:
    from pymatgen.core import Structure

dft_app = typer.Typer(
    help="First-principles DFT with GPAW (plane-wave PAW, PBE): single point, relax, DOS.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path, typer.Argument(help="Ordered structure file (CIF, POSCAR, extxyz, JSON).")
]
CutoffOption = Annotated[float, typer.Option("--cutoff", help="Plane-wave cutoff (eV).")]
KDensityOption = Annotated[
    float, typer.Option("--kdensity", help="k-points per Å⁻¹ (Γ-centred Monkhorst-Pack).")
]
XcOption = Annotated[str, typer.Option("--xc", help="Functional: PBE or GLLBSC.")]
ThreadsOption = Annotated[
    int, typer.Option("--threads", help="BLAS threads of this job (one job per core: 1).")
]
NoSymmetryOption = Annotated[
    bool, typer.Option("--no-symmetry", help="Switch GPAW's k-point symmetry reduction off.")
]
CheckpointOption = Annotated[
    Path, typer.Option("--checkpoint-dir", help="Folder of .gpw / trajectory checkpoints.")
]


FUNCTIONALS = ("PBE", "GLLBSC")


def _settings(
    cutoff: float, kdensity: float, xc: str, threads: int, no_symmetry: bool
) -> PawSettings:
    if xc.upper() not in FUNCTIONALS:
        fail(f"--xc {xc}: not one of {', '.join(FUNCTIONALS)}")
    if cutoff <= 0 or kdensity <= 0 or threads < 1:
        fail(f"--cutoff {cutoff:g}, --kdensity {kdensity:g}, --threads {threads}: must be positive")
    return PawSettings(
        xc=xc.upper(),
        cutoff_eV=cutoff,
        kpoint_density_per_inv_angstrom=kdensity,
        symmetry=not no_symmetry,
        threads=threads,
    )


def _read(file: Path) -> Structure:
    from sselab.structures import StructureFileError, read_structure

    try:
        structure = read_structure(file)
    except StructureFileError as exc:
        fail(str(exc))
    if not structure.is_ordered:
        fail(f"{file} has partial occupancies; DFT needs an ordered cell (sselab relax first)")
    return structure


class _EchoHandler(logging.Handler):
    """Log records through typer.echo, so they follow whatever stream the CLI writes to."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(self.format(record), err=True)


def _progress() -> None:
    """Ionic steps (and, with --verbose, SCF steps) on the terminal."""
    dft_logger = logging.getLogger("sselab.dft")
    if not any(isinstance(h, _EchoHandler) for h in dft_logger.handlers):
        dft_logger.addHandler(_EchoHandler())
        dft_logger.propagate = False
    verbose = logging.getLogger().level <= logging.INFO  # sselab -v
    dft_logger.setLevel(logging.DEBUG if verbose else logging.INFO)


def _run_job(
    file: Path, store: Path, checkpoint_dir: Path, job: Any, settings: PawSettings, *args: Any
) -> Any:
    """Read the cell, show progress, and run ``job(structure, settings, *args, store, dir)``."""
    from gpaw import ConvergenceError

    from sselab.store import ResultStore

    structure = _read(file)
    _progress()
    with ResultStore(store) as results:
        try:
            return job(structure, settings, *args, results, checkpoint_dir)
        except ConvergenceError as exc:
            fail(
                f"{file}: GPAW's SCF did not converge ({exc}); check the structure (atoms too "
                "close, a metal needing more smearing) or retry with --no-symmetry"
            )
        except MemoryError:
            fail(
                f"{file}: GPAW ran out of memory at {settings.cutoff_eV:g} eV and "
                f"{settings.kpoint_density_per_inv_angstrom:g} k-points/Å⁻¹; lower --cutoff or "
                "--kdensity, or use a larger machine"
            )


def _write(out: Path, name: str, payload: dict[str, object]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2))
    return path


@dft_app.command("single")
def single_command(
    file: FileArgument,
    cutoff: CutoffOption = 900.0,
    kdensity: KDensityOption = 3.5,
    xc: XcOption = "PBE",
    threads: ThreadsOption = 1,
    no_symmetry: NoSymmetryOption = False,
    store: StoreOption = DEFAULT_STORE_PATH,
    checkpoint_dir: CheckpointOption = Path("out/dft/checkpoints"),
    out: OutOption = Path("out/dft"),
) -> None:
    """Energy, forces, stress and Kohn-Sham gap at the given geometry."""
    from sselab.dft import dft_single_point

    settings = _settings(cutoff, kdensity, xc, threads, no_symmetry)
    result = _run_job(file, store, checkpoint_dir, dft_single_point, settings)
    path = _write(out, f"single_{file.stem}", result.as_dict())
    typer.echo(f"{result.formula} ({result.n_atoms} atoms) {result.settings.label()}")
    typer.echo(f"energy     {result.energy_per_atom_eV:.5f} eV/atom")
    typer.echo(f"pressure   {result.pressure_GPa:+.2f} GPa")
    typer.echo(f"max force  {result.max_force_eV_per_angstrom:.3f} eV/Å")
    typer.echo(f"gap        {result.band_gap_eV:.2f} eV on the {result.kpoint_grid} grid")
    typer.echo(f"wrote {path}")


@dft_app.command("relax")
def relax_command(
    file: FileArgument,
    cell: Annotated[
        str, typer.Option("--cell", help="volume (shape kept), full, or fixed.")
    ] = "volume",
    fmax: Annotated[float, typer.Option("--fmax", help="Force threshold (eV/Å).")] = 0.02,
    max_steps: Annotated[int, typer.Option("--max-steps", help="BFGS step limit.")] = 60,
    cutoff: CutoffOption = 900.0,
    kdensity: KDensityOption = 3.5,
    threads: ThreadsOption = 1,
    no_symmetry: NoSymmetryOption = False,
    store: StoreOption = DEFAULT_STORE_PATH,
    checkpoint_dir: CheckpointOption = Path("out/dft/checkpoints"),
    out: OutOption = Path("out/dft"),
) -> None:
    """Relax positions (and volume or the whole cell); a killed run resumes when rerun."""
    from sselab.dft import DftRelaxSettings, dft_relax

    if cell not in ("volume", "full", "fixed"):
        fail(f"--cell '{cell}' unknown; choose volume, full or fixed")
    relax_settings = DftRelaxSettings(
        cell=cell,  # type: ignore[arg-type]
        fmax_eV_per_angstrom=fmax,
        max_steps=max_steps,
    )
    settings = _settings(cutoff, kdensity, "PBE", threads, no_symmetry)
    result = _run_job(file, store, checkpoint_dir, dft_relax, settings, relax_settings)
    path = _write(out, f"relax_{file.stem}", result.as_dict())
    cif = out / f"relax_{file.stem}.cif"
    result.final.structure.to(filename=str(cif))
    abc = ", ".join(f"{v:.4f}" for v in result.abc_angstrom)
    typer.echo(f"{result.final.formula}: a, b, c = {abc} Å, V = {result.volume_angstrom3:.2f} Å³")
    typer.echo(f"energy     {result.final.energy_per_atom_eV:.5f} eV/atom")
    typer.echo(f"pressure   {result.final.pressure_GPa:+.2f} GPa")
    typer.echo(f"converged  {result.converged} ({result.n_steps} steps)")
    typer.echo(f"wrote {path} and {cif}")


@dft_app.command("dos")
def dos_command(
    file: FileArgument,
    cutoff: CutoffOption = 900.0,
    kdensity: KDensityOption = 3.5,
    xc: XcOption = "PBE",
    threads: ThreadsOption = 1,
    no_symmetry: NoSymmetryOption = False,
    store: StoreOption = DEFAULT_STORE_PATH,
    checkpoint_dir: CheckpointOption = Path("out/dft/checkpoints"),
    out: OutOption = Path("out/dft"),
) -> None:
    """Band gap (SCF grid and band path), DOS and projected DOS; writes JSON and a figure."""
    from sselab.dft.electronic import electronic_structure
    from sselab.dft.figures import dos_figure

    settings = _settings(cutoff, kdensity, xc, threads, no_symmetry)
    result = _run_job(file, store, checkpoint_dir, electronic_structure, settings)
    path = _write(out, f"dos_{file.stem}", result.as_dict())
    figure = out / f"dos_{file.stem}.png"
    dos_figure([result]).savefig(figure, dpi=120, bbox_inches="tight")
    typer.echo(f"{result.formula} {result.xc}: gap {result.band_gap_eV:.2f} eV")
    typer.echo(f"  VBM at k = {result.vbm_kpoint}, CBM at k = {result.cbm_kpoint}")
    typer.echo(f"  direct gap {result.direct_gap_eV:.2f} eV")
    if result.quasiparticle_gap_eV is not None:
        typer.echo(
            f"  GLLB-SC quasiparticle gap {result.quasiparticle_gap_eV:.2f} eV "
            f"(KS {result.band_gap_eV:.2f} + Δxc {result.derivative_discontinuity_eV:.2f})"
        )
    typer.echo(f"wrote {path} and {figure}")


def register(app: typer.Typer) -> None:
    """Add ``sselab dft`` to the root app."""
    app.add_typer(dft_app, name="dft")
