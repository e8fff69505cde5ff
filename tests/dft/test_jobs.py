"""DFT jobs: physics at cheap settings, a repeat is a store lookup, a killed relaxation resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sselab.dft import DftRelaxation, DftRelaxSettings, DftSinglePoint, dft_relax, dft_single_point
from sselab.store import ResultStore
from sselab.structures.references import alpha_li3n

# Published PBE values the tests compare with:
# Li2S: a = 5.72 Å (Materials Project mp-1153, PBE); Kohn-Sham gap 3.3-3.4 eV, Γ→X.
# α-Li3N: Kohn-Sham gap ~1.0 eV (Materials Project mp-2251, PBE).
LI2S_PBE_A_ANGSTROM = 5.72
LI2S_PBE_GAP_EV = 3.37
LI3N_PBE_GAP_EV = 1.0


def test_li2s_single_point_gap_and_store_lookup(store: ResultStore, cheap, li2s_primitive) -> None:
    first = dft_single_point(li2s_primitive, cheap, store=store)
    assert first.kpoint_grid == (4, 4, 4)  # even: holds X, where the CBM lies
    assert first.band_gap_eV == pytest.approx(LI2S_PBE_GAP_EV, abs=0.15)
    assert first.max_force_eV_per_angstrom < 1e-3  # every site is a centre of symmetry
    assert (store.hits, store.misses) == (0, 1)
    repeat = dft_single_point(li2s_primitive.copy(), cheap, store=store)
    assert (store.hits, store.misses) == (1, 1)
    assert repeat.energy_eV == first.energy_eV
    assert list(store.execution_counts("dft-single").values()) == [1]
    decoded = DftSinglePoint.from_dict(json.loads(json.dumps(first.as_dict())))
    assert decoded.settings == cheap and decoded.kpoint_grid == (4, 4, 4)


def test_killed_relaxation_resumes_from_its_checkpoint(
    tmp_path: Path, cheap, li2s_primitive
) -> None:
    compressed = li2s_primitive.copy()
    compressed.scale_lattice(0.92 * compressed.volume)
    settings = DftRelaxSettings(fmax_eV_per_angstrom=0.01)
    seen: list[int] = []

    def kill_at_step_two(step: int, energy_eV: float, fmax: float) -> None:
        seen.append(step)
        if step == 2:
            raise KeyboardInterrupt  # the job dies after step 2 was checkpointed

    with pytest.raises(KeyboardInterrupt):
        dft_relax(
            compressed, cheap, settings, checkpoint_dir=tmp_path, on_ionic_step=kill_at_step_two
        )
    folder = next(tmp_path.glob("dft-relax-*"))
    assert {p.name for p in folder.iterdir()} >= {"relaxation.traj", "bfgs.json", "state.gpw"}

    resumed_steps: list[int] = []
    result = dft_relax(
        compressed,
        cheap,
        settings,
        checkpoint_dir=tmp_path,
        on_ionic_step=lambda step, *_: resumed_steps.append(step),
    )
    assert result.resumed_from_step == 2 and resumed_steps[0] == 2  # no step redone
    assert result.converged and result.n_steps == resumed_steps[-1]
    a = result.abc_angstrom[0] * 2**0.5  # primitive fcc edge -> cubic a
    assert a == pytest.approx(LI2S_PBE_A_ANGSTROM, rel=0.015)  # 300 eV: not converged
    assert abs(result.final.pressure_GPa) < 0.5
    assert (
        DftRelaxation.from_dict(json.loads(json.dumps(result.as_dict()))).n_steps == result.n_steps
    )


@pytest.mark.slow
def test_li2s_pbe_lattice_constant_within_one_percent(store: ResultStore, li2s_primitive) -> None:
    start = li2s_primitive.copy()
    start.scale_lattice(0.95 * start.volume)
    result = dft_relax(
        start, store=store, relax_settings=DftRelaxSettings(fmax_eV_per_angstrom=0.005)
    )
    a = result.abc_angstrom[0] * 2**0.5
    assert result.converged
    assert a == pytest.approx(LI2S_PBE_A_ANGSTROM, rel=0.01)  # measured 5.730 Å at 900 eV


@pytest.mark.slow
def test_alpha_li3n_relaxes_near_pbe_cell(store: ResultStore) -> None:
    result = dft_relax(
        alpha_li3n(),
        store=store,
        relax_settings=DftRelaxSettings(cell="full", fmax_eV_per_angstrom=0.005),
    )
    a, _, c = result.abc_angstrom
    # PBE overestimates the experimental cell (3.648, 3.875 Å) by about 0.5 %; the
    # 1-electron Li setup does not spoil it (measured 3.666, 3.903 Å at 900 eV)
    assert a == pytest.approx(3.648, rel=0.012) and c == pytest.approx(3.875, rel=0.012)
