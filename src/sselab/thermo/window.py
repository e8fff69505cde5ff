"""Electrochemical stability window from Li grand-potential phase diagrams.

At Li chemical potential mu_Li = mu_Li^0 - e V (V vs Li+/Li) a material of composition
c is in equilibrium with the phases of the Li grand-potential hull at c (Zhu, He & Mo,
ACS Appl. Mater. Interfaces 7, 23685 (2015), the method the paper cites). pymatgen's
``PhaseDiagram.get_element_profile`` walks mu_Li through its critical values and gives
the Li uptake (or release) and the equilibrium phases between each pair: the voltage
profile. The window is the voltage range with zero Li exchange; its lower end is the
reduction limit and its upper end the oxidation limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition, Element

from sselab.roundtrip import RoundTrip


@dataclass
class VoltagePlateau(RoundTrip):
    """A voltage range with fixed phase equilibrium.

    Attributes:
        voltage_low_V / voltage_high_V: range vs Li+/Li (the top plateau ends at +inf,
            clipped to ``max_voltage_V`` when plotted).
        li_exchange_per_fu: Li atoms taken up (+) or released (-) per formula unit of
            the starting composition, relative to the starting composition.
        phases: reduced formulas of the equilibrium phases (Li excluded).
        reaction: balanced reaction as a string.
    """

    voltage_low_V: float
    voltage_high_V: float
    li_exchange_per_fu: float
    phases: list[str]
    reaction: str


@dataclass
class StabilityWindow(RoundTrip):
    """Result of :func:`stability_window`.

    Attributes:
        composition: reduced formula of the material.
        reduction_limit_V: lowest voltage without Li uptake (0 = stable against Li metal).
        oxidation_limit_V: highest voltage without Li release.
        plateaus: voltage profile, low to high voltage.
        mu_li0_eV: energy per atom of the Li reference.
        note: how the material's own energy entered.
        extra: further JSON-able facts a caller attaches.
    """

    composition: str
    reduction_limit_V: float
    oxidation_limit_V: float
    plateaus: list[VoltagePlateau]
    mu_li0_eV: float
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def phases_at_li_metal(self) -> list[str]:
        """Phases in equilibrium with Li metal (the plateau holding 0 V; Li excluded):
        the material itself where it is stable, its reduction products otherwise.

        Example:
            >>> from pymatgen.analysis.phase_diagram import PDEntry
            >>> entries = [PDEntry("Li", -1.9), PDEntry("S", -4.1), PDEntry("Li2S", -13.6)]
            >>> stability_window("Li2S", PhaseDiagram(entries)).phases_at_li_metal()
            ['Li2S']
        """
        # the plateaus run from low to high voltage and the last one ends at +inf
        return list(next(p for p in self.plateaus if p.voltage_high_V > 0).phases)


def stability_window(
    composition: Composition | str, phase_diagram: PhaseDiagram, tolerance: float = 1e-6
) -> StabilityWindow:
    """Voltage profile and stability window of a composition vs Li+/Li.

    Args:
        composition: the material's composition (need not be on the hull: a metastable
            phase is treated through its hull decomposition products).
        phase_diagram: a PhaseDiagram whose elements include Li and the composition's.
        tolerance: Li exchange per formula unit treated as zero.

    Returns:
        StabilityWindow with the reduction and oxidation limits in V vs Li+/Li.

    Example:
        >>> from pymatgen.analysis.phase_diagram import PDEntry
        >>> entries = [PDEntry("Li", -1.9), PDEntry("S", -4.1), PDEntry("Li2S", -13.6)]
        >>> w = stability_window("Li2S", PhaseDiagram(entries))
        >>> # oxidation limit: (1.9*2 + 4.1 - 13.6) / 2
        >>> float(w.reduction_limit_V), round(float(w.oxidation_limit_V), 2)
        (0.0, 2.85)
    """
    comp = Composition(composition)
    li = Element("Li")
    if li not in phase_diagram.elements:
        raise ValueError("the phase diagram has no Li: a window vs Li+/Li needs Li")
    missing = [str(el) for el in comp.elements if el not in phase_diagram.elements]
    if missing:
        raise ValueError(f"{comp.reduced_formula}: elements {missing} are not in the phase diagram")
    mu_li0 = phase_diagram.el_refs[li].energy_per_atom
    profile = phase_diagram.get_element_profile(li, comp)
    # The profile lists critical mu_Li from high (Li-rich) to low; step k holds between
    # chempot[k] and chempot[k+1] (the last step extends to mu_Li -> -inf).
    voltages = [-(step["chempot"] - mu_li0) for step in profile]
    plateaus = []
    for k, step in enumerate(profile):
        low = max(0.0, voltages[k])
        high = voltages[k + 1] if k + 1 < len(profile) else math.inf
        phases = sorted(
            e.composition.reduced_formula
            for e in step["entries"]
            if e.composition.reduced_formula != "Li"
        )
        plateaus.append(
            VoltagePlateau(
                voltage_low_V=low,
                voltage_high_V=high,
                li_exchange_per_fu=float(step["evolution"]),
                phases=phases,
                reaction=str(step["reaction"]),
            )
        )
    stable = [p for p in plateaus if abs(p.li_exchange_per_fu) <= tolerance]
    if not stable:
        raise ValueError(f"{comp.reduced_formula} exchanges Li at every voltage")
    return StabilityWindow(
        composition=comp.reduced_formula,
        reduction_limit_V=min(p.voltage_low_V for p in stable),
        oxidation_limit_V=max(p.voltage_high_V for p in stable),
        plateaus=plateaus,
        mu_li0_eV=mu_li0,
    )
