"""GPAW wall times on this machine: a 14-atom SCF, a short relaxation, 1 vs 2 Dask workers.

- SCF: the lowest-Ewald 14-atom ordering of Li2.5N0.5S0.5 (the cell the quick hull
  uses) at the paper's a = 5.458 Å, default ``PawSettings`` (PBE, 900 eV,
  3.5 k-points per Å⁻¹) and with the reproduce --quick k density (2.5), one BLAS
  thread and two.
- Relaxation: Li2S primitive cell compressed 5 % in volume, volume relaxation to
  fmax 0.01 eV/Å at default settings.
- Batch: four single points (Li2S primitive at four volumes, 600 eV) on a Dask
  LocalCluster with one and with two single-threaded workers (one GPAW job per
  worker, as the pipeline's executor runs them).

Every job runs without a results store so that nothing is a lookup. The numbers
are only meaningful on an otherwise idle machine; note the load next to them.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from sselab.calculators.paw import PawSettings
from sselab.dft import DftRelaxSettings, dft_relax, dft_single_point
from sselab.structures import antifluorite, enumerate_orderings
from sselab.structures.references import li2s


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - start, 1)


def _scf_14_atoms() -> dict[str, Any]:
    cell = enumerate_orderings(antifluorite(0.5, a=5.458), supercell=(1, 1, 1), n=1)[0]
    rows = {}
    for name, settings in (
        ("default_1_thread", PawSettings()),
        ("default_2_threads", PawSettings(threads=2)),
        ("quick_k2.5_1_thread", PawSettings(kpoint_density_per_inv_angstrom=2.5)),
    ):
        result, wall = _timed(dft_single_point, cell, settings)
        rows[name] = {"wall_s": wall, "kpoint_grid": list(result.kpoint_grid)}
    return {"n_atoms": len(cell), **rows}


def _relaxation() -> dict[str, Any]:
    start = li2s().get_primitive_structure()
    start.scale_lattice(0.95 * start.volume)
    result, wall = _timed(
        dft_relax, start, PawSettings(), DftRelaxSettings(fmax_eV_per_angstrom=0.01)
    )
    return {"wall_s": wall, "steps": result.n_steps, "a_angstrom": result.abc_angstrom[0] * 2**0.5}


def _batch(workers: int) -> float:
    from distributed import Client, LocalCluster

    settings = PawSettings(cutoff_eV=600)
    cells = []
    for scale in (0.97, 0.99, 1.01, 1.03):
        cell = li2s().get_primitive_structure()
        cell.scale_lattice(scale * cell.volume)
        cells.append(cell)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        client.gather(client.map(dft_single_point, cells, settings=settings, pure=False))
        return round(time.perf_counter() - start, 1)


def main() -> dict[str, Any]:
    load = os.getloadavg()[0]
    return {
        "load_average_1min": round(load, 2),
        "scf_14_atoms": _scf_14_atoms(),
        "relaxation_li2s": _relaxation(),
        "batch_4_single_points_s": {"1_worker": _batch(1), "2_workers": _batch(2)},
        "settings": replace(PawSettings(), threads=1).label(),
    }
