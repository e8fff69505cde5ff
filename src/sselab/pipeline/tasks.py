"""Pipeline stages as pure, cached tasks.

A :class:`Task` is a stage function with declared inputs (JSON-able: structures as
pymatgen dicts, model labels, settings) and declared dependencies (other tasks whose
payloads it receives). Its store key is the hash of (kind, inputs, dependency keys),
so a changed upstream result or setting changes every downstream key, and an
unchanged one is never recomputed (:func:`sselab.pipeline.executor.run_tasks`).

Stage functions have the signature ``fn(inputs, deps, context) -> result`` where
``deps`` maps dependency names to their results and ``context`` carries what must
not enter the key (device, a scratch folder for MD checkpoints). They are
module-level functions so Dask can ship them to worker processes by reference.
Results are typed (``RoundTrip`` dataclasses of the science packages, or the small
ones below): a task declares its result type in ``returns``, the store keeps
``as_dict()`` and the executor hands ``returns.from_dict(...)`` to dependants.

Builders (``order_task``, ``relax_task``, ...) create the tasks of one candidate
M(2+x)A'(x)A(1-x); :mod:`sselab.pipeline.study` wires them up for a whole study.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pymatgen.core import Lattice, Structure

from sselab.calculators import RelaxResult, model_label
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.store import input_key
from sselab.thermo.energies import PhaseEnergy
from sselab.thermo.window import StabilityWindow
from sselab.units import T_300K

TaskFunction = Callable[[dict[str, Any], dict[str, Any], "TaskContext"], Any]


@dataclass(frozen=True)
class TaskContext:
    """Execution settings that do not change a task's result (kept out of its key).

    Attributes:
        work_dir: scratch folder of this task (MD trajectories and checkpoints), stable
            across reruns so an interrupted MD resumes from its checkpoint.
        device: torch device for MLIPs ("auto", "cpu", "cuda").
        store: where inner steps (relaxations, phonons) are cached: the driver's
            ResultStore in-process; on a Dask worker the task's own scratch store in
            ``work_dir`` (``execute_with_scratch_store``), never the results store.
    """

    work_dir: Path
    device: str = "auto"
    store: Any | None = None


@dataclass(frozen=True, eq=False)
class Task:
    """One cached computation in the pipeline DAG.

    The key covers kind, inputs and dependency keys, not the function's code: a
    change to a stage's science must add or change an input to invalidate old rows.

    Attributes:
        kind: stage name, also the store's ``kind`` column ("order", "relax", ...).
        inputs: JSON-able inputs; with the dependency keys they define the store key.
        fn: module-level stage function ``fn(inputs, deps, context) -> payload``.
        deps: name -> upstream task; ``fn`` receives name -> upstream payload.
        resources: Dask worker resources the task needs, e.g. ``{"GPU": 1}`` for MD
            (honoured only when some worker declares them).
        label: human-readable name for progress and errors (e.g. the candidate).
        returns: the result type (``from_dict`` rebuilds it from the stored JSON);
            None for plain JSON results.

    Example:
        >>> t = Task("double", {"x": 0.1 + 0.2, "tag": "a"}, lambda i, d, c: 2 * i["x"])
        >>> t.key == Task("double", {"tag": "a", "x": 0.3}, lambda i, d, c: 0).key
        True
    """

    kind: str
    inputs: Mapping[str, Any]
    fn: TaskFunction
    deps: Mapping[str, Task] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=dict)
    label: str = ""
    returns: Any | None = None

    @property
    def store_inputs(self) -> dict[str, Any]:
        """What the store hashes and keeps: the inputs plus each dependency's key."""
        return {"inputs": dict(self.inputs), "deps": {n: d.key for n, d in self.deps.items()}}

    @cached_property
    def key(self) -> str:
        """sha256 store key of (kind, inputs, dependency keys)."""
        return input_key(self.kind, self.store_inputs)


# --------------------------------------------------------------------------- results


@dataclass
class OrderedCells(RoundTrip):
    """Result of the ``order`` stage: ordered supercells, lowest Ewald energy first.

    Attributes:
        structures: the ordered cells.
        ewald_eV_per_atom: Ewald energy of each cell.
        x_actual: x realised by the cells.
        formula: reduced formula of the cells.
    """

    structures: list[Structure]
    ewald_eV_per_atom: list[float]
    x_actual: float
    formula: str


@dataclass
class TieLineResult(RoundTrip):
    """Result of the ``hull`` stage: the best ordering against the M2A–M3A' tie line.

    Attributes:
        formula: reduced formula of the best ordering.
        x_actual: realised x.
        n_atoms: atoms in the cell.
        energy_per_atom_eV: MLIP energy of the best ordering.
        e_above_tie_meV_per_atom: lowest ordering's energy above the tie line, with the
            spread over the relaxed orderings (error kind "spread", not an error).
        ordering_energies_meV_per_atom: every ordering relative to the best, ascending.
        decomposition: "M2A + M3A'" above the tie line, "none" below it.
        hull_contains: phases the tie line is built from.
        all_converged: every ordering's relaxation reached fmax.
    """

    formula: str
    x_actual: float
    n_atoms: int
    energy_per_atom_eV: float
    e_above_tie_meV_per_atom: Estimate
    ordering_energies_meV_per_atom: list[float]
    decomposition: str
    hull_contains: str
    all_converged: bool


@dataclass
class WindowResult(RoundTrip):
    """Result of the ``window`` stage: the full reference-phase hull and the window.

    Attributes:
        window: stability window vs Li+/Li of the best ordering.
        e_hull_meV_per_atom: above the hull of every reference phase of the system.
        decomposition: hull decomposition (phase name -> molar fraction).
        hull_contains: reference phases of the hull.
    """

    window: StabilityWindow
    e_hull_meV_per_atom: float
    decomposition: dict[str, float]
    hull_contains: list[str]


@dataclass
class Reflection(RoundTrip):
    """One simulated reflection: Miller indices, d spacing, position, intensity."""

    hkl: tuple[int, int, int]
    d_angstrom: float
    position: float
    intensity: float


@dataclass
class PeakList(RoundTrip):
    """Result of the ``diffraction`` stage: strongest reflections of the average cell.

    Attributes:
        a_angstrom: lattice constant of the disordered Fm-3m cell.
        radiation: radiation spec.
        peaks: strongest reflections by position.
    """

    a_angstrom: float
    radiation: str
    peaks: list[Reflection]


# --------------------------------------------------------------------------- stages


def best_relaxed(deps: Mapping[str, Any], prefix: str = "relax") -> RelaxResult:
    """The lowest-energy result among dependencies named ``<prefix>...``.

    Example:
        >>> from types import SimpleNamespace as R
        >>> best_relaxed({"relax0": R(energy_per_atom_eV=-1), "relax1": R(energy_per_atom_eV=-2)})
        namespace(energy_per_atom_eV=-2)
    """
    relaxed = [p for name, p in deps.items() if name.startswith(prefix)]
    if not relaxed:
        raise ValueError(f"no dependency named {prefix}*: the task needs relaxed orderings")
    return min(relaxed, key=lambda p: p.energy_per_atom_eV)


def order_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> OrderedCells:
    """Ordered supercells of M(2+x)A'(x)A(1-x), lowest Ewald energy first.

    Example:
        >>> inputs = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 2).inputs
        >>> order_stage(dict(inputs), {}, TaskContext(Path("/tmp"))).formula
        'Li5SN'
    """
    from sselab.structures import actual_x, antifluorite, enumerate_orderings, ewald_energy_per_atom

    host, dopant = inputs["anions"]
    cells = enumerate_orderings(
        antifluorite(inputs["x"], anions=(host, dopant), cation=inputs["cation"]),
        supercell=inputs["supercell"],
        n=inputs["n_orderings"],
        seed=inputs["seed"],
    )
    return OrderedCells(
        structures=list(cells),
        ewald_eV_per_atom=[ewald_energy_per_atom(c) for c in cells],
        x_actual=actual_x(cells[0], dopant=dopant, host=host),
        formula=cells[0].composition.reduced_formula,
    )


def relax_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> RelaxResult:
    """MLIP volume + position relaxation of ordering ``index`` of the ``order`` result.

    Example:
        >>> out = relax_stage({"index": 0, "model": "chgnet:0.3.0", "fmax": 0.1, "max_steps": 50},
        ...                   {"order": ordered_cells}, context)  # doctest: +SKIP
        >>> out.energy_per_atom_eV  # doctest: +SKIP
        -3.98
    """
    from sselab.calculators import get_calculator, relax

    structure = deps["order"].structures[inputs["index"]]
    calculator = get_calculator(inputs["model"], device=context.device)
    result = relax(
        structure,
        calculator,
        fmax=inputs["fmax"],
        max_steps=inputs["max_steps"],
        keep_cell_shape=inputs["keep_cell_shape"],
    )
    result.model = inputs["model"]
    return result


def relax_phase_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> PhaseEnergy:
    """Relaxed energy of a named reference phase (via ``sselab.thermo.relax_phases``).

    Example:
        >>> from sselab.structures import reference_phases
        >>> task = relax_phase_task("Li", reference_phases(["Li"])["Li"], RelaxSettings())
        >>> context = TaskContext(Path("/tmp"))
        >>> out = relax_phase_stage(dict(task.inputs), {}, context)  # doctest: +SKIP
        >>> round(out.energy_per_atom_eV, 1)  # doctest: +SKIP
        -1.9
    """
    from sselab.thermo.energies import relax_phases

    return relax_phases(
        {inputs["name"]: Structure.from_dict(inputs["structure"])},
        model=inputs["model"],
        fmax=inputs["fmax"],
        max_steps=inputs["max_steps"],
        progress=False,  # one phase per task: the task runner's bars show the progress
    )[inputs["name"]]


def tie_line_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> TieLineResult:
    """Energy above the M2A–M3A' tie line of the best ordering (the paper's E_hull).

    A full pymatgen hull needs elemental references for every element, which sselab
    has only for Li–N–S (the ``window`` stage); the tie line
    (:func:`sselab.thermo.hull.energy_above_tie_meV_per_atom`) is defined for every
    chemistry.

    Example:
        >>> out = tie_line_stage({"anions": ["S", "N"]}, deps, context)  # doctest: +SKIP
        >>> out.e_above_tie_meV_per_atom.value  # doctest: +SKIP
        33.4
    """
    from sselab.thermo.hull import energy_above_tie_meV_per_atom

    best = best_relaxed(deps)
    relaxed = [p for name, p in deps.items() if name.startswith("relax")]
    host, dopant = inputs["anions"]
    counts = best.structure.composition.element_composition
    x = float(counts[dopant] / (counts[dopant] + counts[host]))
    host_phase, dopant_phase = deps["host"], deps["dopant"]

    def above(energy_per_atom_eV: float) -> float:
        return energy_above_tie_meV_per_atom(
            x, energy_per_atom_eV, host_phase.energy_per_atom_eV, dopant_phase.energy_per_atom_eV
        )

    e_above = [above(p.energy_per_atom_eV) for p in relaxed]
    lowest = above(best.energy_per_atom_eV)
    return TieLineResult(
        formula=best.structure.composition.reduced_formula,
        x_actual=x,
        n_atoms=len(best.structure),
        energy_per_atom_eV=best.energy_per_atom_eV,
        e_above_tie_meV_per_atom=Estimate.from_samples(e_above, "meV/atom", best=lowest),
        ordering_energies_meV_per_atom=sorted(e - lowest for e in e_above),
        decomposition=(f"{host_phase.formula} + {dopant_phase.formula}" if lowest > 0 else "none"),
        hull_contains=f"{host_phase.formula}, {dopant_phase.formula} (tie line)",
        all_converged=all(p.converged for p in relaxed),
    )


def window_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> WindowResult:
    """Full reference-phase hull and electrochemical window vs Li+/Li of the best ordering.

    Example:
        >>> out = window_stage({"scheme": "raw"}, deps, context)  # doctest: +SKIP
        >>> out.window.reduction_limit_V, round(out.window.oxidation_limit_V, 2)  # doctest: +SKIP
        (0.0, 0.55)
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    from sselab.thermo.energies import entry_name, to_entry
    from sselab.thermo.window import stability_window

    best = best_relaxed(deps)
    phases = [p for name, p in deps.items() if name.startswith("phase:")]
    references = [to_entry(p.name, p.structure, p.energy_eV, inputs["scheme"]) for p in phases]
    entry = to_entry("candidate", best.structure, best.energy_eV, inputs["scheme"])
    diagram = PhaseDiagram([*references, entry])
    window = stability_window(best.structure.composition.element_composition, diagram)
    decomposition = diagram.get_decomposition(entry.composition)
    e_hull_eV = diagram.get_e_above_hull(entry)
    assert e_hull_eV is not None  # the candidate is one of the diagram's entries
    return WindowResult(
        window=window,
        e_hull_meV_per_atom=1000 * e_hull_eV,
        decomposition={entry_name(e): float(f) for e, f in decomposition.items()},
        hull_contains=sorted(p.name for p in phases),
    )


def _average_cell(inputs: dict[str, Any], deps: dict[str, Any]) -> Structure:
    """Disordered Fm-3m M(2+x)A'(x)A(1-x) at the pseudo-cubic a of the best relaxed ordering."""
    from sselab.structures import antifluorite
    from sselab.structures.cells import pseudo_cubic_a

    relaxed = best_relaxed(deps).structure
    host, dopant = inputs["anions"]
    n_anions = sum(1 for site in relaxed if site.specie.symbol in (host, dopant))
    a = pseudo_cubic_a(relaxed, n_anions=n_anions)
    return antifluorite(inputs["x"], anions=(host, dopant), cation=inputs["cation"], a=a)


def bvse_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Any:
    """BVSE percolation barriers (1D/2D/3D, eV) of the mobile cation (``BVSEResult``).

    ``structure = "disordered"`` (default) uses the Fm-3m average cell at the relaxed a,
    as the paper did with its refined structure; "ordered" uses the best relaxed
    ordering itself (local distortions included, one arrangement only). The stored
    result leaves the energy grid out (``BVSEResult.landscape``).

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> from sselab.calculators import RelaxResult
        >>> cell = enumerate_orderings(antifluorite(0.5, a=5.458), (1, 1, 1), n=1)[0]
        >>> relaxed = RelaxResult(cell, 0.0, 0.0, (0, 0, 0), (0, 0, 0), 0.0, True, 0, 0.0, "", 0)
        >>> inputs = {"cation": "Li", "anions": ["S", "N"], "x": 0.5,
        ...           "resolution_angstrom": 0.3, "structure": "disordered"}
        >>> out = bvse_stage(inputs, {"relax0": relaxed}, TaskContext(Path("/tmp")))
        >>> round(out.barrier_3d_eV.value, 1)  # 5.458 Å is the paper's a(0.5)
        0.4
    """
    from sselab.transport.bvse import percolation_barriers

    if inputs["structure"] == "disordered":
        structure = _average_cell(inputs, deps)
    else:
        structure = best_relaxed(deps).structure
    return percolation_barriers(
        structure, mobile=inputs["cation"], resolution_angstrom=inputs["resolution_angstrom"]
    )


def md_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Any:
    """NVT MD of the best ordering at one temperature, then D and sigma with block errors.

    The trajectory lives in ``context.work_dir`` and the run resumes from its
    checkpoint, so an interrupted screening loses at most one checkpoint interval.
    Returns the ``sselab.transport.analysis.DiffusionResult``.

    Example:
        >>> out = md_stage(dict(md_task.inputs), deps, context)  # doctest: +SKIP
        >>> out.D_cm2_per_s.value  # doctest: +SKIP
        2.1e-05
    """
    from sselab.structures.cells import md_supercell
    from sselab.transport.analysis import analyze_diffusion
    from sselab.transport.md import run_md
    from sselab.transport.trajectory import read_trajectory

    structure = best_relaxed(deps).structure * inputs["supercell"]
    if (height := inputs.get("min_height_angstrom")) is not None:
        structure = md_supercell(structure, height)
    run = run_md(
        structure,
        inputs["temperature_K"],
        context.work_dir,
        time_ps=inputs["time_ps"],
        timestep_fs=inputs["timestep_fs"],
        equilibration_ps=inputs["equilibration_ps"],
        frame_interval_steps=inputs["frame_interval_steps"],
        checkpoint_interval_steps=50 * inputs["frame_interval_steps"],
        seed=inputs["seed"],
        calculator=inputs["model"],
        device=context.device,
        resume=True,
        progress=False,
    )
    return analyze_diffusion(
        read_trajectory(run.trajectory_path), species=inputs["species"], n_blocks=inputs["n_blocks"]
    )


def transport_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Any:
    """Arrhenius fit of tracer D(T) from the MD tasks, extrapolated to ``temperature_K``.

    Returns ``sselab.transport.analysis.arrhenius_from_results`` of the MD results.

    Example:
        >>> out = transport_stage({"temperature_K": 300.0}, md_results, context)  # doctest: +SKIP
        >>> out.sigma_S_per_cm.value  # doctest: +SKIP
        0.008
    """
    from sselab.transport.analysis import arrhenius_from_results

    runs = sorted((p for n, p in deps.items() if n.startswith("md")), key=lambda p: p.temperature_K)
    return arrhenius_from_results(runs, inputs["temperature_K"])


def diffraction_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> PeakList:
    """Powder pattern of the disordered cell at the relaxed pseudo-cubic lattice constant.

    The experiment sees the disordered Fm-3m average, not one ordering, so the pattern
    is simulated for ``antifluorite(x)`` with a taken from the best relaxed ordering.

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> from sselab.calculators import RelaxResult
        >>> cell = enumerate_orderings(antifluorite(0.5, a=5.458), (1, 1, 1), n=1)[0]
        >>> relaxed = RelaxResult(cell, 0.0, 0.0, (0, 0, 0), (0, 0, 0), 0.0, True, 0, 0.0, "", 0)
        >>> inputs = {"cation": "Li", "anions": ["S", "N"], "x": 0.5,
        ...           "radiation": "CuKa", "n_peaks": 3}
        >>> out = diffraction_stage(inputs, {"relax0": relaxed}, TaskContext(Path("/tmp")))
        >>> round(out.a_angstrom, 3), out.peaks[0].hkl
        (5.458, (1, 1, 1))
    """
    cell = _average_cell(inputs, deps)
    return _peak_list(cell, inputs["radiation"], inputs["n_peaks"])


def _peak_list(cell: Structure, radiation: str, n_peaks: int) -> PeakList:
    """The ``n_peaks`` strongest simulated reflections of ``cell``, by position."""
    from sselab.diffraction.simulate import simulate_pattern

    simulated = simulate_pattern(cell, radiation)
    strongest = np.argsort(simulated.intensity)[::-1][:n_peaks]
    return PeakList(
        a_angstrom=cell.lattice.a,
        radiation=radiation,
        peaks=[
            Reflection(
                hkl=(int(simulated.hkl[i][0]), int(simulated.hkl[i][1]), int(simulated.hkl[i][2])),
                d_angstrom=float(simulated.d_angstrom[i]),
                position=float(simulated.position[i]),
                intensity=float(simulated.intensity[i]),
            )
            for i in sorted(strongest, key=lambda i: simulated.position[i])
        ],
    )


# ----------------------------------------------------------- structure files


def structure_order_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> Any:
    """Ordered supercells of a structure file, lowest Ewald energy first (``OrderedSupercells``).

    See :func:`sselab.structures.partial.order_structure`; tested in
    tests/screen/test_partial.py.

    Example:
        >>> out = structure_order_stage(dict(order.inputs), {}, context)  # doctest: +SKIP
        >>> out.scaling  # doctest: +SKIP
        (1, 1, 5)
    """
    from sselab.structures.partial import order_structure

    return order_structure(
        Structure.from_dict(inputs["structure"]),
        n_orderings=inputs["n_orderings"],
        n_candidates=inputs["n_candidates"],
        max_atoms=inputs["max_atoms"],
        occupancy_tolerance=inputs["occupancy_tolerance"],
        seed=inputs["seed"],
    )


def structure_bvse_stage(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Any:
    """BVSE percolation barriers of a structure file's site-averaged cell (``BVSEResult``).

    Co-occupants of the mobile ion's sites are left out
    (:func:`sselab.structures.partial.clear_mobile_sites`).

    Example:
        >>> from sselab.structures import antifluorite
        >>> task = structure_bvse_task(antifluorite(0.0, a=5.719), "Li", 0.4)
        >>> out = structure_bvse_stage(dict(task.inputs), {}, TaskContext(Path("/tmp")))
        >>> 0.2 < out.barrier_3d_eV.value < 0.4
        True
    """
    from sselab.structures.partial import clear_mobile_sites
    from sselab.transport.bvse import percolation_barriers

    structure = clear_mobile_sites(Structure.from_dict(inputs["structure"]), inputs["mobile"])
    return percolation_barriers(
        structure,
        mobile=inputs["mobile"],
        resolution_angstrom=inputs["resolution_angstrom"],
    )


def structure_diffraction_stage(
    inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> PeakList:
    """Powder pattern (strongest peaks) of a structure file's site-averaged cell.

    Example:
        >>> from sselab.structures import antifluorite
        >>> task = structure_diffraction_task(antifluorite(0.0, a=5.719), "CuKa", 2)
        >>> out = structure_diffraction_stage(dict(task.inputs), {}, TaskContext(Path("/tmp")))
        >>> [p.hkl for p in out.peaks]
        [(1, 1, 1), (2, 2, 0)]
    """
    return _peak_list(
        Structure.from_dict(inputs["structure"]), inputs["radiation"], inputs["n_peaks"]
    )


# ------------------------------------------------------------------ end members


def _anti_reo3(cation: str, anion: str, a: float) -> Structure:
    return Structure.from_spacegroup(
        "Pm-3m", Lattice.cubic(a), [anion, cation], [[0, 0, 0], [0.5, 0, 0]]
    )


@cache
def end_member_structures(cation: str, host: str, dopant: str) -> dict[str, dict[str, Any]]:
    """Experimental structures (pymatgen dicts) of M2A (antifluorite) and M3A' for the tie line.

    Names and structures of phases that ``sselab.structures.reference_phases`` has
    (Li2S, alpha-Li3N) are taken from there, so the relaxations are shared with the
    ``window`` stage. Other M2A: ``antifluorite(0)`` at the parent's experimental a.
    Na3N: anti-ReO3, Pm-3m, a = 3.8175 Å (Fischer & Jansen, Angew. Chem. Int. Ed. 41,
    1755 (2002)). Cached: pymatgen's space-group expansion costs ~0.1 s per structure.

    Example:
        >>> sorted(end_member_structures("Li", "O", "N"))
        ['Li2O', 'alpha-Li3N']
    """
    from sselab.structures import REFERENCE_BUILDERS, antifluorite

    m3a = {
        ("Li", "N"): ("alpha-Li3N", REFERENCE_BUILDERS["alpha-Li3N"]),
        ("Na", "N"): ("Na3N", lambda: _anti_reo3("Na", "N", 3.8175)),
    }
    if (cation, dopant) not in m3a:
        raise ValueError(f"no reference structure for {cation}3{dopant}; known: {sorted(m3a)}")
    name = f"{cation}2{host}"
    if name in REFERENCE_BUILDERS:
        parent = REFERENCE_BUILDERS[name]()
    else:
        parent = antifluorite(0.0, anions=(host, dopant), cation=cation)
        parent.remove_oxidation_states()
    m3a_name, build = m3a[(cation, dopant)]
    return {name: parent.as_dict(), m3a_name: build().as_dict()}


# --------------------------------------------------------------------- builders


@dataclass(frozen=True)
class RelaxSettings:
    """Relaxation settings shared by every relax task of a study.

    Attributes:
        model: registered MLIP name (stored as its canonical label).
        fmax_eV_per_angstrom: force threshold.
        max_steps: optimiser step limit.
    """

    model: str = "chgnet"
    fmax_eV_per_angstrom: float = 0.05
    max_steps: int = 300

    def as_inputs(self) -> dict[str, Any]:
        """Task inputs (model as its canonical label so aliases share cache rows)."""
        return {
            "model": model_label(self.model),
            "fmax": self.fmax_eV_per_angstrom,
            "max_steps": self.max_steps,
        }


def order_task(
    cation: str,
    anions: tuple[str, str],
    x: float,
    supercell: Sequence[int],
    n_orderings: int,
    seed: int = 0,
    label: str = "",
) -> Task:
    """Build/order stage of one composition.

    Example:
        >>> order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 2).kind
        'order'
    """
    inputs = {
        "cation": cation,
        "anions": list(anions),
        "x": x,
        "supercell": list(supercell),
        "n_orderings": n_orderings,
        "seed": seed,
    }
    return Task("order", inputs, order_stage, label=label, returns=OrderedCells)


def relax_tasks(order: Task, settings: RelaxSettings, keep_cell_shape: bool = True) -> list[Task]:
    """One relax task per ordering that ``order`` produces.

    ``keep_cell_shape``: ordered cells of a cubic solid solution relax at fixed shape,
    as in sselab.thermo (see ``sselab.calculators.relax``); a structure file's ordered
    supercell relaxes its shape freely.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 2)
        >>> [t.inputs["index"] for t in relax_tasks(order, RelaxSettings())]
        [0, 1]
    """
    return [
        Task(
            "relax",
            {"index": k, "keep_cell_shape": keep_cell_shape, **settings.as_inputs()},
            relax_stage,
            {"order": order},
            label=order.label,
            returns=RelaxResult,
        )
        for k in range(order.inputs["n_orderings"])
    ]


def relax_phase_task(
    name: str, structure: Structure | dict[str, Any], settings: RelaxSettings
) -> Task:
    """Relaxation of a named reference phase (shared by every candidate that needs it).

    Example:
        >>> from sselab.structures import reference_phases
        >>> relax_phase_task("Li", reference_phases(["Li"])["Li"], RelaxSettings()).kind
        'relax_phase'
    """
    data = structure.as_dict() if isinstance(structure, Structure) else structure
    inputs = {"name": name, "structure": data, **settings.as_inputs()}
    return Task("relax_phase", inputs, relax_phase_stage, label=name, returns=PhaseEnergy)


def _relaxed_deps(relaxed: Sequence[Task]) -> dict[str, Task]:
    return {f"relax{k}": t for k, t in enumerate(relaxed)}


def tie_line_task(
    cation: str, anions: tuple[str, str], relaxed: Sequence[Task], settings: RelaxSettings
) -> Task:
    """Energy above the M2A–M3A' tie line (see :func:`tie_line_stage`).

    Example:
        >>> order = order_task("Li", ("O", "N"), 0.5, (1, 1, 1), 1)
        >>> sorted(tie_line_task("Li", ("O", "N"), relax_tasks(order, RelaxSettings()),
        ...                      RelaxSettings()).deps)
        ['dopant', 'host', 'relax0']
    """
    host, dopant = anions
    ends = end_member_structures(cation, host, dopant)
    host_task, dopant_task = (relax_phase_task(n, s, settings) for n, s in ends.items())
    deps = {"host": host_task, "dopant": dopant_task, **_relaxed_deps(relaxed)}
    return Task(
        "hull",
        {"anions": list(anions)},
        tie_line_stage,
        deps,
        label=relaxed[0].label,
        returns=TieLineResult,
    )


def window_task(
    elements: Sequence[str],
    relaxed: Sequence[Task],
    settings: RelaxSettings,
    scheme: str = "raw",
    extra_phases: Mapping[str, Structure] | None = None,
) -> Task:
    """Hull and stability window over every sselab reference phase of ``elements``.

    ``extra_phases`` (name -> ordered structure, e.g. a study's ``[[phases]]`` files)
    join the hull where their elements lie in the system; they are relaxed like the
    shipped phases and listed as "NAME (user)".

    Raises:
        ValueError: no elemental reference for one of the elements, shipped or extra.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
        >>> task = window_task(["Li", "N", "S"], relax_tasks(order, RelaxSettings()),
        ...                    RelaxSettings())
        >>> len([n for n in task.deps if n.startswith("phase:")])
        8
    """
    from sselab.thermo.systems import phases_in_system, reference_structure

    wanted = set(elements)
    unordered = [name for name, s in (extra_phases or {}).items() if not s.is_ordered]
    if unordered:
        raise ValueError(f"extra phases {unordered}: partial occupancies; give ordered cells")
    extra = {
        f"{name} (user)": structure
        for name, structure in (extra_phases or {}).items()
        if {el.symbol for el in structure.composition.elements} <= wanted
    }
    brought = {
        s.composition.elements[0].symbol for s in extra.values() if len(s.composition.elements) == 1
    }
    phases = {
        f"phase:{name}": relax_phase_task(name, reference_structure(name), settings)
        for name in phases_in_system(elements, brought)
    }
    phases.update(
        {f"phase:{name}": relax_phase_task(name, s, settings) for name, s in extra.items()}
    )
    deps = {**phases, **_relaxed_deps(relaxed)}
    return Task(
        "window",
        {"scheme": scheme},
        window_stage,
        deps,
        label=relaxed[0].label,
        returns=WindowResult,
    )


def bvse_task(
    cation: str,
    anions: tuple[str, str],
    x: float,
    relaxed: Sequence[Task],
    resolution_angstrom: float = 0.2,
    structure: str = "disordered",
) -> Task:
    """BVSE barriers of the average cell (or the best relaxed ordering), see :func:`bvse_stage`.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
        >>> bvse_task("Li", ("S", "N"), 0.5, relax_tasks(order, RelaxSettings())).kind
        'bvse'
    """
    if structure not in ("disordered", "ordered"):
        raise ValueError(f"structure = '{structure}': choose 'disordered' or 'ordered'")
    inputs = {
        "cation": cation,
        "anions": list(anions),
        "x": x,
        "resolution_angstrom": resolution_angstrom,
        "structure": structure,
    }
    from sselab.transport.bvse import BVSEResult

    return Task(
        "bvse",
        inputs,
        bvse_stage,
        _relaxed_deps(relaxed),
        label=relaxed[0].label,
        returns=BVSEResult,
    )


@dataclass(frozen=True)
class MDProfile:
    """MD settings of a screening (one run per temperature).

    Attributes:
        temperatures_K: thermostat temperatures (>= 2 for an Arrhenius fit).
        time_ps: production time per run.
        equilibration_ps: equilibration excluded from analysis.
        timestep_fs: integration time step.
        frame_interval_steps: frame stride.
        supercell: replication of the relaxed ordering for MD.
        n_blocks: blocks for the D error estimate.
        seed: initial-velocity seed.
        min_height_angstrom: if set, the replicated cell is grown further to the
            smallest near-cubic supercell with every face-to-face height at least this
            (:func:`sselab.structures.cells.md_supercell`; structure files, whose
            primitive cells can be 2 atoms).
    """

    temperatures_K: tuple[float, ...] = (600.0, 800.0, 1000.0)
    time_ps: float = 10.0
    equilibration_ps: float = 1.0
    timestep_fs: float = 2.0
    frame_interval_steps: int = 10
    supercell: tuple[int, int, int] = (1, 1, 1)
    n_blocks: int = 5
    seed: int = 0
    min_height_angstrom: float | None = None


def md_tasks(species: str, relaxed: Sequence[Task], profile: MDProfile, model: str) -> list[Task]:
    """One MD task per temperature, each asking for a GPU when workers offer one.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
        >>> len(md_tasks("Li", relax_tasks(order, RelaxSettings()), MDProfile(), "chgnet"))
        3
    """
    from sselab.transport.analysis import DiffusionResult

    common = {
        "species": species,
        "model": model_label(model),
        "time_ps": profile.time_ps,
        "equilibration_ps": profile.equilibration_ps,
        "timestep_fs": profile.timestep_fs,
        "frame_interval_steps": profile.frame_interval_steps,
        "supercell": list(profile.supercell),
        "n_blocks": profile.n_blocks,
        "seed": profile.seed,
    }
    if profile.min_height_angstrom is not None:  # absent otherwise: stored keys stay valid
        common["min_height_angstrom"] = profile.min_height_angstrom
    return [
        Task(
            "md",
            {"temperature_K": float(t), **common},
            md_stage,
            _relaxed_deps(relaxed),
            resources={"GPU": 1},
            label=relaxed[0].label,
            returns=DiffusionResult,
        )
        for t in profile.temperatures_K
    ]


def transport_task(md: Sequence[Task], temperature_K: float = T_300K) -> Task:
    """Arrhenius extrapolation of the MD tasks to ``temperature_K``.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
        >>> runs = md_tasks("Li", relax_tasks(order, RelaxSettings()), MDProfile(), "chgnet")
        >>> sorted(transport_task(runs).deps)
        ['md0', 'md1', 'md2']
    """
    if len(md) < 2:
        raise ValueError(f"an Arrhenius fit needs MD at >= 2 temperatures, got {len(md)}")
    from sselab.transport.analysis import ArrheniusSummary

    deps = {f"md{k}": t for k, t in enumerate(md)}
    return Task(
        "transport",
        {"temperature_K": temperature_K},
        transport_stage,
        deps,
        label=md[0].label,
        returns=ArrheniusSummary,
    )


def diffraction_task(
    cation: str,
    anions: tuple[str, str],
    x: float,
    relaxed: Sequence[Task],
    radiation: str = "CuKa",
    n_peaks: int = 8,
) -> Task:
    """Simulated powder pattern (strongest peaks) of the disordered cell at the relaxed a.

    Example:
        >>> order = order_task("Li", ("S", "N"), 0.5, (1, 1, 1), 1)
        >>> diffraction_task("Li", ("S", "N"), 0.5, relax_tasks(order, RelaxSettings())).kind
        'diffraction'
    """
    inputs = {
        "cation": cation,
        "anions": list(anions),
        "x": x,
        "radiation": radiation,
        "n_peaks": n_peaks,
    }
    return Task(
        "diffraction",
        inputs,
        diffraction_stage,
        _relaxed_deps(relaxed),
        label=relaxed[0].label,
        returns=PeakList,
    )


def structure_order_task(
    structure: Structure,
    n_orderings: int = 3,
    n_candidates: int = 12,
    max_atoms: int = 200,
    occupancy_tolerance: float = 0.03,
    seed: int = 0,
    label: str = "",
) -> Task:
    """Ordered supercells of a (decorated) structure file, see :func:`structure_order_stage`.

    Example:
        >>> from sselab.structures import antifluorite
        >>> structure_order_task(antifluorite(0.5), 2).inputs["n_orderings"]
        2
    """
    from sselab.structures.partial import OrderedSupercells

    inputs = {
        "structure": structure.as_dict(),
        "n_orderings": n_orderings,
        "n_candidates": n_candidates,
        "max_atoms": max_atoms,
        "occupancy_tolerance": occupancy_tolerance,
        "seed": seed,
    }
    return Task(
        "order_structure", inputs, structure_order_stage, label=label, returns=OrderedSupercells
    )


def structure_bvse_task(
    structure: Structure, mobile: str, resolution_angstrom: float = 0.2, label: str = ""
) -> Task:
    """BVSE barriers of a structure file's site-averaged cell (oxidation states set).

    Example:
        >>> from sselab.structures import antifluorite
        >>> structure_bvse_task(antifluorite(0.5), "Li").kind
        'bvse_structure'
    """
    from sselab.transport.bvse import BVSEResult

    inputs = {
        "structure": structure.as_dict(),
        "mobile": mobile,
        "resolution_angstrom": resolution_angstrom,
        "mobile_sites": "cleared",
    }
    return Task("bvse_structure", inputs, structure_bvse_stage, label=label, returns=BVSEResult)


def structure_diffraction_task(
    structure: Structure, radiation: str = "CuKa", n_peaks: int = 8, label: str = ""
) -> Task:
    """Simulated powder pattern of a structure file's site-averaged cell.

    Example:
        >>> from sselab.structures import antifluorite
        >>> structure_diffraction_task(antifluorite(0.5)).kind
        'diffraction_structure'
    """
    inputs = {"structure": structure.as_dict(), "radiation": radiation, "n_peaks": n_peaks}
    return Task(
        "diffraction_structure",
        inputs,
        structure_diffraction_stage,
        label=label,
        returns=PeakList,
    )
