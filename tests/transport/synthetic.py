"""Synthetic trajectories with known transport, and a calculator that dies mid-run."""

from __future__ import annotations

from typing import Any

import numpy as np
from ase.calculators.emt import EMT

from sselab.transport.trajectory import Trajectory


def random_walk(
    D_xyz_angstrom2_per_ps: tuple[float, float, float],
    n_li: int = 100,
    n_frames: int = 10_000,
    frame_interval_fs: float = 100.0,
    n_framework: int = 20,
    box_angstrom: float = 12.0,
    temperature_K: float = 1000.0,
    seed: int = 0,
) -> Trajectory:
    """Independent Gaussian walkers (Li) plus a vibrating, drifting framework (S).

    Each Li step has variance 2 D_i dt along direction i, so the tracer D is known;
    the framework shares a common drift that the analysis must remove.
    """
    rng = np.random.default_rng(seed)
    dt_ps = frame_interval_fs / 1000.0
    scale = np.sqrt(2.0 * np.asarray(D_xyz_angstrom2_per_ps) * dt_ps)
    steps = rng.standard_normal((n_frames - 1, n_li, 3)) * scale
    start = rng.uniform(0, box_angstrom, (n_li, 3))
    li = np.concatenate([start[None], start + np.cumsum(steps, axis=0)])
    drift = np.cumsum(rng.standard_normal((n_frames, 1, 3)) * 0.01, axis=0)
    sites = rng.uniform(0, box_angstrom, (n_framework, 3))
    framework = sites + 0.1 * rng.standard_normal((n_frames, n_framework, 3)) + drift
    positions = np.concatenate([li + drift, framework], axis=1)
    symbols = ["Li"] * n_li + ["S"] * n_framework
    return Trajectory(
        positions, box_angstrom * np.eye(3), symbols, frame_interval_fs, temperature_K
    )


class CrashingEMT(EMT):
    """EMT that dies after a number of force evaluations, like a killed job."""

    sselab_label = "EMT"  # same cache/checkpoint key as the EMT that resumes it

    def __init__(self, crash_after: int) -> None:
        super().__init__()
        self.remaining = crash_after

    def calculate(self, *args: Any, **kwargs: Any) -> None:
        self.remaining -= 1
        if self.remaining < 0:
            raise KeyboardInterrupt("simulated kill")
        super().calculate(*args, **kwargs)
