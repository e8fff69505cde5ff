"""Screening throughput: structures per hour on this machine for the structure-file path.

All on the shipped validation set (``sselab.structures.conductors``, 25 Li conductors),
in one process, so every ratio compares runs measured side by side:

- BVSE only, site-averaged cell (the screen's path), 0.2 Å (the screen's default):
  oxidation states + BVSE per structure; wall and CPU time, structures per hour.
- Peer: BVlain 0.25.1 on the same cells where it can run (it needs ordered cells, so
  the fully ordered compounds of the set), same grid and softBV parameters; the ratio
  is BVlain time / sselab time on those compounds.
- Site-averaged vs ordered path on the disordered compounds: ordering
  (``order_structure``: supercell choice, 12 Ewald-ranked decorations) + BVSE of the
  best ordered supercell, vs BVSE of the site-averaged cell.
- BVSE + relax: CHGNet relaxation (fmax 0.1 eV/Å, <= 100 steps, cell free) of the
  lowest-Ewald ordered cell of the compounds in ``SSELAB_BENCH_RELAX`` (comma list,
  default Li3N, Li2.5N0.5S0.5 and Li6PS5Cl: 4, 7 and 65 atoms; "none" skips), added to
  their BVSE time.

Structures per hour are 3600 / (seconds per structure) on one process; a Dask cluster
(``--workers N``) multiplies by the number of workers for BVSE-only screens.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

from sselab.structures.conductors import validation_set
from sselab.structures.partial import (
    clear_mobile_sites,
    decorate,
    order_structure,
    oxidation_states,
)
from sselab.transport.bvse import percolation_barriers

RESOLUTION = 0.2
RELAX_DEFAULT = "alpha-Li3N,Li2.5N0.5S0.5,Li6PS5Cl"


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _bvlain_3d(structure: Any) -> float:
    from bvlain import Lain

    lain = Lain(verbose=False)
    lain.read_structure(structure, oxi_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lain.bvse_distribution(
            mobile_ion="Li1+", resolution=RESOLUTION, use_softbv_covalent_radii=True
        )
    return float(lain.percolation_barriers()["E_3D"])


def _per_hour(seconds: float, n: int) -> float:
    return round(3600.0 * n / seconds, 1) if seconds > 0 else float("inf")


def main() -> dict[str, Any]:
    conductors = validation_set()
    cells = {
        c.name: clear_mobile_sites(decorate(c.structure, oxidation_states(c.structure)), "Li")
        for c in conductors
    }
    results: dict[str, Any] = {"n_structures": len(cells), "resolution_angstrom": RESOLUTION}

    # BVSE only, the screen's site-averaged path
    ours: dict[str, tuple[float, float, float]] = {}
    for name, cell in cells.items():
        out, wall, cpu = _timed(lambda cell=cell: percolation_barriers(cell, "Li", RESOLUTION))
        ours[name] = (out.barrier_3d_eV.value, wall, cpu)
    wall_all = sum(v[1] for v in ours.values())
    cpu_all = sum(v[2] for v in ours.values())
    results["bvse_only"] = {
        "wall_s": round(wall_all, 1),
        "cpu_s": round(cpu_all, 1),
        "structures_per_hour_wall": _per_hour(wall_all, len(cells)),
        "structures_per_hour_cpu": _per_hour(cpu_all, len(cells)),
    }

    # peer: BVlain on the ordered compounds
    try:
        import bvlain  # noqa: F401
    except ImportError:
        results["bvlain"] = "not installed"
    else:
        ordered = [n for n, c in cells.items() if c.is_ordered]
        theirs = {}
        for name in ordered:
            e3, wall, _ = _timed(lambda name=name: _bvlain_3d(cells[name]))
            theirs[name] = (e3, wall)
        ours_wall = sum(ours[n][1] for n in ordered)
        theirs_wall = sum(theirs[n][1] for n in ordered)
        results["bvlain"] = {
            "compounds": ordered,
            "sselab_wall_s": round(ours_wall, 1),
            "bvlain_wall_s": round(theirs_wall, 1),
            "speedup": round(theirs_wall / ours_wall, 1),
            "max_abs_3d_difference_eV": round(
                float(max(abs(ours[n][0] - theirs[n][0]) for n in ordered)), 3
            ),
        }

    # site-averaged vs ordered path on the disordered compounds
    sources = {c.name: c.structure for c in conductors}
    disordered = [n for n, c in cells.items() if not c.is_ordered]
    ordered_wall, shifts, atoms = 0.0, [], []
    for name in disordered:
        full = decorate(sources[name], oxidation_states(sources[name]))

        def ordered_path(full: Any = full) -> tuple[int, float]:
            cell = order_structure(full, n_orderings=1).structures[0]
            return len(cell), percolation_barriers(cell, "Li", RESOLUTION).barrier_3d_eV.value

        (n_atoms, barrier), wall, _ = _timed(ordered_path)
        ordered_wall += wall
        atoms.append(n_atoms)
        shifts.append(barrier - ours[name][0])
    averaged_wall = sum(ours[n][1] for n in disordered)
    results["site_averaged_vs_ordered"] = {
        "compounds": len(disordered),
        "site_averaged_wall_s": round(averaged_wall, 1),
        "ordered_wall_s": round(ordered_wall, 1),
        "ordered_over_site_averaged": round(ordered_wall / averaged_wall, 1),
        "ordered_cell_atoms_median": int(np.median(atoms)),
        "median_3d_shift_ordered_minus_averaged_eV": round(float(np.median(shifts)), 3),
    }

    # BVSE + relax on a few compounds
    names = [n for n in os.environ.get("SSELAB_BENCH_RELAX", RELAX_DEFAULT).split(",") if n]
    if names and names != ["none"]:
        from sselab.calculators import get_calculator, relax

        calculator = get_calculator("chgnet", device="cpu")
        relax_wall, sizes = 0.0, []
        for name in names:
            cell = order_structure(
                decorate(sources[name], oxidation_states(sources[name])), n_orderings=1
            ).structures[0]
            sizes.append(len(cell))
            _, wall, _ = _timed(lambda cell=cell: relax(cell, calculator, fmax=0.1, max_steps=100))
            relax_wall += wall + ours[name][1]
        results["bvse_plus_relax"] = {
            "compounds": names,
            "atoms": sizes,
            "wall_s": round(relax_wall, 1),
            "structures_per_hour_wall": _per_hour(relax_wall, len(names)),
        }
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
