"""Climbing-image NEB migration barriers with any MLIP (or any ASE calculator).

Two layers:

* :func:`run_neb` is a generic CI-NEB between two states given as ASE ``Atoms`` (same
  atoms, same order, same cell): both endpoints relaxed at fixed cell, IDPP
  interpolation, climbing image (``ase.mep.NEB``, improved tangent), FIRE or BFGS to
  ``fmax``. It checkpoints the band and the optimiser state atomically every
  ``checkpoint_interval_steps`` steps; a rerun with the same inputs resumes from the
  checkpoint (bit-identical to an uninterrupted run), and with a ``ResultStore`` a
  finished NEB is a lookup.
* :func:`hop_endpoints` / :func:`hop_barrier` build Li hops in any antifluorite-type
  cell read from a structure: the anion sublattice (N/S ordering, cell) is taken from
  the structure, tetrahedral (8c) ions and empty octahedral voids (4b, the 24e region)
  are found by geometry, not hard-coded to Li2S.

Hops (``HOPS``):

* ``8c-24e``: an 8c Li moves into an adjacent empty octahedral void (Frenkel pair);
* ``24e-8c``: the reverse, starting from the relaxed interstitial state;
* ``vac-8c-8c``: one 8c Li is removed and a neighbouring 8c Li (a/2 away) hops into the
  vacancy. The vacancy is neutral: MLIPs carry no net charge, so removing a Li atom
  (not a Li+ ion with a compensating background) is the standard MLIP practice; the
  extra electron sits on the anion framework as the model sees fit.

Barrier = max(E along the band) - E(initial), from the cubic fit through image
energies and tangential forces (``ase.utils.forcecurve.fit_raw``, what ``NEBTools``
uses). Its uncertainty is the larger of (a) the gap between that fit and the
climbing image's energy and (b) ``F_res**2 / (2 |k|)``, the energy error of a saddle
located with a residual force ``F_res`` on a path of curvature ``k`` (fit second
derivative at the maximum). The MLIP's own error and the supercell-size error are not
included: with CHGNet 0.3.0 the Li2S vacancy barrier is 0.38 eV in the conventional
cell (11 atoms, vacancy images 5.7 Å apart) but 0.25 eV in 2x2x2 (95 atoms), so use
2x2x2 or larger for numbers and the conventional cell for quick checks only.

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
from dataclasses import asdict, dataclass, field
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
from matplotlib.figure import Figure
from pymatgen.core import Structure
from tqdm.auto import tqdm

from sselab.store import input_key
from sselab.structures.cells import anion_indices, pseudo_cubic_a

logger = logging.getLogger(__name__)

HOPS = ("8c-24e", "24e-8c", "vac-8c-8c")
OPTIMIZERS = {"FIRE": FIRE, "BFGS": BFGS}
# Optimiser attributes that, with the band positions, make a resumed NEB identical to
# an uninterrupted one (ASE's own restart files keep only part of them for FIRE).
_OPTIMIZER_STATE = {"FIRE": ("vel", "dt", "a", "Nsteps"), "BFGS": ("H", "pos0", "forces0")}
# Relaxed endpoints closer than this (max atomic displacement, Å) are the same minimum.
SAME_MINIMUM_ANGSTROM = 0.3


class EndpointError(ValueError):
    """The hop's endpoints are invalid (different atoms, or one relaxes into the other)."""


class ResumeError(ValueError):
    """A checkpoint exists for these inputs but cannot be used."""


@dataclass
class NEBResult:
    """Outcome of a CI-NEB.

    Attributes:
        barrier_eV: forward barrier, max(fit) - E(initial).
        barrier_uncertainty_eV: uncertainty of the barrier (see module docstring).
        reverse_barrier_eV: max(fit) - E(final).
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

    barrier_eV: float
    barrier_uncertainty_eV: float
    reverse_barrier_eV: float
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
        """JSON form; images as symbols, cell, pbc, positions, energy and forces."""
        data = {k: v for k, v in asdict(self).items() if k != "images"}
        data["images"] = [_image_dict(image) for image in self.images]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NEBResult:
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        values["images"] = [_image_from_dict(image) for image in values.get("images", [])]
        return cls(**values)

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


def _label_of(calculator: Calculator | str) -> str:
    if isinstance(calculator, str):
        from sselab.calculators import model_label

        return model_label(calculator)
    return getattr(calculator, "sselab_label", type(calculator).__name__)


def _resolve(calculator: Calculator | str, device: str) -> Calculator:
    if isinstance(calculator, str):
        from sselab.calculators import get_calculator

        return get_calculator(calculator, device=device)
    return calculator


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
    fmax: float,
    optimizer: str,
    max_steps: int,
    name: str,
    progress: bool,
) -> Atoms:
    relaxed = atoms.copy()
    relaxed.calc = calculator
    opt = OPTIMIZERS[optimizer](relaxed, logfile=None)
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


def _save_checkpoint(path: Path, key: str, neb: NEB, optimizer: Any, name: str) -> None:
    state = {}
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
) -> tuple[float, float, list[float], list[float], list[float]]:
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
        barrier,
        max(gap, located),
        [float(s) for s in fit.path],
        fit_s.tolist(),
        fit_e.tolist(),
    )


def run_neb(
    initial: Atoms,
    final: Atoms,
    calculator: Calculator | str = "chgnet",
    n_images: int = 5,
    fmax: float = 0.05,
    max_steps: int = 500,
    climb: bool = True,
    spring_constant: float = 0.1,
    optimizer: str = "FIRE",
    relax_endpoints: bool = True,
    interpolation: str = "idpp",
    checkpoint_dir: str | Path | None = None,
    checkpoint_interval_steps: int = 10,
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
        n_images: interior images (the band has n_images + 2 states).
        fmax: force threshold in eV/Å for the band and the endpoint relaxations.
        max_steps: NEB optimiser step limit (total over resumed calls).
        climb: climbing image (CI-NEB); False gives a plain NEB.
        spring_constant: spring constant in eV/Å^2.
        optimizer: "FIRE" (default, robust for bands) or "BFGS".
        relax_endpoints: relax both endpoints at fixed cell first (off only for
            endpoints that are already minima of this calculator).
        interpolation: "idpp" (image-dependent pair potential) or "linear".
        checkpoint_dir: folder for ``neb-<key>.ckpt.npz``; a rerun with the same inputs
            resumes from it. None: no checkpoint.
        checkpoint_interval_steps: checkpoint period in optimiser steps.
        store: optional ``sselab.pipeline.ResultStore``; a finished NEB is then a lookup.
        device: device for a named model ("auto" uses a GPU when present).
        hop: label stored with the result.
        progress: show a progress bar with the force residual.

    Returns:
        :class:`NEBResult` (barrier in eV with its uncertainty, profile, images).

    Raises:
        EndpointError: endpoints differ in atoms or cell, or relax into the same minimum.
        ValueError: an argument is out of range.

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
        >>> result = run_neb(slab, hopped, EMT(), n_images=3, fmax=0.01, progress=False)
        >>> round(result.barrier_eV, 2)  # ASE tutorial: 0.37 eV
        0.37
    """
    if n_images < 1:
        raise ValueError(f"n_images = {n_images}: need at least one interior image")
    if fmax <= 0 or not np.isfinite(fmax):
        raise ValueError(f"fmax = {fmax} eV/Å must be positive")
    if max_steps < 0 or checkpoint_interval_steps < 1:
        raise ValueError("max_steps must be >= 0 and checkpoint_interval_steps >= 1")
    if spring_constant <= 0:
        raise ValueError(f"spring_constant = {spring_constant} eV/Å^2 must be positive")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer '{optimizer}' unknown; choose from {sorted(OPTIMIZERS)}")
    if interpolation not in ("idpp", "linear"):
        raise ValueError(f"interpolation '{interpolation}' unknown; choose 'idpp' or 'linear'")
    _check_endpoints(initial, final)
    label = _label_of(calculator)
    band_inputs = {
        "initial": initial,
        "final": final,
        "model": label,
        "n_images": n_images,
        "fmax": fmax,
        "climb": climb,
        "spring_constant": spring_constant,
        "optimizer": optimizer,
        "relax_endpoints": relax_endpoints,
        "interpolation": interpolation,
    }
    key = input_key("neb", band_inputs)

    def compute() -> dict[str, Any]:
        return _run_neb_uncached(
            initial,
            final,
            _resolve(calculator, device),
            label,
            key,
            n_images,
            fmax,
            max_steps,
            climb,
            spring_constant,
            optimizer,
            relax_endpoints,
            interpolation,
            None if checkpoint_dir is None else Path(checkpoint_dir),
            checkpoint_interval_steps,
            hop,
            progress,
        ).as_dict()

    if store is None:
        return NEBResult.from_dict(compute())
    return NEBResult.from_dict(
        store.cached("neb", {**band_inputs, "max_steps": max_steps, "hop": hop}, compute)
    )


def _run_neb_uncached(
    initial: Atoms,
    final: Atoms,
    calc: Calculator,
    label: str,
    key: str,
    n_images: int,
    fmax: float,
    max_steps: int,
    climb: bool,
    spring_constant: float,
    optimizer_name: str,
    relax_endpoints: bool,
    interpolation: str,
    checkpoint_dir: Path | None,
    checkpoint_interval_steps: int,
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
    elif relax_endpoints:
        steps = max(max_steps, 200)
        first = _relax_endpoint(initial, calc, fmax, optimizer_name, steps, "initial", progress)
        last = _relax_endpoint(final, calc, fmax, optimizer_name, steps, "final", progress)
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
    for _ in range(n_images):
        image = first.copy()
        image.calc = calc
        images.append(image)
    images.append(last)
    neb = NEB(
        images,
        k=spring_constant,
        climb=climb,
        method="improvedtangent",
        allow_shared_calculator=True,
    )
    if checkpoint is None:
        neb.interpolate(method=interpolation, mic=True, apply_constraint=False)
    else:
        for image, positions in zip(images[1:-1], checkpoint["positions"][1:-1], strict=True):
            image.positions = positions
    opt = OPTIMIZERS[optimizer_name](neb, logfile=None)
    if checkpoint is not None:
        _restore_optimizer(opt, optimizer_name, checkpoint)
    steps_left = max(0, max_steps - opt.nsteps)
    converged = False
    with tqdm(
        total=max_steps,
        initial=opt.nsteps,
        unit="step",
        desc=f"NEB {hop}".strip(),
        disable=not progress,
    ) as bar:
        for step_converged in opt.irun(fmax=fmax, steps=steps_left):
            converged = step_converged
            if checkpoint_path is not None and opt.nsteps % checkpoint_interval_steps == 0:
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
    barrier, sigma, path, fit_s, fit_e = _barrier(images, residual)
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
        barrier_uncertainty_eV=sigma,
        reverse_barrier_eV=barrier - energies[-1],
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


def profile_figure(
    result: NEBResult, reference_eV: float | None = None, reference_label: str = "reference"
) -> Figure:
    """Energy profile along the band (Fig. 4b analogue): images, force-based fit, barrier.

    Args:
        result: a finished NEB.
        reference_eV: optional barrier to draw as a dashed line (e.g. the paper's DFT value).
        reference_label: legend text of that line.

    Example:
        >>> fig = profile_figure(result, reference_eV=0.38)  # doctest: +SKIP
        >>> fig.savefig("neb.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(4.5, 3.4))
    ax = fig.add_subplot()
    ax.plot(result.fit_path_angstrom, result.fit_energies_eV, "-", color="k", lw=1.2, label="fit")
    ax.plot(result.path_angstrom, result.image_energies_eV, "o", color="C0", label="images")
    ax.plot(
        result.path_angstrom[result.saddle_image],
        result.image_energies_eV[result.saddle_image],
        "o",
        color="C3",
        label="climbing image",
    )
    if reference_eV is not None:
        ax.axhline(reference_eV, ls="--", color="C2", lw=1.0, label=reference_label)
    ax.set_xlabel("reaction coordinate (Å)")
    ax.set_ylabel("E - E(initial) (eV)")
    title = f"{result.hop or 'NEB'} ({result.model}): "
    ax.set_title(
        title + f"{result.barrier_eV:.3f} ± {result.barrier_uncertainty_eV:.2g} eV", fontsize=9
    )
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


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


@dataclass
class HopEndpoints:
    """Unrelaxed endpoints of a Li hop in an antifluorite-type supercell.

    Attributes:
        initial: supercell before the hop (pymatgen Structure, ordered).
        final: same atoms, same order, with the moving ion at its destination.
        hop: one of ``HOPS``.
        moving_index: index of the moving ion in both structures.
        start_frac: fractional coordinates where the moving ion starts.
        end_frac: fractional coordinates where it ends.
        hop_distance_angstrom: straight-line hop length (minimum image).
        anion_lattice_angstrom: cubic constant of the anion fcc sublattice, (4V/N_anion)^(1/3).
    """

    initial: Structure
    final: Structure
    hop: str
    moving_index: int
    start_frac: tuple[float, float, float]
    end_frac: tuple[float, float, float]
    hop_distance_angstrom: float
    anion_lattice_angstrom: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form (structures as pymatgen dicts)."""
        data = asdict(self)
        data["initial"] = self.initial.as_dict()
        data["final"] = self.final.as_dict()
        return data


def octahedral_voids(structure: Structure, mobile: str = "Li") -> tuple[np.ndarray, np.ndarray]:
    """Octahedral voids of the anion fcc sublattice (4b; the 24e Li sit in them).

    Each void centre is the mean of the midpoints of the three anion pairs a apart
    across it, so the voids come from the anion positions alone, for any N/S ordering,
    relaxation, cell shape or supercell.

    Args:
        structure: ordered antifluorite-type structure.
        mobile: the mobile cation; all other species form the anion sublattice.

    Returns:
        (fractional coordinates of all voids, boolean mask of the empty ones: no
        non-tetrahedral ``mobile`` ion within 0.4 a of the centre; a 24e ion at u = 0.28
        is 0.22 a away, and relaxation may pull it towards its anion).

    Raises:
        ValueError: the anion sublattice is not fcc (no set of as many voids as anions).

    Example:
        >>> from sselab.structures import antifluorite
        >>> voids, empty = octahedral_voids(antifluorite(0.0))
        >>> len(voids), int(empty.sum())
        (4, 4)
    """
    anion_idx = anion_indices(structure, mobile)
    a = pseudo_cubic_a(structure, mobile)
    anions = Structure.from_sites([structure[i] for i in anion_idx])
    lattice = anions.lattice
    centres, points, offsets, distances = anions.get_neighbor_list(1.2 * a)
    pairs = distances > 0.85 * a  # second neighbours; distorted cells add a few third ones
    frac = anions.frac_coords
    midpoints = (frac[centres[pairs]] + frac[points[pairs]] + offsets[pairs]) / 2
    # Each void is crossed by 3 second-neighbour pairs, listed in both directions: 6
    # midpoints within a few 0.1 Å even in relaxed N/S-ordered cells. Third-neighbour
    # pairs that distortion brings inside the cutoff give clusters of 2 or 4 (edge
    # midpoints). Cluster (voids are 0.71 a apart) and keep the clusters of 6.
    members: list[list[np.ndarray]] = []
    for point in midpoints:
        if members:
            anchors = np.array([m[0] for m in members])
            dist = lattice.get_all_distances(point, anchors)[0]
            k = int(np.argmin(dist))
            if dist[k] < 0.25 * a:
                members[k].append(point - np.round(point - members[k][0]))
                continue
        members.append([point])
    members.sort(key=len, reverse=True)
    n_voids = len(anion_idx)
    sizes = [len(m) for m in members] + [0]
    if len(members) < n_voids or sizes[n_voids - 1] < 6 or sizes[n_voids] >= 6:
        raise ValueError(
            f"{structure.composition.reduced_formula}: the anion sublattice is not fcc "
            f"(antifluorite-type): no clear set of {n_voids} octahedral voids"
        )
    voids = [np.mean(m, axis=0) % 1.0 for m in members[:n_voids]]
    void_frac = np.array(voids)
    tetra = set(tetrahedral_ions(structure, mobile))
    others = [i for i, s in enumerate(structure) if s.specie.symbol == mobile and i not in tetra]
    if not others:
        return void_frac, np.ones(len(void_frac), dtype=bool)
    nearest = structure.lattice.get_all_distances(void_frac, structure.frac_coords[others])
    return void_frac, nearest.min(axis=1) > 0.4 * a


def tetrahedral_ions(structure: Structure, mobile: str = "Li") -> list[int]:
    """Indices of ``mobile`` ions on tetrahedral (8c) sites: exactly 4 anions within 0.65 a.

    An 8c ion has 4 anions at 0.43 a and the next at 0.83 a, so 0.65 a sits in the gap;
    a 24e ion (u ~ 0.28) has 5 within 0.55 a and an ion at an octahedral centre 6, so
    the count separates them even after relaxation.

    Example:
        >>> from sselab.structures import antifluorite
        >>> len(tetrahedral_ions(antifluorite(0.0)))
        8
    """
    anion_set = set(anion_indices(structure, mobile).tolist())
    a = pseudo_cubic_a(structure, mobile)
    centres, points, _, _ = structure.get_neighbor_list(0.65 * a)
    counts = np.zeros(len(structure), dtype=int)
    for centre, point in zip(centres, points, strict=True):
        if point in anion_set:
            counts[centre] += 1
    return [
        i for i, site in enumerate(structure) if site.specie.symbol == mobile and counts[i] == 4
    ]


def hop_endpoints(
    structure: Structure,
    hop: str = "vac-8c-8c",
    mobile: str = "Li",
    supercell: Sequence[int] = (2, 2, 2),
    index: int | None = None,
    seed: int = 0,
) -> HopEndpoints:
    """Endpoints of a Li hop in an antifluorite-type supercell (unrelaxed).

    A disordered structure (partial occupancies, e.g. ``antifluorite(0.5)``) is first
    ordered in the supercell (lowest-Ewald ordering, ``enumerate_orderings``); an
    ordered one is repeated. Sites come from geometry (:func:`tetrahedral_ions`,
    :func:`octahedral_voids`), so any N/S ordering and cell works.

    Args:
        structure: antifluorite-type structure (ordered or disordered).
        hop: ``"8c-24e"`` (8c ion into an adjacent empty octahedral void),
            ``"24e-8c"`` (its reverse) or ``"vac-8c-8c"`` (neutral vacancy hop, a/2).
        mobile: mobile cation.
        supercell: repetitions of the input cell along a, b, c.
        index: the 8c ion that hops (8c-24e, 24e-8c) or is removed to make the vacancy
            (vac-8c-8c), as an index in the supercell; default the first candidate.
        seed: seed of the ordering sampler for disordered input.

    Returns:
        :class:`HopEndpoints`.

    Raises:
        ValueError: unknown hop, no suitable site, or not an antifluorite-type cell.

    Example:
        >>> from sselab.structures import antifluorite
        >>> ends = hop_endpoints(antifluorite(0.0), "vac-8c-8c", supercell=(1, 1, 1))
        >>> len(ends.initial), round(ends.hop_distance_angstrom / ends.anion_lattice_angstrom, 2)
        (11, 0.5)
    """
    if hop not in HOPS:
        raise ValueError(f"hop '{hop}' unknown; choose from {', '.join(HOPS)}")
    if len(supercell) != 3 or any(int(n) < 1 for n in supercell):
        raise ValueError(f"supercell {tuple(supercell)} must be three integers >= 1")
    from sselab.structures import enumerate_orderings

    cell = enumerate_orderings(
        structure, supercell=tuple(int(n) for n in supercell), n=1, seed=seed
    )[0]
    a = pseudo_cubic_a(cell, mobile)
    tetra = tetrahedral_ions(cell, mobile)
    if not tetra:
        raise ValueError(f"{cell.composition.reduced_formula}: no {mobile} on tetrahedral sites")
    if index is not None and index not in tetra:
        raise ValueError(
            f"index {index} is not a tetrahedral {mobile} of the supercell; choose one of "
            f"{tetra[:8]}{' ...' if len(tetra) > 8 else ''}"
        )
    lattice = cell.lattice
    candidates = [index] if index is not None else tetra
    if hop == "vac-8c-8c":
        vacancy = candidates[0]
        others = [i for i in tetra if i != vacancy]
        if not others:
            raise ValueError("a vacancy hop needs at least two tetrahedral ions")
        dist = lattice.get_all_distances(cell.frac_coords[vacancy], cell.frac_coords[others])[0]
        # the neighbour closest to the ideal 8c-8c distance a/2: in relaxed doped cells a
        # displaced Li can sit nearer, and its hop is not the regular one
        mover = others[int(np.argmin(np.round(np.abs(dist - a / 2), 6)))]
        destination = cell.frac_coords[vacancy].copy()
        initial = cell.copy()
        initial.remove_sites([vacancy])
        moving = mover - (mover > vacancy)
    else:
        voids, empty = octahedral_voids(cell, mobile)
        if not empty.any():
            raise ValueError(f"{cell.composition.reduced_formula}: no empty octahedral void")
        free = voids[empty]
        dist = lattice.get_all_distances(cell.frac_coords[candidates], free)
        # The (8c, void) pair closest to the ideal 8c-4b distance sqrt(3)/4 a (relaxed
        # doped cells hold displaced Li nearer to a void); ties: lowest ion, then void.
        misfit = np.round(np.abs(dist - np.sqrt(3) / 4 * a), 6)
        row, col = np.unravel_index(int(np.argmin(misfit)), dist.shape)
        moving = candidates[int(row)]
        destination = free[int(col)]
        initial = cell.copy()
    start = initial.frac_coords[moving].copy()
    final = initial.copy()
    final.replace(moving, initial[moving].species, coords=destination)
    distance = float(lattice.get_all_distances(start, destination)[0, 0])
    if hop == "24e-8c":
        initial, final = final, initial
        start, destination = destination, start
    return HopEndpoints(
        initial=initial,
        final=final,
        hop=hop,
        moving_index=int(moving),
        start_frac=tuple(float(v) for v in start),
        end_frac=tuple(float(v) for v in destination),
        hop_distance_angstrom=distance,
        anion_lattice_angstrom=a,
    )


def hop_barrier(
    structure: Structure,
    hop: str = "vac-8c-8c",
    calculator: Calculator | str = "chgnet",
    mobile: str = "Li",
    supercell: Sequence[int] = (2, 2, 2),
    index: int | None = None,
    seed: int = 0,
    n_images: int = 5,
    fmax: float = 0.05,
    max_steps: int = 500,
    out_dir: str | Path | None = None,
    store: Any | None = None,
    device: str = "auto",
    progress: bool = True,
) -> NEBResult:
    """CI-NEB barrier of a Li hop in an antifluorite-type cell with an MLIP.

    Builds the endpoints (:func:`hop_endpoints`), relaxes them at fixed cell, and runs
    :func:`run_neb` (IDPP, climbing image, FIRE).

    Args:
        structure: antifluorite-type structure, ordered or disordered (the cell is kept:
            relax it first, e.g. ``sselab relax``, for the model's own lattice constant).
        hop: ``"8c-24e"``, ``"24e-8c"`` or ``"vac-8c-8c"``.
        calculator: registered MLIP name (CHGNet default) or any ASE calculator.
        mobile: mobile cation.
        supercell: repetitions of the input cell (2x2x2 of conventional Li2S: 96 atoms).
        index: hopping (or removed) 8c ion in the supercell; default the first.
        seed: ordering seed for disordered input.
        n_images: interior images.
        fmax: force threshold in eV/Å.
        max_steps: NEB optimiser step limit.
        out_dir: folder for the checkpoint (resume on rerun); None: no checkpoint.
        store: optional ResultStore; a finished NEB is then a lookup.
        device: device for a named model.
        progress: progress bar.

    Returns:
        :class:`NEBResult` with ``hop`` set.

    Example:
        >>> from sselab.structures import antifluorite
        >>> result = hop_barrier(antifluorite(0.0), "vac-8c-8c")  # 95 atoms # doctest: +SKIP
        >>> round(result.barrier_eV, 2)  # doctest: +SKIP
        0.25
    """
    from sselab.transport.md import to_atoms

    ends = hop_endpoints(structure, hop, mobile, supercell, index, seed)
    return run_neb(
        to_atoms(ends.initial),
        to_atoms(ends.final),
        calculator,
        n_images=n_images,
        fmax=fmax,
        max_steps=max_steps,
        checkpoint_dir=out_dir,
        store=store,
        device=device,
        hop=hop,
        progress=progress,
    )


def neb_report_section(
    model: str = "chgnet",
    store: Any | None = None,
    quick: bool = True,
    out_dir: str | Path | None = None,
) -> Any:
    """Report section "CI-NEB barriers" with "paper vs sselab" rows (for ``sselab reproduce``).

    Quick (CPU, about a minute): the Li2S vacancy hop in the conventional cell (11 atoms,
    3 images, fmax 0.1 eV/Å). Full: the Li2S vacancy hop in a 2x2x2 supercell at the
    MLIP's lattice constant and the 8c -> 24e hop in the lowest-energy ordered 2x2x2
    Li2.5N0.5S0.5 cell (5 images, fmax 0.05 eV/Å), compared with the paper's 0.38 eV
    (DFT CI-NEB on Li2.5N0.5S0.5, path not stated).

    Args:
        model: registered MLIP name.
        store: optional ResultStore (reruns are lookups).
        quick: the quick profile (True) or the full one.
        out_dir: folder for NEB checkpoints; None: no checkpoint.

    Returns:
        ``sselab.report.Section``.

    Example:
        >>> section = neb_report_section("chgnet", quick=True)  # doctest: +SKIP
        >>> section.comparisons[0].quantity  # doctest: +SKIP
        'CI-NEB barrier, Li2S 8c-8c vacancy hop (eV)'
    """
    from sselab.reference import paper_value
    from sselab.report import Comparison, Section
    from sselab.structures import antifluorite, lowest_energy_ordering

    paper = float(paper_value("transport_computed", "cineb_barrier_eV"))
    size = {"n_images": 3, "fmax": 0.1} if quick else {"n_images": 5, "fmax": 0.05}
    common = {"store": store, "out_dir": out_dir, "progress": False, **size}
    if quick:
        cases = [("Li2S", "vac-8c-8c", antifluorite(0.0), (1, 1, 1))]
    else:
        from sselab.calculators import relax

        li2s = relax(antifluorite(0.0), model, store=store).structure
        ordered, _ = lowest_energy_ordering(
            antifluorite(0.5), supercell=(2, 2, 2), n_candidates=1, calculator=model, store=store
        )
        cases = [
            ("Li2S", "vac-8c-8c", li2s, (2, 2, 2)),
            ("Li2.5N0.5S0.5", "8c-24e", ordered.structure, (1, 1, 1)),
        ]
    comparisons, figures, rows = [], [], []
    for system, hop, structure, repeat in cases:
        result = hop_barrier(structure, hop, model, supercell=repeat, **common)
        doped = system != "Li2S"
        comparisons.append(
            Comparison(
                quantity=f"CI-NEB barrier, {system} {hop} hop (eV)",
                sselab_value=result.barrier_eV,
                sselab_error=result.barrier_uncertainty_eV,
                paper_value=paper if doped else None,
                note=f"{result.model}, {result.n_atoms} atoms"
                + ("" if doped else "; the paper gives a CI-NEB barrier only for Li2.5N0.5S0.5"),
            )
        )
        figures.append(profile_figure(result, paper, "paper CI-NEB, Li2.5N0.5S0.5 (DFT)"))
        rows.append([system, hop, result.n_atoms, round(result.barrier_eV, 3), result.converged])
    return Section(
        title="Migration barriers: CI-NEB with an MLIP",
        text=(
            "Climbing-image NEB (ASE, IDPP start, FIRE) between endpoints relaxed at fixed "
            "cell; sites found from the anion sublattice. The vacancy is neutral (a Li atom "
            "removed), the usual MLIP practice. Barrier = fit maximum - E(initial); its "
            "error combines the fit-vs-climbing-image gap and the residual force."
        ),
        figures=figures,
        table_header=["system", "hop", "atoms", "barrier (eV)", "converged"],
        table_rows=rows,
        comparisons=comparisons,
        settings={"model": model, "profile": "quick" if quick else "full", **size},
    )
