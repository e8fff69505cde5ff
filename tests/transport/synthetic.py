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


def lattice_walk(
    mechanism: str,
    n_events: int = 40,
    a_angstrom: float = 5.6,
    frames_per_event: int = 20,
    hop_frames: int = 4,
    frame_interval_fs: float = 10.0,
    noise_angstrom: float = 0.05,
    seed: int = 0,
) -> Trajectory:
    """Li hopping on a 2x2x2 antifluorite lattice (S on fcc) by one known mechanism.

    ``"vacancy"``: all 8c sites but one filled; each event moves a neighbour of the
    vacancy into it. ``"interstitialcy"``: all 8c filled plus one Li in an octahedral
    (4b) site; each event the interstitial pushes a neighbouring 8c Li into another
    octahedron and takes its place, both moving at once. Events are
    ``frames_per_event`` frames apart, each hop lasts ``hop_frames`` frames.
    """
    rng = np.random.default_rng(seed)
    box = 2 * a_angstrom
    grid = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)
    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    tet = np.array([[x, y, z] for x in (0.25, 0.75) for y in (0.25, 0.75) for z in (0.25, 0.75)])
    octa = np.array([[0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]])

    def place(basis: np.ndarray) -> np.ndarray:
        return ((grid[:, None] + basis[None]).reshape(-1, 3) * a_angstrom) % box

    anions, sites_8c, sites_4b = place(fcc), place(tet), place(octa)

    def vector(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        d = end - start
        return d - box * np.round(d / box)

    def neighbours(point: np.ndarray, sites: np.ndarray, distance: float) -> list[int]:
        lengths = np.linalg.norm([vector(point, s) for s in sites], axis=1)
        return [int(i) for i in np.flatnonzero(np.abs(lengths - distance) < 0.01)]

    if mechanism == "vacancy":
        vacancy = 0
        li = [sites_8c[i].copy() for i in range(1, len(sites_8c))]
        where = {i: i + 1 for i in range(len(li))}  # Li -> 8c site index
    elif mechanism == "interstitialcy":
        li = [s.copy() for s in sites_8c] + [sites_4b[0].copy()]
        where = {i: i for i in range(len(sites_8c))}
        interstitial, octa_site = len(li) - 1, 0
    else:
        raise ValueError(f"unknown mechanism {mechanism!r}")
    frames = []
    current = np.array(li)
    for _ in range(n_events):
        moves: list[tuple[int, np.ndarray]] = []
        if mechanism == "vacancy":
            site = int(rng.choice(neighbours(sites_8c[vacancy], sites_8c, a_angstrom / 2)))
            ion = next(i for i, s in where.items() if s == site)
            moves.append((ion, vector(sites_8c[site], sites_8c[vacancy])))
            where[ion], vacancy = vacancy, site
        else:
            near = neighbours(sites_4b[octa_site], sites_8c, np.sqrt(3) / 4 * a_angstrom)
            site = int(rng.choice(near))
            targets = neighbours(sites_8c[site], sites_4b, np.sqrt(3) / 4 * a_angstrom)
            new_octa = int(rng.choice([t for t in targets if t != octa_site]))
            pushed = next(i for i, s in where.items() if s == site)
            moves.append((interstitial, vector(sites_4b[octa_site], sites_8c[site])))
            moves.append((pushed, vector(sites_8c[site], sites_4b[new_octa])))
            del where[pushed]
            where[interstitial], interstitial, octa_site = site, pushed, new_octa
        start = current.copy()
        for f in range(frames_per_event):
            progress = min(1.0, f / hop_frames)
            for ion, step in moves:
                current[ion] = start[ion] + progress * step
            frames.append(current.copy())
    li_frames = np.array(frames) + noise_angstrom * rng.standard_normal((len(frames), len(li), 3))
    framework = anions[None] + noise_angstrom * rng.standard_normal((len(frames), len(anions), 3))
    positions = np.concatenate([li_frames, framework], axis=1)
    symbols = ["Li"] * len(li) + ["S"] * len(anions)
    return Trajectory(positions, box * np.eye(3), symbols, frame_interval_fs, 1000.0)
