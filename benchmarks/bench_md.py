"""MD throughput: batched engine vs the ASE loop, and ps/day per model and cell size.

Cells: the quick profile's 14-atom Li2.5N0.5S0.5 (1x1x1 conventional, lowest-Ewald
ordering, unrelaxed: throughput does not depend on the relaxation) and, with
``SSELAB_BENCH_MD_LARGE=1``, the paper's 112-atom 2x2x2 cell. Each case runs
``STEPS`` NVT steps after a warm-up step, in this process, one after the other, so
ratios are measured in the same run:

- ``ase``: ``run_md`` once per replica (ASE calculator: energy, forces and stress);
- ``batched``: ``run_md_batch`` with all replicas in lock step (CHGNet forces, no
  stress, in calls of at most ``CPU_MAX_ATOMS_PER_CALL`` atoms on a CPU).

Measured 2026-12-01 on 2 CPU cores shared with four other agents (load 13-16), 1 torch
thread, ratio batched / ASE in the same run: 14 atoms x 1 replica 1.4-3.2, x 8 replicas
1.3-1.4; 112 atoms x 1 replica 1.5, x 8 replicas 1.33 (0.6 before the atoms-per-call cap).
CHGNet replica-ps/day through ASE: 355-770 (14 atoms), 92-105 (112 atoms); SevenNet
7net-0 through ASE: 500-640 and 65.

Throughput is atom-steps per second over all replicas; ``ratio`` is batched / ASE for
the same number of replicas. ``replica_ps_per_day`` is the simulated time of all
replicas together per wall-clock day (2 fs steps): what a study of that many replicas
gets done per day. SevenNet has no
batched path (it runs replica by replica through its ASE calculator in both engines),
so only its ASE ps/day is reported. On a shared machine the numbers move with the load;
the ratios of one run are what to compare.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sselab.transport.batched import CHGNetBatchCalculator, Replica, run_md_batch
from sselab.transport.md import prepare_md_cell, run_md

STEPS = 20
TIMESTEP_FS = 2.0


def _cell(supercell: tuple[int, int, int]) -> Any:
    from sselab.structures import antifluorite

    return prepare_md_cell(antifluorite(0.5), supercell)


def _md_args(steps: int) -> dict[str, Any]:
    return {
        "time_ps": steps * TIMESTEP_FS / 1000.0,
        "equilibration_ps": 0.0,
        "frame_interval_steps": 5,
        "checkpoint_interval_steps": 5 * steps,
        "progress": False,
    }


def ase_loop(cell: Any, n_replicas: int, model: str, steps: int = STEPS) -> dict[str, float]:
    """Atom-steps/s and ps/day of ``n_replicas`` ASE runs one after the other.

    Example:
        >>> ase_loop(_cell((1, 1, 1)), 1, "chgnet", steps=2)  # doctest: +SKIP
    """
    from sselab.calculators import get_calculator

    calculator = get_calculator(model, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for k in range(n_replicas):
            run_md(cell, 1000.0, Path(tmp) / str(k), calculator=calculator, seed=k,
                   **_md_args(steps))  # fmt: skip
        wall = time.perf_counter() - start
    return _speeds(len(cell), n_replicas, steps, wall)


def batched(cell: Any, n_replicas: int, steps: int = STEPS) -> dict[str, float]:
    """Atom-steps/s and ps/day of ``n_replicas`` CHGNet replicas in one batch.

    Example:
        >>> batched(_cell((1, 1, 1)), 8, steps=2)  # doctest: +SKIP
    """
    calculator = CHGNetBatchCalculator.load("cpu")
    replicas = [Replica(cell, 1000.0, seed=k) for k in range(n_replicas)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_md_batch(replicas, tmp, calculator, **_md_args(steps))
        wall = time.perf_counter() - start
    return _speeds(len(cell), n_replicas, steps, wall)


def _speeds(n_atoms: int, n_replicas: int, steps: int, wall_s: float) -> dict[str, float]:
    return {
        "wall_s": wall_s,
        "atom_steps_per_s": n_atoms * n_replicas * steps / wall_s,
        "replica_ps_per_day": steps * TIMESTEP_FS / 1000.0 / (wall_s / n_replicas) * 86400.0,
    }


def main() -> dict[str, Any]:
    """Batched vs ASE at 1 and 8 replicas (14 atoms; 112 with SSELAB_BENCH_MD_LARGE=1)."""
    import torch

    results: dict[str, Any] = {"steps": STEPS, "torch_threads": torch.get_num_threads()}
    sizes = [(1, 1, 1)] + ([(2, 2, 2)] if os.environ.get("SSELAB_BENCH_MD_LARGE") else [])
    for supercell in sizes:
        cell = _cell(supercell)
        key = f"{len(cell)}_atoms"
        # warm-up: model load and first-call overheads stay out of the timings
        batched(cell, 1, steps=1)
        ase_loop(cell, 1, "chgnet", steps=1)
        case: dict[str, Any] = {}
        for n in (1, 8):
            ase, ours = ase_loop(cell, n, "chgnet"), batched(cell, n)
            case[f"{n}_replicas"] = {
                "ase": ase,
                "batched": ours,
                "ratio_batched_over_ase": ours["atom_steps_per_s"] / ase["atom_steps_per_s"],
            }
        try:
            case["sevennet_ase_ps_per_day"] = ase_loop(cell, 1, "sevennet")["replica_ps_per_day"]
        except Exception as exc:  # an optional model missing must not hide the CHGNet numbers
            case["sevennet_ase_ps_per_day"] = f"unavailable: {exc}"
        results[key] = case
    return results
