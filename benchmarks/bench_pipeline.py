"""Pipeline executor: wall time of one screening in-process, on 1 and on 2 Dask workers.

The study: four candidates (Li5NS, Li5NO, Li5NSe at x = 0.5 and Li9NS3 at x = 0.25, one
conventional cell each) through order, relax (CHGNet, fmax 0.1, 30 steps), tie line,
BVSE (0.3 Å) and diffraction: 4 orderings + 4 end members to relax, so two workers
have independent work from the start. Each configuration starts from an empty store
and includes the workers' start-up (process spawn, torch/CHGNet import and load),
which is what a user waits for. A rerun on the filled store times the cache path.
Numbers depend on the machine's load: compare them only within one run.

``core_sharing`` asks what a worker pool gains on two cores: CHGNet energy + forces +
stress on one 27-atom cell (the lattice stage's x = 3/8 cell), per call, in one process
with two torch threads, with one, and in two single-threaded processes side by side
(what two Dask workers do), the pair once more with Dask's default 64 KiB
``MALLOC_TRIM_THRESHOLD_`` (which made Dask workers look no faster than one process).
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sselab.pipeline.executor import dask_client
from sselab.pipeline.screen import screen
from sselab.pipeline.study import parse_study
from sselab.store import ResultStore

STUDY = {
    "name": "bench",
    "stages": ["order", "relax", "hull", "bvse", "diffraction"],
    "relax": {"fmax_eV_per_angstrom": 0.1, "max_steps": 30},
    "bvse": {"resolution_angstrom": 0.3},
    "candidates": [
        {"name": "LiSN", "anions": ["S", "N"], "x": [0.25, 0.5]},
        {"name": "LiON", "anions": ["O", "N"], "x": [0.5]},
        {"name": "LiSeN", "anions": ["Se", "N"], "x": [0.5]},
    ],
}


def _timed(workers: int | None, folder: Path) -> dict[str, Any]:
    study = parse_study(STUDY)
    start = time.perf_counter()
    with (
        dask_client(workers=workers, gpus=0 if workers else None) as client,
        ResultStore(folder / "s.sqlite") as store,
    ):
        result = screen(study, store, client, folder, device="cpu", progress=False)
    total = time.perf_counter() - start
    return {
        "wall_s": round(total, 1),
        "tasks_computed": sum(result.run["computed"].values()),
        "e_above_tie_meV_per_atom": {
            r.name: round(r.e_above_tie_meV_per_atom.value, 2)
            for r in result.rows
            if r.e_above_tie_meV_per_atom is not None
        },
    }


def _seconds_per_call(threads: int, n_calls: int = 30) -> float:
    """CHGNet E + F + stress on the 27-atom x = 3/8 ordering with ``threads`` torch threads."""
    import numpy as np
    import torch
    from pymatgen.io.ase import AseAtomsAdaptor

    from sselab.calculators import get_calculator
    from sselab.structures import antifluorite, enumerate_orderings

    torch.set_num_threads(threads)
    cell = enumerate_orderings(antifluorite(0.375), (2, 1, 1), 1)[0]
    atoms = AseAtomsAdaptor.get_atoms(cell)
    atoms.calc = get_calculator("chgnet")
    atoms.get_forces()  # model load and first-call set-up are not timed
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(n_calls):
        atoms.positions += rng.normal(0.0, 0.01, atoms.positions.shape)
        atoms.get_forces()
        atoms.get_stress()
    return (time.perf_counter() - start) / n_calls


def _side_by_side(environ: dict[str, str]) -> float:
    """Mean s per call of two single-threaded processes at once, spawned with ``environ``."""
    import multiprocessing
    import os

    # spawned, not forked: glibc reads MALLOC_* variables when a process starts
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update(environ)
    try:
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            return sum(pool.map(_seconds_per_call, [1, 1])) / 2
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def core_sharing() -> dict[str, float]:
    """Seconds per MLIP call: 2 threads, 1 thread, two 1-thread processes at once.

    The pair runs twice: with sselab's worker environment and with Dask's default one
    (``MALLOC_TRIM_THRESHOLD_=65536``, which ``local_cluster`` drops).
    """
    two_threads = _seconds_per_call(2)
    one_thread = _seconds_per_call(1)
    pair = _side_by_side({})
    pair_dask_trim = _side_by_side({"MALLOC_TRIM_THRESHOLD_": "65536"})
    return {
        "s_per_call_2_threads": round(two_threads, 3),
        "s_per_call_1_thread": round(one_thread, 3),
        "s_per_call_1_thread_two_processes": round(pair, 3),
        "s_per_call_1_thread_two_processes_dask_trim": round(pair_dask_trim, 3),
        # calls per second of two processes over one process with both cores
        "pool_throughput_ratio": round(2 * two_threads / pair, 2),
        "dask_trim_slowdown": round(pair_dask_trim / pair, 2),
    }


def main() -> dict[str, Any]:
    """Wall times (s) in-process, 1 worker, 2 workers, and a cached rerun; core sharing."""
    out: dict[str, Any] = {"core_sharing": core_sharing()}
    with tempfile.TemporaryDirectory() as tmp:
        for label, workers in (("in_process", None), ("workers_1", 1), ("workers_2", 2)):
            folder = Path(tmp) / label
            folder.mkdir()
            out[label] = _timed(workers, folder)
        start = time.perf_counter()
        with ResultStore(Path(tmp) / "in_process" / "s.sqlite") as store:
            screen(parse_study(STUDY), store, progress=False)
        out["cached_rerun_wall_s"] = round(time.perf_counter() - start, 2)
    out["speedup_2_vs_1_workers"] = round(
        out["workers_1"]["wall_s"] / out["workers_2"]["wall_s"], 2
    )
    same = (
        out["in_process"]["e_above_tie_meV_per_atom"]
        == out["workers_2"]["e_above_tie_meV_per_atom"]
    )
    out["workers_equal_in_process"] = same
    return out


if __name__ == "__main__":
    print(main())
