"""Li transport from MD trajectories: MSD, D with uncertainty, conductivity, Arrhenius.

Conventions:

- **MSD over all time origins** by the FFT algorithm (Kneller et al., Comput. Phys. Commun.
  1995; the "MSD via autocorrelation" of Calandrini et al.), O(N log N) in the number of
  frames instead of O(N^2), zero-padded only as far as the largest lag needed. Written
  here rather than taken from pymatgen-analysis-diffusion because its traditional
  ``smoothed=False`` analysis uses the t = 0 origin only (one Python iteration per
  frame) and its ``smoothed="max"`` mode imposes a 1 ps minimum lag and reports a
  least-squares error that ignores the correlation of MSD points; neither gives
  per-block errors, collective MSD blocks or a documented fit window
  (timings: benchmarks/bench_diffusion.py).
- **Drift**: the mean displacement of the framework (all atoms not of the analysed
  species) is subtracted frame by frame, as pymatgen does, so a thermostat-induced drift
  of the cell contents is not mistaken for diffusion.
- **Fit window (diffusive regime)**: the trajectory is cut into ``n_blocks`` contiguous
  blocks (default 5). D is fitted (slope + intercept, so the ballistic/vibrational offset
  does not bias it) on lags ``[t_block / 10, t_block / 2]``: the upper end keeps at least
  half a block of time origins per lag in every block; the lower end skips the ballistic
  and cage regime. The log-log slope of the MSD in the window is reported
  (``loglog_slope``; ~1 when diffusive, < 0.8 flags sub-diffusion / too few hops,
  > 1.25 a window still in the ballistic regime).
- **Uncertainty**: block averaging. The same window is fitted in each block; the
  1-sigma error of D is the standard error of the block values, std / sqrt(n_blocks)
  (conservative for the full-trajectory estimate, which uses also origins spanning
  blocks); 95 % intervals use Student's t with n_blocks - 1 degrees of freedom. Every
  such number is a :class:`sselab.estimate.Estimate` with its unit.
- **Short runs: the fraction rule** (:func:`analyze_replicas`, used by the reproduce
  profiles). Blocks short enough for an error bar leave no diffusive lags in a few-ps
  run, so this rule fits the all-origin MSD of the whole run (pooled over replicas at
  one temperature) on a window fixed in advance as fractions of the production time t:
  ``[max(FIT_START_FRACTION t, MIN_FIT_START_PS), FIT_END_FRACTION t]`` = [0.2 t, 0.5 t],
  starting at 0.2 ps or later (past the ballistic/cage regime of Li, vibrational period
  ~0.1 ps; a run whose window would end before 0.2 ps is flagged not diffusive).
  The error is the generalised-least-squares error of the slope with the random-walk
  covariance of MSD points (kinisi's approximation: Var MSD(t) = 2 MSD(t)^2 / (3 n(t)),
  Cov(t_i <= t_j) = Var(t_i) n(t_i)/n(t_j), with n(t) = n_ions x n_replicas x t_run / t
  effective independent displacements); with >= 3 replicas the larger of that and the
  replicas' standard error. At the window end n = 2 n_ions n_replicas; fewer than
  ``MIN_EFFECTIVE_SAMPLES`` (10) gives no D. A run is *diffusive* (enters Arrhenius)
  only when D > ``DIFFUSIVE_MIN_Z`` (2) sigma_D, the MSD slope in the second half of the
  window is at least ``DIFFUSIVE_MIN_SLOPE_RATIO`` (0.5) times that of the first half
  (not levelling off into a cage), and the framework has not melted (its mean MSD at the
  window end below ``FRAMEWORK_MELT_MSD_ANGSTROM2``, 2 Å^2); otherwise the result says
  which test failed (``diffusive_note``).
- **Conductivity**: the collective (charge) MSD of the summed displacement of all ions of
  the species gives sigma directly, sigma = q^2 / (6 V k_B T) d<|sum_i dr_i|^2>/dt;
  Nernst-Einstein from tracer D gives sigma_NE = n q^2 D / (k_B T); the Haven ratio is
  H_R = D_tracer / D_sigma with D_sigma = slope_collective / (6 N).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.fft import irfft, next_fast_len, rfft
from scipy.linalg import cho_factor, cho_solve

from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.transport.trajectory import Trajectory, TrajectoryError
from sselab.units import BOLTZMANN_EV_PER_K, T_300K

BOLTZMANN_J_PER_K = 1.380649e-23
ELEMENTARY_CHARGE_C = 1.602176634e-19
ANGSTROM2_PER_PS_IN_CM2_PER_S = 1e-4
D_UNIT = "cm^2/s"
SIGMA_UNIT = "S/cm"
_FFT_CHUNK_VALUES = 4_000_000  # float64 values per FFT batch (~64 MB complex workspace)
# The default window [t_block/10, t_block/2] of a 6-frame block holds lags 1, 2, 3: the
# fewest points a slope and intercept with a residual need.
MIN_FRAMES_PER_BLOCK = 6
# The fraction rule for short runs (module docstring), fixed before any run was seen.
FIT_START_FRACTION = 0.2
FIT_END_FRACTION = 0.5
MIN_FIT_START_PS = 0.2
MIN_EFFECTIVE_SAMPLES = 10.0
DIFFUSIVE_MIN_Z = 2.0
DIFFUSIVE_MIN_SLOPE_RATIO = 0.5
FRAMEWORK_MELT_MSD_ANGSTROM2 = 2.0
# MSD points entering the generalised least squares (more only repeat correlated points)
_GLS_POINTS = 16


def msd_fft(positions_angstrom: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Per-direction MSD averaged over particles and over all time origins, via FFT.

    MSD(m) = 1/(N-m) sum_k |x(k+m) - x(k)|^2 = S1(m) - 2 S2(m), where S2 is the
    autocorrelation (computed by FFT) and S1 comes from prefix sums of x^2.

    Args:
        positions_angstrom: (n_frames, n_particles, n_dims) unwrapped positions in Å.
        max_lag: largest lag in frames wanted (default all, n_frames - 1); the FFT is
            zero-padded to n_frames + max_lag only, which is what makes short fit
            windows on long runs cheap.

    Returns:
        (n_lags, n_dims) MSD in Å^2 for lags 0 .. max_lag (in frames).

    Example:
        >>> x = np.arange(5.0).reshape(5, 1, 1)  # ballistic, one particle, 1D
        >>> msd_fft(x)[:, 0].round(9).tolist()
        [0.0, 1.0, 4.0, 9.0, 16.0]
    """
    x = np.asarray(positions_angstrom, dtype=np.float64)
    n_frames, _, n_dims = x.shape
    n_lags = n_frames if max_lag is None else min(n_frames, max_lag + 1)
    # series-major copy: FFTs along contiguous rows are several times faster than strided
    series = np.ascontiguousarray(x.reshape(n_frames, -1).T)
    series -= series[:, :1]  # translation-invariant; keeps squares small
    n_series = series.shape[0]
    lags = np.arange(n_lags)
    counts = n_frames - lags
    # padding to >= n_frames + n_lags keeps the circular correlation free of wrap-around
    n_fft = next_fast_len(n_frames + n_lags, real=True)
    chunk = max(1, _FFT_CHUNK_VALUES // n_fft)
    total = np.empty((n_series, n_lags))
    for start in range(0, n_series, chunk):
        block = series[start : start + chunk]
        prefix = np.zeros((block.shape[0], n_frames + 1))
        np.cumsum(block**2, axis=1, out=prefix[:, 1:])
        # sum_{k=0}^{N-m-1} x(k)^2 + x(k+m)^2
        s1 = prefix[:, n_frames - lags] + (prefix[:, n_frames : n_frames + 1] - prefix[:, lags])
        spectrum = rfft(block, n=n_fft, axis=1)
        power = spectrum.real**2 + spectrum.imag**2
        s2 = irfft(power, n=n_fft, axis=1)[:, :n_lags]
        total[start : start + chunk] = (s1 - 2.0 * s2) / counts
    per_dim = total.reshape(-1, n_dims, n_lags).mean(axis=0).T
    return np.clip(per_dim, 0.0, None)


def drift_corrected_positions(trajectory: Trajectory, species: str) -> np.ndarray:
    """Unwrapped positions of ``species`` with the framework's mean displacement removed.

    Returns:
        (n_frames, n_species_atoms, 3) positions in Å.
    """
    mobile = trajectory.indices(species)
    positions = trajectory.positions_angstrom
    framework = np.setdiff1d(np.arange(trajectory.n_atoms), mobile)
    selected = positions[:, mobile].astype(np.float64)
    if framework.size:
        drift = positions[:, framework].mean(axis=1) - positions[0, framework].mean(axis=0)
        selected -= drift[:, None, :]
    return selected


@dataclass
class LinearFit:
    """Straight line y = slope * t + intercept fitted over a lag window."""

    slope: float
    intercept: float


def _fit_line(lag_ps: np.ndarray, values: np.ndarray, window_ps: tuple[float, float]) -> LinearFit:
    mask = (lag_ps >= window_ps[0]) & (lag_ps <= window_ps[1])
    if mask.sum() < 3:
        raise TrajectoryError(
            f"only {mask.sum()} MSD points in the fit window {window_ps} ps; "
            "the trajectory is too short or too coarsely sampled for this window"
        )
    slope, intercept = np.polyfit(lag_ps[mask], values[mask], 1)
    return LinearFit(float(slope), float(intercept))


def default_fit_window_ps(duration_ps: float, n_blocks: int) -> tuple[float, float]:
    """The documented diffusive-regime window: [t_block / 10, t_block / 2] in ps.

    Example:
        >>> default_fit_window_ps(50.0, 5)
        (1.0, 5.0)
    """
    block = duration_ps / n_blocks
    return (block / 10.0, block / 2.0)


@dataclass
class _MsdSet:
    """Tracer (per direction) and collective MSD of one stretch of frames."""

    lag_ps: np.ndarray
    tracer_xyz: np.ndarray  # (n_lags, 3) Å^2, per-particle average
    collective: np.ndarray  # (n_lags,) Å^2 of the summed displacement


def _msds(positions: np.ndarray, frame_interval_fs: float, max_lag_frames: int) -> _MsdSet:
    tracer = msd_fft(positions, max_lag_frames)
    collective = msd_fft(positions.sum(axis=1, keepdims=True), max_lag_frames).sum(axis=1)
    lag_ps = np.arange(tracer.shape[0]) * frame_interval_fs / 1000.0
    return _MsdSet(lag_ps, tracer, collective)


def _block_estimate(full_value: float, block_values: np.ndarray, unit: str) -> Estimate:
    """Full-trajectory value with the standard error of the block values (Student t CI)."""
    n = block_values.size
    error = float(np.std(block_values, ddof=1) / math.sqrt(n))
    return Estimate.normal(float(full_value), error, unit, dof=n - 1)


@dataclass
class DiffusionResult(RoundTrip):
    """Transport of one species in one trajectory.

    Units: D in cm^2/s, sigma in S/cm, times in ps, MSD in Å^2. Every estimate carries a
    1-sigma block-averaging error and a 95 % interval (see module docstring).

    Attributes:
        species, temperature_K, n_ions, volume_angstrom3, duration_ps: the system.
        D_cm2_per_s: tracer diffusion coefficient.
        D_xyz_cm2_per_s: per-direction tracer D (x, y, z of the Cartesian frame).
        D_sigma_cm2_per_s: charge ("collective") diffusion coefficient.
        sigma_S_per_cm: conductivity from the collective MSD.
        sigma_NE_S_per_cm: Nernst-Einstein conductivity from tracer D (H_R = 1).
        haven_ratio: D_tracer / D_sigma; None when D_sigma vanishes (no charge transport).
        fit_window_ps: lags used in the fit.
        loglog_slope: d ln MSD / d ln t across the window (1 = diffusive); None when the
            MSD is not positive at both ends of the window.
        n_blocks: blocks used for the errors.
        lag_ps, msd_angstrom2, msd_xyz_angstrom2, collective_msd_angstrom2: full-trajectory
            curves up to the largest fitted lag x 2 (for figures).
        metadata: provenance of the trajectory (JSON scalars only).
        error_method: "blocks" (:func:`analyze_diffusion`) or "fraction" (the short-run
            rule of :func:`analyze_replicas`).
        n_replicas: independent runs pooled into this result.
        n_effective: effective independent displacements at the window end (fraction
            rule); None for blocks.
        diffusive_check: the fraction rule's verdict (None: use the log-log slope).
        diffusive_note: why the run is not diffusive ("" when it is).
    """

    species: str
    temperature_K: float
    n_ions: int
    volume_angstrom3: float
    duration_ps: float
    D_cm2_per_s: Estimate
    D_xyz_cm2_per_s: list[Estimate]
    D_sigma_cm2_per_s: Estimate
    sigma_S_per_cm: Estimate
    sigma_NE_S_per_cm: Estimate
    haven_ratio: Estimate | None
    fit_window_ps: tuple[float, float]
    loglog_slope: float | None
    n_blocks: int
    lag_ps: np.ndarray = field(repr=False)
    msd_angstrom2: np.ndarray = field(repr=False)
    msd_xyz_angstrom2: np.ndarray = field(repr=False)
    collective_msd_angstrom2: np.ndarray = field(repr=False)
    metadata: dict[str, Any] = field(default_factory=dict)
    error_method: str = "blocks"
    n_replicas: int = 1
    n_effective: float | None = None
    diffusive_check: bool | None = None
    diffusive_note: str = ""

    @property
    def diffusive(self) -> bool:
        """The fraction rule's verdict, else: MSD ~linear in the window (log-log 0.8-1.25)."""
        if self.diffusive_check is not None:
            return self.diffusive_check
        return self.loglog_slope is not None and 0.8 <= self.loglog_slope <= 1.25

    def summary(self, curve_points: int = 200) -> dict[str, Any]:
        """:meth:`as_dict` with the curves subsampled to ``curve_points`` and ``diffusive``.

        ``DiffusionResult.from_dict`` reads it back (with the shorter curves).

        Example:
            >>> from sselab.transport.trajectory import Trajectory
            >>> walk = np.cumsum(np.random.default_rng(0).normal(0, 0.3, (400, 20, 3)), axis=0)
            >>> trajectory = Trajectory(walk, 20 * np.eye(3), ["Li"] * 20, 100.0, 600.0)
            >>> result = analyze_diffusion(trajectory)
            >>> summary = result.summary(curve_points=10)
            >>> len(summary["lag_ps"]), summary["D_cm2_per_s"]["unit"]
            (10, 'cm^2/s')
        """
        pick = np.unique(np.linspace(0, self.lag_ps.size - 1, curve_points).astype(int))
        data = self.as_dict()
        for name in ("lag_ps", "msd_angstrom2", "msd_xyz_angstrom2", "collective_msd_angstrom2"):
            data[name] = getattr(self, name)[pick].tolist()
        data["diffusive"] = self.diffusive
        return data


def _is_json_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def nernst_einstein_sigma(
    D_cm2_per_s: float,
    n_ions: int,
    volume_angstrom3: float,
    temperature_K: float,
    charge: int = 1,
) -> float:
    """Nernst-Einstein conductivity sigma = n q^2 D / (k_B T) in S/cm (Haven ratio 1).

    Args:
        D_cm2_per_s: tracer diffusion coefficient in cm^2/s.
        n_ions: mobile ions in the volume.
        volume_angstrom3: volume in Å^3.
        temperature_K: temperature in K.
        charge: ion charge in units of e.

    Example:
        >>> round(nernst_einstein_sigma(1e-6, 1, 1000.0, 1000.0), 7)
        0.0018592
    """
    if temperature_K <= 0 or volume_angstrom3 <= 0:
        raise ValueError("temperature_K and volume_angstrom3 must be positive")
    density_per_cm3 = n_ions / (volume_angstrom3 * 1e-24)
    q = charge * ELEMENTARY_CHARGE_C
    return density_per_cm3 * q**2 * D_cm2_per_s / (BOLTZMANN_J_PER_K * temperature_K)


def analyze_diffusion(
    trajectory: Trajectory,
    species: str = "Li",
    n_blocks: int = 5,
    fit_window_ps: tuple[float, float] | None = None,
    temperature_K: float | None = None,
    charge: int = 1,
) -> DiffusionResult:
    """Tracer/per-direction/collective diffusion and conductivity with block errors.

    Args:
        trajectory: unwrapped trajectory (see :func:`read_trajectory`).
        species: mobile species.
        n_blocks: contiguous blocks for the error estimate (>= 3).
        fit_window_ps: lag window (t_min, t_max) in ps; default
            :func:`default_fit_window_ps`.
        temperature_K: overrides the trajectory's temperature (needed for sigma).
        charge: ionic charge in e.

    Returns:
        :class:`DiffusionResult`.

    Raises:
        TrajectoryError: no such species, unknown temperature, too short a trajectory for
            ``n_blocks`` and the window, or numbers that overflow; the message starts with
            the trajectory's source file.

    Example:
        >>> res = analyze_diffusion(read_trajectory("md_1000K.h5"))  # doctest: +SKIP
        >>> res.D_cm2_per_s.value, res.D_cm2_per_s.error  # doctest: +SKIP
        (2.1e-05, 1.3e-06)
    """
    if n_blocks < 3:
        raise ValueError(f"n_blocks = {n_blocks}: need at least 3 blocks for an error estimate")
    try:
        return _analyze(trajectory, species, n_blocks, fit_window_ps, temperature_K, charge)
    except TrajectoryError as exc:
        message = str(exc)
        if message.startswith(f"{trajectory.source}:"):
            raise
        raise TrajectoryError(f"{trajectory.source}: {message}") from exc


def _analyze(
    trajectory: Trajectory,
    species: str,
    n_blocks: int,
    fit_window_ps: tuple[float, float] | None,
    temperature_K: float | None,
    charge: int,
) -> DiffusionResult:
    temperature = temperature_K if temperature_K is not None else trajectory.temperature_K
    if temperature is None or not 0 < temperature < math.inf:
        raise TrajectoryError(f"temperature {temperature} K unknown or not positive; pass one")
    positions = drift_corrected_positions(trajectory, species)
    if fit_window_ps is None and trajectory.n_frames < MIN_FRAMES_PER_BLOCK * n_blocks:
        raise TrajectoryError(
            f"{trajectory.n_frames} frames are too few for {n_blocks} blocks with the default "
            f"fit window (at least {MIN_FRAMES_PER_BLOCK} per block: "
            f"{MIN_FRAMES_PER_BLOCK * n_blocks}); use fewer blocks or a longer run"
        )
    n_ions = positions.shape[1]
    window = fit_window_ps or default_fit_window_ps(trajectory.duration_ps, n_blocks)
    if window[0] >= window[1] or window[0] < 0:
        raise ValueError(f"fit window {window} ps must satisfy 0 <= t_min < t_max")
    max_lag = round(window[1] * 1000.0 / trajectory.frame_interval_fs)
    block_len = trajectory.n_frames // n_blocks
    if max_lag >= block_len:
        raise TrajectoryError(
            f"fit window ends at {window[1]} ps but blocks are only "
            f"{block_len * trajectory.frame_interval_fs / 1000:.3g} ps long; "
            "shorten the window or use fewer blocks / a longer run"
        )

    def fitted(msd: _MsdSet) -> np.ndarray:
        """Slopes (Å^2/ps) of tracer total, x, y, z and collective MSD."""
        curves = [msd.tracer_xyz.sum(axis=1), *msd.tracer_xyz.T, msd.collective]
        return np.array([_fit_line(msd.lag_ps, c, window).slope for c in curves])

    full = _msds(positions, trajectory.frame_interval_fs, min(2 * max_lag, positions.shape[0] - 1))
    full_slopes = fitted(full)
    block_slopes = np.array(
        [
            fitted(
                _msds(
                    positions[b * block_len : (b + 1) * block_len],
                    trajectory.frame_interval_fs,
                    max_lag,
                )
            )
            for b in range(n_blocks)
        ]
    )

    # slope/(2 d) with d = 3 for the total and 1 per direction; Å^2/ps -> cm^2/s
    divisors = np.array([6.0, 2.0, 2.0, 2.0, 6.0 * n_ions]) / ANGSTROM2_PER_PS_IN_CM2_PER_S
    full_d = full_slopes / divisors
    block_d = block_slopes / divisors

    # sigma is linear in D, so the blocks' sigma gives the same relative error
    sigma_per_D = nernst_einstein_sigma(
        1.0, n_ions, trajectory.volume_angstrom3, temperature, charge
    )
    tracer = _block_estimate(full_d[0], block_d[:, 0], D_UNIT)
    per_direction = [_block_estimate(full_d[i], block_d[:, i], D_UNIT) for i in (1, 2, 3)]
    charge_d = _block_estimate(full_d[4], block_d[:, 4], D_UNIT)
    sigma = _block_estimate(sigma_per_D * full_d[4], sigma_per_D * block_d[:, 4], SIGMA_UNIT)
    sigma_ne = _block_estimate(sigma_per_D * full_d[0], sigma_per_D * block_d[:, 0], SIGMA_UNIT)
    with np.errstate(divide="ignore", invalid="ignore"):
        haven_blocks = block_d[:, 0] / block_d[:, 4]
        haven_full = full_d[0] / full_d[4]
    haven = None
    if np.all(np.isfinite(haven_blocks)) and np.isfinite(haven_full):
        haven = _block_estimate(haven_full, haven_blocks, "")

    total = full.tracer_xyz.sum(axis=1)
    lo = int(np.searchsorted(full.lag_ps, window[0]))
    lo = max(lo, 1)
    hi = min(max_lag, total.size - 1)
    loglog = (
        math.log(total[hi] / total[lo]) / math.log(full.lag_ps[hi] / full.lag_ps[lo])
        if total[lo] > 0 and total[hi] > 0 and hi > lo
        else None
    )
    numbers = [full_d, block_d, full.tracer_xyz, full.collective]
    if not math.isfinite(sigma_per_D) or not all(np.all(np.isfinite(v)) for v in numbers):
        raise TrajectoryError("the MSD analysis overflowed (non-finite D or MSD)")
    return DiffusionResult(
        species=species,
        temperature_K=float(temperature),
        n_ions=n_ions,
        volume_angstrom3=trajectory.volume_angstrom3,
        duration_ps=trajectory.duration_ps,
        D_cm2_per_s=tracer,
        D_xyz_cm2_per_s=per_direction,
        D_sigma_cm2_per_s=charge_d,
        sigma_S_per_cm=sigma,
        sigma_NE_S_per_cm=sigma_ne,
        haven_ratio=haven,
        fit_window_ps=(float(window[0]), float(window[1])),
        loglog_slope=loglog,
        n_blocks=n_blocks,
        lag_ps=full.lag_ps,
        msd_angstrom2=total,
        msd_xyz_angstrom2=full.tracer_xyz,
        collective_msd_angstrom2=full.collective,
        metadata={k: v for k, v in trajectory.metadata.items() if _is_json_scalar(v)},
    )


def fraction_fit_window_ps(duration_ps: float) -> tuple[float, float]:
    """The short-run window [max(0.2 t, 0.2 ps), 0.5 t] in ps (module docstring).

    Example:
        >>> fraction_fit_window_ps(4.0)
        (0.8, 2.0)
    """
    end = FIT_END_FRACTION * duration_ps
    start = FIT_START_FRACTION * duration_ps
    # a run too short for the floor keeps the fraction; analyze_replicas flags it
    return (max(start, MIN_FIT_START_PS) if end > MIN_FIT_START_PS else start, end)


def _gls_slope(
    lag_ps: np.ndarray,
    msd: np.ndarray,
    window: tuple[float, float],
    samples_per_ps: float,
    variance_factor: float,
) -> tuple[float, float]:
    """Slope of MSD(t) and its error with the random-walk covariance of the MSD points.

    ``samples_per_ps`` x t_run / t is n(t), the independent displacements at lag t;
    Var MSD(t) = variance_factor MSD(t)^2 / n(t) (2/3 for a 3D MSD, 2 for 1D). The
    variances use the ordinary least-squares line (clipped positive), not the noisy points.
    """
    inside = np.flatnonzero((lag_ps >= window[0]) & (lag_ps <= window[1]) & (lag_ps > 0))
    if inside.size < 3:
        raise TrajectoryError(
            f"only {inside.size} MSD points in the fit window {window} ps; "
            "the trajectory is too short or too coarsely sampled"
        )
    pick = inside[np.unique(np.linspace(0, inside.size - 1, _GLS_POINTS).astype(int))]
    t, y = lag_ps[pick], msd[pick]
    design = np.column_stack([t, np.ones_like(t)])
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    model = np.clip(design @ ols, 1e-12 * max(float(np.abs(y).max()), 1e-30), None)
    n_samples = samples_per_ps / t
    variance = variance_factor * model**2 / n_samples
    # Brownian correlation sqrt(t_i / t_j) (t_i <= t_j): equal to Var(t_i) n(t_i)/n(t_j)
    # for a random walk, and positive definite also when the MSD does not grow
    scale = np.sqrt(variance)
    correlation = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    covariance = scale[:, None] * correlation * scale[None, :]
    factor = cho_factor(covariance)
    normal = design.T @ cho_solve(factor, design)
    params = np.linalg.solve(normal, design.T @ cho_solve(factor, y))
    return float(params[0]), float(np.sqrt(np.linalg.inv(normal)[0, 0]))


def analyze_replicas(
    trajectories: Sequence[Trajectory],
    species: str = "Li",
    temperature_K: float | None = None,
    charge: int = 1,
) -> DiffusionResult:
    """D, sigma and Haven ratio of short runs at one temperature by the fraction rule.

    Replicas (independent runs of the same cell and temperature: other seeds or
    orderings of equal composition) are pooled: the MSDs are averaged and the effective
    sample count adds up. Window, error and the diffusive tests are fixed in advance
    (module docstring: ``FIT_START_FRACTION``, ``FIT_END_FRACTION``, ``MIN_FIT_START_PS``,
    ``MIN_EFFECTIVE_SAMPLES``, ``DIFFUSIVE_MIN_Z``, ``DIFFUSIVE_MIN_SLOPE_RATIO``,
    ``FRAMEWORK_MELT_MSD_ANGSTROM2``).

    Args:
        trajectories: one or more runs at the same temperature, same species count,
            frame interval and duration (the shortest sets the pooled length).
        species: mobile species.
        temperature_K: overrides the trajectories' temperature.
        charge: ionic charge in e.

    Returns:
        :class:`DiffusionResult` with ``error_method="fraction"``; ``diffusive`` and
        ``diffusive_note`` carry the verdict.

    Example:
        >>> from sselab.transport.trajectory import Trajectory
        >>> rng = np.random.default_rng(0)
        >>> walk = np.cumsum(rng.normal(0, 0.3, (400, 20, 3)), axis=0)
        >>> run = Trajectory(walk, 20 * np.eye(3), ["Li"] * 20, 100.0, 600.0)
        >>> result = analyze_replicas([run])
        >>> result.diffusive, result.fit_window_ps
        (True, (7.98, 19.95))
    """
    if not trajectories:
        raise ValueError("no trajectories to analyse")
    first = trajectories[0]
    temperature = temperature_K if temperature_K is not None else first.temperature_K
    if temperature is None or not 0 < temperature < math.inf:
        raise TrajectoryError(
            f"{first.source}: temperature {temperature} K unknown or not positive; pass one"
        )
    if len({t.frame_interval_fs for t in trajectories}) != 1:
        raise TrajectoryError("the replicas have different frame intervals")
    n_frames = min(t.n_frames for t in trajectories)
    runs = [t.frames(0, n_frames) for t in trajectories]
    positions = [drift_corrected_positions(t, species) for t in runs]
    if len({p.shape[1] for p in positions}) != 1:
        raise TrajectoryError(f"the replicas hold different numbers of {species}")
    n_ions, n_rep = positions[0].shape[1], len(runs)
    dt_fs = first.frame_interval_fs
    duration = (n_frames - 1) * dt_fs / 1000.0
    window = fraction_fit_window_ps(duration)
    max_lag = min(math.floor(window[1] * 1000.0 / dt_fs + 1e-9), n_frames - 1)
    if max_lag < 3:
        raise TrajectoryError(
            f"{first.source}: {n_frames} frames are too few for the fraction rule's window"
        )
    sets = [_msds(p, dt_fs, max_lag) for p in positions]
    lag = sets[0].lag_ps
    tracer_xyz = np.mean([m.tracer_xyz for m in sets], axis=0)
    collective = np.mean([m.collective for m in sets], axis=0)
    total = tracer_xyz.sum(axis=1)
    per_ps = n_ions * n_rep * duration
    slope, slope_err = _gls_slope(lag, total, window, per_ps, 2.0 / 3.0)
    to_cm2 = ANGSTROM2_PER_PS_IN_CM2_PER_S
    d_value, d_error = slope / 6.0 * to_cm2, slope_err / 6.0 * to_cm2
    if n_rep >= 3:
        per_replica = [
            _fit_line(lag, m.tracer_xyz.sum(axis=1), window).slope / 6.0 * to_cm2 for m in sets
        ]
        d_error = max(d_error, float(np.std(per_replica, ddof=1) / math.sqrt(n_rep)))
    direction = [_gls_slope(lag, tracer_xyz[:, i], window, per_ps, 2.0) for i in range(3)]
    coll_slope, coll_err = _gls_slope(lag, collective, window, n_rep * duration, 2.0 / 3.0)
    d_sigma = coll_slope / (6.0 * n_ions) * to_cm2
    d_sigma_err = coll_err / (6.0 * n_ions) * to_cm2
    volume = first.volume_angstrom3
    sigma_per_d = nernst_einstein_sigma(1.0, n_ions, volume, temperature, charge)
    haven = None
    if d_sigma > 0 and d_value > 0:
        ratio = d_value / d_sigma
        haven = Estimate.normal(
            ratio, ratio * math.hypot(d_error / d_value, d_sigma_err / d_sigma), ""
        )
    n_effective = n_ions * n_rep * duration / window[1]
    notes = []
    if window[1] <= MIN_FIT_START_PS:
        notes.append(
            f"the window ends at {window[1]:.3g} ps, inside the ballistic regime "
            f"(< {MIN_FIT_START_PS:g} ps): run longer"
        )
    if n_effective < MIN_EFFECTIVE_SAMPLES:
        notes.append(f"{n_effective:.3g} effective samples < {MIN_EFFECTIVE_SAMPLES:g}")
    if not d_value > DIFFUSIVE_MIN_Z * d_error:
        notes.append(f"D = {d_value:.2g} ± {d_error:.2g} cm²/s is not > {DIFFUSIVE_MIN_Z:g} σ")
    middle = 0.5 * (window[0] + window[1])
    first_half = _fit_line(lag, total, (window[0], middle)).slope
    second_half = _fit_line(lag, total, (middle, window[1])).slope
    if not second_half >= DIFFUSIVE_MIN_SLOPE_RATIO * max(first_half, 0.0) or second_half <= 0:
        notes.append(
            f"MSD levels off (slope {second_half:.3g} Å²/ps in the second half of the window "
            f"vs {first_half:.3g} in the first)"
        )
    framework = np.setdiff1d(np.arange(first.n_atoms), first.indices(species))
    if framework.size:
        frame_msd = np.mean(
            [
                msd_fft(r.positions_angstrom[:, framework].astype(np.float64), max_lag)[-1].sum()
                for r in runs
            ]
        )
        if frame_msd >= FRAMEWORK_MELT_MSD_ANGSTROM2:
            notes.append(
                f"the framework moves (MSD {frame_msd:.2g} Å² >= "
                f"{FRAMEWORK_MELT_MSD_ANGSTROM2:g}): melted, not a solid conductor"
            )
    lo = max(int(np.searchsorted(lag, window[0])), 1)
    loglog = (
        math.log(total[max_lag] / total[lo]) / math.log(lag[max_lag] / lag[lo])
        if total[lo] > 0 and total[max_lag] > 0 and max_lag > lo
        else None
    )
    d_unit = D_UNIT
    numbers = [tracer_xyz, collective, np.array([d_value, d_error, d_sigma, d_sigma_err])]
    if not all(np.all(np.isfinite(v)) for v in numbers):
        raise TrajectoryError(f"{first.source}: the MSD analysis overflowed")
    return DiffusionResult(
        species=species,
        temperature_K=float(temperature),
        n_ions=n_ions,
        volume_angstrom3=volume,
        duration_ps=duration,
        D_cm2_per_s=Estimate.normal(d_value, d_error, d_unit),
        D_xyz_cm2_per_s=[
            Estimate.normal(s_ / 2.0 * to_cm2, e_ / 2.0 * to_cm2, d_unit) for s_, e_ in direction
        ],
        D_sigma_cm2_per_s=Estimate.normal(d_sigma, d_sigma_err, d_unit),
        sigma_S_per_cm=Estimate.normal(
            sigma_per_d * d_sigma, sigma_per_d * d_sigma_err, SIGMA_UNIT
        ),
        sigma_NE_S_per_cm=Estimate.normal(sigma_per_d * d_value, sigma_per_d * d_error, SIGMA_UNIT),
        haven_ratio=haven,
        fit_window_ps=(float(window[0]), float(window[1])),
        loglog_slope=loglog,
        n_blocks=0,
        lag_ps=lag,
        msd_angstrom2=total,
        msd_xyz_angstrom2=tracer_xyz,
        collective_msd_angstrom2=collective,
        metadata={k: v for k, v in first.metadata.items() if _is_json_scalar(v)},
        error_method="fraction",
        n_replicas=n_rep,
        n_effective=float(n_effective),
        diffusive_check=not notes,
        diffusive_note="; ".join(notes),
    )


@dataclass
class ArrheniusFit(RoundTrip):
    """ln y = ln y0 - Ea / (k_B T), fitted by weighted least squares.

    Attributes:
        quantity: what was fitted ("D_cm2_per_s", "sigma_S_per_cm" or "sigmaT_S_K_per_cm").
        unit: unit of the fitted values (and of :meth:`predict`), e.g. "cm^2/s".
        activation_energy_eV: Ea with its 1-sigma error and 95 % interval.
        ln_prefactor: ln y0 (y0 in ``unit``) and its error.
        covariance: 2x2 covariance of (ln y0, Ea in eV).
        temperatures_K, values, errors: the fitted data (errors None for an unweighted fit).
        quantile: the two-sided 95 % quantile used for intervals (normal or Student t).
        reduced_chi2: chi^2 / dof; None with no spare degree of freedom (two points).
    """

    quantity: str
    unit: str
    activation_energy_eV: Estimate
    ln_prefactor: Estimate
    covariance: np.ndarray
    temperatures_K: np.ndarray
    values: np.ndarray
    errors: np.ndarray | None
    quantile: float
    reduced_chi2: float | None

    def predict(self, temperature_K: float) -> Estimate:
        """Extrapolated value at ``temperature_K`` with 1-sigma error and 95 % interval.

        The interval is log-normal (symmetric in ln y); ``error`` is value x sigma(ln y).

        Example:
            >>> T = np.array([600.0, 800.0, 1000.0])
            >>> fit = arrhenius_fit(T, 1e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * T)))
            >>> at_300K = fit.predict(300.0)
            >>> f"{at_300K.value:.3e} {at_300K.unit}"
            '9.125e-09 cm^2/s'
        """
        gradient = np.array([1.0, -1.0 / (BOLTZMANN_EV_PER_K * temperature_K)])
        ln_value = self.ln_prefactor.value + gradient[1] * self.activation_energy_eV.value
        ln_sigma = float(np.sqrt(gradient @ self.covariance @ gradient))
        value = math.exp(ln_value)
        return Estimate(
            value,
            value * ln_sigma,
            (
                math.exp(ln_value - self.quantile * ln_sigma),
                math.exp(ln_value + self.quantile * ln_sigma),
            ),
            self.unit,
        )


def arrhenius_fit(
    temperatures_K: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    errors: Sequence[float] | np.ndarray | None = None,
    quantity: str = "D_cm2_per_s",
    unit: str = D_UNIT,
) -> ArrheniusFit:
    """Fit ln y = ln y0 - Ea/(k_B T) and report Ea with an error.

    With ``errors`` (1-sigma of y) the fit is weighted by (y / err)^2 and the parameter
    covariance is scaled by max(1, reduced chi^2) when there are spare degrees of
    freedom (scatter beyond the stated errors widens the result, never narrows it);
    95 % intervals then use the normal quantile. Without errors it is ordinary least
    squares with the covariance from the residuals and Student-t intervals (needs >= 3
    temperatures).

    Args:
        temperatures_K: temperatures in K.
        values: positive values (D in cm^2/s, sigma in S/cm or sigma*T).
        errors: optional 1-sigma errors of ``values``.
        quantity: label stored with the fit.
        unit: unit of ``values`` (default cm^2/s, for D).

    Returns:
        :class:`ArrheniusFit`.

    Example:
        >>> T = np.array([600.0, 800.0, 1000.0])
        >>> fit = arrhenius_fit(T, 1e-3 * np.exp(-0.3 / (BOLTZMANN_EV_PER_K * T)))
        >>> round(fit.activation_energy_eV.value, 6), fit.activation_energy_eV.unit
        (0.3, 'eV')
    """
    temps = np.asarray(temperatures_K, dtype=float)
    y_values = np.asarray(values, dtype=float)
    if temps.shape != y_values.shape or temps.size < 2:
        raise ValueError("need matching temperatures and values at >= 2 temperatures")
    if np.any(y_values <= 0) or np.any(temps <= 0):
        raise ValueError(
            f"Arrhenius fit needs positive values and temperatures; got values {y_values.tolist()}"
        )
    design = np.column_stack([np.ones_like(temps), -1.0 / (BOLTZMANN_EV_PER_K * temps)])
    ln_y = np.log(y_values)
    dof = temps.size - 2
    if errors is not None:
        err = np.asarray(errors, dtype=float)
        if err.shape != y_values.shape or np.any(~(err > 0)):
            raise ValueError("errors must be positive and match values")
        weights = (y_values / err) ** 2
    else:
        if dof < 1:
            raise ValueError("without errors an Arrhenius fit needs >= 3 temperatures")
        err = None
        weights = np.ones_like(temps)
    normal = design.T @ (weights[:, None] * design)
    params = np.linalg.solve(normal, design.T @ (weights * ln_y))
    residual = ln_y - design @ params
    chi2 = float(np.sum(weights * residual**2))
    reduced = chi2 / dof if dof > 0 else None
    covariance = np.linalg.inv(normal)
    if reduced is None:  # two weighted points: the stated errors alone set the covariance
        quantile = float(stats.norm.ppf(0.975))
    elif err is None:
        covariance *= reduced
        quantile = float(stats.t.ppf(0.975, dof))
    else:
        covariance *= max(1.0, reduced)
        quantile = float(stats.norm.ppf(0.975))

    def estimate(i: int, unit: str) -> Estimate:
        sd = float(np.sqrt(covariance[i, i]))
        return Estimate(
            float(params[i]),
            sd,
            (float(params[i] - quantile * sd), float(params[i] + quantile * sd)),
            unit,
        )

    return ArrheniusFit(
        quantity=quantity,
        unit=unit,
        activation_energy_eV=estimate(1, "eV"),
        ln_prefactor=estimate(0, ""),
        covariance=covariance,
        temperatures_K=temps,
        values=y_values,
        errors=err,
        quantile=quantile,
        reduced_chi2=reduced,
    )


@dataclass
class ArrheniusSummary(RoundTrip):
    """Arrhenius analysis of tracer D over temperatures, extrapolated to ``temperature_K``.

    Attributes:
        fit: the Arrhenius fit of D(T).
        temperature_K: the extrapolation temperature (default 300 K,
            :data:`sselab.units.T_300K`, where the paper quotes its AIMD sigma).
        D_cm2_per_s: extrapolated tracer D there.
        sigma_S_per_cm: Nernst-Einstein sigma there from the extrapolated D (number
            density of the simulated cell, Haven ratio 1, as in the paper's AIMD).
    """

    fit: ArrheniusFit
    temperature_K: float
    D_cm2_per_s: Estimate
    sigma_S_per_cm: Estimate


def arrhenius_from_results(
    results: Sequence[DiffusionResult], temperature_K: float = T_300K
) -> ArrheniusSummary:
    """Arrhenius fit of tracer D(T) from several runs, and D and sigma at ``temperature_K``.

    Example:
        >>> summary = arrhenius_from_results([res600, res800, res1000])  # doctest: +SKIP
        >>> summary.fit.activation_energy_eV.value  # doctest: +SKIP
        0.27
    """
    if len({r.n_ions for r in results}) != 1:
        raise ValueError("the runs have different numbers of mobile ions; fit them separately")
    errors = [r.D_cm2_per_s.error for r in results]
    if any(error is None for error in errors):
        raise ValueError("every run needs a D with a known error for the weighted fit")
    fit = arrhenius_fit(
        [r.temperature_K for r in results],
        [r.D_cm2_per_s.value for r in results],
        [float(error) for error in errors if error is not None],
        unit=D_UNIT,
    )
    d_extrapolated = fit.predict(temperature_K)
    ref = results[0]
    # sigma is linear in D, so the error and the interval carry over
    sigma_per_D = nernst_einstein_sigma(1.0, ref.n_ions, ref.volume_angstrom3, temperature_K)
    assert d_extrapolated.error is not None and d_extrapolated.ci95 is not None
    sigma = Estimate(
        sigma_per_D * d_extrapolated.value,
        sigma_per_D * d_extrapolated.error,
        (sigma_per_D * d_extrapolated.ci95[0], sigma_per_D * d_extrapolated.ci95[1]),
        SIGMA_UNIT,
    )
    return ArrheniusSummary(fit, temperature_K, d_extrapolated, sigma)
