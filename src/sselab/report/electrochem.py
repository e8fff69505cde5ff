"""The paper's electrochemistry numbers, for comparison in figures and JSON outputs.

Science (:mod:`sselab.electrochem`) never reads the paper: its figures take reference
values as arguments, and the presentation layer (this module, the CLI) passes these.

Example:
    >>> paper_retention()["Li2.5N0.5S0.5"]
    0.965
    >>> paper_block("cells", "critical_current_density_mA_per_cm2")
    {'paper': {'critical_current_density_mA_per_cm2': 1.41}}
"""

from __future__ import annotations

from typing import Any

from sselab.reference import paper_value

PAPER_MATERIAL = "Li2.5N0.5S0.5"
PAPER_AGING_MATERIALS = (PAPER_MATERIAL, "Li3InCl6", "Li10GeP2S12")
PAPER_AGING_TIME_H = 12.0


def paper_retention() -> dict[str, float]:
    """The paper's conductivity retentions after 12 h against Li (fractions) by material."""
    return {m: paper_value("interface_aging", f"retention_{m}") for m in PAPER_AGING_MATERIALS}


def paper_activation_energy_eV() -> dict[str, float]:
    """The paper's measured Ea (eV) by material, as ``arrhenius_figure`` takes it."""
    key = f"activation_energy_{PAPER_MATERIAL}_eV"
    return {PAPER_MATERIAL: paper_value("transport_measured", key)}


def paper_ionic_sigma_S_per_cm() -> float:
    """The paper's room-temperature ionic conductivity (S/cm)."""
    return float(paper_value("transport_measured", f"sigma_RT_{PAPER_MATERIAL}_S_per_cm"))


def paper_orders_of_magnitude() -> float:
    """How many decades the paper's electronic conductivity lies below the ionic one."""
    return float(paper_value("transport_measured", "electronic_vs_ionic_orders_of_magnitude"))


def paper_ccd_mA_per_cm2() -> float:
    """The paper's critical current density (mA/cm²)."""
    return float(paper_value("cells", "critical_current_density_mA_per_cm2"))


def paper_block(table: str, *keys: str) -> dict[str, Any]:
    """``{"paper": {key: value}}`` to add to a JSON output (comparison, never a result)."""
    return {"paper": {key: paper_value(table, key) for key in keys}}
