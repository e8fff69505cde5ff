"""`sselab reproduce`: every stage of the paper's analysis as cached tasks, typed results.

Two profiles: ``quick`` finishes on a 2-core CPU (small cells, few orderings,
loose forces, short MD) and ``full`` uses paper-like settings (GPU advised).
Each stage is a :class:`~sselab.pipeline.tasks.Task` run by
:func:`~sselab.pipeline.executor.run_tasks`, the executor of ``sselab screen``:
in-process, on a local Dask cluster or on a scheduler, cached in the same SQLite
store, so a rerun after an interruption recomputes only what is missing. A stage
that fails is recorded in :attr:`ReproduceResults.failed` (with its error) and the
other stages still run. The report (``sselab.report.reproduce``) is built from the
returned :class:`ReproduceResults`; nothing here compares with the paper.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pymatgen.core import Structure

from sselab.calculators import model_label
from sselab.calculators.paw import PawSettings
from sselab.calibrate.finetune import RECIPES, FineTuneSettings
from sselab.calibrate.workflow import FINETUNERS, CalibrationResult, calibrate
from sselab.dft.hull import DftHullCheck
from sselab.diffraction.refine import RefinementResult
from sselab.estimate import Estimate
from sselab.pipeline.executor import RunSummary, run_tasks
from sselab.pipeline.lattice import LatticeScan, lattice_vs_x
from sselab.pipeline.measured import MeasuredResults, folder_digest, resolve_measured_folder
from sselab.pipeline.tasks import Task, TaskContext
from sselab.reference import paper_value
from sselab.roundtrip import RoundTrip
from sselab.store import ResultStore
from sselab.thermo.disorder.study import DISORDER_XS, DisorderStudy, shipped_training_digest
from sselab.thermo.hull import FULL as HULL_FULL
from sselab.thermo.hull import QUICK as HULL_QUICK
from sselab.thermo.hull import SolidSolutionPoint
from sselab.thermo.study import ThermoStudy
from sselab.transport.neb import BarrierDistribution, NEBResult
from sselab.transport.study import TransportMaps, TransportStudy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile(RoundTrip):
    """Settings of one reproduce profile.

    Attributes:
        name: "quick" or "full".
        lattice_xs: compositions for a(x) (x = 0 is Li2S).
        n_orderings: orderings relaxed per x.
        max_anions: largest supercell (in 4a sites) used to realise x.
        fmax_eV_per_angstrom: relaxation force threshold.
        thermo_quick: thermodynamics with the quick settings (phonons at x = 0.5 only)
            instead of the full ones.
        second_model: MLIP whose E_hull(x = 0.5) is reported as the model spread.
        bvse_resolution_angstrom: BVSE grid spacing (Å).
        md_supercell: repetitions of the conventional x = 0.5 cell for MD.
        md_temperatures_K: NVT temperatures (K).
        md_time_ps: production time per temperature (ps), after md_equilibration_ps.
        md_equilibration_ps: equilibration excluded from the analysis (ps).
        md_configurations: orderings of the MD cell, pooled per temperature (their
            spread is reported); 1 is the relaxed lowest-Ewald ordering.
        md_npt_ps: isotropic NPT before NVT to find a(T) (0: NVT at the relaxed cell).
        dft_relax: the DFT stage relaxes the lowest MLIP cell at x = 0.25, 0.5, 0.75
            (and Li2S, α-Li3N) and adds GLLB-SC gaps; False: PBE single points at the
            MLIP geometries of Li2S, α-Li3N and x = 0.5 only.
        disorder_mc_size: edge of the disorder stage's Monte Carlo cell (conventional
            cells; 4: 512 lattice sites).
        disorder_sweeps: measured MC sweeps per temperature of the disorder stage.
        calibrate_system: chemical system the ``calibrate`` stage labels with GPAW and
            fine-tunes the MLIPs on, whose fine-tuned weights every later stage then uses
            (:mod:`sselab.calibrate`); None: no calibration, the stages use the
            foundation models.
        calibrate_budget: GPAW-labelled configurations of the calibrate stage.
    """

    name: str
    lattice_xs: tuple[float, ...]
    n_orderings: int
    max_anions: int
    fmax_eV_per_angstrom: float
    thermo_quick: bool
    second_model: str | None
    bvse_resolution_angstrom: float
    md_supercell: tuple[int, int, int]
    md_temperatures_K: tuple[float, ...]
    md_time_ps: float
    md_equilibration_ps: float
    md_configurations: int = 1
    md_npt_ps: float = 0.0
    dft_relax: bool = False
    disorder_mc_size: int = 4
    disorder_sweeps: int = 300
    calibrate_system: str | None = None
    calibrate_budget: int = 0


def _paper_xs() -> tuple[float, ...]:
    # the paper's synthesised compositions are a setting of the run, not a comparison
    return (0.0, *paper_value("structure", "compositions_synthesized_x"))


PROFILES: dict[str, Callable[[], Profile]] = {
    # quick: minutes per stage on 2 CPU cores. MD: the 14-atom cell at 1000-1500 K for
    # 3 ps is diffusive by the fraction rule's tests (sselab.transport.analysis) within
    # ~10 replica-ps; Ea and sigma(300 K) come with wide intervals, shown as they are
    "quick": lambda: Profile(
        name="quick",
        lattice_xs=_paper_xs(),
        n_orderings=2,
        max_anions=8,
        fmax_eV_per_angstrom=0.05,
        thermo_quick=True,
        second_model="sevennet",
        bvse_resolution_angstrom=0.2,
        md_supercell=(1, 1, 1),
        md_temperatures_K=(1000.0, 1250.0, 1500.0),
        md_time_ps=3.0,
        md_equilibration_ps=0.3,
    ),
    # full: beyond the paper's AIMD (2x2x2, 600-1200 K, 50 ps): 4 orderings, 100 ps,
    # a(T) from NPT first (sselab.transport.study.FULL_PROFILE); a GPU job. DFT
    # relaxations and GLLB-SC gaps: hours on 2 cores
    "full": lambda: Profile(
        name="full",
        lattice_xs=_paper_xs(),
        n_orderings=5,
        max_anions=32,
        fmax_eV_per_angstrom=0.02,
        thermo_quick=False,
        second_model="sevennet",
        bvse_resolution_angstrom=0.1,
        md_supercell=(2, 2, 2),
        md_temperatures_K=(600.0, 700.0, 800.0, 900.0, 1000.0, 1200.0),
        md_time_ps=100.0,
        md_equilibration_ps=5.0,
        md_configurations=4,
        md_npt_ps=10.0,
        dft_relax=True,
        disorder_mc_size=6,
        disorder_sweeps=1000,
        # 56 GPAW single points (2-15 atoms; trained and held-out orderings at every x
        # the hull relaxes), about 40 min of GPAW with two processes; then three
        # fine-tunings per model (the learning-rate scan): about 40 min of CHGNet (200
        # epochs each) and 15-20 min of SevenNet on 2 CPU cores (docs/calibrate.md)
        calibrate_system="Li-N-S+hull",
        calibrate_budget=56,
    ),
}

# why the quick profile runs its stages with the foundation models (shown in the report)
CALIBRATE_SKIPPED_QUICK = (
    "skipped in the quick profile: labelling 36-56 cells with GPAW and fine-tuning two "
    "MLIPs takes one to two hours on 2 CPU cores, more than the whole quick run; the stages "
    "below use the foundation models. Run `sselab calibrate` and pass its weights with "
    "--model chgnet:PATH, or use --full, whose calibrate stage does both."
)

# The paper's BVSE cells: (label, x, lattice-constant key of sselab.reference, hop).
# These are the paper's *settings* (its refined cells); the comparison with its
# barriers happens in sselab.report.
BVSE_CASES: tuple[tuple[str, float, str, str], ...] = (
    ("Li2.5N0.5S0.5", 0.5, "a_Li2.5N0.5S0.5_angstrom", "8c-24e-8c"),
    ("Li2S a=5.719", 0.0, "a_Li2S_icsd_angstrom", "8c-4b-8c"),
    ("Li2S a=5.554", 0.0, "a_Li2S_alt_angstrom", "8c-4b-8c"),
)


@dataclass
class BVSECase(RoundTrip):
    """BVSE barriers of one of the paper's cells in one convention.

    Attributes:
        system: "Li2.5N0.5S0.5", "Li2S a=5.719", "Li2S a=5.554".
        x: N fraction of the disordered cell.
        a_angstrom: lattice constant used (the paper's).
        hop: the paper's named path.
        convention: BVSE convention ("softbv" or "paper", see sselab.transport.bvse).
        percolation_3d_eV: 3D percolation barrier (error kind "resolution").
        path_from_8c_eV: barrier of ``hop`` measured from the 8c site ("resolution").
    """

    system: str
    x: float
    a_angstrom: float
    hop: str
    convention: str
    percolation_3d_eV: Estimate
    path_from_8c_eV: Estimate


@dataclass
class BVSECases(RoundTrip):
    """Result of the BVSE stage: every paper cell in every convention."""

    resolution_angstrom: float
    cases: list[BVSECase]


@dataclass
class NEBCase(RoundTrip):
    """One CI-NEB of the NEB stage.

    Attributes:
        system: "Li2S" or "Li2.5N0.5S0.5".
        hop: hop label ("vac-8c-8c", "8c-24e").
        result: the CI-NEB.
    """

    system: str
    hop: str
    result: NEBResult


@dataclass
class NEBCases(RoundTrip):
    """Result of the NEB stage.

    Attributes:
        cases: the single hops.
        knock_off: interstitialcy barriers over the 8c environments of the ordered
            2x2x2 Li2.5N0.5S0.5 cell (full profile; None in the quick one).
    """

    cases: list[NEBCase]
    knock_off: BarrierDistribution | None = None


@dataclass
class TransportResult(RoundTrip):
    """Result of the transport stage.

    Attributes:
        study: diffusion per temperature and the Arrhenius fit.
        maps: van Hove function and Li probability density of the trajectory nearest
            the paper's map temperature (None when no trajectory was usable).
    """

    study: TransportStudy
    maps: TransportMaps | None


# --------------------------------------------------------------------------- stages


def lattice_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> LatticeScan:
    """a(x) of the relaxed orderings (see :func:`sselab.pipeline.lattice.lattice_vs_x`).

    Example:
        >>> scan = lattice_stage({"xs": [0.5], "model": "chgnet", "n_orderings": 1,
        ...                       "max_anions": 4, "fmax": 0.1, "max_steps": 300}, {},
        ...                      context)  # doctest: +SKIP
    """
    return LatticeScan(
        lattice_vs_x(
            inputs["xs"],
            model=inputs["model"],
            n_orderings=inputs["n_orderings"],
            max_anions=inputs["max_anions"],
            fmax=inputs["fmax"],
            store=context.store,
            max_steps=inputs["max_steps"],
        )
    )


def thermo_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> ThermoStudy:
    """The thermodynamics study with one MLIP (:func:`sselab.thermo.study.thermo_study`)."""
    from sselab.thermo.study import thermo_study

    return thermo_study(inputs["model"], quick=inputs["quick"], store=context.store)


# the tie line's end members and the elements a pymatgen phase diagram needs
SPREAD_PHASES: tuple[str, ...] = ("Li", "Li2S", "alpha-Li3N", "beta-Li3N", "alpha-S8", "alpha-N2")


def model_spread_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> SolidSolutionPoint:
    """E above the tie line at x = 0.5 with a second MLIP (same cells and settings).

    Only the phases the tie line and a phase diagram need are relaxed
    (:data:`SPREAD_PHASES`): LiN3 and Li2S2 cannot change the energy above the
    Li2S–Li3N tie, and FIRE spends its 300-step limit on LiN3 without converging.
    """
    from sselab.thermo.hull import li_n_s_hull
    from sselab.thermo.study import WINDOW_X

    settings = replace(HULL_QUICK if inputs["quick"] else HULL_FULL, model=inputs["model"])
    hull = li_n_s_hull([WINDOW_X], settings, "raw", context.store, phases=inputs["phases"])
    return hull.point(WINDOW_X)


def disorder_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> DisorderStudy:
    """Cluster expansion + Monte Carlo of the disordered phase (:func:`disorder_study`).

    Example:
        >>> study = disorder_stage({"model": "chgnet:0.3.0", "xs": [0.5], "mc_size": 3,
        ...                         "n_sweeps": 5}, {}, context)  # doctest: +SKIP
    """
    from sselab.thermo.disorder.study import disorder_study

    return disorder_study(
        inputs["model"],
        inputs["xs"],
        mc_size=inputs["mc_size"],
        n_sweeps=inputs["n_sweeps"],
        store=context.store,
    )


DFT_RELAX_XS = (0.25, 0.5, 0.75)


def dft_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> DftHullCheck:
    """The DFT check of the MLIP hull with GPAW PBE.

    Quick: single points at the MLIP geometries of Li2S, α-Li3N and the lowest x = 0.5
    ordering, giving the DFT energy above the tie line and the PBE gaps
    (:func:`sselab.dft.dft_quick_check`; minutes on 2 cores). Full (``relax``): the
    lowest MLIP ordering at each of :data:`DFT_RELAX_XS` and both end members are
    DFT-relaxed (positions and volume, default 900 eV / 3.5 k-points per Å⁻¹) and
    their GLLB-SC gaps computed (:func:`sselab.dft.dft_hull_check`; hours on 2 cores).
    """
    from sselab.dft import dft_hull_check, dft_quick_check
    from sselab.thermo.study import WINDOW_X

    hull = deps["thermodynamics"].hull
    if inputs["relax"]:
        return dft_hull_check(
            hull.references["Li2S"],
            hull.references["alpha-Li3N"],
            {x: [hull.point(x)] for x in DFT_RELAX_XS},
            hull.model,
            settings=PawSettings(threads=inputs["threads"]),
            relax_lowest=1,
            store=context.store,
            checkpoint_dir=context.work_dir / "dft",
            gllbsc_gaps=True,
        )
    return dft_quick_check(
        hull.references["Li2S"],
        hull.references["alpha-Li3N"],
        hull.point(WINDOW_X),
        hull.model,
        store=context.store,
        checkpoint_dir=context.work_dir / "dft",
        threads=inputs["threads"],
    )


def bvse_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> BVSECases:
    """BVSE percolation and path barriers of the paper's cells in both conventions."""
    from sselab.structures import antifluorite
    from sselab.transport.antifluorite_sites import antifluorite_hop
    from sselab.transport.bvse import CONVENTIONS, minimum_energy_path, percolation_barriers

    resolution = inputs["resolution_angstrom"]
    cases = []
    for system, x, a_angstrom, hop in inputs["cases"]:
        structure = antifluorite(x, a=a_angstrom)
        for convention in CONVENTIONS:
            result = percolation_barriers(structure, "Li", resolution, convention)
            assert result.landscape is not None  # a fresh result carries its grid
            path = minimum_energy_path(result.landscape, antifluorite_hop(structure, hop), hop=hop)
            cases.append(
                BVSECase(
                    system=system,
                    x=x,
                    a_angstrom=a_angstrom,
                    hop=hop,
                    convention=convention,
                    percolation_3d_eV=result.barrier_3d_eV,
                    path_from_8c_eV=path.barrier_from_start_eV,
                )
            )
    return BVSECases(resolution, cases)


def neb_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> NEBCases:
    """CI-NEB barriers: quick, the Li2S vacancy hop in the conventional cell; full, the
    Li2S vacancy hop in 2x2x2, the 8c -> 24e hop in ordered 2x2x2 Li2.5N0.5S0.5 and the
    knock-off barrier of each 8c environment of that cell."""
    from sselab.structures import antifluorite, lowest_energy_ordering
    from sselab.transport.neb import NEBSettings, barrier_distribution, hop_barrier

    model, store = inputs["model"], context.store
    settings = NEBSettings(n_images=inputs["n_images"], fmax=inputs["fmax"])
    knock_off = None
    if inputs["quick"]:
        cases = [("Li2S", "vac-8c-8c", antifluorite(0.0), (1, 1, 1))]
    else:
        from sselab.calculators import relax

        li2s = relax(antifluorite(0.0), model, store=store).structure
        ordered, _ = lowest_energy_ordering(
            antifluorite(0.5), supercell=(2, 2, 2), n_candidates=1, calculator=model, store=store
        )
        cases = [
            ("Li2S", "vac-8c-8c", li2s, (2, 2, 2)),
            ("Li2.5N0.5S0.5", "8c-24e", ordered.structure, (1, 1, 1)),
        ]
        # the mechanism the MD shows: one knock-off per 8c environment of the same cell
        knock_off = barrier_distribution(
            ordered.structure,
            model,
            settings,
            supercell=(1, 1, 1),
            checkpoint_dir=context.work_dir,
            store=store,
            device=context.device,
            progress=False,
        )
    return NEBCases(
        [
            NEBCase(
                system,
                hop,
                hop_barrier(
                    structure,
                    hop,
                    model,
                    settings,
                    supercell=repeat,
                    store=store,
                    out_dir=context.work_dir,
                    device=context.device,
                    progress=False,
                ),
            )
            for system, hop, structure, repeat in cases
        ],
        knock_off,
    )


def transport_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> TransportResult:
    """MLIP NVT MD of Li2.5N0.5S0.5, diffusion/Arrhenius analysis, van Hove and density maps.

    Trajectories and checkpoints live in the task's work folder: a rerun resumes them.
    """
    from sselab.calculators.relax import ORDERING_OPTIMIZER, relax
    from sselab.structures import antifluorite, enumerate_orderings
    from sselab.transport.md import prepare_md_cell
    from sselab.transport.study import run_transport_study

    supercell = tuple(inputs["supercell"])
    cells: Structure | list[Structure]
    if inputs["configurations"] == 1:
        cells = prepare_md_cell(
            antifluorite(0.5),
            supercell,
            calculator=inputs["model"],
            store=context.store,
            max_steps=inputs["max_steps"],
        )
    else:
        cells = [
            relax(
                cell,
                inputs["model"],
                fmax=0.05,
                max_steps=inputs["max_steps"],
                keep_cell_shape=True,
                store=context.store,
                optimizer=ORDERING_OPTIMIZER,
            ).structure
            for cell in enumerate_orderings(
                antifluorite(0.5), supercell, n=inputs["configurations"]
            )
        ]
    study, maps = run_transport_study(
        cells,
        inputs["temperatures_K"],
        context.work_dir,
        time_ps=inputs["time_ps"],
        equilibration_ps=inputs["equilibration_ps"],
        model=inputs["model"],
        device=context.device,
        n_blocks=inputs["n_blocks"],
        progress=False,
        npt_equilibration_ps=inputs["npt_equilibration_ps"],
    )
    return TransportResult(study, maps)


def paper_24e_occupancy_factor() -> float:
    """The paper's refined occupancy factor of the 24e Li (a setting of the round trip).

    Example:
        >>> paper_24e_occupancy_factor()
        0.966
    """
    text = str(paper_value("structure", "li_interstitial_site"))
    found = re.search(r"([01]\.\d+)", text)
    if found is None:
        raise ValueError(f"no occupancy factor in the paper's 24e entry '{text}'")
    return float(found.group(1))


# Synthetic-data settings of the Rietveld round trip: Uiso (Å²), Cu Kα profile and
# background, TOF bank range (µs); counts per strongest peak.
_ROUND_TRIP_UISO = {"S": 0.012, "N": 0.012, "Li": 0.025}
_ROUND_TRIP_XRAY_PROFILE = {"U": 0.006, "V": -0.003, "W": 0.004, "X": 0.03, "Y": 0.005}
_ROUND_TRIP_TOF_RANGE_US = (5000.0, 30000.0)
_ROUND_TRIP_PEAK_COUNTS = 1e5


def rietveld_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> RefinementResult:
    """Rietveld round trip: the paper's refined Li2.5N0.5S0.5 (a, 24e occupancy factor)
    simulated as a Cu Kα X-ray and a TOF neutron pattern with counting noise, then refined
    jointly from a start 0.5 % off in a with nominal occupancies.

    It tests whether sselab's refinement recovers what it was given, not the paper: the
    claims table labels it "round trip".

    Example:
        >>> fit = rietveld_stage({"a_angstrom": 5.458, "occupancy_factor": 0.966,
        ...                       "seed": 3}, {}, context)  # doctest: +SKIP
        >>> fit.estimate("occ[Li 24e]").value  # doctest: +SKIP
        0.95
    """
    from sselab.diffraction import (
        TOFBank,
        TOFNeutron,
        XRay,
        add_counting_noise,
        refine,
        simulate_pattern,
    )
    from sselab.diffraction.refine import Dataset
    from sselab.structures import antifluorite

    a_angstrom, factor, seed = inputs["a_angstrom"], inputs["occupancy_factor"], inputs["seed"]
    truth = antifluorite(0.5, a=a_angstrom)
    for i, site in enumerate(truth):
        if site.species.num_atoms < 0.5:  # the 24e interstitial Li
            scaled = {sp: occ * factor for sp, occ in site.species.items()}
            truth.replace(i, scaled, coords=site.frac_coords)
    xray = simulate_pattern(
        truth,
        "CuKa",
        uiso_A2=_ROUND_TRIP_UISO,
        profile=_ROUND_TRIP_XRAY_PROFILE,
        background=[30, -8, 3],
    )
    low, high = _ROUND_TRIP_TOF_RANGE_US
    tof = TOFNeutron(TOFBank(tof_min_us=low, tof_max_us=high))
    neutron = simulate_pattern(truth, tof, uiso_A2=_ROUND_TRIP_UISO, step=1e-3, background=[20, -5])
    datasets = [
        Dataset(add_counting_noise(xray.pattern, _ROUND_TRIP_PEAK_COUNTS, seed), XRay(), "xray"),
        Dataset(add_counting_noise(neutron.pattern, _ROUND_TRIP_PEAK_COUNTS, seed + 1), tof, "tof"),
    ]
    return refine(antifluorite(0.5, a=a_angstrom * 1.005), datasets, occupancies=["Li 24e"])


def measured_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> MeasuredResults:
    """The lab's own files of a measured folder (:func:`sselab.pipeline.measured.analyse_measured`).

    The task key holds the folder's content digest, so changed files are reanalysed.

    Example:
        >>> from sselab.pipeline.measured import example_folder
        >>> run = measured_stage({"folder": str(example_folder())}, {}, context)  # doctest: +SKIP
    """
    from sselab.pipeline.measured import analyse_measured

    return analyse_measured(inputs["folder"])


# --------------------------------------------------------------------------- tasks


def calibrate_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> CalibrationResult:
    """GPAW labels and fine-tuned MLIPs (:func:`sselab.calibrate.workflow.calibrate`).

    Labels, weights, ``calibration.json`` and ``parity.png`` go to the task's work
    folder, stable across reruns: the later stages' results are keyed by the weights'
    sha256, so the files must outlive the run.

    Example:
        >>> inputs = {"system": "Li-N-S", "budget": 36, "models": ["chgnet"],
        ...           "recipes": {"chgnet": {"epochs": 200, "frozen_blocks": 0}},
        ...           "seed": 0, "sampling_model": "chgnet"}
        >>> calibrate_stage(inputs, {}, context).models[0].label  # doctest: +SKIP
        'chgnet:sselab-work/reproduce-calibrate-.../chgnet-finetuned.pt@sha256:...'
    """
    return calibrate(
        context.work_dir,
        inputs["system"],
        inputs["budget"],
        inputs["models"],
        # epochs and frozen blocks: each model's recipe, which inputs["recipes"] records
        FineTuneSettings(seed=inputs["seed"], device=context.device),
        store=context.store,
        checkpoint_dir=context.work_dir / "gpw",
        progress=False,
        sampling_model=inputs["sampling_model"],
    )


def _family(model: str) -> str:
    return model_label(model).partition(":")[0]


def calibrate_skip_reason(profile: Profile, model: str) -> str | None:
    """Why the profile's calibrate stage does not run for ``model`` (None: it runs).

    Example:
        >>> calibrate_skip_reason(PROFILES["quick"](), "chgnet").startswith("skipped in the quick")
        True
        >>> calibrate_skip_reason(PROFILES["full"](), "chgnet") is None
        True
    """
    if profile.calibrate_system is None or profile.calibrate_budget < 1:
        return CALIBRATE_SKIPPED_QUICK if profile.name == "quick" else "no calibration set"
    if "@sha256:" in model_label(model):
        return f"skipped: --model {model} is a local weights file, used as given"
    if _family(model) not in FINETUNERS:
        return (
            f"skipped: sselab fine-tunes {' and '.join(FINETUNERS)}, not {_family(model)}; "
            "the stages use it as given"
        )
    return None


def calibrate_task(profile: Profile, model: str) -> Task:
    """The calibrate stage: fine-tunes ``model``'s family and the profile's second MLIP.

    Example:
        >>> calibrate_task(PROFILES["full"](), "chgnet").inputs["models"]
        ['chgnet', 'sevennet']
    """
    assert profile.calibrate_system is not None
    second = [] if profile.second_model is None else [_family(profile.second_model)]
    families = [f for f in dict.fromkeys([_family(model), *second]) if f in FINETUNERS]
    return Task(
        "reproduce-calibrate",
        {
            "system": profile.calibrate_system,
            "budget": profile.calibrate_budget,
            "models": families,
            # the recipes (epochs, frozen blocks) are part of the key: new defaults retrain
            "recipes": {family: asdict(RECIPES[family]) for family in families},
            "seed": 0,
            "sampling_model": model_label("chgnet"),
        },
        calibrate_stage,
        label="calibrate",
        returns=CalibrationResult,
    )


def calibrated_models(calibration: CalibrationResult) -> dict[str, str]:
    """Model family -> registry name of its fine-tuned weights in ``calibration``.

    Raises:
        FileNotFoundError: a weights file of the (stored) calibration is missing or no
            longer the file its label was computed from.

    Example:
        >>> empty = CalibrationResult("Li-N-S", 0, "", {}, {}, 0.0, [], [], Path("x"))
        >>> calibrated_models(empty)
        {}
    """
    for result in calibration.models:
        path = Path(result.model.partition(":")[2])
        if not path.is_file() or model_label(result.model) != result.label:
            raise FileNotFoundError(
                f"calibrate: weights {path} are missing or changed since the stored "
                f"calibration ({result.label}); restore the file, or use a new --store "
                "to recompute it"
            )
    return {_family(result.base_model): result.model for result in calibration.models}


def stage_tasks(
    profile: Profile, model: str, measured: str | Path | None = None
) -> dict[str, Task]:
    """One task per stage of a profile (nothing is computed).

    ``diffraction`` is the lattice scan seen by diffraction (the report simulates
    the patterns at the relaxed a(x)): its task is the lattice task. ``measured``
    (the folder of a lab's own data) adds the ``measured`` task.

    Example:
        >>> tasks = stage_tasks(PROFILES["quick"](), "chgnet")
        >>> sorted(tasks)[:4], len(tasks)
        (['bvse', 'dft', 'diffraction', 'disorder'], 10)
        >>> tasks["diffraction"] is tasks["lattice"]
        True
    """
    label = model_label(model)
    quick = profile.name == "quick"
    # the hull's step limit: the cells the lattice, hull and MD stages all relax (the
    # 14-atom x = 0.25/0.5/0.75 orderings in the quick profile) are one store entry
    max_steps = (HULL_QUICK if quick else HULL_FULL).max_steps
    lattice = Task(
        "reproduce-lattice",
        {
            "xs": list(profile.lattice_xs),
            "model": label,
            "n_orderings": profile.n_orderings,
            "max_anions": profile.max_anions,
            "fmax": profile.fmax_eV_per_angstrom,
            "max_steps": max_steps,
        },
        lattice_stage,
        label="lattice",
        returns=LatticeScan,
    )
    tasks = {
        "lattice": lattice,
        "thermodynamics": Task(
            "reproduce-thermodynamics",
            {"model": label, "quick": profile.thermo_quick},
            thermo_stage,
            label="thermodynamics",
            returns=ThermoStudy,
        ),
    }
    if profile.second_model is not None and model_label(profile.second_model) != label:
        tasks["model spread"] = Task(
            "reproduce-model_spread",
            {
                "model": model_label(profile.second_model),
                "quick": profile.thermo_quick,
                "phases": list(SPREAD_PHASES),
            },
            model_spread_stage,
            label="thermodynamics, second MLIP",
            returns=SolidSolutionPoint,
        )
    tasks["disorder"] = Task(
        "reproduce-disorder",
        {
            "model": label,
            "xs": list(DISORDER_XS),
            "mc_size": profile.disorder_mc_size,
            "n_sweeps": profile.disorder_sweeps,
            # the shipped file's content: a reshipped set is a new key
            "training": shipped_training_digest(label) or "relaxed here",
        },
        disorder_stage,
        label="disorder",
        returns=DisorderStudy,
    )
    tasks["dft"] = Task(
        "reproduce-dft",
        # one BLAS thread: a 14-atom SCF took 96 s with one and 169 s with two
        # (benchmarks/dft, idle 2-core machine): threading so small a cell loses
        {"threads": 1, "relax": profile.dft_relax},
        dft_stage,
        deps={"thermodynamics": tasks["thermodynamics"]},
        label="dft",
        returns=DftHullCheck,
    )
    tasks["diffraction"] = lattice
    tasks["bvse"] = Task(
        "reproduce-bvse",
        {
            "resolution_angstrom": profile.bvse_resolution_angstrom,
            "cases": [
                [system, x, float(paper_value("structure", a_key)), hop]
                for system, x, a_key, hop in BVSE_CASES
            ],
        },
        bvse_stage,
        label="bvse",
        returns=BVSECases,
    )
    tasks["rietveld"] = Task(
        "reproduce-rietveld",
        {
            "a_angstrom": float(paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")),
            "occupancy_factor": paper_24e_occupancy_factor(),
            "seed": 3,
        },
        rietveld_stage,
        label="rietveld round trip",
        returns=RefinementResult,
    )
    size = {"n_images": 3, "fmax": 0.1} if quick else {"n_images": 5, "fmax": 0.05}
    tasks["neb"] = Task(
        "reproduce-neb",
        # result_layout 2: NEBCases gained the knock-off distribution, so results stored
        # under layout 1 (which lack it) are recomputed, not read back without it
        {"model": label, "quick": quick, "result_layout": 2, **size},
        neb_stage,
        label="neb",
        returns=NEBCases,
    )
    tasks["transport"] = Task(
        "reproduce-transport",
        {
            "model": label,
            "supercell": list(profile.md_supercell),
            "temperatures_K": list(profile.md_temperatures_K),
            "time_ps": profile.md_time_ps,
            "equilibration_ps": profile.md_equilibration_ps,
            "configurations": profile.md_configurations,
            "npt_equilibration_ps": profile.md_npt_ps,
            "n_blocks": 3 if quick else 5,
            "max_steps": max_steps,
        },
        transport_stage,
        resources={"GPU": 1},
        label="transport",
        returns=TransportResult,
    )
    if measured is not None:
        folder = resolve_measured_folder(measured)
        tasks["measured"] = Task(
            "reproduce-measured",
            {"folder": str(folder), "digest": folder_digest(folder)},
            measured_stage,
            label="measured",
            returns=MeasuredResults,
        )
    return tasks


STAGES: tuple[str, ...] = (
    # first: with a calibration set (full profile) every later stage uses its weights
    "calibrate",
    "lattice",
    "thermodynamics",
    "disorder",
    "dft",
    "diffraction",
    "rietveld",
    "bvse",
    "neb",
    "transport",
    "measured",
)
# stages that come with another one: the second MLIP's E_hull is part of thermodynamics
_COMPANIONS: dict[str, tuple[str, ...]] = {"thermodynamics": ("model spread",)}


# the ReproduceResults field holding each stage's result
RESULT_FIELD: dict[str, str] = {
    "calibrate": "calibration",
    "lattice": "lattice",
    "thermodynamics": "thermodynamics",
    "model spread": "model_spread",
    "disorder": "disorder",
    "dft": "dft",
    "diffraction": "lattice",
    "rietveld": "rietveld",
    "bvse": "bvse",
    "neb": "neb",
    "transport": "transport",
    "measured": "measured",
}


@dataclass
class ReproduceResults(RoundTrip):
    """Outcome of :func:`reproduce`: the typed result of every stage that ran.

    The field of a stage that was not selected, or failed, is None.

    Attributes:
        profile: the settings used.
        model: model label.
        second_model: label of the second MLIP (None without one).
        stages: stages selected, in the order of :data:`STAGES`.
        calibration: the calibrate stage's DFT labels and fine-tuned MLIPs, whose
            weights ``model`` and ``second_model`` then name.
        lattice: a(x) (also the diffraction stage's input).
        thermodynamics: the thermodynamics study.
        model_spread: x = 0.5 hull point with the second MLIP.
        disorder: cluster expansion and Monte Carlo of the disordered phase.
        dft: GPAW PBE check of the x = 0.5 hull point and the gaps (needs thermodynamics).
        rietveld: the Rietveld round trip (refinement of patterns simulated from the
            paper's refined cell).
        bvse: BVSE barriers of the paper's cells.
        neb: CI-NEB barriers.
        transport: MD transport study and maps.
        measured: the lab's own data of the ``--measured`` folder, analysed (per-section
            errors inside it).
        failed: stage -> error message.
        skipped: stage -> why it did not run (e.g. calibrate in the quick profile).
        timings_s: stage -> compute time (s) of its task (as stored; 0 if it failed).
        run: executor summary (counts per task kind, workers, wall time).
        store: path of the results store.
    """

    profile: Profile
    model: str
    second_model: str | None
    stages: list[str]
    calibration: CalibrationResult | None = None
    lattice: LatticeScan | None = None
    thermodynamics: ThermoStudy | None = None
    model_spread: SolidSolutionPoint | None = None
    disorder: DisorderStudy | None = None
    dft: DftHullCheck | None = None
    rietveld: RefinementResult | None = None
    bvse: BVSECases | None = None
    neb: NEBCases | None = None
    transport: TransportResult | None = None
    measured: MeasuredResults | None = None
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    store: str = ""

    def settings(self) -> dict[str, Any]:
        """Profile settings as ``setting: name -> value`` (for the report's run info).

        Example:
            >>> r = ReproduceResults(PROFILES["quick"](), "chgnet:0.3.0", None, [])
            >>> r.settings()["setting: n_orderings"]
            2
        """
        return {f"setting: {k}": v for k, v in asdict(self.profile).items() if k != "name"}


def reproduce(
    profile: str = "quick",
    out_dir: str | Path = "out",
    model: str = "chgnet",
    store_path: str | Path | None = None,
    stages: Sequence[str] | None = None,
    client: Any | None = None,
    device: str = "auto",
    progress: bool = False,
    measured: str | Path | None = None,
) -> ReproduceResults:
    """Run the paper's analysis with one profile on the task executor.

    Args:
        profile: "quick" (2-core CPU, minutes) or "full" (paper settings, GPU advised).
        out_dir: output folder (store, MD trajectories, NEB checkpoints).
        model: registered MLIP name.
        store_path: SQLite results store (default ``out_dir/sselab.sqlite``).
        stages: stage names to run, in the order of :data:`STAGES` (default: all).
        client: Dask client (``sselab.pipeline.executor.dask_client``) or None
            (in-process).
        device: torch device for the MLIPs.
        progress: live progress bars.
        measured: folder of the lab's own measurements with ``measured.toml`` (see
            :mod:`sselab.pipeline.measured`), or ``"example"`` for the packaged
            synthetic set; adds the ``measured`` stage (None: computation only).

    Returns:
        :class:`ReproduceResults`; ``sselab.report.reproduce.write_reproduce_report``
        turns it into the HTML report.

    Example:
        >>> run = reproduce("quick", "/tmp/sselab-out", stages=["lattice"])  # doctest: +SKIP
        >>> run.failed, len(run.lattice.points)  # doctest: +SKIP
        ({}, 7)
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}'; choose from {sorted(PROFILES)}")
    selected = list(STAGES) if stages is None else list(stages)
    unknown = sorted(set(selected) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; choose from {list(STAGES)}")
    if measured is None:
        if stages is not None and "measured" in selected:
            raise ValueError("the measured stage needs a folder: pass measured=DIR (--measured)")
        selected = [s for s in selected if s != "measured"]
    elif "measured" not in selected:
        selected.append("measured")  # a folder given is a folder analysed
    settings = PROFILES[profile]()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = [s for s in STAGES if s in selected]
    with ResultStore(store_path or out / "sselab.sqlite") as store:
        calibration, calibrate_wall_s = None, 0.0
        failed: dict[str, str] = {}
        skipped: dict[str, str] = {}
        if "calibrate" in wanted:
            reason = calibrate_skip_reason(settings, model)
            if reason is not None:
                skipped["calibrate"] = reason
            else:
                task = calibrate_task(settings, model)
                summary = run_tasks([task], store, client, out, device, progress)
                calibration = summary.payloads.get(task.key)
                stored = store.get(task.key)
                calibrate_wall_s = float(stored.wall_s or 0.0) if stored else 0.0
                try:
                    if calibration is None:
                        raise RuntimeError(_failure(task, summary))
                    fine_tuned = calibrated_models(calibration)
                    model = fine_tuned.get(_family(model), model)
                    if settings.second_model is not None:
                        second = settings.second_model
                        settings = replace(
                            settings, second_model=fine_tuned.get(_family(second), second)
                        )
                except (RuntimeError, FileNotFoundError) as exc:
                    calibration = None
                    failed["calibrate"] = f"{exc}; the later stages use the foundation models"
        all_tasks = stage_tasks(settings, model, measured)
        names = [n for s in wanted for n in (s, *_COMPANIONS.get(s, ())) if n in all_tasks]
        spread = "model spread" in names
        results = ReproduceResults(
            profile=settings,
            model=model_label(model),
            second_model=model_label(settings.second_model)
            if spread and settings.second_model
            else None,
            stages=wanted,
            calibration=calibration,
            failed=failed,
            skipped=skipped,
        )
        if "calibrate" in wanted:
            results.timings_s["calibrate"] = calibrate_wall_s
        summary = run_tasks([all_tasks[n] for n in names], store, client, out, device, progress)
        for name in names:
            task = all_tasks[name]
            if task.key in summary.payloads:
                setattr(results, RESULT_FIELD[name], summary.payloads[task.key])
                stored = store.get(task.key)
                results.timings_s[name] = float(stored.wall_s or 0.0) if stored else 0.0
            else:
                results.failed[name] = _failure(task, summary)
                results.timings_s[name] = 0.0
        results.run = {
            **summary.summary(),
            "store hits / misses": f"{store.hits} / {store.misses}",
        }
        results.store = str(store.path)
    return results


def _failure(task: Task, summary: RunSummary) -> str:
    if task.key in summary.failed:
        return summary.failed[task.key]
    return "skipped: an upstream task failed"
