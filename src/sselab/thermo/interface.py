"""Interface reactivity: pseudo-binary reaction energy between an electrolyte and an anode.

For a mixing ratio r (molar fraction of the electrolyte's formula-unit-normalised
composition, pymatgen's ``norm=True``) the reaction energy is the hull energy of
r c_electrolyte + (1 - r) c_anode minus the mixture of the reactants' hull energies
(``use_hull_energy=True``): what contact with the anode adds beyond the electrolyte's
own decomposition, so a metastable electrolyte that merely decomposes into phases
stable with the anode (Li(2+x)N(x)S(1-x) -> Li2S + Li3N) reacts with 0 eV/atom.
Richards et al., Chem. Mater. 28, 266 (2016), the paper's reference 13.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymatgen.analysis.interface_reactions import InterfacialReactivity
from pymatgen.analysis.phase_diagram import PhaseDiagram
from pymatgen.core import Composition

from sselab.roundtrip import RoundTrip


@dataclass
class InterfaceReaction(RoundTrip):
    """Pseudo-binary reaction energy profile of electrolyte + anode.

    Attributes:
        electrolyte / anode: reduced formulas.
        mixing_ratios: kinks, molar fraction of electrolyte (0 = pure anode... see
            ``x_is_electrolyte_fraction``), from 0 to 1.
        energies_eV_per_atom: reaction energy at each kink.
        reactions: balanced reaction at each kink.
        min_energy_eV_per_atom: most negative reaction energy (0 if none).
        min_ratio: mixing ratio where it occurs.
        min_products: reduced formulas of the products there.
    """

    electrolyte: str
    anode: str
    mixing_ratios: list[float]
    energies_eV_per_atom: list[float]
    reactions: list[str]
    min_energy_eV_per_atom: float
    min_ratio: float
    min_products: list[str]


def interface_reaction(
    electrolyte: Composition | str, anode: Composition | str, phase_diagram: PhaseDiagram
) -> InterfaceReaction:
    """Reaction energy vs mixing ratio between an electrolyte and an anode.

    Args:
        electrolyte: electrolyte composition.
        anode: anode composition (e.g. "Li", "LiIn", "Li15Si4", "LiC6").
        phase_diagram: PhaseDiagram spanning both compositions' elements.

    Returns:
        InterfaceReaction; mixing ratio r is the atom fraction of electrolyte in the
        mixture: r = 1 pure electrolyte, r = 0 pure anode. Reactants enter at their
        hull energy (pymatgen ``use_hull_energy=True``), so the reaction energy is
        that of a reaction with the anode: a metastable electrolyte's own
        decomposition (its E_hull, reported by ``sselab.thermo.hull``) is not counted
        twice, which is the convention of the paper's 0 eV/atom with Li metal.

    Example:
        >>> from pymatgen.analysis.phase_diagram import PDEntry
        >>> pd = PhaseDiagram([PDEntry("Li", -1.9), PDEntry("S", -4.1), PDEntry("Li2S", -13.6),
        ...                     PDEntry("LiS", -8.0)])
        >>> r = interface_reaction("LiS", "Li", pd)
        >>> round(r.min_energy_eV_per_atom, 3), r.min_products
        (-0.95, ['Li2S'])
    """
    c_el, c_an = Composition(electrolyte), Composition(anode)
    missing = sorted(
        {str(el) for c in (c_el, c_an) for el in c.elements}
        - {str(el) for el in phase_diagram.elements}
    )
    if missing:
        raise ValueError(f"elements {missing} are not in the phase diagram")
    reactivity = InterfacialReactivity(c_el, c_an, phase_diagram, norm=True, use_hull_energy=True)
    kinks = list(reactivity.get_kinks())
    # pymatgen's x is the fraction of c1 (here: the electrolyte).
    ratios = [float(k[1]) for k in kinks]
    energies = [float(k[2]) for k in kinks]
    reactions = [str(k[3]) for k in kinks]
    k_min = min(range(len(kinks)), key=lambda k: energies[k])
    products = (
        sorted({p.reduced_formula for p in kinks[k_min][3].products})
        if energies[k_min] < 0
        else sorted({c_el.reduced_formula, c_an.reduced_formula})
    )
    return InterfaceReaction(
        electrolyte=c_el.reduced_formula,
        anode=c_an.reduced_formula,
        mixing_ratios=ratios,
        energies_eV_per_atom=energies,
        reactions=reactions,
        min_energy_eV_per_atom=min(0.0, energies[k_min]),
        min_ratio=ratios[k_min],
        min_products=products,
    )
