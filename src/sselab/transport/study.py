"""Transport studies: analyse MD runs over temperatures, write their numbers and figures.

A :class:`TransportStudy` bundles the per-temperature :class:`DiffusionResult` of one
system with its Arrhenius analysis (Ea, D and sigma at 300 K). It is what the
``sselab diffusion`` command writes (:func:`analyze_and_write`), what
:func:`run_transport_study` (MD + analysis in one call, for the reproduce profiles)
returns, and what ``sselab.report.transport`` compares with the paper.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from matplotlib.figure import Figure
from pymatgen.core import Structure

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.analysis import (
    SIGMA_UNIT,
    ArrheniusSummary,
    DiffusionResult,
    analyze_diffusion,
    analyze_replicas,
    arrhenius_from_results,
    nernst_einstein_sigma,
)
from sselab.transport.batched import Replica, run_md_batch
from sselab.transport.density import ProbabilityDensity, density_figure, probability_density
from sselab.transport.md import Executor, MDRun, run_md, run_md_temperatures
from sselab.transport.mechanism import MechanismResult, hop_mechanisms
from sselab.transport.npt import NPTResult, equilibrate_npt
from sselab.transport.trajectory import Trajectory, TrajectoryError, read_trajectory
from sselab.transport.vanhove import VanHoveResult, van_hove, van_hove_figure
from sselab.units import BOLTZMANN_EV_PER_K, T_300K

# Van Hove and density maps are made of the run nearest this temperature, the one of
# the seed paper's Fig. 4c/4d.
MAPS_TEMPERATURE_K = 900.0


@dataclass
class TransportStudy(RoundTrip):
    """Diffusion of one species in one system at several temperatures.

    Attributes:
        species: mobile species.
        results: one :class:`DiffusionResult` per trajectory, sorted by temperature.
        arrhenius: Arrhenius fit of tracer D(T) with extrapolation to 300 K (None with
            fewer than two temperatures of positive D).
        note: why the Arrhenius fit is missing or which runs it left out.
        md: per-run MD facts (model, wall time, atom-steps/s) when the study ran the MD.
        mechanisms: hop mechanisms of the first replica at each temperature
            (:func:`sselab.transport.mechanism.hop_mechanisms`; empty when the cell is
            not an antifluorite supercell).
    """

    species: str
    results: list[DiffusionResult]
    arrhenius: ArrheniusSummary | None
    note: str = ""
    md: list[dict[str, Any]] = field(default_factory=list)
    mechanisms: list[MechanismResult] = field(default_factory=list)

    def summary(self, curve_points: int = 200) -> dict[str, Any]:
        """:meth:`as_dict` with each run's curves subsampled (``DiffusionResult.summary``)."""
        return {**self.as_dict(), "results": [r.summary(curve_points) for r in self.results]}


def study_from_results(
    results: Sequence[DiffusionResult],
    md: Sequence[dict[str, Any]] = (),
    require_diffusive: bool = True,
) -> TransportStudy:
    """Sort runs by temperature and fit Arrhenius on the runs that show diffusion.

    A run enters the fit when its tracer D is positive and, with ``require_diffusive``,
    its MSD is linear in the fit window (log-log slope 0.8-1.25): a D read off the
    ballistic or cage regime of a too-short run would bias Ea without any warning.
    Runs left out are named in ``note``.

    Example:
        >>> study = study_from_results([res600, res800, res1000])  # doctest: +SKIP
        >>> study.arrhenius.fit.activation_energy_eV.value  # doctest: +SKIP
        0.29
    """
    if not results:
        raise ValueError("no diffusion results to combine")
    if len({r.species for r in results}) != 1:
        raise ValueError("the results mix species; make one study per species")
    ordered = sorted(results, key=lambda r: r.temperature_K)
    temps = [r.temperature_K for r in ordered]
    if len(set(temps)) != len(temps):
        raise ValueError(f"two trajectories at the same temperature: {temps}")
    notes = []
    no_hops = [
        r for r in ordered if not (r.D_cm2_per_s.value > 0 and (r.D_cm2_per_s.error or 0) > 0)
    ]
    if no_hops:
        notes.append(
            f"left out of the Arrhenius fit (D <= 0, no diffusion): "
            f"{[r.temperature_K for r in no_hops]} K."
        )
    sub = [r for r in ordered if require_diffusive and not r.diffusive and r not in no_hops]
    by_slope = [r.temperature_K for r in sub if r.diffusive_check is None]
    if by_slope:
        notes.append(
            "left out of the Arrhenius fit (MSD not linear in the fit window, log-log slope "
            f"outside 0.8-1.25; run longer or move the window): {by_slope} K."
        )
    for r in sub:
        if r.diffusive_check is not None:
            notes.append(
                f"left out of the Arrhenius fit: [{r.temperature_K}] K not diffusive by the "
                f"fraction rule ({r.diffusive_note})."
            )
    usable = [r for r in ordered if r not in no_hops and r not in sub]
    arrhenius = None
    if len(usable) >= 2:
        arrhenius = arrhenius_from_results(usable)
    else:
        notes.append("fewer than two temperatures with diffusion: no Arrhenius fit.")
    return TransportStudy(ordered[0].species, list(ordered), arrhenius, " ".join(notes), list(md))


def format_estimate(estimate: Estimate | None, digits: int = 3) -> str:
    """``"value ± error"`` with ``digits`` significant digits (for D and sigma, e-notation).

    Example:
        >>> format_estimate(Estimate.normal(1.234e-5, 2.1e-7, "cm^2/s"))
        '1.23e-05 ± 2.1e-07'
        >>> format_estimate(None)
        '-'
    """
    if estimate is None:
        return "-"
    if estimate.error is None:
        return f"{estimate.value:.{digits}g}"
    return f"{estimate.value:.{digits}g} ± {estimate.error:.2g}"


def msd_figure(study: TransportStudy) -> Figure:
    """Tracer MSD vs lag time for every temperature, fit windows marked.

    Example:
        >>> msd_figure(study).savefig("msd.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    for result in study.results:
        line = ax.plot(
            result.lag_ps,
            result.msd_angstrom2,
            label=f"{result.temperature_K:g} K, D = {format_estimate(result.D_cm2_per_s, 2)} cm²/s",
        )[0]
        lo, hi = result.fit_window_ps
        inside = (result.lag_ps >= lo) & (result.lag_ps <= hi)
        ax.plot(
            result.lag_ps[inside],
            result.msd_angstrom2[inside],
            lw=4,
            alpha=0.35,
            color=line.get_color(),
        )
    ax.set_xlabel("lag time (ps)")
    ax.set_ylabel(f"{study.species} tracer MSD (Å²)")
    ax.set_title("MSD over all time origins (thick: fitted window)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


@dataclass(frozen=True)
class ReferenceConductivity:
    """A conductivity from elsewhere (literature, experiment) to draw on the Arrhenius figure.

    Attributes:
        label: legend text.
        sigma_S_per_cm: the conductivity in S/cm.
        temperature_K: where it was measured or extrapolated to.
        activation_energy_eV: when given, an Arrhenius line (sigma T) through the point.
        marker: matplotlib marker and colour, e.g. "k*" or "rs".
    """

    label: str
    sigma_S_per_cm: float
    temperature_K: float
    activation_energy_eV: float | None = None
    marker: str = "k*"


def _sigma_ne(study: TransportStudy, d_cm2_per_s: np.ndarray, temps: np.ndarray) -> np.ndarray:
    ref = study.results[0]
    sigma_per_D = [nernst_einstein_sigma(1.0, ref.n_ions, ref.volume_angstrom3, t) for t in temps]
    return np.asarray(sigma_per_D) * d_cm2_per_s


def arrhenius_figure(
    study: TransportStudy, references: Sequence[ReferenceConductivity] = ()
) -> Figure:
    """Nernst-Einstein sigma(T) with the Arrhenius fit and its 95 % band down to 300 K.

    Args:
        study: the study.
        references: other conductivities to draw (e.g. the paper's AIMD and experiment,
            added by ``sselab.report.transport``).

    Example:
        >>> arrhenius_figure(study).savefig("arrhenius.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    temps = np.array([r.temperature_K for r in study.results])
    sigma = np.array([r.sigma_NE_S_per_cm.value for r in study.results])
    errors = np.array([r.sigma_NE_S_per_cm.error or 0.0 for r in study.results])
    shown = sigma > 0
    ax.errorbar(
        1000 / temps[shown],
        sigma[shown],
        yerr=errors[shown],
        fmt="o",
        capsize=3,
        label="sselab MD (Nernst-Einstein)",
    )
    if study.arrhenius is not None:
        fit = study.arrhenius.fit
        grid = np.linspace(T_300K, temps.max(), 100)
        predictions = [fit.predict(t) for t in grid]
        d_mid = np.array([p.value for p in predictions])
        d_lo = np.array([p.ci95[0] if p.ci95 else p.value for p in predictions])
        d_hi = np.array([p.ci95[1] if p.ci95 else p.value for p in predictions])
        ax.plot(
            1000 / grid,
            _sigma_ne(study, d_mid, grid),
            "C0-",
            label=f"fit: Ea = {fit.activation_energy_eV.format()}",
        )
        ax.fill_between(
            1000 / grid,
            _sigma_ne(study, d_lo, grid),
            _sigma_ne(study, d_hi, grid),
            color="C0",
            alpha=0.2,
            label="95 % interval",
        )
    for ref in references:
        if ref.activation_energy_eV is not None:
            grid = np.linspace(ref.temperature_K, max(temps.max(), 1200.0), 50)
            line = (
                ref.sigma_S_per_cm
                * (ref.temperature_K / grid)
                * np.exp(
                    -ref.activation_energy_eV
                    / BOLTZMANN_EV_PER_K
                    * (1 / grid - 1 / ref.temperature_K)
                )
            )
            ax.plot(
                1000 / grid,
                line,
                ref.marker[0] + "--",
                lw=1,
                label=f"{ref.label} (Ea = {ref.activation_energy_eV} eV)",
            )
        ax.plot(1000 / ref.temperature_K, ref.sigma_S_per_cm, ref.marker, ms=10, label=ref.label)
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel(f"{study.species}⁺ conductivity (S/cm)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


@dataclass
class TransportMaps(RoundTrip):
    """Van Hove function and probability density of one trajectory, with their files."""

    van_hove: VanHoveResult
    density: ProbabilityDensity
    files: list[Path]

    def summary(self) -> dict[str, Any]:
        """JSON summary (the full van Hove arrays and the grid are in their own files)."""
        return {
            "temperature_K": self.van_hove.temperature_K,
            "density": self.density.summary(),
            "files": [str(f) for f in self.files],
        }


def transport_maps(
    trajectory: Trajectory,
    out_dir: str | Path,
    species: str = "Li",
    r_max_angstrom: float = 6.0,
    bin_width_angstrom: float = 0.1,
    grid_spacing_angstrom: float = 0.2,
    smearing_angstrom: float = 0.2,
    progress: bool = False,
) -> TransportMaps:
    """Van Hove G_s/G_d and the density of ``species``; writes JSON, PNG, CHGCAR and cube.

    Files in ``out_dir``: ``van_hove_<T>K.json/.png``, ``<species>_density_<T>K.CHGCAR``,
    ``.cube`` and ``.png``.

    Example:
        >>> maps = transport_maps(read_trajectory("md_900K.h5"), "out")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"{trajectory.temperature_K:g}K" if trajectory.temperature_K else "run"
    vh = van_hove(
        trajectory,
        species,
        r_max_angstrom=r_max_angstrom,
        bin_width_angstrom=bin_width_angstrom,
        progress=progress,
    )
    rho = probability_density(trajectory, species, grid_spacing_angstrom, smearing_angstrom)
    vh_json = out / f"van_hove_{tag}.json"
    vh_json.write_text(json.dumps(vh.as_dict()))
    vh_png = out / f"van_hove_{tag}.png"
    van_hove_figure(vh).savefig(vh_png, dpi=120)
    stem = out / f"{species}_density_{tag}"
    chgcar = rho.write_chgcar(stem.with_suffix(".CHGCAR"))
    cube = rho.write_cube(stem.with_suffix(".cube"))
    rho_png = stem.with_suffix(".png")
    density_figure(rho).savefig(rho_png, dpi=120)
    return TransportMaps(vh, rho, [vh_json, vh_png, chgcar, cube, rho_png])


def nearest_temperature(study: TransportStudy, target_K: float = MAPS_TEMPERATURE_K) -> int:
    """Index of the run closest to ``target_K`` (default 900 K, the paper's Fig. 4c/4d).

    Example:
        >>> nearest_temperature(study)  # doctest: +SKIP
        1
    """
    return int(np.argmin([abs(r.temperature_K - target_K) for r in study.results]))


def run_transport_study(
    structure: Structure | Atoms | Sequence[Structure | Atoms],
    temperatures_K: Sequence[float],
    out_dir: str | Path,
    time_ps: float,
    equilibration_ps: float = 1.0,
    model: Calculator | str = "chgnet",
    device: str = "auto",
    frame_interval_steps: int = 5,
    seed: int = 0,
    resume: bool = True,
    executor: Executor | None = None,
    progress: bool = True,
    n_blocks: int = 5,
    fit_window_ps: tuple[float, float] | None = None,
    species: str = "Li",
    seeds_per_temperature: int = 1,
    engine: str = "batched",
    npt_equilibration_ps: float = 0.0,
) -> tuple[TransportStudy, TransportMaps | None]:
    """MD at each temperature, then diffusion analysis and van Hove/density maps.

    This is the transport stage of ``sselab reproduce``: quick profile a 1x1x1 ordered
    cell at three temperatures for a few ps; full profile 2x2x2 cells of several
    orderings, 600-1200 K, >= 100 ps (:data:`FULL_PROFILE`). Resumes by default, so a
    rerun only analyses.

    Every (configuration, temperature, seed) is one replica. With ``engine="batched"``
    (default) all replicas run together (:func:`sselab.transport.batched.run_md_batch`,
    forces of all replicas in one call); ``engine="ase"`` runs the ASE reference path
    one replica after another, or through ``executor``. Analysis: with no
    ``fit_window_ps``, the fraction rule of :func:`sselab.transport.analysis.analyze_replicas`
    (window fixed in advance, replicas at one temperature pooled, diffusive tests, GLS
    errors); with ``fit_window_ps``, block averaging on that window (one configuration
    and seed only).

    Args:
        structure: ordered MD cell (see :func:`sselab.transport.md.prepare_md_cell`), or
            a list of cells of the same composition (configurations, pooled per T).
        temperatures_K: thermostat temperatures in K.
        out_dir: folder for trajectories, checkpoints, maps and ``transport.json``.
        time_ps: production time per replica in ps.
        equilibration_ps: equilibration time in ps, excluded from analysis.
        model: registered MLIP name or an ASE calculator.
        device: "auto", "cpu" or "cuda".
        frame_interval_steps: a frame every this many 2 fs steps.
        seed: velocity seed of the first replica per temperature.
        resume: continue existing runs from their checkpoints.
        executor: optional executor to run temperatures in parallel (ASE engine only).
        progress: progress bars.
        n_blocks: blocks for the error bars with an explicit ``fit_window_ps``.
        fit_window_ps: MSD fit window in ps (default: the fraction rule).
        species: mobile species.
        seeds_per_temperature: independent velocity seeds per configuration and T.
        engine: "batched" or "ase".
        npt_equilibration_ps: with > 0, each configuration first runs this long in NPT
            (:func:`sselab.transport.npt.equilibrate_npt`, ASE, 0 GPa) at each
            temperature and NVT runs at that mean volume (a(T) in ``npt_<T>K.json``,
            reused on a rerun); 0 keeps the input (0 K) volume.

    Returns:
        (study, maps of the run nearest 900 K).

    Example:
        >>> from sselab.transport.md import prepare_md_cell
        >>> from sselab.structures import antifluorite
        >>> cell = prepare_md_cell(antifluorite(0.5), (1, 1, 1))
        >>> study, maps = run_transport_study(cell, [800, 1200], "out/md", 2.0)  # doctest: +SKIP
    """
    if engine not in ("batched", "ase"):
        raise ValueError(f"engine must be 'batched' or 'ase', got {engine!r}")
    configurations = [structure] if isinstance(structure, Structure | Atoms) else list(structure)
    cells = {
        (c, float(t)): npt_cell(cell, float(t), c, out_dir, model, device, npt_equilibration_ps)
        for c, cell in enumerate(configurations)
        for t in temperatures_K
    }
    replicas = [
        Replica(
            cells[c, float(t)],
            float(t),
            seed + k,
            _replica_name(float(t), seed + k, c, len(configurations)),
        )
        for c in range(len(configurations))
        for t in temperatures_K
        for k in range(seeds_per_temperature)
    ]
    md_args: dict[str, Any] = {
        "time_ps": time_ps,
        "equilibration_ps": equilibration_ps,
        "frame_interval_steps": frame_interval_steps,
        "checkpoint_interval_steps": 50 * frame_interval_steps,
        "resume": resume,
        "progress": progress,
    }
    start = time.perf_counter()
    if engine == "batched":
        runs = run_md_batch(replicas, out_dir, model, device, **md_args)
    else:
        runs = _run_ase_replicas(replicas, out_dir, model, device, executor, md_args)
    wall_s = time.perf_counter() - start
    md = [
        {
            **run.as_dict(),
            "engine": engine,
            "n_atoms": len(replica.structure),
            "n_replicas_in_batch": len(replicas) if engine == "batched" else 1,
            "atom_steps_per_s": (
                sum(len(r.structure) for r in replicas) * run.steps_this_call / run.wall_s
                if engine == "batched" and run.wall_s
                else len(replica.structure) * run.steps_this_call / run.wall_s
                if run.wall_s
                else None
            ),
            "total_wall_s": wall_s,
        }
        for replica, run in zip(replicas, runs, strict=True)
    ]
    trajectories = [read_trajectory(run.trajectory_path) for run in runs]
    rule = "blocks" if fit_window_ps is not None else "fraction"
    if rule == "blocks" and len(replicas) != len(temperatures_K):
        raise ValueError("an explicit fit_window_ps analyses one run per temperature")
    return analyze_and_write(
        trajectories, out_dir, species, n_blocks, md, fit_window_ps=fit_window_ps, rule=rule
    )


def _mechanisms(
    trajectories: Sequence[Trajectory], results: Sequence[DiffusionResult], species: str
) -> list[MechanismResult]:
    """Hop mechanisms per temperature; none for a cell that is no antifluorite supercell."""
    by_temperature = {r.temperature_K: r for r in results}
    mechanisms = []
    for trajectory in trajectories:
        try:
            mechanisms.append(
                hop_mechanisms(
                    trajectory, species, by_temperature.get(float(trajectory.temperature_K or 0))
                )
            )
        except TrajectoryError:
            return []
    return mechanisms


def npt_cell(
    cell: Structure | Atoms,
    temperature_K: float,
    configuration: int,
    out_dir: str | Path,
    model: Calculator | str,
    device: str,
    npt_ps: float,
) -> Structure | Atoms:
    """The cell at its NPT volume at ``temperature_K``; ``npt_ps <= 0`` returns ``cell``.

    The :class:`sselab.transport.npt.NPTResult` is stored as
    ``out_dir/npt_<T>K_c<configuration>.json`` and reused by a rerun.

    Example:
        >>> npt_cell(cell, 1000.0, 0, "out/md", "chgnet", "auto", 10.0)  # doctest: +SKIP
    """
    if npt_ps <= 0:
        return cell
    path = Path(out_dir) / f"npt_{temperature_K:g}K_c{configuration}.json"
    if path.exists():
        return NPTResult.from_dict(json.loads(path.read_text())).structure
    path.parent.mkdir(parents=True, exist_ok=True)
    result = equilibrate_npt(cell, temperature_K, model, time_ps=npt_ps, device=device)
    path.write_text(json.dumps(result.as_dict()))
    return result.structure


def _replica_name(temperature_K: float, seed: int, configuration: int, n_configs: int) -> str:
    """``md_<T>K`` for the first seed of a single configuration, then ``_s<seed>``/``_c<i>``."""
    name = f"md_{temperature_K:g}K"
    if n_configs > 1:
        name += f"_c{configuration}"
    return name + (f"_s{seed}" if seed else "")


def _run_ase_replicas(
    replicas: Sequence[Replica],
    out_dir: str | Path,
    model: Calculator | str,
    device: str,
    executor: Executor | None,
    md_args: dict[str, Any],
) -> list[MDRun]:
    """Each replica through the ASE reference path, in its own folder when names clash."""
    simple = all(r.stem == f"md_{r.temperature_K:g}K" for r in replicas)
    if simple:
        return run_md_temperatures(
            replicas[0].structure,
            [r.temperature_K for r in replicas],
            out_dir,
            executor=executor,
            seed=replicas[0].seed,
            calculator=model,
            device=device,
            **md_args,
        )
    runs = []
    for replica in replicas:
        # run_md names files by temperature only: one sub-folder per replica, then the
        # trajectory is known by its replica name
        run = run_md(
            replica.structure,
            replica.temperature_K,
            Path(out_dir) / replica.stem,
            seed=replica.seed,
            calculator=model,
            device=device,
            **md_args,
        )
        runs.append(run)
    return runs


def analyze_and_write(
    trajectories: Sequence[Trajectory],
    out_dir: str | Path,
    species: str = "Li",
    n_blocks: int = 5,
    md: Sequence[dict[str, Any]] = (),
    with_maps: bool = True,
    fit_window_ps: tuple[float, float] | None = None,
    require_diffusive: bool = True,
    rule: str = "blocks",
) -> tuple[TransportStudy, TransportMaps | None]:
    """Analyse trajectories and write the stage's outputs.

    Writes ``transport.json`` (all numbers, :meth:`TransportStudy.summary` plus the
    maps' summary), ``msd.png``, ``arrhenius.png`` (with two or more temperatures) and,
    with ``with_maps``, the van Hove and density files of the run nearest 900 K (see
    :func:`transport_maps`). ``rule="blocks"``: one trajectory per temperature,
    :func:`analyze_diffusion` with ``n_blocks`` and ``fit_window_ps``; ``rule="fraction"``:
    trajectories grouped by temperature and pooled by :func:`analyze_replicas`.
    ``require_diffusive`` goes to :func:`study_from_results`.

    Example:
        >>> trajs = [read_trajectory(p) for p in ["md_600K.h5", "md_900K.h5"]]  # doctest: +SKIP
        >>> study, maps = analyze_and_write(trajs, "out")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(trajectories, key=lambda t: t.temperature_K or 0.0)
    if rule == "fraction":
        groups: dict[float, list[Trajectory]] = {}
        for trajectory in ordered:
            groups.setdefault(float(trajectory.temperature_K or 0.0), []).append(trajectory)
        results = [analyze_replicas(group, species=species) for group in groups.values()]
        firsts = [group[0] for group in groups.values()]
    elif rule == "blocks":
        results = [
            analyze_diffusion(t, species=species, n_blocks=n_blocks, fit_window_ps=fit_window_ps)
            for t in ordered
        ]
        firsts = ordered
    else:
        raise ValueError(f"rule must be 'blocks' or 'fraction', got {rule!r}")
    study = study_from_results(results, md, require_diffusive)
    study.mechanisms = _mechanisms(firsts, results, species)
    maps = None
    if with_maps:
        maps = transport_maps(firsts[nearest_temperature(study)], out, species)
    msd_figure(study).savefig(out / "msd.png", dpi=120)
    if study.arrhenius is not None:
        arrhenius_figure(study).savefig(out / "arrhenius.png", dpi=120)
    payload = {**study.summary(), "maps": None if maps is None else maps.summary()}
    (out / "transport.json").write_text(json.dumps(payload, indent=2))
    return study, maps


# Production settings recommended for the full profile (GPU): the paper's 2x2x2 cell
# (112 atoms at x = 0.5) in several orderings, 600-1200 K, >= 100 ps after NPT, so
# every temperature's fraction-rule window [20, 50] ps holds many hops even at 600 K;
# a 3x3x3 cell at the same settings is the finite-size check.
FULL_PROFILE: dict[str, Any] = {
    "md_supercell": (2, 2, 2),
    "md_configurations": 4,
    "md_temperatures_K": (600.0, 700.0, 800.0, 900.0, 1000.0, 1200.0),
    "md_time_ps": 100.0,
    "md_equilibration_ps": 5.0,
    "npt_equilibration_ps": 10.0,
    "seeds_per_temperature": 1,
    "finite_size_supercell": (3, 3, 3),
    "volcano_x": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7),
}


@dataclass
class VolcanoPoint(RoundTrip):
    """Ea and sigma(300 K) of one composition, pooled over its configurations.

    Attributes:
        x: composition Li(2+x)N(x)S(1-x).
        n_configurations: orderings run.
        activation_energy_eV: Arrhenius Ea of the pooled runs (None: no fit).
        sigma_300K_S_per_cm: extrapolated Nernst-Einstein sigma(300 K) of the pooled runs.
        sigma_300K_spread: configuration-to-configuration spread of sigma(300 K)
            (``error_kind="spread"``; None with fewer than two configurations that fit).
        note: why a fit is missing (the study's note).
    """

    x: float
    n_configurations: int
    activation_energy_eV: Estimate | None
    sigma_300K_S_per_cm: Estimate | None
    sigma_300K_spread: Estimate | None
    note: str


@dataclass
class ConductivityVsX(RoundTrip):
    """sigma(300 K) and Ea over compositions (the paper's Fig. 2d volcano, computed)."""

    points: list[VolcanoPoint]
    temperatures_K: list[float]
    supercell: tuple[int, int, int]
    time_ps: float
    model: str


def conductivity_vs_x(
    x_values: Sequence[float],
    temperatures_K: Sequence[float],
    out_dir: str | Path,
    supercell: Sequence[int] = (2, 2, 2),
    n_configurations: int = 4,
    time_ps: float = 100.0,
    equilibration_ps: float = 5.0,
    npt_equilibration_ps: float = 10.0,
    model: Calculator | str = "chgnet",
    device: str = "auto",
    relax: bool = True,
    progress: bool = True,
    **study_kwargs: Any,
) -> ConductivityVsX:
    """Transport study of each x over ``n_configurations`` orderings: the sigma(x) volcano.

    Each x gets the ``n_configurations`` lowest-Ewald distinct orderings of
    ``antifluorite(x)`` in ``supercell`` (relaxed at fixed cell shape with ``model`` when
    ``relax``), one batched :func:`run_transport_study` in ``out_dir/x<x>`` pooling them
    per temperature, and a per-configuration analysis for the spread. Full-profile
    settings: :data:`FULL_PROFILE` (a GPU job: 7 x 4 x 6 replicas of 100 ps).

    Example:
        >>> volcano = conductivity_vs_x([0.25, 0.5], [1000, 1500], "out/volcano",
        ...     supercell=(1, 1, 1), n_configurations=2, time_ps=3.0)  # doctest: +SKIP
        >>> [p.sigma_300K_S_per_cm for p in volcano.points]  # doctest: +SKIP
    """
    from sselab.structures import antifluorite, enumerate_orderings

    points = []
    for x in x_values:
        cells = enumerate_orderings(antifluorite(x), tuple(supercell), n=n_configurations)
        if relax:
            from sselab.calculators import relax as relax_cell

            cells = [relax_cell(c, model, fmax=0.05, keep_cell_shape=True).structure for c in cells]
        folder = Path(out_dir) / f"x{x:g}"
        study, _ = run_transport_study(
            cells,
            temperatures_K,
            folder,
            time_ps=time_ps,
            equilibration_ps=equilibration_ps,
            npt_equilibration_ps=npt_equilibration_ps,
            model=model,
            device=device,
            progress=progress,
            **study_kwargs,
        )
        sigmas = []
        if len(cells) > 1:
            for c in range(len(cells)):
                runs = sorted(folder.glob(f"md_*K_c{c}*.h5"))
                results = [analyze_replicas([read_trajectory(path)]) for path in runs]
                one = study_from_results(results)
                if one.arrhenius is not None:
                    sigmas.append(one.arrhenius.sigma_S_per_cm.value)
        points.append(
            VolcanoPoint(
                x=float(x),
                n_configurations=len(cells),
                activation_energy_eV=(
                    study.arrhenius.fit.activation_energy_eV if study.arrhenius else None
                ),
                sigma_300K_S_per_cm=study.arrhenius.sigma_S_per_cm if study.arrhenius else None,
                sigma_300K_spread=(
                    Estimate.from_samples(sigmas, SIGMA_UNIT) if len(sigmas) >= 2 else None
                ),
                note=study.note,
            )
        )
    volcano = ConductivityVsX(
        points,
        [float(t) for t in temperatures_K],
        (int(supercell[0]), int(supercell[1]), int(supercell[2])),
        time_ps,
        model if isinstance(model, str) else type(model).__name__,
    )
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "volcano.json").write_text(json.dumps(volcano.as_dict(), indent=2))
    return volcano


def volcano_figure(volcano: ConductivityVsX) -> Figure:
    """sigma(300 K) and Ea vs x with intervals (configuration spread as a second bar).

    Example:
        >>> volcano_figure(volcano).savefig("volcano.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(6, 6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    for point in volcano.points:
        sigma = point.sigma_300K_S_per_cm
        if sigma is not None and sigma.ci95 is not None:
            low, high = sigma.ci95
            top.errorbar(
                point.x, sigma.value, yerr=[[sigma.value - low], [high - sigma.value]],
                fmt="o", color="C0", capsize=3,
            )  # fmt: skip
        if point.sigma_300K_spread is not None and point.sigma_300K_spread.ci95 is not None:
            top.vlines(point.x + 0.01, *point.sigma_300K_spread.ci95, color="C1", lw=3)
        ea = point.activation_energy_eV
        if ea is not None:
            bottom.errorbar(point.x, ea.value, yerr=ea.error, fmt="s", color="C2", capsize=3)
    top.set_yscale("log")
    top.set_ylabel("σ(300 K) (S/cm)")
    top.set_title("sselab MD, pooled orderings (orange: configuration spread)")
    bottom.set_ylabel("Ea (eV)")
    bottom.set_xlabel("x in Li(2+x)N(x)S(1-x)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig
