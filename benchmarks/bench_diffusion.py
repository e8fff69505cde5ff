"""Diffusion analysis speed: sselab vs pymatgen-analysis-diffusion vs kinisi.

The trajectory is a synthetic 25,000-frame, 112-atom run shaped like the paper's
2x2x2 Li2.5N0.5S0.5 cell (80 Li random walkers with D = 1e-5 cm^2/s, 32 framework
atoms), 100 fs between frames (2.5 ns). Each library analyses the same positions:

- sselab: :func:`analyze_diffusion` (tracer, per-direction and collective MSD over all
  origins, block errors): the complete analysis, not only the MSD;
- pymatgen-analysis-diffusion ``DiffusionAnalyzer`` with ``smoothed=False`` (the
  traditional single-origin analysis the issue asks for) and ``smoothed="max"``;
- kinisi ``DiffusionAnalyzer`` + Bayesian D fit: too slow for 25,000 frames on a shared
  2-core machine, so it runs at 1,250 and 2,500 frames and is extrapolated with the
  measured power law (reported as such).

``main()`` returns wall times, speed-up ratios and the D values, so "equal results" can
be checked next to the ratios.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sselab.transport.analysis import analyze_diffusion
from sselab.transport.trajectory import Trajectory, pymatgen_diffusion_analyzer

N_FRAMES = 25_000
N_LI = 80
N_FRAMEWORK = 32
FRAME_INTERVAL_FS = 100.0
D_ANGSTROM2_PER_PS = 0.1


def synthetic_trajectory(n_frames: int = N_FRAMES, seed: int = 0) -> Trajectory:
    """80 Gaussian Li walkers and 32 vibrating framework atoms in a 10.9 Å cube.

    Example:
        >>> synthetic_trajectory(100).positions_angstrom.shape
        (100, 112, 3)
    """
    rng = np.random.default_rng(seed)
    box = 10.9
    step = math.sqrt(2 * D_ANGSTROM2_PER_PS * FRAME_INTERVAL_FS / 1000.0)
    li = rng.uniform(0, box, (N_LI, 3)) + np.cumsum(
        rng.standard_normal((n_frames, N_LI, 3)) * step, axis=0
    )
    framework = rng.uniform(0, box, (N_FRAMEWORK, 3)) + 0.1 * rng.standard_normal(
        (n_frames, N_FRAMEWORK, 3)
    )
    symbols = ["Li"] * N_LI + ["S"] * N_FRAMEWORK
    positions = np.concatenate([li, framework], axis=1)
    return Trajectory(positions, box * np.eye(3), symbols, FRAME_INTERVAL_FS, 1000.0)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _kinisi(traj: Trajectory) -> float:
    import scipp as sc
    from ase import Atoms
    from kinisi.analyze import DiffusionAnalyzer

    frames = [
        Atoms(traj.symbols, positions=p, cell=traj.cell_angstrom, pbc=True)
        for p in traj.positions_angstrom
    ]
    interval = traj.frame_interval_fs / 1000.0
    t_min, t_max = analyze_diffusion(traj).fit_window_ps
    analyzer = DiffusionAnalyzer.from_ase(
        frames,
        specie="Li",
        time_step=sc.scalar(interval, unit="ps"),
        step_skip=sc.scalar(1, unit="dimensionless"),
        dt=sc.arange("time interval", interval, t_max + 1e-9, 4 * interval, unit="ps"),
        progress=False,
    )
    analyzer.diffusion(
        sc.scalar(t_min, unit="ps"), progress=False, random_state=np.random.RandomState(0)
    )
    return float(np.mean(sc.to_unit(analyzer.D, "cm^2/s").values))


def main() -> dict[str, Any]:
    """Time the three analyses; return times (s), ratios and D values (cm^2/s)."""
    traj = synthetic_trajectory()
    ours_s, ours = _timed(lambda: analyze_diffusion(traj))
    pmg_false_s, pmg_false = _timed(lambda: pymatgen_diffusion_analyzer(traj, smoothed=False))
    pmg_max_s, pmg_max = _timed(lambda: pymatgen_diffusion_analyzer(traj, smoothed="max"))
    kinisi_frames = (1250, 2500)
    kinisi_s = []
    kinisi_d = []
    for n in kinisi_frames:
        seconds, d = _timed(lambda n=n: _kinisi(synthetic_trajectory(n)))
        kinisi_s.append(seconds)
        kinisi_d.append(d)
    exponent = math.log(kinisi_s[1] / kinisi_s[0]) / math.log(kinisi_frames[1] / kinisi_frames[0])
    kinisi_full_s = kinisi_s[1] * (N_FRAMES / kinisi_frames[1]) ** exponent
    ours_small_s, ours_small = _timed(lambda: analyze_diffusion(synthetic_trajectory(2500)))
    d = ours.D_cm2_per_s
    return {
        "trajectory": f"{N_FRAMES} frames, {N_LI + N_FRAMEWORK} atoms, synthetic, D_true 1e-5",
        "sselab_s": ours_s,
        "pymatgen_smoothed_false_s": pmg_false_s,
        "pymatgen_smoothed_max_s": pmg_max_s,
        "speedup_vs_pymatgen_smoothed_false": pmg_false_s / ours_s,
        "speedup_vs_pymatgen_smoothed_max": pmg_max_s / ours_s,
        "kinisi_frames": list(kinisi_frames),
        "kinisi_s": kinisi_s,
        "kinisi_time_exponent": exponent,
        "kinisi_extrapolated_25000_frames_s": kinisi_full_s,
        "speedup_vs_kinisi_extrapolated": kinisi_full_s / ours_s,
        "speedup_vs_kinisi_measured_2500_frames": kinisi_s[1] / ours_small_s,
        "D_sselab_cm2_per_s": [d.value, d.error],
        "D_pymatgen_smoothed_false_cm2_per_s": float(pmg_false.diffusivity),
        "D_pymatgen_smoothed_max_cm2_per_s": float(pmg_max.diffusivity),
        "D_kinisi_2500_frames_cm2_per_s": kinisi_d[1],
        "D_sselab_2500_frames_cm2_per_s": [
            ours_small.D_cm2_per_s.value,
            ours_small.D_cm2_per_s.error,
        ],
    }
