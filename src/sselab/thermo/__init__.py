"""Thermodynamics of M(2+x)A'(x)A(1-x): convex hull, finite-temperature E_hull, window, interfaces.

Example:
    >>> from sselab.thermo import tie_line_energy_per_atom
    >>> round(tie_line_energy_per_atom(0.5, -4.0, -5.0), 4)
    -4.5714
"""

from sselab.thermo.energies import (
    SCHEMES,
    PhaseEnergy,
    entries_from_energies,
    relax_phases,
    to_entry,
)
from sselab.thermo.free_energy import (
    FiniteTemperatureHull,
    VibrationalFreeEnergy,
    configurational_entropy_kB_per_fu,
    finite_temperature_e_hull,
    vibrational_free_energy,
)
from sselab.thermo.hull import (
    FULL,
    HULL_XS,
    LI_N_S_PHASES,
    QUICK,
    QUICK_XS,
    HullSettings,
    LiNSHull,
    SolidSolutionPoint,
    energy_above_tie_meV_per_atom,
    li_n_s_hull,
    tie_line_energy_per_atom,
)
from sselab.thermo.interface import InterfaceReaction, interface_reaction
from sselab.thermo.study import (
    ANODES,
    WINDOW_X,
    ThermoStudy,
    finite_temperature_hulls,
    thermo_study,
)
from sselab.thermo.systems import phase_diagram_for, phases_in_system, structure_entry
from sselab.thermo.window import StabilityWindow, VoltagePlateau, stability_window

__all__ = [
    "ANODES",
    "FULL",
    "HULL_XS",
    "LI_N_S_PHASES",
    "QUICK",
    "QUICK_XS",
    "SCHEMES",
    "WINDOW_X",
    "FiniteTemperatureHull",
    "HullSettings",
    "InterfaceReaction",
    "LiNSHull",
    "PhaseEnergy",
    "SolidSolutionPoint",
    "StabilityWindow",
    "ThermoStudy",
    "VibrationalFreeEnergy",
    "VoltagePlateau",
    "configurational_entropy_kB_per_fu",
    "energy_above_tie_meV_per_atom",
    "entries_from_energies",
    "finite_temperature_e_hull",
    "finite_temperature_hulls",
    "interface_reaction",
    "li_n_s_hull",
    "phase_diagram_for",
    "phases_in_system",
    "relax_phases",
    "stability_window",
    "structure_entry",
    "thermo_study",
    "tie_line_energy_per_atom",
    "to_entry",
    "vibrational_free_energy",
]
