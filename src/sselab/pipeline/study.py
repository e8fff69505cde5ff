"""Study files: which candidates, which model, which stages (TOML, validated by pydantic).

A study lists candidate *families* (cation, anion pair, x grid, supercell); every
(family, x) is one candidate M(2+x)A'(x)A(1-x). Example (see
``examples/study_antifluorites.toml``)::

    name = "antifluorites"
    model = "chgnet"
    stages = ["order", "relax", "hull", "window", "bvse", "diffraction"]

    [relax]
    fmax_eV_per_angstrom = 0.05

    [[candidates]]
    name = "Li-S-N"
    anions = ["S", "N"]
    x = [0.25, 0.5]

A study may also (or only) list structure files to screen as they are, any Li or Na
conductor, ordered or with partial occupancies; relative paths are taken from the
study file's folder::

    [[structures]]
    path = "cifs/Li6PS5Cl.cif"
    name = "argyrodite"                        # default: the file name
    oxidation_states = {Li = 1, P = 5, S = -2, Cl = -1}   # default: the file's, or a guess

Competing phases sselab does not ship (``sselab.thermo.reduction_products`` says which
are missing, e.g. Li2ZrO3, Ta2O5) can be brought as ordered structure files; they join
the ``window`` hull of every candidate whose elements they lie within::

    [[phases]]
    path = "refs/Li2ZrO3.cif"
    name = "Li2ZrO3"                           # default: the file name

Errors name the field, e.g. ``study.toml: candidates[1].x[0]: x = 1.2 must be in (0, 1)``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

import sselab.pipeline.tasks as tasks
from sselab.pipeline.tasks import Task

Stage = Literal["order", "relax", "hull", "window", "bvse", "md", "transport", "diffraction"]
STAGES: tuple[str, ...] = get_args(Stage)
# Stages every other stage builds on; always run.
CORE_STAGES = ("order", "relax")
ANION_CHARGES = {"O": -2, "S": -2, "Se": -2, "Te": -2, "N": -3}
BUILTIN_STUDIES = ("seed",)
# A structure file's ordered cell can be a 2-atom primitive rock salt: MD in it would
# see a hopping ion's own periodic image 2.3 Å away. 7 Å keeps the images beyond the
# first neighbour shell at < 100 atoms for most of the validation set.
STRUCTURE_MD_MIN_HEIGHT_ANGSTROM = 7.0


class StudyError(ValueError):
    """A study file is missing, is not TOML, or has an invalid field (named in the message)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateFamily(_Strict):
    """M(2+x)A'(x)A(1-x) over an x grid, ordered in one supercell."""

    name: str = Field(min_length=1)
    cation: Literal["Li", "Na"] = "Li"
    anions: tuple[str, str] = ("S", "N")
    x: list[float] = Field(min_length=1)
    supercell: tuple[PositiveInt, PositiveInt, PositiveInt] = (1, 1, 1)
    n_orderings: PositiveInt = 1

    @field_validator("anions")
    @classmethod
    def _anion_charges(cls, anions: tuple[str, str]) -> tuple[str, str]:
        charges = tuple(ANION_CHARGES.get(a) for a in anions)
        if charges != (-2, -3):
            raise ValueError(
                f"anions must be (divalent host, trivalent dopant) from {sorted(ANION_CHARGES)}, "
                f"e.g. ['S', 'N']; got {list(anions)}"
            )
        return anions

    @model_validator(mode="after")
    def _x_fits_supercell(self) -> CandidateFamily:
        n_anions = 4 * math.prod(self.supercell)
        for k, x in enumerate(self.x):
            if not 0 < x < 1:
                raise _FieldError(("x", k), f"x = {x} must be in (0, 1)")
            if abs(x * n_anions - round(x * n_anions)) > 1e-6:
                raise _FieldError(
                    ("x", k),
                    f"x = {x} is not a multiple of 1/{n_anions}, which supercell "
                    f"{list(self.supercell)} ({n_anions} anion sites) needs for a "
                    "charge-neutral ordering",
                )
        return self


class PhaseEntry(_Strict):
    """A competing phase for the window hull: an ordered structure file."""

    path: str = Field(min_length=1)
    name: str | None = None

    @property
    def label(self) -> str:
        """Phase name: ``name``, else the file name without its extension."""
        return self.name or Path(self.path).stem


class StructureEntry(_Strict):
    """A structure file screened as it is (CIF, POSCAR/CONTCAR, extxyz, pymatgen JSON)."""

    path: str = Field(min_length=1)
    name: str | None = None
    mobile: Literal["Li", "Na"] | None = None
    oxidation_states: dict[str, float] | None = None

    @property
    def label(self) -> str:
        """Candidate name: ``name``, else the file name without its extension."""
        return self.name or Path(self.path).stem


class OrderingSection(_Strict):
    """Ordered supercells of structure files (see ``sselab.structures.partial``)."""

    n_orderings: PositiveInt = 3
    n_candidates: PositiveInt = 12
    max_atoms: PositiveInt = 200
    occupancy_tolerance: Annotated[float, Field(gt=0, lt=0.5)] = 0.03


class RelaxSection(_Strict):
    """Relaxation settings."""

    fmax_eV_per_angstrom: PositiveFloat = 0.05
    max_steps: PositiveInt = 300


class MDSection(_Strict):
    """MD profile (``md`` and ``transport`` stages)."""

    temperatures_K: list[PositiveFloat] = Field(default=[600.0, 800.0, 1000.0], min_length=1)
    time_ps: PositiveFloat = 10.0
    equilibration_ps: Annotated[float, Field(ge=0)] = 1.0
    timestep_fs: PositiveFloat = 2.0
    frame_interval_steps: PositiveInt = 10
    supercell: tuple[PositiveInt, PositiveInt, PositiveInt] = (1, 1, 1)
    n_blocks: Annotated[int, Field(ge=3)] = 5
    seed: int = 0
    # MD cells grown to this face-to-face height (sselab.structures.cells.md_supercell);
    # structure files default to STRUCTURE_MD_MIN_HEIGHT_ANGSTROM, families to none
    min_height_angstrom: PositiveFloat | None = None

    @field_validator("temperatures_K")
    @classmethod
    def _distinct(cls, temperatures: list[float]) -> list[float]:
        if len(set(temperatures)) != len(temperatures):
            raise ValueError(f"duplicate temperatures in {temperatures}")
        return temperatures


class BVSESection(_Strict):
    """BVSE settings."""

    resolution_angstrom: PositiveFloat = 0.2
    structure: Literal["disordered", "ordered"] = "disordered"


class DiffractionSection(_Strict):
    """Diffraction settings."""

    radiation: str = "CuKa"
    n_peaks: PositiveInt = 8


class Study(_Strict):
    """A validated study file."""

    name: str = Field(min_length=1)
    model: str = "chgnet"
    stages: list[Stage] = ["order", "relax", "hull", "window", "bvse", "diffraction"]
    seed: int = 0
    relax: RelaxSection = RelaxSection()
    md: MDSection = MDSection()
    bvse: BVSESection = BVSESection()
    diffraction: DiffractionSection = DiffractionSection()
    ordering: OrderingSection = OrderingSection()
    candidates: list[CandidateFamily] = []
    structures: list[StructureEntry] = []
    phases: list[PhaseEntry] = []

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str) -> str:
        from sselab.calculators import ModelUnavailableError, parse_model

        try:
            parse_model(model)
        except ModelUnavailableError as exc:
            raise ValueError(str(exc)) from None
        return model

    @field_validator("diffraction")
    @classmethod
    def _known_radiation(cls, section: DiffractionSection) -> DiffractionSection:
        from sselab.diffraction.radiation import parse_radiation

        parse_radiation(section.radiation)
        return section

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        if not self.candidates and not self.structures:
            raise _FieldError(
                ("candidates",), "List should have at least 1 item (or list [[structures]])"
            )
        names = [c.name for c in self.candidates]
        for k, name in enumerate(names):
            if names.index(name) != k:
                raise _FieldError(("candidates", k, "name"), f"duplicate candidate name '{name}'")
        for k, entry in enumerate(self.structures):
            if entry.label in names:
                raise _FieldError(
                    ("structures", k, "name"), f"duplicate candidate name '{entry.label}'"
                )
            names.append(entry.label)
        phase_names = [p.label for p in self.phases]
        for k, name in enumerate(phase_names):
            if phase_names.index(name) != k:
                raise _FieldError(("phases", k, "name"), f"duplicate phase name '{name}'")
        if self.phases and "window" not in self.stages:
            raise _FieldError(("phases",), "phases join the window stage's hull: add 'window'")
        if "transport" in self.stages and len(self.md.temperatures_K) < 2:
            raise _FieldError(
                ("md", "temperatures_K"), "the transport stage needs MD at >= 2 temperatures"
            )
        return self


class _FieldError(ValueError):
    """Raised inside validators to point at a sub-field (pydantic only knows the model)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        return f"{_location(loc + cause.loc)}: {cause}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{_location(loc)}: {message}"


def parse_study(data: dict[str, Any], source: str = "study") -> Study:
    """Validate a study from a mapping; errors name the field.

    Raises:
        StudyError: one line per invalid field, e.g. ``study: candidates[0].x[1]: ...``.

    Example:
        >>> parse_study({"name": "s", "candidates": [{"name": "a", "x": [0.5]}]}).model
        'chgnet'
        >>> parse_study({"name": "s", "candidates": [{"name": "a", "x": [1.5]}]})
        Traceback (most recent call last):
        ...
        sselab.pipeline.study.StudyError: study: candidates[0].x[0]: x = 1.5 must be in (0, 1)
    """
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_describe(e)}" for e in exc.errors()]
        raise StudyError("\n".join(lines)) from None


def load_study(path_or_name: str | Path) -> Study:
    """Read a study TOML file, or a built-in study by name ("seed").

    Raises:
        StudyError: no such file, invalid TOML, or an invalid field.

    Example:
        >>> load_study("seed").candidates[0].anions
        ('S', 'N')
    """
    if str(path_or_name) in BUILTIN_STUDIES and not Path(path_or_name).exists():
        source = f"built-in study '{path_or_name}'"
        text = (resources.files("sselab.data") / "studies" / f"{path_or_name}.toml").read_text()
    else:
        path = Path(path_or_name)
        source = str(path)
        if not path.is_file():
            raise StudyError(
                f"{path}: no such study file (built-in studies: {', '.join(BUILTIN_STUDIES)})"
            )
        try:
            text = path.read_text(encoding="utf-8")  # TOML is UTF-8 by definition
        except UnicodeDecodeError as exc:
            raise StudyError(
                f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); TOML must be UTF-8"
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{source}: not valid TOML: {exc}") from None
    if Path(path_or_name).is_file():
        _resolve_paths(data, Path(path_or_name).parent)
    return parse_study(data, source)


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    """Structure and phase paths relative to the study file's folder (not the working
    directory)."""
    for table in ("structures", "phases"):
        entries = data.get(table)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                entry["path"] = str(folder / Path(entry["path"]).expanduser())


STRUCTURE_SUFFIXES = (".cif", ".vasp", ".poscar", ".xyz", ".extxyz", ".json")


def structure_files(paths: Sequence[str | Path]) -> list[Path]:
    """Structure files among ``paths``, folders expanded (sorted, non-recursive).

    A folder contributes files ending in ``STRUCTURE_SUFFIXES`` and files named
    POSCAR*/CONTCAR*; a file named directly is kept whatever its name.

    Raises:
        StudyError: a path does not exist, or a folder holds no structure file.

    Example:
        >>> structure_files([])
        []
    """
    out: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(
                p
                for p in item.iterdir()
                if p.is_file()
                and (
                    p.suffix.lower() in STRUCTURE_SUFFIXES
                    or p.name.upper().startswith(("POSCAR", "CONTCAR"))
                )
            )
            if not found:
                raise StudyError(f"{item}: no structure files (CIF, POSCAR, extxyz) in the folder")
            out.extend(found)
        elif item.is_file():
            out.append(item)
        else:
            raise StudyError(f"{item}: no such file or folder")
    return out


def structure_study(
    paths: Sequence[str | Path],
    stages: Sequence[str] = ("bvse", "diffraction"),
    model: str = "chgnet",
    resolution_angstrom: float = 0.2,
    name: str = "structures",
) -> Study:
    """A study screening structure files (folders expanded) with the given stages.

    Names are the file names without extension, made unique with the parent folder.

    Example:
        >>> from sselab.structures import antifluorite
        >>> _ = antifluorite(0.5).to(filename="/tmp/lns.cif")
        >>> structure_study(["/tmp/lns.cif"]).structures[0].label
        'lns'
    """
    files = structure_files(paths)
    labels = [f.stem for f in files]
    entries = [
        {
            "path": str(f),
            "name": label if labels.count(label) == 1 else f"{f.parent.name}/{label}",
        }
        for f, label in zip(files, labels, strict=True)
    ]
    return parse_study(
        {
            "name": name,
            "model": model,
            "stages": list(stages),
            "bvse": {"resolution_angstrom": resolution_angstrom},
            "structures": entries,
        },
        "command line",
    )


@dataclass(frozen=True)
class Candidate:
    """One composition of a family: what the screen ranks."""

    name: str
    family: str
    cation: str
    anions: tuple[str, str]
    x: float
    supercell: tuple[int, int, int]


@dataclass(frozen=True)
class StructureCandidate:
    """A structure file ready to screen: read, validated, oxidation states assigned.

    Attributes:
        name: candidate name.
        path: the file.
        mobile: mobile element (Li, else Na).
        structure: site-averaged structure with oxidation states.
        oxidation: the states and where they came from.
        ordered: True when no site is partially occupied.
    """

    name: str
    path: str
    mobile: str
    structure: Any
    oxidation: Any
    ordered: bool

    @property
    def anions(self) -> tuple[str, ...]:
        """Anion elements, most electronegative first."""
        from pymatgen.core import Element

        negative = [e for e, q in self.oxidation.states.items() if q < 0]
        return tuple(sorted(negative, key=lambda e: -Element(e).X))


def prepare_structure(entry: StructureEntry) -> StructureCandidate:
    """Read, validate and decorate one structure file.

    Raises:
        StructureFileError, OxidationStateError: one line naming the file (and the element
            or site); ValueError: no Li or Na to move.

    Example:
        >>> from sselab.structures import antifluorite
        >>> _ = antifluorite(0.5).to(filename="/tmp/lns.cif")
        >>> prepare_structure(StructureEntry(path="/tmp/lns.cif")).oxidation.label()
        'Li+1 N-3 S-2 (file)'
    """
    from sselab.structures import read_structure
    from sselab.structures.partial import decorate, oxidation_states

    structure = read_structure(entry.path)
    elements = {sp.symbol for sp in structure.composition}
    mobile = entry.mobile or next((m for m in ("Li", "Na") if m in elements), None)
    if mobile is None or mobile not in elements:
        raise ValueError(f"{entry.path}: no {entry.mobile or 'Li or Na'} to move")
    states = oxidation_states(structure, entry.path, entry.oxidation_states)
    if states.states[mobile] <= 0:
        raise ValueError(
            f"{entry.path}: mobile {mobile} has oxidation state {states.states[mobile]:+d}"
        )
    ordered = structure.is_ordered
    return StructureCandidate(
        entry.label, entry.path, mobile, decorate(structure, states), states, ordered
    )


@dataclass
class StudyPlan:
    """The tasks of a study and, per candidate, its tasks by stage.

    Attributes:
        study: the validated study.
        candidates: candidates in study order.
        structures: structure files that could be prepared, in study order.
        tasks: candidate name -> stage -> task or list of tasks ("relax", "md").
        notes: stages left out and why (e.g. no reference phases for Se).
        refused: structure files that cannot be screened, one line each naming the file
            and the reason.
    """

    study: Study
    candidates: list[Candidate]
    structures: list[StructureCandidate] = field(default_factory=list)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def all_tasks(self) -> list[Task]:
        """Every task of the plan (dependencies included by the executor)."""
        out: list[Task] = []
        for stages in self.tasks.values():
            for value in stages.values():
                out.extend(value if isinstance(value, list) else [value])
        return out


def candidates_of(study: Study) -> list[Candidate]:
    """Expand families into candidates named ``<family> x=<x>``.

    Example:
        >>> [c.name for c in candidates_of(load_study("seed"))][:2]
        ['Li-S-N x=0.25', 'Li-S-N x=0.5']
    """
    return [
        Candidate(f"{f.name} x={x:g}", f.name, f.cation, f.anions, x, f.supercell)
        for f in study.candidates
        for x in f.x
    ]


def study_plan(study: Study) -> StudyPlan:
    """Build the task DAG of a study (nothing is computed).

    Example:
        >>> plan = study_plan(load_study("seed"))
        >>> sorted(plan.tasks["Li-S-N x=0.5"])[:3]
        ['bvse', 'diffraction', 'hull']
    """
    settings = tasks.RelaxSettings(
        study.model, study.relax.fmax_eV_per_angstrom, study.relax.max_steps
    )
    stages = set(study.stages) | set(CORE_STAGES)
    if "transport" in stages:
        stages.add("md")
    result = StudyPlan(study, candidates_of(study))
    families = {f.name: f for f in study.candidates}
    md = study.md
    profile = tasks.MDProfile(
        tuple(md.temperatures_K),
        md.time_ps,
        md.equilibration_ps,
        md.timestep_fs,
        md.frame_interval_steps,
        md.supercell,
        md.n_blocks,
        md.seed,
        md.min_height_angstrom,
    )
    phases = user_phases(study)
    for c in result.candidates:
        order = tasks.order_task(
            c.cation, c.anions, c.x, c.supercell, families[c.family].n_orderings, study.seed, c.name
        )
        relaxed = tasks.relax_tasks(order, settings)
        own: dict[str, Any] = {"order": order, "relax": relaxed}
        if "hull" in stages:
            own["hull"] = tasks.tie_line_task(c.cation, c.anions, relaxed, settings)
        if "window" in stages:
            try:
                own["window"] = tasks.window_task(
                    [c.cation, *c.anions], relaxed, settings, extra_phases=phases
                )
            except ValueError as exc:
                note = f"window: skipped for {c.family}: {exc}"
                if note not in result.notes:
                    result.notes.append(note)
        if "bvse" in stages:
            own["bvse"] = tasks.bvse_task(
                c.cation,
                c.anions,
                c.x,
                relaxed,
                study.bvse.resolution_angstrom,
                study.bvse.structure,
            )
        if "md" in stages:
            own["md"] = tasks.md_tasks(c.cation, relaxed, profile, study.model)
        if "transport" in stages:
            own["transport"] = tasks.transport_task(own["md"])
        if "diffraction" in stages:
            own["diffraction"] = tasks.diffraction_task(
                c.cation,
                c.anions,
                c.x,
                relaxed,
                study.diffraction.radiation,
                study.diffraction.n_peaks,
            )
        result.tasks[c.name] = own
    _plan_structures(study, result, settings, profile, phases)
    return result


def user_phases(study: Study) -> dict[str, Any]:
    """The study's ``[[phases]]`` read and checked: name -> ordered ``Structure``.

    Raises:
        StudyError: a file cannot be read, or has partial occupancies (a hull needs one
            ordered cell per phase); the message names ``phases[k]`` and the file.

    Example:
        >>> user_phases(parse_study({"name": "s", "candidates": [{"name": "a", "x": [0.5]}]}))
        {}
    """
    from sselab.structures import StructureFileError, read_structure

    out = {}
    for k, entry in enumerate(study.phases):
        try:
            structure = read_structure(entry.path)
        except StructureFileError as exc:
            raise StudyError(f"phases[{k}]: {exc}") from None
        if not structure.is_ordered:
            raise StudyError(
                f"phases[{k}]: {entry.path}: partial occupancies; a competing phase needs "
                "one ordered cell (order it first, e.g. with sselab.structures.order_structure)"
            )
        out[entry.label] = structure
    return out


def _plan_structures(
    study: Study,
    result: StudyPlan,
    settings: tasks.RelaxSettings,
    profile: tasks.MDProfile,
    phases: Mapping[str, Any],
) -> None:
    """Tasks of the structure files; a file that cannot be used goes to ``result.refused``.

    Structure files run only the stages the study names: BVSE and diffraction on the
    site-averaged cell; relax (of the lowest-Ewald ordered supercells, cell shape free),
    window (where sselab has every reference phase), md and transport on the relaxed
    ordering.
    """
    from sselab.structures import StructureFileError
    from sselab.structures.partial import OxidationStateError

    stages = set(study.stages)
    if "transport" in stages:
        stages.add("md")
    needs_relax = stages & {"relax", "window", "md"}
    if profile.min_height_angstrom is None:
        profile = replace(profile, min_height_angstrom=STRUCTURE_MD_MIN_HEIGHT_ANGSTROM)
    for entry in study.structures:
        try:
            prepared = prepare_structure(entry)
        except (StructureFileError, OxidationStateError, ValueError) as exc:
            result.refused.append(" ".join(str(exc).split()))
            continue
        result.structures.append(prepared)
        name, structure = prepared.name, prepared.structure
        own: dict[str, Any] = {}
        if "bvse" in stages:
            own["bvse"] = tasks.structure_bvse_task(
                structure, prepared.mobile, study.bvse.resolution_angstrom, name
            )
        if "diffraction" in stages:
            own["diffraction"] = tasks.structure_diffraction_task(
                structure, study.diffraction.radiation, study.diffraction.n_peaks, name
            )
        if needs_relax:
            ordering = study.ordering
            order = tasks.structure_order_task(
                structure,
                1 if prepared.ordered else ordering.n_orderings,
                ordering.n_candidates,
                ordering.max_atoms,
                ordering.occupancy_tolerance,
                study.seed,
                name,
            )
            relaxed = tasks.relax_tasks(order, settings, keep_cell_shape=False)
            own.update(order=order, relax=relaxed)
            if "window" in stages:
                try:
                    elements = sorted(prepared.oxidation.states)
                    own["window"] = tasks.window_task(
                        elements, relaxed, settings, extra_phases=phases
                    )
                except ValueError as exc:
                    result.notes.append(f"{name}: Li-metal stability unknown: {exc}")
            if "md" in stages:
                own["md"] = tasks.md_tasks(prepared.mobile, relaxed, profile, study.model)
            if "transport" in stages:
                own["transport"] = tasks.transport_task(own["md"])
        result.tasks[name] = own
