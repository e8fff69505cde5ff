"""Antifluorite sites from the anion sublattice: one site finder for CI-NEB hops and BVSE paths.

In the antifluorite structure (Fm-3m, anions on the fcc 4a sites, conventional constant
a) the mobile cations sit in the tetrahedral holes (8c); the octahedral holes (4b) are
empty in Li2S, and the extra Li of Li(2+x)N(x)S(1-x) sits on 24e sites (u, 0, 0) next
to an anion, inside those holes. Every site here is measured from the anion sublattice
(:func:`sselab.structures.cells.pseudo_cubic_a`, :func:`~sselab.structures.cells.anion_indices`),
so any N/S ordering, supercell, cell setting or relaxation-sized distortion works:

* :func:`tetrahedral_ions` and :func:`octahedral_voids` find the 8c ions and 4b voids of
  an ordered cell by geometry; :func:`hop_endpoints` builds the CI-NEB endpoints of a
  hop (``NEB_HOPS``) from them.
* :func:`antifluorite_hop` gives the ideal waypoints of a named path (``PATH_WAYPOINTS``)
  relative to an anion, for the BVSE string method; it also reads site-averaged
  (disordered) cells such as ``sselab.structures.antifluorite(0.5)``.

Both use the same ideal site positions (``SITE_8C``, ``SITE_4B``, ``SITE_24E``, in
conventional-cell fractions relative to an anion), from which the ideal 8c-8c (a/2) and
8c-4b (sqrt(3)/4 a) hop lengths follow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Structure

from sselab.roundtrip import RoundTrip
from sselab.structures.cells import anion_indices, pseudo_cubic_a

# Ideal sites relative to an anion (4a at the origin), in units of a: a tetrahedral
# 8c hole, the octahedral 4b hole, and a 24e interstitial (u, 0, 0) at u = 0.28 next to
# the anion at (0, 1/2, 1/2), inside the 4b hole at (1/2, 1/2, 1/2).
SITE_8C = (0.25, 0.25, 0.25)
SITE_4B = (0.5, 0.5, 0.5)
SITE_24E = (0.28, 0.5, 0.5)
IDEAL_8C_8C_DISTANCE_A = 0.5  # nearest 8c neighbours, in units of a
IDEAL_8C_4B_DISTANCE_A = math.sqrt(3) / 4  # |SITE_4B - SITE_8C|

# Hops with CI-NEB endpoints (see hop_endpoints).
NEB_HOPS = ("8c-24e", "24e-8c", "vac-8c-8c", "interstitialcy")
# Named paths for a string method on a landscape: start, intermediate, end waypoints.
PATH_WAYPOINTS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "8c-4b-8c": (SITE_8C, SITE_4B, (0.75, 0.75, 0.75)),
    "8c-24e-8c": (SITE_8C, SITE_24E, (0.25, 0.75, 0.75)),
}
# A mobile ion within this fraction of a from a void centre occupies it: a 24e ion at
# u = 0.28 is 0.22 a away, and relaxation may pull it towards its anion.
_VOID_OCCUPIED_A = 0.4
# An 8c ion has 4 anions at 0.43 a and the next at 0.83 a; a 24e ion (u ~ 0.28) has 5
# within 0.55 a and an ion at an octahedral centre 6, so this radius separates them.
_TETRAHEDRAL_SHELL_A = 0.65


def tetrahedral_ions(structure: Structure, mobile: str = "Li") -> list[int]:
    """Indices of ``mobile`` ions on tetrahedral (8c) sites: exactly 4 anions within 0.65 a.

    Example:
        >>> from sselab.structures import antifluorite
        >>> len(tetrahedral_ions(antifluorite(0.0)))
        8
    """
    anion_set = set(anion_indices(structure, mobile).tolist())
    a = pseudo_cubic_a(structure, mobile)
    centres, points, _, _ = structure.get_neighbor_list(_TETRAHEDRAL_SHELL_A * a)
    counts = np.zeros(len(structure), dtype=int)
    for centre, point in zip(centres, points, strict=True):
        if point in anion_set:
            counts[centre] += 1
    return [
        i for i, site in enumerate(structure) if site.specie.symbol == mobile and counts[i] == 4
    ]


def non_tetrahedral_ions(structure: Structure, mobile: str = "Li") -> list[int]:
    """Indices of ``mobile`` ions off the tetrahedral (8c) sites: the interstitials.

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> non_tetrahedral_ions(antifluorite(0.0))
        []
        >>> len(non_tetrahedral_ions(enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=1)[0]))
        2
    """
    tetra = set(tetrahedral_ions(structure, mobile))
    return [i for i, s in enumerate(structure) if s.specie.symbol == mobile and i not in tetra]


def octahedral_voids(structure: Structure, mobile: str = "Li") -> tuple[np.ndarray, np.ndarray]:
    """Octahedral voids of the anion fcc sublattice (4b; the 24e Li sit in them).

    Each void centre is the mean of the midpoints of the three anion pairs a apart
    across it, so the voids come from the anion positions alone, for any N/S ordering,
    relaxation, cell shape or supercell.

    Args:
        structure: ordered antifluorite-type structure.
        mobile: the mobile cation; all other species form the anion sublattice.

    Returns:
        (fractional coordinates of all voids, boolean mask of the empty ones: no
        non-tetrahedral ``mobile`` ion within 0.4 a of the centre).

    Raises:
        ValueError: the anion sublattice is not fcc (no set of as many voids as anions).

    Example:
        >>> from sselab.structures import antifluorite
        >>> voids, empty = octahedral_voids(antifluorite(0.0))
        >>> len(voids), int(empty.sum())
        (4, 4)
    """
    anion_idx = anion_indices(structure, mobile)
    a = pseudo_cubic_a(structure, mobile)
    anions = Structure.from_sites([structure[i] for i in anion_idx])
    lattice = anions.lattice
    centres, points, offsets, distances = anions.get_neighbor_list(1.2 * a)
    pairs = distances > 0.85 * a  # second neighbours; distorted cells add a few third ones
    frac = anions.frac_coords
    midpoints = (frac[centres[pairs]] + frac[points[pairs]] + offsets[pairs]) / 2
    # Each void is crossed by 3 second-neighbour pairs, listed in both directions: 6
    # midpoints within a few 0.1 Å even in relaxed N/S-ordered cells. Third-neighbour
    # pairs that distortion brings inside the cutoff give clusters of 2 or 4 (edge
    # midpoints). Cluster (voids are 0.71 a apart) and keep the clusters of 6.
    members: list[list[np.ndarray]] = []
    for point in midpoints:
        if members:
            anchors = np.array([m[0] for m in members])
            dist = lattice.get_all_distances(point, anchors)[0]
            k = int(np.argmin(dist))
            if dist[k] < 0.25 * a:
                members[k].append(point - np.round(point - members[k][0]))
                continue
        members.append([point])
    members.sort(key=len, reverse=True)
    n_voids = len(anion_idx)
    sizes = [len(m) for m in members] + [0]
    if len(members) < n_voids or sizes[n_voids - 1] < 6 or sizes[n_voids] >= 6:
        raise ValueError(
            f"{structure.composition.reduced_formula}: the anion sublattice is not fcc "
            f"(antifluorite-type): no clear set of {n_voids} octahedral voids"
        )
    void_frac = np.array([np.mean(m, axis=0) % 1.0 for m in members[:n_voids]])
    others = non_tetrahedral_ions(structure, mobile)
    if not others:
        return void_frac, np.ones(len(void_frac), dtype=bool)
    nearest = structure.lattice.get_all_distances(void_frac, structure.frac_coords[others])
    return void_frac, nearest.min(axis=1) > _VOID_OCCUPIED_A * a


@dataclass
class HopEndpoints(RoundTrip):
    """Unrelaxed endpoints of a hop in an antifluorite-type supercell.

    Attributes:
        initial: supercell before the hop (pymatgen Structure, ordered).
        final: same atoms, same order, with the moving ion at its destination.
        hop: one of ``NEB_HOPS``.
        moving_index: index of the moving ion in both structures.
        start_frac: fractional coordinates where the moving ion starts.
        end_frac: fractional coordinates where it ends.
        hop_distance_angstrom: straight-line hop length (minimum image), Å.
        anion_lattice_angstrom: cubic constant of the anion fcc sublattice, (4V/N_anion)^(1/3), Å.
        pushed_index: for ``interstitialcy``, the 8c ion that the moving interstitial
            knocks on into an empty octahedral void; None for single-ion hops.
        environment: anions around the tetrahedral (8c) site the hop passes, as a
            formula ("N2S2"); empty for hops that pass no occupied 8c site.
    """

    initial: Structure
    final: Structure
    hop: str
    moving_index: int
    start_frac: tuple[float, float, float]
    end_frac: tuple[float, float, float]
    hop_distance_angstrom: float
    anion_lattice_angstrom: float
    pushed_index: int | None = None
    environment: str = ""


@dataclass(frozen=True)
class InterstitialcyHop:
    """One knock-off event in an ordered cell: interstitial -> 8c, 8c ion -> empty void.

    Attributes:
        interstitial_index: the octahedral (24e/4b) ion that moves into the 8c site.
        pushed_index: the 8c ion it knocks on.
        destination_frac: centre of the empty octahedral void the pushed ion moves to.
        environment: anions of the 8c tetrahedron between them, as a formula ("N2S2").
    """

    interstitial_index: int
    pushed_index: int
    destination_frac: tuple[float, float, float]
    environment: str


def tetrahedron_environment(structure: Structure, index: int, mobile: str = "Li") -> str:
    """Anions around a tetrahedral ion as a formula, elements sorted: "N2S2", "S4".

    Example:
        >>> from sselab.structures import antifluorite
        >>> cell = antifluorite(0.0)
        >>> tetrahedron_environment(cell, tetrahedral_ions(cell)[0])
        'S4'
    """
    anion_set = set(anion_indices(structure, mobile).tolist())
    a = pseudo_cubic_a(structure, mobile)
    neighbours = structure.get_neighbors(structure[index], _TETRAHEDRAL_SHELL_A * a)
    counts: dict[str, int] = {}
    for neighbour in neighbours:
        if neighbour.index in anion_set:
            symbol = neighbour.specie.symbol
            counts[symbol] = counts.get(symbol, 0) + 1
    return "".join(f"{el}{counts[el]}" for el in sorted(counts))


def interstitialcy_hops(structure: Structure, mobile: str = "Li") -> list[InterstitialcyHop]:
    """Every knock-off (interstitialcy) event of an ordered antifluorite-type cell.

    An interstitial is a ``mobile`` ion within 0.4 a of an octahedral void centre (on
    24e or 4b). It can push any 8c ion adjacent to its void (ideally sqrt(3)/4 a from
    the void centre) into an empty void adjacent to that 8c site, other than its own;
    the four voids around an 8c site form a tetrahedron, so the knock-off turns by
    109.5 degrees (there is no collinear one in the antifluorite structure). Sites come
    from geometry, with a tolerance of 0.1 a on the ideal distance.

    Args:
        structure: ordered antifluorite-type cell holding interstitials (x > 0).
        mobile: mobile cation.

    Returns:
        Events sorted by (interstitial, pushed ion, destination); empty when the cell
        has no interstitial or no empty void.

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> cell = enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=1)[0]
        >>> hops = interstitialcy_hops(cell)
        >>> len(hops) > 0, hops[0].environment in ("N1S3", "N2S2", "N3S1", "N4", "S4")
        (True, True)
    """
    a = pseudo_cubic_a(structure, mobile)
    voids, empty = octahedral_voids(structure, mobile)
    tetra = tetrahedral_ions(structure, mobile)
    others = non_tetrahedral_ions(structure, mobile)
    if not others or not tetra or not empty.any():
        return []
    lattice = structure.lattice
    tolerance = 0.1 * a
    ideal = IDEAL_8C_4B_DISTANCE_A * a
    tetra_frac = structure.frac_coords[tetra]
    # 8c ion -> adjacent voids (all four in an ideal cell)
    void_to_tetra = np.abs(lattice.get_all_distances(voids, tetra_frac) - ideal) < tolerance
    own_void = lattice.get_all_distances(structure.frac_coords[others], voids)
    environments: dict[int, str] = {}
    hops = []
    for row, interstitial in enumerate(others):
        home = int(np.argmin(own_void[row]))
        if own_void[row, home] > _VOID_OCCUPIED_A * a:
            continue  # a non-tetrahedral ion outside every void (e.g. a broken cell)
        for column in np.flatnonzero(void_to_tetra[home]):
            pushed = tetra[int(column)]
            for target in np.flatnonzero(void_to_tetra[:, column] & empty):
                if target == home:
                    continue
                if pushed not in environments:
                    environments[pushed] = tetrahedron_environment(structure, pushed, mobile)
                destination = voids[int(target)]
                hops.append(
                    InterstitialcyHop(
                        interstitial_index=int(interstitial),
                        pushed_index=int(pushed),
                        destination_frac=(
                            float(destination[0]),
                            float(destination[1]),
                            float(destination[2]),
                        ),
                        environment=environments[pushed],
                    )
                )
    return hops


def hop_endpoints(
    structure: Structure,
    hop: str = "vac-8c-8c",
    mobile: str = "Li",
    supercell: Sequence[int] = (2, 2, 2),
    index: int | None = None,
    seed: int = 0,
) -> HopEndpoints:
    """Endpoints of a hop in an antifluorite-type supercell (unrelaxed).

    A disordered structure (partial occupancies, e.g. ``antifluorite(0.5)``) is first
    ordered in the supercell (lowest-Ewald ordering, ``enumerate_orderings``); an
    ordered one is repeated. Sites come from geometry (:func:`tetrahedral_ions`,
    :func:`octahedral_voids`), so any N/S ordering and cell works.

    Hops (``NEB_HOPS``):

    * ``8c-24e``: an 8c ion moves into an adjacent empty octahedral void (Frenkel pair);
    * ``24e-8c``: the reverse, starting from the interstitial state;
    * ``vac-8c-8c``: one 8c ion is removed and a neighbouring 8c ion (a/2 away) hops into
      the vacancy. The vacancy is neutral: MLIPs carry no net charge, so removing a Li
      atom (not a Li+ ion with a compensating background) is the standard MLIP
      practice; the extra electron sits on the anion framework as the model sees fit;
    * ``interstitialcy``: knock-off, the mechanism the quick MD shows
      (:func:`sselab.transport.mechanism.hop_mechanisms`): an interstitial (24e/4b) ion
      moves into an adjacent 8c site while that site's ion moves on into an empty
      octahedral void (:func:`interstitialcy_hops`; needs x > 0).

    Args:
        structure: antifluorite-type structure (ordered or disordered).
        hop: one of ``NEB_HOPS``.
        mobile: mobile cation.
        supercell: repetitions of the input cell along a, b, c.
        index: the 8c ion that hops (8c-24e, 24e-8c), is removed to make the vacancy
            (vac-8c-8c) or is knocked on (interstitialcy), as an index in the
            supercell; default the first candidate.
        seed: seed of the ordering sampler for disordered input.

    Returns:
        :class:`HopEndpoints`.

    Raises:
        ValueError: unknown hop, no suitable site, or not an antifluorite-type cell.

    Example:
        >>> from sselab.structures import antifluorite
        >>> ends = hop_endpoints(antifluorite(0.0), "vac-8c-8c", supercell=(1, 1, 1))
        >>> len(ends.initial), round(ends.hop_distance_angstrom / ends.anion_lattice_angstrom, 2)
        (11, 0.5)
    """
    if hop not in NEB_HOPS:
        raise ValueError(f"hop '{hop}' unknown; choose from {', '.join(NEB_HOPS)}")
    if len(supercell) != 3 or any(int(n) < 1 for n in supercell):
        raise ValueError(f"supercell {tuple(supercell)} must be three integers >= 1")
    from sselab.structures import enumerate_orderings

    repeat = (int(supercell[0]), int(supercell[1]), int(supercell[2]))
    cell = enumerate_orderings(structure, supercell=repeat, n=1, seed=seed)[0]
    a = pseudo_cubic_a(cell, mobile)
    tetra = tetrahedral_ions(cell, mobile)
    if not tetra:
        raise ValueError(f"{cell.composition.reduced_formula}: no {mobile} on tetrahedral sites")
    if index is not None and index not in tetra:
        raise ValueError(
            f"index {index} is not a tetrahedral {mobile} of the supercell; choose one of "
            f"{tetra[:8]}{' ...' if len(tetra) > 8 else ''}"
        )
    lattice = cell.lattice
    if hop == "interstitialcy":
        return _interstitialcy_endpoints(cell, mobile, index, a)
    candidates = [index] if index is not None else tetra
    if hop == "vac-8c-8c":
        vacancy = candidates[0]
        others = [i for i in tetra if i != vacancy]
        if not others:
            raise ValueError("a vacancy hop needs at least two tetrahedral ions")
        dist = lattice.get_all_distances(cell.frac_coords[vacancy], cell.frac_coords[others])[0]
        # the neighbour closest to the ideal 8c-8c distance a/2: in relaxed doped cells a
        # displaced Li can sit nearer, and its hop is not the regular one
        misfit = np.round(np.abs(dist - IDEAL_8C_8C_DISTANCE_A * a), 6)
        mover = others[int(np.argmin(misfit))]
        destination = cell.frac_coords[vacancy].copy()
        initial = cell.copy()
        initial.remove_sites([vacancy])
        moving = mover - (mover > vacancy)
    else:
        voids, empty = octahedral_voids(cell, mobile)
        if not empty.any():
            raise ValueError(f"{cell.composition.reduced_formula}: no empty octahedral void")
        free = voids[empty]
        dist = lattice.get_all_distances(cell.frac_coords[candidates], free)
        # The (8c, void) pair closest to the ideal 8c-4b distance sqrt(3)/4 a (relaxed
        # doped cells hold displaced Li nearer to a void); ties: lowest ion, then void.
        misfit = np.round(np.abs(dist - IDEAL_8C_4B_DISTANCE_A * a), 6)
        row, col = np.unravel_index(int(np.argmin(misfit)), dist.shape)
        moving = candidates[int(row)]
        destination = free[int(col)]
        initial = cell.copy()
    environment = "" if hop == "vac-8c-8c" else tetrahedron_environment(cell, moving, mobile)
    start = initial.frac_coords[moving].copy()
    final = initial.copy()
    final.replace(moving, initial[moving].species, coords=destination)
    distance = float(lattice.get_all_distances(start, destination)[0, 0])
    if hop == "24e-8c":
        initial, final = final, initial
        start, destination = destination, start
    return HopEndpoints(
        initial=initial,
        final=final,
        hop=hop,
        moving_index=int(moving),
        start_frac=(float(start[0]), float(start[1]), float(start[2])),
        end_frac=(float(destination[0]), float(destination[1]), float(destination[2])),
        hop_distance_angstrom=distance,
        anion_lattice_angstrom=a,
        environment=environment,
    )


def _interstitialcy_endpoints(
    cell: Structure, mobile: str, index: int | None, a: float
) -> HopEndpoints:
    hops = interstitialcy_hops(cell, mobile)
    if index is not None:
        hops = [h for h in hops if h.pushed_index == index]
    if not hops:
        raise ValueError(
            f"{cell.composition.reduced_formula}: no interstitialcy hop"
            + (f" pushing 8c ion {index}" if index is not None else "")
            + " (needs an interstitial next to an 8c ion next to an empty octahedral void)"
        )
    return interstitialcy_endpoints(cell, hops[0], a)


def interstitialcy_endpoints(
    cell: Structure, event: InterstitialcyHop, a: float | None = None, mobile: str = "Li"
) -> HopEndpoints:
    """Unrelaxed endpoints of one knock-off event of :func:`interstitialcy_hops`.

    Example:
        >>> from sselab.structures import antifluorite, enumerate_orderings
        >>> cell = enumerate_orderings(antifluorite(0.5), (1, 1, 1), n=1)[0]
        >>> ends = interstitialcy_endpoints(cell, interstitialcy_hops(cell)[0])
        >>> ends.hop, ends.pushed_index is not None
        ('interstitialcy', True)
    """
    a = pseudo_cubic_a(cell, mobile) if a is None else a
    moving, pushed = event.interstitial_index, event.pushed_index
    start = cell.frac_coords[moving].copy()
    site_8c = cell.frac_coords[pushed].copy()
    final = cell.copy()
    final.replace(moving, cell[moving].species, coords=site_8c)
    final.replace(pushed, cell[pushed].species, coords=np.asarray(event.destination_frac))
    return HopEndpoints(
        initial=cell.copy(),
        final=final,
        hop="interstitialcy",
        moving_index=int(moving),
        start_frac=(float(start[0]), float(start[1]), float(start[2])),
        end_frac=(float(site_8c[0]), float(site_8c[1]), float(site_8c[2])),
        hop_distance_angstrom=float(cell.lattice.get_all_distances(start, site_8c)[0, 0]),
        anion_lattice_angstrom=a,
        pushed_index=int(pushed),
        environment=event.environment,
    )


def antifluorite_hop(
    structure: Structure, hop: str, mobile: str = "Li", origin_index: int | None = None
) -> np.ndarray:
    """Fractional waypoints of a named antifluorite path (``PATH_WAYPOINTS``) in ``structure``.

    The conventional constant is :func:`~sselab.structures.cells.pseudo_cubic_a` over the
    anion sites (the sites holding no ``mobile`` species, so site-averaged N/S sites of a
    disordered cell count), and the origin is an anion site, so N/S orderings,
    supercells and strained cells work; the cubic axes are assumed along Cartesian x, y,
    z (the standard setting of CIFs and of ``sselab.structures``).

    Args:
        structure: antifluorite-type structure, ordered or disordered.
        hop: "8c-4b-8c" or "8c-24e-8c".
        mobile: the mobile cation.
        origin_index: index of the anion site used as origin (default: the first anion).

    Returns:
        (3, 3) fractional coordinates: start site, intermediate site, end site.

    Example:
        >>> from sselab.structures import antifluorite
        >>> antifluorite_hop(antifluorite(0.0, a=5.719), "8c-4b-8c")[1].tolist()
        [0.5, 0.5, 0.5]
    """
    if hop not in PATH_WAYPOINTS:
        raise ValueError(f"hop '{hop}': choose one of {sorted(PATH_WAYPOINTS)}")
    anions = [
        i
        for i, site in enumerate(structure)
        if mobile not in {species.symbol for species in site.species}
    ]
    if not anions:
        raise ValueError(f"{structure.composition.reduced_formula}: no anion sites")
    if origin_index is None:
        origin_index = anions[0]
    if origin_index not in anions:
        raise ValueError(f"origin_index {origin_index} is not an anion site (anions: {anions})")
    a = pseudo_cubic_a(structure, mobile, n_anions=len(anions))
    cart = structure[origin_index].coords + a * np.array(PATH_WAYPOINTS[hop])
    return structure.lattice.get_fractional_coords(cart)
