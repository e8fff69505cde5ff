"""Free energies at finite temperature: ideal configurational entropy and harmonic phonons.

G(x, T) per formula unit of Li(2+x)N(x)S(1-x) = E0 + F_vib(T) - T S_conf, with

* S_conf the ideal (random) mixing entropy of the two mixed sublattices of the
  disordered Fm-3m cell: 4a (S(1-x) N(x), one site per formula unit) and 24e (x Li on
  six sites per formula unit, occupancy c = x/6). This is an upper bound: the
  hard-core repulsion of neighbouring interstitials removes configurations.
* F_vib the harmonic vibrational free energy (zero-point energy included) from
  phonopy finite displacements with the same MLIP, for the ordered cell and for the
  Li2S and Li3N end members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from pymatgen.core import Structure

from sselab.calculators import get_calculator, model_label
from sselab.roundtrip import RoundTrip
from sselab.units import BOLTZMANN_EV_PER_K, T_300K

KJ_PER_MOL_TO_EV = 1 / 96.48533212


def _mixing(c: float) -> float:
    """-[c ln c + (1 - c) ln(1 - c)], 0 at c = 0 or 1."""
    return -sum(p * math.log(p) for p in (c, 1 - c) if p > 0)


def configurational_entropy_kB_per_fu(x: float) -> float:
    """Ideal mixing entropy (units of k_B) per formula unit of Li(2+x)N(x)S(1-x).

    4a: one site per formula unit holding S(1-x)N(x); 24e: six sites per formula unit,
    x of them holding Li.

    Example:
        >>> round(configurational_entropy_kB_per_fu(0.5), 3)  # ln 2 + 6 s(1/12)
        2.414
    """
    if not 0 <= x <= 1:
        raise ValueError(f"x = {x} outside [0, 1]")
    return _mixing(x) + 6 * _mixing(x / 6)


@dataclass
class VibrationalFreeEnergy(RoundTrip):
    """Harmonic phonon free energy of one relaxed cell.

    Attributes:
        formula: reduced formula.
        temperatures_K: temperatures.
        free_energy_eV_per_atom: F_vib(T) per atom, zero-point energy included.
        n_imaginary_modes: mesh modes with frequency below -0.1 THz (left out of F).
        n_modes: modes on the mesh.
        supercell: phonopy supercell matrix diagonal.
        model: model label.
    """

    formula: str
    temperatures_K: list[float]
    free_energy_eV_per_atom: list[float]
    n_imaginary_modes: int
    n_modes: int
    supercell: list[int]
    model: str

    def at(self, temperature_K: float) -> float:
        """F_vib in eV/atom at one temperature (linear interpolation)."""
        return float(np.interp(temperature_K, self.temperatures_K, self.free_energy_eV_per_atom))


def phonon_supercell(structure: Structure, min_length_angstrom: float) -> list[int]:
    """Diagonal multiples making every perpendicular cell height >= min_length.

    Example:
        >>> from pymatgen.core import Lattice
        >>> phonon_supercell(Structure(Lattice.cubic(4.0), ["Li"], [[0, 0, 0]]), 7.0)
        [2, 2, 2]
    """
    from sselab.structures.cells import perpendicular_heights_angstrom

    heights = perpendicular_heights_angstrom(structure.lattice.matrix)
    return [max(1, math.ceil(min_length_angstrom / h - 1e-9)) for h in heights]


def _phonopy_free_energy(
    structure: Structure,
    model: str,
    temperatures_K: Sequence[float],
    supercell: list[int],
    mesh_density: float,
) -> dict[str, Any]:
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms
    from pymatgen.io.ase import AseAtomsAdaptor

    calculator = get_calculator(model)
    unitcell = PhonopyAtoms(
        symbols=[site.specie.symbol for site in structure],
        cell=structure.lattice.matrix,
        scaled_positions=structure.frac_coords,
    )
    # "P": the given cell is the primitive cell of the calculation, so phonopy's
    # per-cell free energy divides by len(structure) below (phonopy 4 defaults to
    # "auto", which would silently rescale conventional cells).
    phonon = Phonopy(unitcell, supercell_matrix=np.diag(supercell), primitive_matrix="P")
    phonon.generate_displacements(distance=0.01)
    forces = []
    for displaced in phonon.supercells_with_displacements or []:
        atoms = AseAtomsAdaptor.get_atoms(
            Structure(displaced.cell, displaced.symbols, displaced.scaled_positions)
        )
        atoms.calc = calculator
        forces.append(atoms.get_forces().copy())
    phonon.forces = np.array(forces)
    phonon.produce_force_constants()
    # MLIP forces break the acoustic sum rule by ~0.2 THz at Gamma (measured with
    # CHGNet on Li2S), which shows up as spurious imaginary modes; impose it.
    phonon.symmetrize_force_constants(show_drift=False)
    reciprocal = structure.lattice.reciprocal_lattice.abc
    mesh = [max(1, math.ceil(mesh_density * r / (2 * math.pi))) for r in reciprocal]
    phonon.run_mesh(mesh)
    frequencies = np.asarray(cast(dict[str, Any], phonon.get_mesh_dict())["frequencies"])
    phonon.run_thermal_properties(temperatures=list(temperatures_K), cutoff_frequency=0.1)
    thermal = phonon.get_thermal_properties_dict()
    n = len(structure)
    return {
        "free_energy_eV_per_atom": [
            float(f) * KJ_PER_MOL_TO_EV / n for f in thermal["free_energy"]
        ],
        "n_imaginary_modes": int((frequencies < -0.1).sum()),
        "n_modes": int(frequencies.size),
        "n_displacements": len(forces),
    }


def vibrational_free_energy(
    structure: Structure,
    model: str = "chgnet",
    temperatures_K: Sequence[float] = (0.0, 300.0),
    min_length_angstrom: float = 5.0,
    mesh_density: float = 60.0,
    store: Any | None = None,
) -> VibrationalFreeEnergy:
    """Harmonic F_vib(T) per atom of a relaxed cell with phonopy and an MLIP.

    Args:
        structure: relaxed, ordered structure (relax with the same model first).
        model: registered MLIP name.
        temperatures_K: temperatures in K.
        min_length_angstrom: phonopy supercell heights at least this (5 Å quick, 10 full).
        mesh_density: q-mesh points per Å^-1 of reciprocal length (times 2 pi).
        store: optional ResultStore (cached by structure, model and settings).

    Returns:
        VibrationalFreeEnergy; imaginary modes are excluded and counted.

    Example:
        >>> from sselab.structures import antifluorite
        >>> from sselab.calculators import relax
        >>> li2s = relax(antifluorite(0).get_primitive_structure(), fmax=0.05).structure
        >>> f = vibrational_free_energy(li2s, temperatures_K=[0, 300])  # doctest: +SKIP
        >>> f.at(0) > 0  # zero-point energy  # doctest: +SKIP
        True
    """
    supercell = phonon_supercell(structure, min_length_angstrom)
    label = model_label(model)

    def compute() -> dict[str, Any]:
        return _phonopy_free_energy(structure, model, temperatures_K, supercell, mesh_density)

    inputs = {
        "structure": structure,
        "model": label,
        "temperatures_K": list(temperatures_K),
        "supercell": supercell,
        "mesh_density": mesh_density,
    }
    payload = compute() if store is None else store.cached("phonon_free_energy", inputs, compute)
    return VibrationalFreeEnergy(
        formula=structure.composition.reduced_formula,
        temperatures_K=[float(t) for t in temperatures_K],
        free_energy_eV_per_atom=payload["free_energy_eV_per_atom"],
        n_imaginary_modes=payload["n_imaginary_modes"],
        n_modes=payload["n_modes"],
        supercell=supercell,
        model=label,
    )


@dataclass
class FiniteTemperatureHull(RoundTrip):
    """E above the Li2S–Li3N tie line at temperature T, split into its parts (meV/atom).

    Attributes:
        x: N fraction.
        temperature_K: T.
        e0_meV_per_atom: 0 K (static) energy above the tie line.
        vibrational_meV_per_atom: F_vib(ordered cell) - tie line of F_vib(Li2S, Li3N).
        configurational_meV_per_atom: -T S_conf (ideal, upper bound on its size).
        g_vib_meV_per_atom: e0 + vibrational (ordered cell with phonons).
        g_total_meV_per_atom: e0 + vibrational + configurational (disordered limit).
        n_imaginary_modes: imaginary modes in the ordered cell's phonon mesh.
        imaginary_mode_fraction: their share of all mesh modes; above ~1 % the ordered
            cell is dynamically unstable and F_vib (real modes only) is not trustworthy.
    """

    x: float
    temperature_K: float
    e0_meV_per_atom: float
    vibrational_meV_per_atom: float
    configurational_meV_per_atom: float
    g_vib_meV_per_atom: float
    g_total_meV_per_atom: float
    n_imaginary_modes: int
    imaginary_mode_fraction: float


def finite_temperature_e_hull(
    x: float,
    e0_meV_per_atom: float,
    f_solution: VibrationalFreeEnergy,
    f_li2s: VibrationalFreeEnergy,
    f_li3n: VibrationalFreeEnergy,
    temperature_K: float = T_300K,
) -> FiniteTemperatureHull:
    """Combine the 0 K tie-line energy with vibrational and configurational terms.

    Example:
        >>> f = VibrationalFreeEnergy("X", [0.0, 300.0], [0.0, 0.0], 0, 3, [1, 1, 1], "m")
        >>> r = finite_temperature_e_hull(0.5, 17.0, f, f, f, 300.0)
        >>> round(r.configurational_meV_per_atom, 1)  # -kT * 2.414 / 3.5
        -17.8
    """
    from sselab.thermo.hull import tie_line_energy_per_atom

    tie = tie_line_energy_per_atom(x, f_li2s.at(temperature_K), f_li3n.at(temperature_K))
    vibrational = 1000 * (f_solution.at(temperature_K) - tie)
    configurational = (
        -1000 * BOLTZMANN_EV_PER_K * temperature_K * configurational_entropy_kB_per_fu(x) / (3 + x)
    )
    return FiniteTemperatureHull(
        x=x,
        temperature_K=temperature_K,
        e0_meV_per_atom=e0_meV_per_atom,
        vibrational_meV_per_atom=vibrational,
        configurational_meV_per_atom=configurational,
        g_vib_meV_per_atom=e0_meV_per_atom + vibrational,
        g_total_meV_per_atom=e0_meV_per_atom + vibrational + configurational,
        n_imaginary_modes=f_solution.n_imaginary_modes,
        imaginary_mode_fraction=f_solution.n_imaginary_modes / max(f_solution.n_modes, 1),
    )
