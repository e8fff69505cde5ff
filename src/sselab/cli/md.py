"""CLI commands of the MD transport stage: ``sselab md`` and ``sselab diffusion``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import DeviceOption, MaxMemoryOption, ModelOption, OutOption
from sselab.structures import StructureFileError
from sselab.transport.md import ResumeError
from sselab.transport.trajectory import TrajectoryError

if TYPE_CHECKING:
    from sselab.transport.study import TransportStudy

_TIME_UNITS_PS = {"fs": 1e-3, "ps": 1.0, "ns": 1e3}


def parse_time_ps(text: str) -> float:
    """A duration such as ``50ps``, ``500 fs``, ``0.05ns`` or ``20`` (ps) in ps.

    Example:
        >>> parse_time_ps("50ps"), parse_time_ps("500fs"), parse_time_ps("2")
        (50.0, 0.5, 2.0)
    """
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(fs|ps|ns)?\s*", text)
    if match is None:
        raise ValueError(f"cannot read the time '{text}' (use e.g. 50ps, 500fs, 0.05ns)")
    try:
        value = float(match.group(1)) * _TIME_UNITS_PS[match.group(2) or "ps"]
    except ValueError as exc:
        raise ValueError(f"cannot read the time '{text}': {exc}") from exc
    if not value > 0:
        raise ValueError(f"the time '{text}' must be positive")
    return value


def _temperatures(first: list[float], extra: list[str]) -> list[float]:
    """``--temps 600 800 1000``: click gives the first value, the rest arrive as extra args."""
    temps = list(first)
    for item in extra:
        try:
            temps.append(float(item))
        except ValueError:
            fail(f"unexpected argument '{item}' (temperatures must be numbers in K)")
    if any(t <= 0 for t in temps):
        fail(f"temperatures must be positive, got {temps}")
    return temps


def _echo_study(study: TransportStudy, out: Path) -> None:
    from sselab.report.transport import transport_table

    header, rows = transport_table(study)
    typer.echo(" | ".join(header))
    for row in rows:
        typer.echo(" | ".join(str(v) for v in row))
    if study.arrhenius is not None:
        ea = study.arrhenius.fit.activation_energy_eV
        sigma = study.arrhenius.sigma_S_per_cm
        interval = f" (95 %: {sigma.ci95[0]:.2g} to {sigma.ci95[1]:.2g})" if sigma.ci95 else ""
        typer.echo(
            f"Ea = {ea.format()}; sigma({study.arrhenius.temperature_K:g} K) = "
            f"{sigma.value:.3g} S/cm{interval}"
        )
    if study.note:
        typer.echo(study.note)
    typer.echo(f"wrote {out / 'transport.json'} and figures in {out}")


def md_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Structure file (CIF, POSCAR); disorder is ordered."),
    temps: list[float] = typer.Option(
        [600.0, 800.0, 1000.0, 1200.0], "--temps", help="Temperatures in K: --temps 600 800 1000"
    ),
    time: str = typer.Option("50ps", "--time", help="Production time per temperature (50ps)."),
    equilibration: str = typer.Option("5ps", help="Equilibration time, excluded from analysis."),
    timestep_fs: float = typer.Option(2.0, "--timestep", help="MD time step (fs)."),
    frame_interval: int = typer.Option(10, help="Store a frame every this many steps."),
    checkpoint_interval: int = typer.Option(1000, help="Checkpoint every this many steps."),
    model: ModelOption = DEFAULT_MODEL,
    supercell: tuple[int, int, int] = typer.Option((2, 2, 2), help="Supercell repetitions a b c."),
    relax: bool = typer.Option(True, help="Relax the ordered cell with the MLIP first."),
    seed: int = typer.Option(0, help="Seed of the ordering and of the initial velocities."),
    device: DeviceOption = "auto",
    workers: int = typer.Option(1, help="Temperatures run in parallel (processes)."),
    resume: bool = typer.Option(False, "--resume", help="Continue runs from their checkpoints."),
    maps: bool = typer.Option(True, help="Van Hove and density maps of the run nearest 900 K."),
    engine: str = typer.Option(
        "ase", help="ase: one run per temperature; batched: all temperatures in lock step."
    ),
    npt: str = typer.Option("0ps", help="NPT time per temperature before NVT (a(T)); 0: none."),
    rule: str = typer.Option(
        "blocks",
        help="D fit: blocks (long runs) or fraction (short runs, window fixed in advance).",
    ),
    max_memory_gb: MaxMemoryOption = None,
    out: OutOption = Path("out/md"),
) -> None:
    """NPT (optional) then NVT MD at several temperatures, diffusion, sigma and Arrhenius."""
    from sselab.structures import read_structure
    from sselab.transport.batched import Replica, run_md_batch
    from sselab.transport.md import prepare_md_cell, run_md, run_md_temperatures
    from sselab.transport.study import analyze_and_write, npt_cell
    from sselab.transport.trajectory import read_trajectory

    temperatures = _temperatures(temps, ctx.args)
    if engine not in ("ase", "batched"):
        fail(f"--engine must be 'ase' or 'batched', got '{engine}'")
    if rule not in ("blocks", "fraction"):
        fail(f"--rule must be 'blocks' or 'fraction', got '{rule}'")
    try:
        time_ps, equilibration_ps = parse_time_ps(time), parse_time_ps(equilibration)
        npt_ps = 0.0 if npt.strip() in ("0", "0ps", "0fs") else parse_time_ps(npt)
        structure = read_structure(file)
        cell = prepare_md_cell(structure, supercell, seed, calculator=model if relax else None)
        out.mkdir(parents=True, exist_ok=True)
        cell.to(filename=str(out / "md_cell.cif"))
        cells = {t: npt_cell(cell, t, 0, out, model, device, npt_ps) for t in temperatures}
        md_args: dict[str, Any] = {
            "time_ps": time_ps,
            "timestep_fs": timestep_fs,
            "equilibration_ps": equilibration_ps,
            "frame_interval_steps": frame_interval,
            "checkpoint_interval_steps": checkpoint_interval,
            "device": device,
            "resume": resume,
            "max_memory_gb": max_memory_gb,
        }
        if engine == "batched" or npt_ps > 0:
            replicas = [Replica(cells[t], t, seed, f"md_{t:g}K") for t in temperatures]
            if engine == "batched":
                runs = run_md_batch(replicas, out, model, **md_args)
            else:
                runs = [
                    run_md(
                        r.structure, r.temperature_K, out, seed=seed, calculator=model, **md_args
                    )
                    for r in replicas
                ]
        elif workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=workers) as pool:
                runs = run_md_temperatures(
                    cell, temperatures, out, executor=pool, seed=seed, calculator=model, **md_args
                )
        else:
            runs = run_md_temperatures(
                cell, temperatures, out, seed=seed, calculator=model, **md_args
            )
        md = [{**r.as_dict(), "n_atoms": len(cell)} for r in runs]
        (out / "md.json").write_text(json.dumps(md, indent=2))
        trajectories = [
            read_trajectory(r.trajectory_path, max_memory_gb=max_memory_gb) for r in runs
        ]
        study, _ = analyze_and_write(trajectories, out, md=md, with_maps=maps, rule=rule)
    except (
        StructureFileError,
        ModelUnavailableError,
        ResumeError,
        TrajectoryError,
        FileExistsError,
        ValueError,
    ) as exc:
        fail(str(exc))
    for run in runs:
        speed = "-" if run.ps_per_day is None else f"{run.ps_per_day:.1f}"
        mean_t = "-" if run.mean_temperature_K is None else f"{run.mean_temperature_K:.0f}"
        typer.echo(
            f"{run.temperature_K:g} K: {run.n_frames} frames, {speed} ps/day, "
            f"<T> = {mean_t} K -> {run.trajectory_path}"
        )
    _echo_study(study, out)


def diffusion_command(
    trajectories: list[Path] = typer.Argument(
        ..., help="Trajectories, one per temperature: sselab .h5, ASE .traj or XDATCAR."
    ),
    species: str = typer.Option("Li", help="Mobile species."),
    blocks: int = typer.Option(5, help="Blocks for the error bars (>= 3)."),
    frame_interval_fs: float | None = typer.Option(
        None, help="Time between frames in fs (required for .traj and XDATCAR)."
    ),
    temperature: list[float] = typer.Option(
        [], help="Temperature in K of each non-sselab trajectory (repeat, in order)."
    ),
    fit_window: tuple[float, float] | None = typer.Option(
        None, help="MSD fit window T0 T1 in ps (default: [t_block/10, t_block/2])."
    ),
    keep_subdiffusive: bool = typer.Option(
        False, help="Fit Arrhenius also on runs whose MSD is not linear in the window."
    ),
    maps: bool = typer.Option(True, help="Van Hove and density maps of the run nearest 900 K."),
    rule: str = typer.Option(
        "blocks",
        help="blocks, or fraction: window [0.2 t, 0.5 t] fixed in advance, runs at one T pooled.",
    ),
    max_memory_gb: MaxMemoryOption = None,
    out: OutOption = Path("out/diffusion"),
) -> None:
    """D, D_x/y/z, sigma and Haven ratio per temperature; Arrhenius Ea and sigma(300 K)."""
    from sselab.transport.study import analyze_and_write
    from sselab.transport.trajectory import read_trajectory

    if rule not in ("blocks", "fraction"):
        fail(f"--rule must be 'blocks' or 'fraction', got '{rule}'")
    if temperature and len(temperature) != len(trajectories):
        fail(f"{len(temperature)} --temperature values for {len(trajectories)} trajectories")
    try:
        loaded = [
            read_trajectory(
                path,
                frame_interval_fs=frame_interval_fs,
                temperature_K=temperature[i] if temperature else None,
                max_memory_gb=max_memory_gb,
            )
            for i, path in enumerate(trajectories)
        ]
        missing = [str(p) for p, t in zip(trajectories, loaded, strict=True) if not t.temperature_K]
        if missing:
            raise TrajectoryError(f"no temperature known for {missing}; pass --temperature")
        study, _ = analyze_and_write(
            loaded,
            out,
            species=species,
            n_blocks=blocks,
            with_maps=maps,
            fit_window_ps=fit_window,
            require_diffusive=not keep_subdiffusive,
            rule=rule,
        )
    except (TrajectoryError, ValueError) as exc:
        fail(str(exc))
    _echo_study(study, out)


def register(app: typer.Typer) -> None:
    """Add the MD transport commands to the root app."""
    extra_temperatures = {"allow_extra_args": True}
    app.command("md", context_settings=extra_temperatures)(md_command)
    app.command("diffusion")(diffusion_command)
