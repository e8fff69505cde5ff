"""Transport studies: analyse MD runs over temperatures, figures, report section.

A :class:`TransportStudy` bundles the per-temperature :class:`DiffusionResult` of one
system with its Arrhenius analysis (Ea, D and sigma at 300 K). It is what the
``sselab diffusion`` command writes, what ``sselab reproduce`` shows through
:func:`transport_report_section`, and what :func:`run_transport_study` (MD + analysis
in one call, for the reproduce profiles) returns.
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

from sselab.reference import paper_value
from sselab.report import Comparison, Section
from sselab.transport.analysis import (
    BOLTZMANN_EV_PER_K,
    ROOM_TEMPERATURE_K,
    ArrheniusSummary,
    DiffusionResult,
    Estimate,
    analyze_diffusion,
    arrhenius_from_results,
    nernst_einstein_sigma,
)
from sselab.transport.density import ProbabilityDensity, density_figure, probability_density
from sselab.transport.md import Executor, run_md_temperatures
from sselab.transport.trajectory import Trajectory, read_trajectory
from sselab.transport.vanhove import VanHoveResult, van_hove, van_hove_figure

PAPER_MAPS_TEMPERATURE_K = 900.0  # Fig. 4c/4d of the paper show the van Hove function at 900 K


@dataclass
class TransportStudy:
    """Diffusion of one species in one system at several temperatures.

    Attributes:
        species: mobile species.
        results: one :class:`DiffusionResult` per trajectory, sorted by temperature.
        arrhenius: Arrhenius fit of tracer D(T) with extrapolation to 300 K (None with
            fewer than two temperatures of positive D).
        note: why the Arrhenius fit is missing or which runs it left out.
        md: per-run MD facts (model, wall time, atom-steps/s) when the study ran the MD.
    """

    species: str
    results: list[DiffusionResult]
    arrhenius: ArrheniusSummary | None
    note: str = ""
    md: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "species": self.species,
            "results": [r.as_dict() for r in self.results],
            "arrhenius": None if self.arrhenius is None else self.arrhenius.as_dict(),
            "note": self.note,
            "md": self.md,
        }


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
    no_hops = [r for r in ordered if not (r.D_cm2_per_s.value > 0 and r.D_cm2_per_s.error > 0)]
    if no_hops:
        notes.append(
            f"left out of the Arrhenius fit (D <= 0, no diffusion): "
            f"{[r.temperature_K for r in no_hops]} K."
        )
    sub = [r for r in ordered if require_diffusive and not r.diffusive and r not in no_hops]
    if sub:
        notes.append(
            "left out of the Arrhenius fit (MSD not linear in the fit window, log-log slope "
            f"outside 0.8-1.25; run longer or move the window): {[r.temperature_K for r in sub]} K."
        )
    usable = [r for r in ordered if r not in no_hops and r not in sub]
    arrhenius = None
    if len(usable) >= 2:
        arrhenius = arrhenius_from_results(usable)
    else:
        notes.append("fewer than two temperatures with diffusion: no Arrhenius fit.")
    return TransportStudy(ordered[0].species, list(ordered), arrhenius, " ".join(notes), list(md))


def format_estimate(estimate: Estimate, digits: int = 3) -> str:
    """``"value ± error"`` with ``digits`` significant digits.

    Example:
        >>> format_estimate(Estimate(1.234e-5, 2.1e-7, (0.0, 0.0)))
        '1.23e-05 ± 2.1e-07'
    """
    return f"{estimate.value:.{digits}g} ± {estimate.error:.2g}"


def transport_table(study: TransportStudy) -> tuple[list[str], list[list[Any]]]:
    """Header and rows (one per temperature) of D, D_x/y/z, sigma, sigma_NE and Haven ratio.

    Example:
        >>> header, rows = transport_table(study)  # doctest: +SKIP
    """
    header = [
        "T (K)",
        "t (ps)",
        "D (cm²/s)",
        "D_x, D_y, D_z (cm²/s)",
        "σ (S/cm)",
        "σ_NE (S/cm)",
        "Haven ratio",
        "log-log slope",
    ]
    rows = [
        [
            f"{r.temperature_K:g}",
            f"{r.duration_ps:.3g}",
            format_estimate(r.D_cm2_per_s),
            ", ".join(f"{d.value:.2g}" for d in r.D_xyz_cm2_per_s),
            format_estimate(r.sigma_S_per_cm),
            format_estimate(r.sigma_NE_S_per_cm),
            format_estimate(r.haven_ratio, 2),
            f"{r.loglog_slope:.2f}",
        ]
        for r in study.results
    ]
    return header, rows


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


def _sigma_ne(study: TransportStudy, d_cm2_per_s: np.ndarray, temps: np.ndarray) -> np.ndarray:
    ref = study.results[0]
    return np.array(
        [
            nernst_einstein_sigma(d, ref.n_ions, ref.volume_angstrom3, t)
            for d, t in zip(d_cm2_per_s, temps, strict=True)
        ]
    )


def arrhenius_figure(study: TransportStudy) -> Figure:
    """Nernst-Einstein sigma(T) with the Arrhenius fit, its 95 % band down to 300 K, and the
    paper's AIMD and experimental room-temperature values.

    Example:
        >>> arrhenius_figure(study).savefig("arrhenius.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.subplots()
    temps = np.array([r.temperature_K for r in study.results])
    sigma = np.array([r.sigma_NE_S_per_cm.value for r in study.results])
    errors = np.array([r.sigma_NE_S_per_cm.error for r in study.results])
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
        grid = np.linspace(ROOM_TEMPERATURE_K, temps.max(), 100)
        predictions = [fit.predict(t) for t in grid]
        d_mid = np.array([p.value for p in predictions])
        d_lo = np.array([p.ci95[0] for p in predictions])
        d_hi = np.array([p.ci95[1] for p in predictions])
        ea = fit.activation_energy_eV
        ax.plot(
            1000 / grid,
            _sigma_ne(study, d_mid, grid),
            "C0-",
            label=f"fit: Ea = {ea.value:.2f} ± {ea.error:.2f} eV",
        )
        ax.fill_between(
            1000 / grid,
            _sigma_ne(study, d_lo, grid),
            _sigma_ne(study, d_hi, grid),
            color="C0",
            alpha=0.2,
            label="95 % interval",
        )
    paper_sigma = paper_value("transport_computed", "aimd_sigma_300K_S_per_cm")
    paper_ea = paper_value("transport_computed", "aimd_activation_energy_eV")
    grid = np.linspace(ROOM_TEMPERATURE_K, max(temps.max(), 1200.0), 50)
    paper_line = (
        paper_sigma
        * (ROOM_TEMPERATURE_K / grid)
        * np.exp(-paper_ea / BOLTZMANN_EV_PER_K * (1 / grid - 1 / ROOM_TEMPERATURE_K))
    )
    ax.plot(1000 / grid, paper_line, "k--", lw=1, label=f"paper AIMD (Ea = {paper_ea} eV)")
    ax.plot(1000 / ROOM_TEMPERATURE_K, paper_sigma, "k*", ms=12, label="paper AIMD, 300 K")
    measured = paper_value("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm")
    ax.plot(1000 / 300.15, measured, "rs", ms=8, label="paper experiment, RT")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel(f"{study.species}⁺ conductivity (S/cm)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


@dataclass
class TransportMaps:
    """Van Hove function and probability density of one trajectory, with their files."""

    van_hove: VanHoveResult
    density: ProbabilityDensity
    files: list[Path]

    def as_dict(self) -> dict[str, Any]:
        """JSON summary (the full van Hove arrays are in their own JSON file)."""
        return {
            "temperature_K": self.van_hove.temperature_K,
            "density": self.density.as_dict(),
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


def transport_report_section(
    study: TransportStudy, maps: TransportMaps | None = None, system: str = "Li2.5N0.5S0.5"
) -> Section:
    """Report section: table, MSD/Arrhenius/van Hove/density figures, paper comparisons.

    Example:
        >>> section = transport_report_section(study)  # doctest: +SKIP
        >>> section.title  # doctest: +SKIP
        'Li transport from MD'
    """
    header, rows = transport_table(study)
    figures = [msd_figure(study), arrhenius_figure(study)]
    if maps is not None:
        figures += [van_hove_figure(maps.van_hove), density_figure(maps.density)]
    duration = min(r.duration_ps for r in study.results)
    md_note = (
        f"{system}, {study.results[0].n_ions} {study.species}, {duration:.3g} ps per T at "
        f"{', '.join(f'{r.temperature_K:g}' for r in study.results)} K"
    )
    comparisons = []
    if study.arrhenius is not None:
        ea = study.arrhenius.fit.activation_energy_eV
        sigma = study.arrhenius.sigma_300K_S_per_cm
        comparisons = [
            Comparison(
                "Ea, MD (eV)",
                ea.value,
                ea.error,
                paper_value("transport_computed", "aimd_activation_energy_eV"),
                f"paper: AIMD; sselab: {md_note}",
            ),
            Comparison(
                "σ(300 K), MD extrapolated (S/cm)",
                sigma.value,
                sigma.error,
                paper_value("transport_computed", "aimd_sigma_300K_S_per_cm"),
                f"Nernst-Einstein, Haven ratio 1; 95 % interval "
                f"{sigma.ci95[0]:.2g}-{sigma.ci95[1]:.2g} S/cm",
            ),
            Comparison(
                "σ(300 K) vs experiment (S/cm)",
                sigma.value,
                sigma.error,
                paper_value("transport_measured", "sigma_RT_Li2.5N0.5S0.5_S_per_cm"),
                "paper: EIS on a cold-pressed pellet (grain boundaries included)",
            ),
        ]
    first = study.results[0]
    fit_rule = "linear fit of the all-origin MSD, default window [t_block/10, t_block/2]"
    return Section(
        title=f"{study.species} transport from MD",
        text=(
            f"Tracer and charge diffusion of {study.species} in {system} from MLIP NVT MD "
            "(Nose-Hoover chain). Errors are 1-sigma block-averaging errors; the Arrhenius "
            "fit is weighted by them and extrapolated to 300 K with a 95 % interval. " + study.note
        ),
        figures=figures,
        table_header=header,
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "model": study.md[0]["model"] if study.md else first.metadata.get("model", "-"),
            "D fit": fit_rule,
            "fit windows (ps)": ", ".join(
                f"{r.temperature_K:g} K: {r.fit_window_ps[0]:.3g}-{r.fit_window_ps[1]:.3g}"
                for r in study.results
            ),
            "blocks": study.results[0].n_blocks,
            "van Hove / density": (
                f"{maps.van_hove.temperature_K:g} K trajectory" if maps is not None else "-"
            ),
        },
    )


def nearest_temperature(study: TransportStudy, target_K: float = PAPER_MAPS_TEMPERATURE_K) -> int:
    """Index of the run closest to ``target_K`` (default the paper's 900 K for Fig. 4c/4d).

    Example:
        >>> nearest_temperature(study)  # doctest: +SKIP
        1
    """
    return int(np.argmin([abs(r.temperature_K - target_K) for r in study.results]))


def run_transport_study(
    structure: Structure | Atoms,
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
) -> tuple[TransportStudy, TransportMaps | None]:
    """MD at each temperature, then diffusion analysis and van Hove/density maps.

    This is the transport stage of ``sselab reproduce``: quick profile e.g. a 1x1x1
    ordered cell, 800/1000/1200 K, a few ps; full profile the paper's 2x2x2 cell,
    600-1200 K, 50 ps. Resumes by default, so a rerun only analyses.

    Args:
        structure: ordered MD cell (see :func:`sselab.transport.md.prepare_md_cell`).
        temperatures_K: thermostat temperatures in K.
        out_dir: folder for trajectories, checkpoints, maps and ``transport.json``.
        time_ps: production time per temperature in ps.
        equilibration_ps: equilibration time in ps, excluded from analysis.
        model: registered MLIP name or an ASE calculator.
        device: "auto", "cpu" or "cuda".
        frame_interval_steps: a frame every this many 2 fs steps.
        seed: velocity seed.
        resume: continue existing runs from their checkpoints.
        executor: optional executor to run temperatures in parallel.
        progress: progress bars.
        n_blocks: blocks for the error bars.
        fit_window_ps: MSD fit window in ps (default: the documented block rule).
        species: mobile species.

    Returns:
        (study, maps of the run nearest 900 K).

    Example:
        >>> from sselab.transport.md import prepare_md_cell
        >>> from sselab.structures import antifluorite
        >>> cell = prepare_md_cell(antifluorite(0.5), (1, 1, 1))
        >>> study, maps = run_transport_study(cell, [800, 1200], "out/md", 2.0)  # doctest: +SKIP
    """
    start = time.perf_counter()
    runs = run_md_temperatures(
        structure,
        temperatures_K,
        out_dir,
        executor=executor,
        time_ps=time_ps,
        equilibration_ps=equilibration_ps,
        frame_interval_steps=frame_interval_steps,
        checkpoint_interval_steps=50 * frame_interval_steps,
        seed=seed,
        calculator=model,
        device=device,
        resume=resume,
        progress=progress,
    )
    wall_s = time.perf_counter() - start
    n_atoms = len(structure)
    md = [
        {
            **run.as_dict(),
            "n_atoms": n_atoms,
            "atom_steps_per_s": n_atoms * run.steps_this_call / run.wall_s if run.wall_s else None,
            "total_wall_s": wall_s,
        }
        for run in runs
    ]
    trajectories = [read_trajectory(run.trajectory_path) for run in runs]
    return analyze_and_write(
        trajectories, out_dir, species, n_blocks, md, fit_window_ps=fit_window_ps
    )


def analyze_and_write(
    trajectories: Sequence[Trajectory],
    out_dir: str | Path,
    species: str = "Li",
    n_blocks: int = 5,
    md: Sequence[dict[str, Any]] = (),
    with_maps: bool = True,
    fit_window_ps: tuple[float, float] | None = None,
    require_diffusive: bool = True,
) -> tuple[TransportStudy, TransportMaps | None]:
    """Analyse trajectories (one per temperature) and write the stage's outputs.

    Writes ``transport.json`` (all numbers), ``msd.png``, ``arrhenius.png`` (with two or
    more temperatures) and, with ``with_maps``, the van Hove and density files of the run
    nearest the paper's 900 K (see :func:`transport_maps`). ``n_blocks`` and
    ``fit_window_ps`` go to :func:`analyze_diffusion`, ``require_diffusive`` to
    :func:`study_from_results`.

    Example:
        >>> trajs = [read_trajectory(p) for p in ["md_600K.h5", "md_900K.h5"]]  # doctest: +SKIP
        >>> study, maps = analyze_and_write(trajs, "out")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ordered = sorted(trajectories, key=lambda t: t.temperature_K or 0.0)
    results = [
        analyze_diffusion(t, species=species, n_blocks=n_blocks, fit_window_ps=fit_window_ps)
        for t in ordered
    ]
    study = study_from_results(results, md, require_diffusive)
    maps = None
    if with_maps:
        maps = transport_maps(ordered[nearest_temperature(study)], out, species)
    msd_figure(study).savefig(out / "msd.png", dpi=120)
    if study.arrhenius is not None:
        arrhenius_figure(study).savefig(out / "arrhenius.png", dpi=120)
    payload = {**study.as_dict(), "maps": None if maps is None else maps.as_dict()}
    (out / "transport.json").write_text(json.dumps(payload, indent=2))
    return study, maps
