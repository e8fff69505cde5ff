"""Li hop mechanisms from MD: site occupancy, jumps per hop type, event classes, correlation.

Written here rather than taken from GEMDAT: GEMDAT needs a site file (CIF of the host's
sites) and pymatgen's Trajectory, counts jumps between named sites, but does not
classify collective events (vacancy vs interstitialcy vs concerted) or link them to
the antifluorite's tetrahedral/octahedral cages, which is what the paper's mechanism
question needs; the site geometry here is the one shared with CI-NEB and BVSE
(:mod:`sselab.transport.antifluorite_sites`).

Geometry. The anions form an fcc lattice (constant a) that tiles space into
tetrahedra (centres: the 8c sites, where Li sits in Li2S) and octahedra (centres: 4b).
Inside an octahedron lie the 24e sites (4b ± (1/2 - u) a along a cube axis, u = 0.28,
``SITE_24E``) and the 32f sites (4b + (±s, ±s, ±s) a, s = 1/8, halfway to the
neighbouring 8c). Sites are laid on the time-averaged, drift-corrected anion lattice
of the trajectory, which must be an axis-aligned supercell of the conventional cubic
cell (as :func:`sselab.transport.md.prepare_md_cell` makes).

Rules (constants below, fixed in advance):

- *Cages*: each Li in each frame is in the cage (tetrahedron = 8c, octahedron = 4b
  with its 24e/32f) of the nearest 8c or 4b centre (Voronoi cells of the centres; the
  true tetrahedron-octahedron face lies 0.04 a nearer the 8c centre, so a Li just past
  the face still counts as tetrahedral).
- *Site occupancy*: a Li in a tetrahedron is at 8c; in an octahedron, at the nearest of
  its 24e, 4b and 32f sites. Time fractions per type and the occupancy per site.
- *Jumps*: visits to a cage shorter than
  ``MIN_RESIDENCE_FS`` (vibrations across a face) are merged into the visit before;
  a jump is a change of cage between the remaining visits. Hop types: 8c-8c, 8c-oct,
  oct-8c, oct-oct.
- *Events*: jumps within ``EVENT_WINDOW_FS`` of each other where one ion leaves the
  cage another arrives in are one event. A single 8c-8c jump is a *vacancy* hop; a
  single oct-oct jump *direct interstitial*; an event in which an ion enters an
  occupied 8c cage from an octahedron while that cage's ion leaves is *interstitialcy*
  (knock-off); two or more linked 8c-8c jumps are *concerted*; anything else
  (Frenkel-pair formation 8c-oct, recombination oct-8c into a vacancy) is *other*.
- *Correlation factor*: f = D_tracer / D_jumps, with D_jumps = sum |jump vector|^2 /
  (6 N_Li t), the diffusion of uncorrelated jumps; its error is D_tracer's relative
  error combined with 1/sqrt(n_jumps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from scipy.spatial import cKDTree

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.analysis import DiffusionResult, drift_corrected_positions
from sselab.transport.antifluorite_sites import SITE_24E
from sselab.transport.trajectory import Trajectory, TrajectoryError

SITE_TYPES = ("8c", "24e", "4b", "32f")
HOP_TYPES = ("8c-8c", "8c-oct", "oct-8c", "oct-oct")
EVENT_TYPES = ("vacancy", "direct interstitial", "interstitialcy", "concerted", "other")
MIN_RESIDENCE_FS = 50.0
EVENT_WINDOW_FS = 100.0
SITE_32F_OFFSET_A = 0.125
# Mean anion positions further than this (units of a) from the ideal fcc lattice: the
# cell is not an axis-aligned antifluorite supercell.
_ANION_TOLERANCE_A = 0.15

_FCC = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
_8C = np.array(
    [[0.25 + i, 0.25 + j, 0.25 + k] for i in (0, 0.5) for j in (0, 0.5) for k in (0, 0.5)]
)
_4B = np.array([[0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]])
_24E_SHIFT = 0.5 - SITE_24E[0]
_24E = np.array(
    [b + sign * _24E_SHIFT * axis for b in _4B for axis in np.eye(3) for sign in (-1, 1)]
)
_32F = np.array(
    [
        b + SITE_32F_OFFSET_A * np.array([sx, sy, sz])
        for b in _4B
        for sx in (-1, 1)
        for sy in (-1, 1)
        for sz in (-1, 1)
    ]
)


@dataclass
class MechanismResult(RoundTrip):
    """Site-resolved Li statistics of one trajectory.

    Attributes:
        temperature_K, n_ions, duration_ps: the run.
        site_fraction: fraction of Li-time at each site type (8c, 24e, 4b, 32f); sums to 1.
        site_occupancy: mean occupancy of one site of each type (Li per site).
        occupancy_24e_per_excess_li: Li on 24e per Li in excess of the filled 8c sites
            (x per formula unit in Li(2+x)N(x)S(1-x)); None without excess Li.
        jump_counts: jumps per hop type (8c-8c, 8c-oct, oct-8c, oct-oct).
        jump_rates_per_ps: jumps per Li per ps of each hop type.
        event_counts: events per class (vacancy, direct interstitial, interstitialcy,
            concerted, other).
        n_jumps: all jumps.
        correlation_factor: f = D_tracer / D_jumps (None without jumps or D).
        D_jumps_cm2_per_s: diffusion of the same jumps taken as uncorrelated.
        lattice_a_angstrom: the anion lattice constant used for the sites.
    """

    temperature_K: float
    n_ions: int
    duration_ps: float
    site_fraction: dict[str, float]
    site_occupancy: dict[str, float]
    occupancy_24e_per_excess_li: float | None
    jump_counts: dict[str, int]
    jump_rates_per_ps: dict[str, float]
    event_counts: dict[str, int]
    n_jumps: int
    correlation_factor: Estimate | None
    D_jumps_cm2_per_s: Estimate | None
    lattice_a_angstrom: float
    settings: dict[str, float] = field(default_factory=dict)


def _site_lattice(trajectory: Trajectory, species: str) -> tuple[dict[str, np.ndarray], float]:
    """Cartesian sites of each type on the trajectory's mean anion lattice, and a."""
    cell = trajectory.cell_angstrom
    if not np.allclose(cell - np.diag(np.diag(cell)), 0.0, atol=1e-6):
        raise TrajectoryError(f"{trajectory.source}: site analysis needs an orthogonal cell")
    framework = np.setdiff1d(np.arange(trajectory.n_atoms), trajectory.indices(species))
    if framework.size == 0:
        raise TrajectoryError(f"{trajectory.source}: no anion framework besides {species}")
    anions = trajectory.positions_angstrom[:, framework].astype(float)
    anions -= (anions.mean(axis=1) - anions[0].mean(axis=0))[:, None, :]  # drift
    mean = anions.mean(axis=0)
    lengths = np.diag(cell)
    a = float((4.0 * abs(np.prod(lengths)) / framework.size) ** (1.0 / 3.0))
    repeats = np.rint(lengths / a).astype(int)
    if np.any(repeats < 1) or np.any(np.abs(lengths / repeats - a) > 0.05 * a):
        raise TrajectoryError(
            f"{trajectory.source}: the cell is not a supercell of a cubic antifluorite cell"
        )
    cells = np.array(
        [[i, j, k] for i in range(repeats[0]) for j in range(repeats[1]) for k in range(repeats[2])]
    )
    origin = mean[0]

    def place(basis: np.ndarray) -> np.ndarray:
        frac = (cells[:, None, :] + basis[None, :, :]).reshape(-1, 3) / repeats
        cart = (frac % 1.0) * lengths + origin
        unique = np.unique(np.round((cart % lengths) / lengths, 6) % 1.0, axis=0)
        return unique * lengths

    ideal_anions = place(_FCC)
    distance, _ = cKDTree(ideal_anions, boxsize=lengths).query(mean % lengths)
    if distance.max() > _ANION_TOLERANCE_A * a:
        raise TrajectoryError(
            f"{trajectory.source}: anions sit up to {distance.max():.2f} Å from an fcc "
            "lattice; not an axis-aligned antifluorite supercell"
        )
    sites = {"8c": place(_8C), "24e": place(_24E), "4b": place(_4B), "32f": place(_32F)}
    return sites, a


def _visits(labels: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    """(start frame, cage) of each visit of one ion, visits shorter than min_frames merged."""
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [labels.size]])
    visits: list[tuple[int, int]] = []
    for start, end in zip(starts, ends, strict=True):
        cage = int(labels[start])
        if visits and (end - start < min_frames or visits[-1][1] == cage):
            continue
        visits.append((int(start), cage))
    return visits


def _classify(jumps: list[tuple[int, int, int, int]], window: int, is_tet: np.ndarray) -> list[str]:
    """Event class of each group of linked jumps (ion, frame, from cage, to cage)."""
    parent = list(range(len(jumps)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(jumps)), key=lambda k: jumps[k][1])
    for position, k in enumerate(order):
        for other in order[position + 1 :]:
            if jumps[other][1] - jumps[k][1] > window:
                break
            a, b = jumps[k], jumps[other]
            if a[0] != b[0] and (a[3] == b[2] or b[3] == a[2]):
                parent[root(other)] = root(k)
    groups: dict[int, list[int]] = {}
    for k in range(len(jumps)):
        groups.setdefault(root(k), []).append(k)
    classes = []
    for members in groups.values():
        kinds = [(bool(is_tet[jumps[k][2]]), bool(is_tet[jumps[k][3]])) for k in members]
        if len(members) == 1:
            origin_tet, target_tet = kinds[0]
            if origin_tet and target_tet:
                classes.append("vacancy")
            elif not origin_tet and not target_tet:
                classes.append("direct interstitial")
            else:
                classes.append("other")
            continue
        pushes = [
            k
            for k in members
            if not is_tet[jumps[k][2]]
            and is_tet[jumps[k][3]]
            and any(jumps[m][2] == jumps[k][3] and m != k for m in members)
        ]
        if pushes:
            classes.append("interstitialcy")
        elif all(origin and target for origin, target in kinds):
            classes.append("concerted")
        else:
            classes.append("other")
    return classes


def hop_mechanisms(
    trajectory: Trajectory,
    species: str = "Li",
    diffusion: DiffusionResult | None = None,
    excess_per_formula_unit: float | None = None,
) -> MechanismResult:
    """Site occupancy, jumps, event classes and correlation factor of an antifluorite run.

    Args:
        trajectory: unwrapped trajectory of an axis-aligned antifluorite supercell.
        species: mobile species.
        diffusion: the run's diffusion result (for the correlation factor).
        excess_per_formula_unit: x of Li(2+x)N(x)S(1-x); default from the composition
            (Li per anion - 2).

    Returns:
        :class:`MechanismResult`.

    Example:
        >>> from tests.transport.synthetic import lattice_walk  # doctest: +SKIP
        >>> hop_mechanisms(lattice_walk("vacancy")).event_counts["vacancy"]  # doctest: +SKIP
        40
    """
    sites, a = _site_lattice(trajectory, species)
    lengths = np.diag(trajectory.cell_angstrom)
    positions = drift_corrected_positions(trajectory, species)
    n_frames, n_ions, _ = positions.shape
    wrapped = positions.reshape(-1, 3) % lengths
    cages = np.concatenate([sites["8c"], sites["4b"]])
    is_tet = np.arange(len(cages)) < len(sites["8c"])
    _, cage_flat = cKDTree(cages, boxsize=lengths).query(wrapped)
    # inside an octahedron: the nearest of its 24e, 4b and 32f sites
    octahedral = ["24e", "4b", "32f"]
    in_oct = np.concatenate([sites[t] for t in octahedral])
    oct_type = np.concatenate([np.full(len(sites[t]), i + 1) for i, t in enumerate(octahedral)])
    _, nearest = cKDTree(in_oct, boxsize=lengths).query(wrapped)
    site_type = np.where(is_tet[cage_flat], 0, oct_type[nearest])
    counts = np.bincount(site_type, minlength=len(SITE_TYPES)).astype(float)
    fraction = {t: float(counts[i] / counts.sum()) for i, t in enumerate(SITE_TYPES)}
    occupancy = {t: float(counts[i] / n_frames / len(sites[t])) for i, t in enumerate(SITE_TYPES)}
    n_anions = trajectory.n_atoms - n_ions
    excess = n_ions / n_anions - 2.0 if excess_per_formula_unit is None else excess_per_formula_unit
    per_excess = fraction["24e"] * n_ions / (excess * n_anions) if excess > 1e-9 else None

    cage = cage_flat.reshape(n_frames, n_ions)
    dt_fs = trajectory.frame_interval_fs
    min_frames = max(1, math.ceil(MIN_RESIDENCE_FS / dt_fs))
    jumps: list[tuple[int, int, int, int]] = []
    squared = 0.0
    for ion in range(n_ions):
        visits = _visits(cage[:, ion], min_frames)
        for (_, from_cage), (start, to_cage) in pairwise(visits):
            jumps.append((ion, start, from_cage, to_cage))
            vector = cages[to_cage] - cages[from_cage]
            squared += float(np.sum((vector - lengths * np.round(vector / lengths)) ** 2))
    hop_counts = dict.fromkeys(HOP_TYPES, 0)
    for _, _, origin, target in jumps:
        name = f"{'8c' if is_tet[origin] else 'oct'}-{'8c' if is_tet[target] else 'oct'}"
        hop_counts[name] += 1
    duration = (n_frames - 1) * dt_fs / 1000.0
    rates = {k: v / (n_ions * duration) if duration > 0 else 0.0 for k, v in hop_counts.items()}
    events = dict.fromkeys(EVENT_TYPES, 0)
    window = max(1, round(EVENT_WINDOW_FS / dt_fs))
    for name in _classify(jumps, window, is_tet):
        events[name] += 1
    d_jumps = None
    correlation = None
    if jumps and duration > 0:
        # sum of squared jump-to-jump displacements / (6 N t); Å^2/ps -> cm^2/s
        value = squared / (6.0 * n_ions * duration) * 1e-4
        d_jumps = Estimate.normal(value, value / math.sqrt(len(jumps)), "cm^2/s")
        tracer_error = None if diffusion is None else diffusion.D_cm2_per_s.error
        if diffusion is not None and tracer_error is not None:
            f = diffusion.D_cm2_per_s.value / value
            relative_d = tracer_error / max(abs(diffusion.D_cm2_per_s.value), 1e-300)
            error = abs(f) * math.hypot(relative_d, 1 / math.sqrt(len(jumps)))
            correlation = Estimate.normal(f, error, "")
    return MechanismResult(
        temperature_K=float(trajectory.temperature_K or 0.0),
        n_ions=n_ions,
        duration_ps=duration,
        site_fraction=fraction,
        site_occupancy=occupancy,
        occupancy_24e_per_excess_li=per_excess,
        jump_counts=hop_counts,
        jump_rates_per_ps=rates,
        event_counts=events,
        n_jumps=len(jumps),
        correlation_factor=correlation,
        D_jumps_cm2_per_s=d_jumps,
        lattice_a_angstrom=a,
        settings={"min_residence_fs": MIN_RESIDENCE_FS, "event_window_fs": EVENT_WINDOW_FS},
    )
