"""Report section and claims row of the DFT check (GPAW PBE inside sselab).

The paper's E above the tie line is a VASP PBE number; the DFT stage recomputes it
with GPAW PBE at the MLIP geometries, so the report can say which MLIP the first
principles side with. The paper's sample colours (white Li2S to dark-red Li3N) are
drawn beside the computed PBE gaps.
"""

from __future__ import annotations

from sselab.dft.hull import DftHullCheck
from sselab.estimate import Estimate
from sselab.report.claims import Claim, judge, paper_number
from sselab.report.html import Comparison, Section

# Sample colours the paper reports (optical photographs): x -> colour; Li3N is x = 1.
OBSERVED_COLOURS: dict[float, str] = {
    0.0: "white",
    0.1: "yellow",
    0.5: "orange",
    0.7: "purple",
    1.0: "darkred",
}
E_HULL_TOLERANCE_MEV = 10.0
X_HALF = 0.5


def dft_gaps_eV(check: DftHullCheck) -> dict[float, float]:
    """x -> PBE gap of the lowest DFT cell (x = 0: Li2S, x = 1: α-Li3N)."""
    gaps = {p.x: check.lowest(p.x).band_gap_eV for p in check.points}
    for name, x in (("Li2S", 0.0), ("Li3N", 1.0)):
        if name in check.end_members:
            gaps[x] = check.end_members[name].band_gap_eV
    return dict(sorted(gaps.items()))


def dft_claim(check: DftHullCheck | None, mlip_e_above_tie_meV_per_atom: float | None) -> Claim:
    """The E_hull claim judged on sselab's own DFT (PBE at the MLIP geometry)."""
    paper = paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    claim = "Metastable: E above the Li2S–Li3N tie (DFT in sselab, GPAW PBE)"
    if check is None:
        return judge(claim, paper, "meV/atom", None, note="dft stage not run")
    relaxed = any(abs(p.x - X_HALF) < 1e-9 for p in check.relaxed_points)
    point = check.lowest(X_HALF, relaxed=relaxed)
    value = Estimate.exact(point.dft_e_above_tie_meV_per_atom, "meV/atom")
    geometry = (
        "DFT-relaxed (positions and volume, cubic shape kept) from the"
        if relaxed
        else "single point at the"
    )
    mlip = (
        ""
        if mlip_e_above_tie_meV_per_atom is None
        else f"; the MLIP puts the same cell at {mlip_e_above_tie_meV_per_atom:+.0f}"
    )
    return judge(
        claim,
        paper,
        "meV/atom",
        value,
        tolerance=E_HULL_TOLERANCE_MEV,
        note=(
            f"{geometry} {check.model} geometry ({point.n_atoms} atoms, residual DFT "
            f"force {point.max_force_eV_per_angstrom:.2f} eV/Å), "
            f"{check.settings.cutoff_eV:g} eV{mlip}"
        ),
    )


def dft_section(check: DftHullCheck) -> Section:
    """E above the tie line by DFT vs the MLIP per cell, PBE gaps vs x with the sample colours.

    Example:
        >>> dft_section(check).title  # doctest: +SKIP
        'DFT check (GPAW PBE): energy above the tie line and band gaps'
    """
    from sselab.dft.figures import gap_vs_x_figure

    paper = paper_number("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
    rows = [
        [
            f"{p.x:g}",
            p.ordering,
            p.n_atoms,
            round(p.mlip_e_above_tie_meV_per_atom, 1),
            round(p.dft_e_above_tie_meV_per_atom, 1),
            round(p.band_gap_eV, 2),
            round(p.max_force_eV_per_angstrom, 2),
            "relaxed" if p.dft_relaxed else "MLIP geometry",
        ]
        for p in sorted(
            [*check.points, *check.relaxed_points], key=lambda p: (p.x, p.ordering, p.dft_relaxed)
        )
    ]
    for name, single in check.end_members.items():
        rows.append([name, "-", single.n_atoms, 0.0, 0.0, round(single.band_gap_eV, 2), "-", "-"])
    comparisons = []
    if any(abs(p.x - X_HALF) < 1e-9 for p in check.points):
        comparisons.append(
            Comparison(
                "E above Li2S–Li3N tie, x = 0.5, GPAW PBE at MLIP geometry (meV/atom)",
                check.lowest(X_HALF).dft_e_above_tie_meV_per_atom,
                None,
                paper,
                "paper: VASP PBE; sselab: single point, not DFT-relaxed",
            )
        )
    if any(abs(p.x - X_HALF) < 1e-9 for p in check.relaxed_points):
        comparisons.append(
            Comparison(
                "E above Li2S–Li3N tie, x = 0.5, GPAW PBE, DFT-relaxed (meV/atom)",
                check.lowest(X_HALF, relaxed=True).dft_e_above_tie_meV_per_atom,
                None,
                paper,
                "paper: VASP PBE, relaxed; sselab: lowest MLIP ordering relaxed with GPAW",
            )
        )
    offset = check.energy_offset_meV_per_atom
    gllbsc_note = (
        "; the GLLB-SC quasiparticle gaps (derivative discontinuity included) are drawn beside them"
        if check.gllbsc_gaps_eV
        else ""
    )
    return Section(
        title="DFT check (GPAW PBE): energy above the tie line and band gaps",
        text=(
            f"GPAW plane-wave PAW PBE single points at the {check.model} geometries"
            f"{', and DFT relaxations of the lowest' if check.relaxed_points else ''}. DFT "
            f"minus MLIP energy per atom: {offset.format()} — not a constant shift, so it "
            "does not cancel on the tie line. The PBE gap falls with x, the trend behind the "
            "samples' colours (white Li2S to dark-red Li3N); PBE underestimates gaps, so "
            "compare the trend, not the values, with the colours"
            f"{gllbsc_note}."
        ),
        figures=[
            gap_vs_x_figure(
                dft_gaps_eV(check),
                corrected_gaps_eV={float(x): gap for x, gap in check.gllbsc_gaps_eV.items()},
                corrected_label="GLLB-SC (KS gap + Δxc)",
                observed_colours=OBSERVED_COLOURS,
            )
        ],
        table_header=[
            "x",
            "ordering",
            "atoms",
            "MLIP E above tie (meV/atom)",
            "DFT E above tie (meV/atom)",
            "PBE gap (eV)",
            "max DFT force (eV/Å)",
            "geometry",
        ],
        table_rows=rows,
        comparisons=comparisons,
        settings={
            "code": next(iter(check.end_members.values())).code if check.end_members else "",
            "cutoff (eV)": check.settings.cutoff_eV,
            "k-point density (1/Å)": check.settings.kpoint_density_per_inv_angstrom,
            "ordering rank Spearman (MLIP vs DFT)": check.rank_spearman,
        },
    )
