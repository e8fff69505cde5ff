"""Climbing-image NEB migration barriers with any MLIP (or any ASE calculator).

:func:`run_neb` is a generic CI-NEB between two states given as ASE ``Atoms`` (same
atoms, same order, same cell): both endpoints relaxed at fixed cell, IDPP
interpolation, climbing image (``ase.mep.NEB``, improved tangent), FIRE or BFGS to
``fmax``, all set by one :class:`NEBSettings`. It checkpoints the band and the
optimiser state atomically every ``checkpoint_interval_steps`` steps (and each relaxed
endpoint as soon as it is relaxed); a rerun with the same inputs resumes from the
checkpoint (bit-identical to an uninterrupted run), and
with a ``ResultStore`` a finished NEB is a lookup. :func:`hop_barrier` runs it on the
endpoints of a hop in an antifluorite-type cell
(:func:`sselab.transport.antifluorite_sites.hop_endpoints`).

Barrier = max(E along the band) - E(initial), from the cubic fit through image
energies and tangential forces (``ase.utils.forcecurve.fit_raw``, what ``NEBTools``
uses). Its error (an :class:`~sselab.estimate.Estimate` of kind "resolution") is the
larger of (a) the gap between that fit and the climbing image's energy and (b)
``F_res**2 / (2 |k|)``, the energy error of a saddle located with a residual force
``F_res`` on a path of curvature ``k`` (fit second derivative at the maximum). The
MLIP's own error and the supercell-size error are not included: with CHGNet 0.3.0 the
Li2S vacancy barrier is 0.38 eV in the conventional cell (11 atoms, vacancy images
5.7 Å apart) but 0.25 eV in 2x2x2 (95 atoms), so use 2x2x2 or larger for numbers and
the conventional cell for quick checks only.

Images share one calculator (``allow_shared_calculator=True``): the NEB evaluates
images one after another, and ASE calculators (CHGNetCalculator, SevenNetCalculator,
EMT) recompute whenever the positions differ from their last call, so one model in
memory serves all images. The endpoints are frozen with their relaxed energies and
forces, so they are not recomputed each step.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.singlepoint import SinglePointCalculator
from ase.geometry import find_mic
from ase.mep import NEB
from ase.optimize import BFGS, FIRE
from ase.utils.forcecurve import fit_raw
from pymatgen.core import Structure
from tqdm.auto import tqdm

from sselab.calculators.resolve import calculator_label, resolve_calculator
from sselab.estimate import Estimate
from sselab.roundtrip import RoundTrip
from sselab.store import input_key
from sselab.transport.antifluorite_sites import hop_endpoints

logger = logging.getLogger(__name__)

OPTIMIZERS = {"FIRE": FIRE, "BFGS": BFGS}
INTERPOLATIONS = ("idpp", "linear")
# Optimiser attributes that, with the band positions, make a resumed NEB identical to
# an uninterrupted one (ASE's own restart files keep only part of them for FIRE).
_OPTIMIZER_STATE = {"FIRE": ("vel", "dt", "a", "Nsteps"), "BFGS": ("H", "pos0", "forces0")}
# Relaxed endpoints closer than this (max atomic displacement, Å) are the same minimum.
SAME_MINIMUM_ANGSTROM = 0.3
# Stored NEB results are NEBResult.as_dict() of this layout; bump when it changes so
# that an old store row is recomputed instead of misread.
RESULT_LAYOUT = 2


class EndpointError(ValueError):
    """The hop's endpoints are invalid (different atoms, or one relaxes into the other)."""


class ResumeError(ValueError):
    """A checkpoint exists for these inputs but cannot be used."""


@dataclass(frozen=True)
class NEBSettings(RoundTrip):
    """How a CI-NEB is run.

    Attributes:
        n_images: interior images (the band has n_images + 2 states).
        fmax: force threshold in eV/Å for the band and the endpoint relaxations.
        max_steps: NEB optimiser step limit (total over resumed calls).
        climb: climbing image (CI-NEB); False gives a plain NEB.
        spring_constant: spring constant in eV/Å^2.
        optimizer: "FIRE" (robust for bands) or "BFGS".
        relax_endpoints: relax both endpoints at fixed cell first (off only for
            endpoints that are already minima of this calculator).
        interpolation: "idpp" (image-dependent pair potential) or "linear".
        checkpoint_interval_steps: checkpoint period in optimiser steps.

    Example:
        >>> NEBSettings(n_images=3, fmax=0.1).band_inputs()["n_images"]
        3
        >>> NEBSettings(optimizer="LBFGS")
        Traceback (most recent call last):
        ...
        ValueError: optimizer 'LBFGS' unknown; choose from ['BFGS', 'FIRE']
    """

    n_images: int = 5
    fmax: float = 0.05
    max_steps: int = 500
    climb: bool = True
    spring_constant: float = 0.1
    optimizer: str = "FIRE"
    relax_endpoints: bool = True
    interpolation: str = "idpp"
    checkpoint_interval_steps: int = 10

    def __post_init__(self) -> None:
        if self.n_images < 1:
            raise ValueError(f"n_images = {self.n_images}: need at least one interior image")
        if not (self.fmax > 0 and np.isfinite(self.fmax)):
            raise ValueError(f"fmax = {self.fmax} eV/Å must be positive")
        if self.max_steps < 0 or self.checkpoint_interval_steps < 1:
            raise ValueError("max_steps must be >= 0 and checkpoint_interval_steps >= 1")
        if not self.spring_constant > 0:
            raise ValueError(f"spring_constant = {self.spring_constant} eV/Å^2 must be positive")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer '{self.optimizer}' unknown; choose from {sorted(OPTIMIZERS)}"
            )
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation '{self.interpolation}' unknown; choose 'idpp' or 'linear'"
            )

    def band_inputs(self) -> dict[str, Any]:
        """The settings that define the converged band (the checkpoint key).

        ``max_steps`` and ``checkpoint_interval_steps`` only decide how far and how
        often, so a run resumed with more steps continues the same band.
        """
        return {
            "n_images": self.n_images,
            "fmax": self.fmax,
            "climb": self.climb,
            "spring_constant": self.spring_constant,
            "optimizer": self.optimizer,
            "relax_endpoints": self.relax_endpoints,
            "interpolation": self.interpolation,
        }


@dataclass
class NEBResult(RoundTrip):
    """Outcome of a CI-NEB.

    Attributes:
        barrier_eV: forward barrier, max(fit) - E(initial), with its error (see the
            module docstring; error_kind "resolution").
        reverse_barrier_eV: max(fit) - E(final), same error.
        reaction_energy_eV: E(final) - E(initial).
        image_energies_eV: energy of each image (endpoints included) minus E(initial).
        path_angstrom: cumulative distance along the band (all atoms, minimum image).
        fit_path_angstrom: abscissa of the cubic fit through the images.
        fit_energies_eV: the fit, relative to E(initial).
        saddle_image: index of the highest image (the climbing image).
        residual_force_eV_per_angstrom: final NEB force residual (largest force component
            on any interior image, springs and climbing included).
        converged: True when the residual fell below fmax.
        n_steps: NEB optimiser steps in total (all calls).
        n_atoms: atoms per image.
        model: calculator label, e.g. "chgnet:0.3.0" or "EMT".
        wall_s: seconds spent in the call that computed the result.
        hop: hop label ("8c-24e", ...) or "" for a generic NEB.
        images: the converged band as ASE Atoms with frozen energies and forces.
    """

    barrier_eV: Estimate
    reverse_barrier_eV: Estimate
    reaction_energy_eV: float
    image_energies_eV: list[float]
    path_angstrom: list[float]
    fit_path_angstrom: list[float]
    fit_energies_eV: list[float]
    saddle_image: int
    residual_force_eV_per_angstrom: float
    converged: bool
    n_steps: int
    n_atoms: int
    model: str
    wall_s: float
    hop: str = ""
    images: list[Atoms] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON form; images as symbols, cell, pbc, positions, energy and forces.

        (``Atoms.todict``, the generic encoding, would drop the frozen energies and forces.)
        """
        data = RoundTrip.as_dict(replace(self, images=[]))
        data["images"] = [_image_dict(image) for image in self.images]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NEBResult:
        """Inverse of :meth:`as_dict` (the images keep their energies and forces)."""
        result = super().from_dict({k: v for k, v in data.items() if k != "images"})
        result.images = [_image_from_dict(image) for image in data.get("images", [])]
        return result

    def summary(self) -> dict[str, Any]:
        """The JSON form without the images (for reports and the CLI)."""
        return {k: v for k, v in self.as_dict().items() if k != "images"}


def _image_dict(image: Atoms) -> dict[str, Any]:
    return {
        "symbols": image.get_chemical_symbols(),
        "cell": image.cell.array.tolist(),
        "pbc": [bool(p) for p in image.pbc],
        "positions": image.positions.tolist(),
        "energy_eV": float(image.get_potential_energy()),
        "forces_eV_per_angstrom": image.get_forces(apply_constraint=False).tolist(),
    }


def _image_from_dict(data: dict[str, Any]) -> Atoms:
    atoms = Atoms(data["symbols"], positions=data["positions"], cell=data["cell"], pbc=data["pbc"])
    _freeze(atoms, data["energy_eV"], np.asarray(data["forces_eV_per_angstrom"]))
    return atoms


def _freeze(atoms: Atoms, energy: float, forces: np.ndarray) -> None:
    atoms.calc = SinglePointCalculator(atoms, energy=float(energy), forces=np.array(forces))


def _check_endpoints(initial: Atoms, final: Atoms) -> None:
    if len(initial) != len(final):
        raise EndpointError(
            f"initial and final states have {len(initial)} and {len(final)} atoms; an NEB "
            "needs the same atoms in both"
        )
    if list(initial.numbers) != list(final.numbers):
        raise EndpointError("initial and final states list different elements or orders")
    if not np.allclose(initial.cell.array, final.cell.array, atol=1e-6):
        raise EndpointError("initial and final states have different cells (NEB is fixed-cell)")
    for name, atoms in (("initial", initial), ("final", final)):
        if not np.all(np.isfinite(atoms.positions)):
            raise EndpointError(f"{name} state has non-finite positions")


def _displacement(a: Atoms, b: Atoms) -> np.ndarray:
    """Per-atom displacement b - a under the minimum-image convention (Å)."""
    _, lengths = find_mic(b.positions - a.positions, a.cell, a.pbc)
    return lengths


def _relax_endpoint(
    atoms: Atoms,
    calculator: Calculator,
    settings: NEBSettings,
    name: str,
    progress: bool,
) -> Atoms:
    # at least 200 steps: a short band budget must not leave the endpoints unrelaxed
    max_steps = max(settings.max_steps, 200)
    fmax = settings.fmax
    relaxed = atoms.copy()
    relaxed.calc = calculator
    opt = OPTIMIZERS[settings.optimizer](relaxed, logfile=None)
    converged = False
    with tqdm(total=max_steps, desc=f"relax {name}", unit="step", disable=not progress) as bar:
        for step_converged in opt.irun(fmax=fmax, steps=max_steps):
            converged = step_converged
            bar.update(opt.nsteps - bar.n)
    if not converged:
        logger.warning("%s state not relaxed to %g eV/Å in %d steps", name, fmax, max_steps)
    energy = relaxed.get_potential_energy()
    forces = relaxed.get_forces(apply_constraint=False)
    _freeze(relaxed, energy, forces)
    return relaxed


def _relaxed_endpoint(
    atoms: Atoms,
    calculator: Calculator,
    settings: NEBSettings,
    name: str,
    progress: bool,
    path: Path | None,
    key: str,
) -> Atoms:
    """A relaxed endpoint, saved to ``path`` once relaxed and read back on a rerun.

    A 112-atom endpoint takes minutes with an MLIP on a CPU: a run killed while the
    second endpoint or the band was still at its first interval keeps the first one.
    """
    if path is not None and path.exists():
        saved = np.load(path)
        if str(saved["key"]) != key:
            raise ResumeError(f"{path}: relaxed endpoint belongs to other inputs")
        relaxed = atoms.copy()
        relaxed.positions = saved["positions"]
        _freeze(relaxed, float(saved["energy"]), saved["forces"])
        return relaxed
    relaxed = _relax_endpoint(atoms, calculator, settings, name, progress)
    if path is not None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            key=key,
            positions=relaxed.positions,
            energy=relaxed.get_potential_energy(),
            forces=relaxed.get_forces(apply_constraint=False),
        )
        os.replace(tmp, path)
    return relaxed


def _save_checkpoint(path: Path, key: str, neb: NEB, optimizer: Any, name: str) -> None:
    state: dict[str, Any] = {}
    for attr in _OPTIMIZER_STATE[name]:
        value = getattr(optimizer, attr, None) if attr != "H" else _bfgs_hessian(optimizer)
        state[f"opt_{attr}"] = np.asarray([] if value is None else value, dtype=float)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(
        tmp,
        key=key,
        nsteps=optimizer.nsteps,
        positions=np.stack([image.positions for image in neb.images]),
        endpoint_energies=[
            neb.images[0].get_potential_energy(),
            neb.images[-1].get_potential_energy(),
        ],
        endpoint_forces=np.stack(
            [neb.images[i].get_forces(apply_constraint=False) for i in (0, -1)]
        ),
        **state,
    )
    os.replace(tmp, path)


def _bfgs_hessian(optimizer: Any) -> np.ndarray | None:
    state = getattr(optimizer, "state", None)
    return None if state is None else state.hessian


def _restore_optimizer(optimizer: Any, name: str, checkpoint: dict[str, np.ndarray]) -> None:
    optimizer.nsteps = int(checkpoint["nsteps"])
    for attr in _OPTIMIZER_STATE[name]:
        value = checkpoint[f"opt_{attr}"]
        if value.size == 0:
            continue
        if attr == "H":
            from ase.optimize.bfgs import BFGSMethod

            optimizer.state = BFGSMethod(value.copy())
        elif value.ndim == 0:
            setattr(optimizer, attr, value.item())
        else:
            setattr(optimizer, attr, value.copy())


def _barrier(
    images: list[Atoms], residual: float
) -> tuple[Estimate, list[float], list[float], list[float]]:
    """Barrier (fit maximum above the first image) with its error, path and fit."""
    energies = [image.get_potential_energy() for image in images]
    forces = [image.get_forces(apply_constraint=False) for image in images]
    fit = fit_raw(
        energies, forces, [image.positions for image in images], images[0].cell, images[0].pbc
    )
    fit_e = np.asarray(fit.fit_energies)
    fit_s = np.asarray(fit.fit_path)
    k = int(np.argmax(fit_e))
    barrier = float(fit_e[k])
    gap = abs(barrier - float(np.max(fit.energies)))
    if 0 < k < len(fit_e) - 1:
        ds = 0.5 * (fit_s[k + 1] - fit_s[k - 1])
        curvature = abs(fit_e[k + 1] - 2 * fit_e[k] + fit_e[k - 1]) / ds**2
        located = residual**2 / (2 * curvature) if curvature > 0 else gap
    else:
        located = 0.0
    return (
        Estimate.normal(barrier, max(gap, located), "eV", error_kind="resolution"),
        [float(s) for s in fit.path],
        fit_s.tolist(),
        fit_e.tolist(),
    )


def run_neb(
    initial: Atoms,
    final: Atoms,
    calculator: Calculator | str = "chgnet",
    settings: NEBSettings | None = None,
    *,
    checkpoint_dir: str | Path | None = None,
    store: Any | None = None,
    device: str = "auto",
    hop: str = "",
    progress: bool = True,
) -> NEBResult:
    """Climbing-image NEB between two states; checkpointed, resumable, cacheable.

    Args:
        initial: initial state (ASE Atoms; constraints such as FixAtoms are kept).
        final: final state: same atoms in the same order, same cell.
        calculator: ASE calculator (EMT(), ...) or registered MLIP name ("chgnet", ...).
        settings: images, force threshold, optimiser, ... (default :class:`NEBSettings`).
        checkpoint_dir: folder for ``neb-<key>.ckpt.npz``; a rerun with the same inputs
            resumes from it. None: no checkpoint.
        store: optional ``sselab.store.ResultStore``; a finished NEB is then a lookup.
        device: device for a named model ("auto" uses a GPU when present).
        hop: label stored with the result.
        progress: show a progress bar with the force residual.

    Returns:
        :class:`NEBResult` (barrier in eV with its error, profile, images).

    Raises:
        EndpointError: endpoints differ in atoms or cell, or relax into the same minimum.

    Example:
        >>> from ase.build import add_adsorbate, fcc100
        >>> from ase.calculators.emt import EMT
        >>> from ase.constraints import FixAtoms
        >>> slab = fcc100("Al", size=(2, 2, 3))
        >>> add_adsorbate(slab, "Au", 1.7, "hollow")
        >>> slab.center(axis=2, vacuum=4.0)
        >>> slab.set_constraint(FixAtoms(mask=slab.get_tags() > 1))
        >>> hopped = slab.copy()
        >>> hopped[-1].x += slab.cell[0, 0] / 2
        >>> result = run_neb(slab, hopped, EMT(), NEBSettings(n_images=3, fmax=0.01),
        ...                  progress=False)
        >>> round(result.barrier_eV.value, 2)  # ASE tutorial: 0.37 eV
        0.37
    """
    settings = settings or NEBSettings()
    _check_endpoints(initial, final)
    label = calculator_label(calculator)
    band_inputs = {"initial": initial, "final": final, "model": label, **settings.band_inputs()}
    key = input_key("neb", band_inputs)

    def compute() -> dict[str, Any]:
        return _run_neb_uncached(
            initial,
            final,
            resolve_calculator(calculator, device),
            label,
            key,
            settings,
            None if checkpoint_dir is None else Path(checkpoint_dir),
            hop,
            progress,
        ).as_dict()

    if store is None:
        return NEBResult.from_dict(compute())
    stored_inputs = {
        **band_inputs,
        "max_steps": settings.max_steps,
        "hop": hop,
        "result_layout": RESULT_LAYOUT,
    }
    return NEBResult.from_dict(store.cached("neb", stored_inputs, compute))


def _run_neb_uncached(
    initial: Atoms,
    final: Atoms,
    calc: Calculator,
    label: str,
    key: str,
    settings: NEBSettings,
    checkpoint_dir: Path | None,
    hop: str,
    progress: bool,
) -> NEBResult:
    start = time.perf_counter()
    checkpoint_path = None
    checkpoint = None
    if checkpoint_dir is not None:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        checkpoint_path = checkpoint_dir / f"neb-{key[:16]}.ckpt.npz"
        if checkpoint_path.exists():
            checkpoint = dict(np.load(checkpoint_path))
            if str(checkpoint["key"]) != key:
                raise ResumeError(f"{checkpoint_path}: checkpoint belongs to other inputs")
            logger.info("resuming NEB from %s (step %d)", checkpoint_path, checkpoint["nsteps"])

    if checkpoint is not None:
        first, last = initial.copy(), final.copy()
        first.positions = checkpoint["positions"][0]
        last.positions = checkpoint["positions"][-1]
        for atoms, i in ((first, 0), (last, 1)):
            _freeze(atoms, checkpoint["endpoint_energies"][i], checkpoint["endpoint_forces"][i])
    elif settings.relax_endpoints:
        first, last = (
            _relaxed_endpoint(
                atoms,
                calc,
                settings,
                name,
                progress,
                None if checkpoint_path is None else checkpoint_path.with_suffix(f".{name}.npz"),
                key,
            )
            for atoms, name in ((initial, "initial"), (final, "final"))
        )
    else:
        first, last = initial.copy(), final.copy()
        for atoms in (first, last):
            atoms.calc = calc
            _freeze(atoms, atoms.get_potential_energy(), atoms.get_forces(apply_constraint=False))
    moved = _displacement(first, last).max()
    if moved < SAME_MINIMUM_ANGSTROM:
        raise EndpointError(
            f"initial and final states relaxed into the same minimum (largest displacement "
            f"{moved:.2f} Å) with {label}: the end state is not a local minimum of this model"
        )

    images = [first]
    for _ in range(settings.n_images):
        image = first.copy()
        image.calc = calc
        images.append(image)
    images.append(last)
    neb = NEB(
        images,
        k=settings.spring_constant,
        climb=settings.climb,
        method="improvedtangent",
        allow_shared_calculator=True,
    )
    if checkpoint is None:
        neb.interpolate(method=settings.interpolation, mic=True, apply_constraint=False)
    else:
        for image, positions in zip(images[1:-1], checkpoint["positions"][1:-1], strict=True):
            image.positions = positions
    optimizer_name = settings.optimizer
    opt = OPTIMIZERS[optimizer_name](neb, logfile=None)
    if checkpoint is not None:
        _restore_optimizer(opt, optimizer_name, checkpoint)
    steps_left = max(0, settings.max_steps - opt.nsteps)
    converged = False
    with tqdm(
        total=settings.max_steps,
        initial=opt.nsteps,
        unit="step",
        desc=f"NEB {hop}".strip(),
        disable=not progress,
    ) as bar:
        for step_converged in opt.irun(fmax=settings.fmax, steps=steps_left):
            converged = step_converged
            if checkpoint_path is not None and opt.nsteps % settings.checkpoint_interval_steps == 0:
                _save_checkpoint(checkpoint_path, key, neb, opt, optimizer_name)
            bar.update(opt.nsteps - bar.n)
            bar.set_postfix(fmax=f"{neb.get_residual():.3f}")
    if checkpoint_path is not None:
        _save_checkpoint(checkpoint_path, key, neb, opt, optimizer_name)
    residual = float(neb.get_residual())

    for image, energy, forces in zip(
        images[1:-1], neb.energies[1:-1], neb.real_forces[1:-1], strict=True
    ):
        _freeze(image, energy, forces)
    barrier, path, fit_s, fit_e = _barrier(images, residual)
    e0 = images[0].get_potential_energy()
    energies = [float(image.get_potential_energy() - e0) for image in images]
    if min(energies[1:-1]) < min(energies[0], energies[-1]) - 0.05:
        logger.warning(
            "an interior image lies %.2f eV below the lower endpoint: the endpoints are not the "
            "lowest minima along this path, so the barrier is not a hop barrier",
            min(energies[0], energies[-1]) - min(energies[1:-1]),
        )
    if not converged:
        logger.warning(
            "NEB not converged after %d steps (residual %.3f eV/Å)", opt.nsteps, residual
        )
    return NEBResult(
        barrier_eV=barrier,
        reverse_barrier_eV=Estimate.normal(
            barrier.value - energies[-1], barrier.error, "eV", error_kind="resolution"
        ),
        reaction_energy_eV=energies[-1],
        image_energies_eV=energies,
        path_angstrom=path,
        fit_path_angstrom=fit_s,
        fit_energies_eV=fit_e,
        saddle_image=int(np.argmax(energies)),
        residual_force_eV_per_angstrom=residual,
        converged=bool(converged),
        n_steps=int(opt.nsteps),
        n_atoms=len(first),
        model=label,
        wall_s=time.perf_counter() - start,
        hop=hop,
        images=images,
    )


def hop_barrier(
    structure: Structure,
    hop: str = "vac-8c-8c",
    calculator: Calculator | str = "chgnet",
    settings: NEBSettings | None = None,
    *,
    mobile: str = "Li",
    supercell: Sequence[int] = (2, 2, 2),
    index: int | None = None,
    seed: int = 0,
    out_dir: str | Path | None = None,
    store: Any | None = None,
    device: str = "auto",
    progress: bool = True,
) -> NEBResult:
    """CI-NEB barrier of a hop in an antifluorite-type cell with an MLIP.

    Builds the endpoints (:func:`~sselab.transport.antifluorite_sites.hop_endpoints`),
    relaxes them at fixed cell, and runs :func:`run_neb` (IDPP, climbing image, FIRE).

    Args:
        structure: antifluorite-type structure, ordered or disordered (the cell is kept:
            relax it first, e.g. ``sselab relax``, for the model's own lattice constant).
        hop: ``"8c-24e"``, ``"24e-8c"`` or ``"vac-8c-8c"`` (``NEB_HOPS``).
        calculator: registered MLIP name (CHGNet default) or any ASE calculator.
        settings: NEB settings (default :class:`NEBSettings`).
        mobile: mobile cation.
        supercell: repetitions of the input cell (2x2x2 of conventional Li2S: 96 atoms).
        index: hopping (or removed) 8c ion in the supercell; default the first.
        seed: ordering seed for disordered input.
        out_dir: folder for the checkpoint (resume on rerun); None: no checkpoint.
        store: optional ResultStore; a finished NEB is then a lookup.
        device: device for a named model.
        progress: progress bar.

    Returns:
        :class:`NEBResult` with ``hop`` set.

    Example:
        >>> from sselab.structures import antifluorite
        >>> result = hop_barrier(antifluorite(0.0), "vac-8c-8c")  # 95 atoms # doctest: +SKIP
        >>> round(result.barrier_eV.value, 2)  # doctest: +SKIP
        0.25
    """
    from sselab.transport.md import to_atoms

    ends = hop_endpoints(structure, hop, mobile, supercell, index, seed)
    return run_neb(
        to_atoms(ends.initial),
        to_atoms(ends.final),
        calculator,
        settings,
        checkpoint_dir=out_dir,
        store=store,
        device=device,
        hop=hop,
        progress=progress,
    )


def write_images(result: NEBResult, path: str | Path) -> Path:
    """Write the band as multi-frame extxyz with each image's energy and forces.

    Example:
        >>> write_images(result, "out/neb_images.extxyz")  # doctest: +SKIP
        PosixPath('out/neb_images.extxyz')
    """
    from ase.io import write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, result.images, format="extxyz")
    return path
