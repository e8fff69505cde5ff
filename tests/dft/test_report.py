"""The DFT report section and claims row read relaxed points and GLLB-SC gaps when present."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.dft.roundtrip_cases import hull_check, single_point, tie_line_point

from sselab.dft.hull import DftHullCheck
from sselab.report.dft import dft_claim, dft_gaps_eV, dft_section


def _relaxed_check() -> DftHullCheck:
    check = hull_check()
    relaxed = replace(
        tie_line_point(), dft_energy_per_atom_eV=-3.95, dft_e_above_tie_meV_per_atom=22.0
    )
    relaxed.dft_relaxed = True
    lithium_nitride = replace(single_point(), formula="Li3N", band_gap_eV=1.02)
    return replace(
        check,
        end_members={**check.end_members, "Li3N": lithium_nitride},
        relaxed_points=[relaxed],
        gllbsc_gaps_eV={"0": 6.1, "0.5": 3.9, "1": 2.4},
    )


def test_claim_prefers_the_dft_relaxed_cell() -> None:
    single = dft_claim(hull_check(), -11.0)
    relaxed = dft_claim(_relaxed_check(), -11.0)
    assert single.sselab is not None and single.sselab.value == pytest.approx(51.1)
    assert "single point" in single.note
    assert relaxed.sselab is not None and relaxed.sselab.value == pytest.approx(22.0)
    assert "DFT-relaxed" in relaxed.note


def test_gaps_include_li3n_and_section_lists_relaxed_rows() -> None:
    check = _relaxed_check()
    assert dft_gaps_eV(check) == {0.0: 3.54, 0.5: 1.94, 1.0: 1.02}
    section = dft_section(check)
    assert [row[-1] for row in section.table_rows].count("relaxed") == 1
    assert "GLLB-SC" in section.text
    assert len(section.comparisons) == 2
