"""Configurations to label with DFT: ordered, strained, sheared, rattled and MD cells, by family.

A *family* is a set of configurations derived from one base cell (one phase, or one
ordering of the solid solution): its equilibrium cell, volume strains, small
shears, rattled copies and optional MLIP MD snapshots. Train, validation and test
sets are split by family, never by frame, so the test error measures transfer to an
ordering (or composition) the model was not fitted on, not interpolation between
near-copies of a training frame.

Cells are small because every configuration gets a GPAW single point on a CPU:
bcc Li (2 atoms), Li2S (primitive, 3), alpha-Li3N (4), and Li(2+x)N(x)S(1-x)
orderings in cells of 2 or 3 anions (x = 1/2: 7 atoms, x = 1/3: 10 atoms).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pymatgen.core import Structure

from sselab.roundtrip import RoundTrip
from sselab.structures import antifluorite, enumerate_orderings
from sselab.structures.references import alpha_li3n, li2s, lithium_bcc

logger = logging.getLogger(__name__)

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")

VOLUME_STRAIN = 0.03  # ±3 % volume
SHEAR_STRAIN = 0.02  # symmetric off-diagonal strain
RATTLE_ANGSTROM = (0.05, 0.1)  # standard deviations of the Gaussian displacements
# One MD snapshot per temperature: the range the MD stages run at, 100 fs (50 steps of
# 2 fs) after Maxwell-Boltzmann velocities, enough to leave the lattice sites by 0.1-0.3 Å.
MD_TEMPERATURES_K = (600.0, 1200.0)
MD_STEPS = 50


@dataclass
class Configuration(RoundTrip):
    """One cell to label.

    Attributes:
        name: unique id, ``"<family>/<kind><index>"``.
        family: the base cell it derives from; the unit of the train/validation/test split.
        kind: ``"equilibrium"``, ``"volume"``, ``"shear"``, ``"rattle"``, ``"md"`` or
            ``"dft-relax"`` (a frame of a DFT relaxation).
        structure: the ordered cell, without oxidation states.
    """

    name: str
    family: str
    kind: str
    structure: Structure = field(repr=False)


@dataclass(frozen=True)
class BaseCell:
    """A family's starting cell, the split it belongs to, and how many variants it may have.

    ``max_variants`` caps the family (the first k of :func:`variants`): cells that DFT
    labels slowly (no symmetry, more atoms) get fewer distortions.
    """

    family: str
    structure: Structure
    split: Split
    max_variants: int = 7


def plain_structure(structure: Structure) -> Structure:
    """A copy of ``structure`` without oxidation states (what DFT labels and matching use)."""
    plain = structure.copy()
    plain.remove_oxidation_states()
    return plain


def _ordering_family(x: float, n_anions: int, n_orderings: int) -> list[tuple[str, Structure]]:
    """Orderings of x in a cell of ``n_anions`` fcc primitive cells stacked along a."""
    primitive = antifluorite(x).get_primitive_structure()
    cells = enumerate_orderings(primitive, (n_anions, 1, 1), n=n_orderings)
    formula = cells[0].composition.reduced_formula
    return [(f"{formula}-o{k}", plain_structure(cell)) for k, cell in enumerate(cells)]


def li_n_s_base_cells() -> list[BaseCell]:
    """Base cells of Li–N–S: end members and metal train; orderings split across the sets.

    Li, Li2S and alpha-Li3N train (every composition the energy reference needs);
    the first x = 1/2 ordering (7 atoms) trains, the second is the test family (same
    composition, an ordering never seen), and x = 1/3 (10 atoms) validates (its
    four frames choose fine-tuning settings). The caps on variants keep the set at
    36 cells with MD snapshots (30 without); the 7- and 10-atom cells without
    symmetry take minutes each in GPAW on two cores.

    Example:
        >>> [(b.family, len(b.structure), b.split) for b in li_n_s_base_cells()]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('Li', 2, 'train'), ('Li2S', 3, 'train'), ('Li3N', 4, 'train'),
         ('Li5SN-o0', 7, 'train'), ('Li5SN-o1', 7, 'test'), ('Li7S2N-o0', 10, 'validation')]
    """
    half = _ordering_family(0.5, 2, 2)
    third = _ordering_family(1 / 3, 3, 1)
    return [
        BaseCell("Li", lithium_bcc(), "train", max_variants=4),
        BaseCell("Li2S", li2s().get_primitive_structure(), "train"),
        BaseCell("Li3N", alpha_li3n(), "train"),
        BaseCell(half[0][0], half[0][1], "train"),
        BaseCell(half[1][0], half[1][1], "test"),
        BaseCell(third[0][0], third[0][1], "validation", max_variants=4),
    ]


def li_n_s_with_hull_cells() -> list[BaseCell]:
    """:func:`li_n_s_base_cells` plus two x = 1/2 orderings of the 14-atom conventional cell.

    The quick hull relaxes 14-atom cells; fine-tuned on the 7-atom orderings alone, the
    models were still 20-50 meV/atom below DFT on them (docs/calibrate.md). The
    lowest-Ewald conventional ordering trains, the next one tests; each family has the
    cell, ±3 % volume and the 600 K MD frame (about 200 s of GPAW per frame on 2 cores).

    Example:
        >>> [(b.family, len(b.structure), b.split) for b in li_n_s_with_hull_cells()[-2:]]
        [('Li5SN-c0', 14, 'train'), ('Li5SN-c1', 14, 'test')]
    """
    cells = enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=2)
    return [
        *li_n_s_base_cells(),
        BaseCell("Li5SN-c0", plain_structure(cells[0]), "train", max_variants=4),
        BaseCell("Li5SN-c1", plain_structure(cells[1]), "test", max_variants=4),
    ]


def li_n_s_with_hull_compositions() -> list[BaseCell]:
    """:func:`li_n_s_with_hull_cells` plus x = 1/4 and 3/4 orderings of the conventional cell.

    The hull, lattice and disorder stages relax conventional cells at x = 1/4, 1/2 and
    3/4 (13, 14 and 15 atoms); with this set every one of those compositions has a
    trained ordering (the lowest-Ewald of two drawn: cell, ±3 % volume, 600 K MD) and a
    held-out one (the other: cell and −3 % volume), so E above the tie line is tested
    against DFT at each x on an ordering the models never saw. The hull draws from more
    samples, so its Ewald ranks need not match these (``transfer.labelled_family``).

    Example:
        >>> [(b.family, len(b.structure), b.split) for b in li_n_s_with_hull_compositions()[-4:]]
        ... # doctest: +NORMALIZE_WHITESPACE
        [('Li9S3N-c0', 13, 'train'), ('Li9S3N-c1', 13, 'test'),
         ('Li11SN3-c0', 15, 'train'), ('Li11SN3-c1', 15, 'test')]
    """
    cells = []
    for x in (0.25, 0.75):
        orderings = enumerate_orderings(antifluorite(x), (1, 1, 1), n=2)
        formula = orderings[0].composition.reduced_formula
        cells.append(
            BaseCell(f"{formula}-c0", plain_structure(orderings[0]), "train", max_variants=4)
        )
        cells.append(
            BaseCell(f"{formula}-c1", plain_structure(orderings[1]), "test", max_variants=2)
        )
    return [*li_n_s_with_hull_cells(), *cells]


SYSTEMS: dict[str, Callable[[], list[BaseCell]]] = {
    "Li-N-S": li_n_s_base_cells,
    "Li-N-S+14": li_n_s_with_hull_cells,
    "Li-N-S+hull": li_n_s_with_hull_compositions,
}


def full_budget(base_cells: Sequence[BaseCell]) -> int:
    """Configurations that label every family of ``base_cells`` in full (with MD frames).

    Example:
        >>> [full_budget(SYSTEMS[name]()) for name in SYSTEMS]
        [36, 44, 56]
    """
    return sum(base.max_variants for base in base_cells)


def strained(structure: Structure, strain: np.ndarray) -> Structure:
    """``structure`` with its cell (and fractional coordinates) deformed by (1 + strain).

    Example:
        >>> cell = li2s().get_primitive_structure()
        >>> grown = strained(cell, np.eye(3) * ((1.03) ** (1 / 3) - 1))
        >>> round(grown.volume / cell.volume, 4)
        1.03
    """
    deformed = structure.copy()
    matrix = structure.lattice.matrix @ (np.eye(3) + strain).T
    deformed.lattice = type(structure.lattice)(matrix)
    return deformed


def rattled(structure: Structure, sigma_angstrom: float, rng: np.random.Generator) -> Structure:
    """``structure`` with Gaussian displacements of standard deviation ``sigma_angstrom``.

    Example:
        >>> cell = li2s().get_primitive_structure()
        >>> moved = rattled(cell, 0.05, np.random.default_rng(0))
        >>> 0 < float(np.abs(moved.cart_coords - cell.cart_coords).max()) < 0.3
        True
    """
    moved = structure.copy()
    displacements = rng.normal(0.0, sigma_angstrom, size=(len(structure), 3))
    for index, displacement in enumerate(displacements):
        moved.translate_sites([index], displacement, frac_coords=False, to_unit_cell=False)
    return moved


def _shear(component: tuple[int, int], value: float) -> np.ndarray:
    strain = np.zeros((3, 3))
    i, j = component
    strain[i, j] = strain[j, i] = value
    return strain


def variants(
    base: BaseCell, rng: np.random.Generator, md_frames: Sequence[Structure] = ()
) -> list[Configuration]:
    """The family of ``base`` in priority order: equilibrium, ±3 % volume, MD, rattles, shears.

    A budget takes the first k of each family, so the cheapest, most informative
    distortions come first. ``md_frames`` (MLIP MD snapshots of the base cell, see
    :func:`md_snapshots`) come right after the volume strains and before each further
    rattle/shear pair: thermal frames are what the MD stages predict forces on.

    Example:
        >>> cells = variants(li_n_s_base_cells()[1], np.random.default_rng(0))
        >>> [c.name for c in cells]  # doctest: +NORMALIZE_WHITESPACE
        ['Li2S/equilibrium0', 'Li2S/volume0', 'Li2S/volume1', 'Li2S/rattle0',
         'Li2S/shear0', 'Li2S/rattle1', 'Li2S/shear1']
    """
    isotropic = (1 + VOLUME_STRAIN) ** (1 / 3) - 1, (1 - VOLUME_STRAIN) ** (1 / 3) - 1
    distortions: list[list[tuple[str, Structure]]] = [
        [
            ("rattle", rattled(base.structure, RATTLE_ANGSTROM[0], rng)),
            ("shear", strained(base.structure, _shear((0, 1), SHEAR_STRAIN))),
        ],
        [
            ("rattle", rattled(base.structure, RATTLE_ANGSTROM[1], rng)),
            ("shear", strained(base.structure, _shear((1, 2), -SHEAR_STRAIN))),
        ],
    ]
    cells: list[tuple[str, Structure]] = [
        ("equilibrium", base.structure),
        ("volume", strained(base.structure, np.eye(3) * isotropic[1])),
        ("volume", strained(base.structure, np.eye(3) * isotropic[0])),
    ]
    for rank in range(max(len(md_frames), len(distortions))):
        if rank < len(md_frames):
            cells.append(("md", md_frames[rank]))
        if rank < len(distortions):
            cells.extend(distortions[rank])
    counts: dict[str, int] = {}
    family: list[Configuration] = []
    for kind, structure in cells[: base.max_variants]:
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        family.append(Configuration(f"{base.family}/{kind}{index}", base.family, kind, structure))
    return family


def md_snapshots(
    base: BaseCell,
    calculator: object,
    n_snapshots: int,
    temperature_K: float = 900.0,
    steps_between: int = 20,
    timestep_fs: float = 2.0,
    seed: int = 0,
) -> list[Configuration]:
    """Snapshots of a short Langevin MD of ``base`` with an MLIP, ``steps_between`` apart.

    Example:
        >>> from ase.calculators.emt import EMT
        >>> from pymatgen.core import Lattice
        >>> cu = BaseCell("Cu", Structure(Lattice.cubic(3.61), ["Cu"] * 4,
        ...     [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]), "train")
        >>> [c.name for c in md_snapshots(cu, EMT(), 2, steps_between=2)]
        ['Cu/md0', 'Cu/md1']
    """
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(base.structure)
    atoms.calc = calculator
    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature_K, rng=rng)
    step = timestep_fs * units.fs
    dynamics = Langevin(
        atoms, step, temperature_K=temperature_K, friction=0.02, fixcm=False, rng=rng
    )
    snapshots = []
    for index in range(n_snapshots):
        dynamics.run(steps_between)
        structure = AseAtomsAdaptor.get_structure(atoms.copy())
        snapshots.append(Configuration(f"{base.family}/md{index}", base.family, "md", structure))
    return snapshots


def relaxed_base_cells(
    base_cells: Sequence[BaseCell],
    calculator: Any,
    fmax_eV_per_angstrom: float = 0.05,
    store: Any | None = None,
) -> list[BaseCell]:
    """The base cells relaxed with an MLIP (positions and volume; each cell keeps its shape).

    Ideal-site ordered cells at a guessed lattice constant lie 200-430 meV/atom above
    the Li2S–Li3N tie line in DFT, while the relaxed cells the hull and MD use lie
    near +50-120 (docs/calibrate.md): distortions of the relaxed cells put the labels
    where the models' predictions are needed. The shape is kept as in the hull's
    lattice stage (small orderings otherwise shear into layered cells).

    Example:
        >>> from ase.calculators.emt import EMT
        >>> from pymatgen.core import Lattice
        >>> cu = BaseCell("Cu", Structure(Lattice.cubic(3.5), ["Cu"] * 4,
        ...     [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]), "train")
        >>> round(relaxed_base_cells([cu], EMT())[0].structure.lattice.a, 2)  # EMT: 3.59 Å
        3.59
    """
    from sselab.calculators.relax import relax

    relaxed = []
    for base in base_cells:
        result = relax(
            base.structure,
            calculator,
            fmax=fmax_eV_per_angstrom,
            keep_cell_shape=True,
            store=store,
        )
        logger.info(
            "%s relaxed: volume %.1f -> %.1f Å^3",
            base.family,
            base.structure.volume,
            result.volume_angstrom3,
        )
        relaxed.append(replace(base, structure=plain_structure(result.structure)))
    return relaxed


def generate_configurations(
    base_cells: Sequence[BaseCell],
    budget: int,
    seed: int = 0,
    max_atoms: int = 15,
    md_calculator: Any | None = None,
    md_temperatures_K: Sequence[float] = MD_TEMPERATURES_K,
) -> list[Configuration]:
    """Up to ``budget`` configurations, taken round-robin over the families' priority lists.

    Every family gets its equilibrium cell before any family gets a second member, and
    so on, so a small budget still covers every family. Cells above ``max_atoms``
    (what the DFT can afford) are left out. With ``md_calculator`` (an MLIP), every
    family also gets one MD snapshot per temperature in ``md_temperatures_K``
    (:func:`md_snapshots`, seeded by ``seed``, so a rerun makes the same frames).

    Example:
        >>> cells = generate_configurations(li_n_s_base_cells(), budget=8)
        >>> sorted({c.family for c in cells}) == sorted(b.family for b in li_n_s_base_cells())
        True
        >>> len(cells)
        8
    """
    if budget < 1:
        raise ValueError(f"budget = {budget}: label at least one configuration")
    rng = np.random.default_rng(seed)
    affordable = [base for base in base_cells if len(base.structure) <= max_atoms]
    families = []
    for index, base in enumerate(affordable):
        frames = []
        if md_calculator is not None:
            for rank, temperature_K in enumerate(md_temperatures_K):
                snapshot = md_snapshots(
                    base,
                    md_calculator,
                    1,
                    temperature_K=temperature_K,
                    steps_between=MD_STEPS,
                    seed=seed + 1000 * index + rank,
                )
                frames.append(snapshot[0].structure)
        families.append(variants(base, rng, frames))
    chosen: list[Configuration] = []
    for rank in range(max((len(f) for f in families), default=0)):
        for family in families:
            if rank < len(family) and len(chosen) < budget:
                chosen.append(family[rank])
    logger.info("%d configurations from %d families", len(chosen), len(families))
    return chosen


def family_splits(base_cells: Sequence[BaseCell]) -> dict[str, Split]:
    """Family -> split of the base cells.

    Example:
        >>> family_splits(li_n_s_base_cells())["Li5SN-o1"]
        'test'
    """
    return {base.family: base.split for base in base_cells}


def split_by_family(
    configurations: Sequence[Configuration], splits: dict[str, Split]
) -> dict[Split, list[Configuration]]:
    """Train / validation / test configurations: each family goes whole to its split.

    Raises:
        ValueError: a configuration's family has no split.

    Example:
        >>> cells = generate_configurations(li_n_s_base_cells(), budget=12)
        >>> parts = split_by_family(cells, family_splits(li_n_s_base_cells()))
        >>> {c.family for c in parts["test"]}
        {'Li5SN-o1'}
    """
    parts: dict[Split, list[Configuration]] = {split: [] for split in SPLITS}
    for configuration in configurations:
        if configuration.family not in splits:
            raise ValueError(f"configuration {configuration.name}: family has no split")
        parts[splits[configuration.family]].append(configuration)
    return parts
