"""CHGNet calls: sselab's calculator (one first-order autograd pass) vs CHGNet's own.

``CHGNetCalculator`` takes forces and stress as two second-order-capable backward passes
and computes the stress on every call; sselab's ``CHGNetInferenceCalculator`` takes both
in one pass without a graph, the stress only where it is read. Timed alternately in the
same run, one shared model, on the x = 0.5 ordering of 14 atoms (1x1x1) and 112 atoms
(2x2x2), positions moved before every call: forces only (NEB, phonons, fixed-cell
relaxation, NVT MD) and forces + stress (cell relaxation, NPT).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

CALLS = 6


def _atoms(supercell: tuple[int, int, int]) -> Any:
    from pymatgen.io.ase import AseAtomsAdaptor

    from sselab.structures import antifluorite, enumerate_orderings

    return AseAtomsAdaptor.get_atoms(enumerate_orderings(antifluorite(0.5), supercell, n=1)[0])


def _seconds_per_call(atoms: Any, calculator: Any, calls: int, stress: bool) -> float:
    atoms = atoms.copy()
    atoms.calc = calculator
    rng = np.random.default_rng(0)
    atoms.get_forces()  # warm-up
    start = time.perf_counter()
    for _ in range(calls):
        atoms.positions += rng.normal(0.0, 0.01, atoms.positions.shape)
        atoms.get_forces()
        if stress:
            atoms.get_stress()
    return (time.perf_counter() - start) / calls


def main() -> dict[str, Any]:
    """Seconds per call and the ratio CHGNet's calculator / sselab's, per cell and task."""
    import contextlib
    import io

    from chgnet.model.dynamics import CHGNetCalculator

    from sselab.calculators import get_calculator

    ours = get_calculator("chgnet", device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        peer = CHGNetCalculator(model=ours.model, use_device="cpu")
    results: dict[str, Any] = {}
    for supercell in ((1, 1, 1), (2, 2, 2)):
        atoms = _atoms(supercell)
        for task, stress in (("forces", False), ("forces+stress", True)):
            # alternate: the machine's speed drifts, so both see the same conditions
            peer_s, ours_s = [], []
            for _ in range(2):
                peer_s.append(_seconds_per_call(atoms, peer, CALLS // 2, stress))
                ours_s.append(_seconds_per_call(atoms, ours, CALLS // 2, stress))
            results[f"{len(atoms)} atoms, {task}"] = {
                "chgnet_calculator_s_per_call": round(float(np.mean(peer_s)), 4),
                "sselab_calculator_s_per_call": round(float(np.mean(ours_s)), 4),
                "speedup": round(float(np.mean(peer_s) / np.mean(ours_s)), 2),
            }
    return results
