"""The measured stage: the example set's round trip, manifest errors, discovery by name."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from sselab.estimate import Estimate
from sselab.pipeline.measured import (
    MANIFEST_NAME,
    ManifestError,
    MeasuredResults,
    analyse_measured,
    example_folder,
    read_manifest,
    resolve_measured_folder,
)
from sselab.pipeline.measured_example import TRUTH, write_example_set


def _inside(truth: float, estimate: Estimate | None) -> bool:
    assert estimate is not None and estimate.ci95 is not None
    low, high = estimate.ci95
    return low <= truth <= high


def test_example_set_is_synthetic_labelled_and_small() -> None:
    folder = example_folder()
    manifest = read_manifest(folder)
    assert manifest.synthetic and manifest.truth["a_angstrom"] == TRUTH["a_angstrom"]
    assert "SYNTHETIC" in (folder / MANIFEST_NAME).read_text()
    files = [p for p in folder.rglob("*") if p.is_file()]
    data = [p for p in files if p.name != MANIFEST_NAME and "LICENSE" not in p.name]
    # every file is named for what it is: generated (synthetic_*) or a real instrument file
    assert all(p.name.startswith(("synthetic_", "real_")) for p in data)
    assert (folder / "LICENSE-impedance.py.txt").is_file()  # the real file's licence
    assert sum(p.stat().st_size for p in files) < 2_000_000


def test_example_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The committed set is what the packaged generator writes (seeded): same files, same
    manifest, numbers within 5 % (a changed simulator moves Poisson counts a little; more
    means: regenerate with ``python -m sselab.pipeline.measured_example``)."""
    write_example_set(tmp_path)
    assert (tmp_path / MANIFEST_NAME).read_text() == (example_folder() / MANIFEST_NAME).read_text()
    for generated in (p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".toml"):
        committed = example_folder() / generated.relative_to(tmp_path)
        if generated.suffix == ".instprm":
            assert generated.read_text() == committed.read_text()
            continue
        delimiter = "," if generated.suffix == ".csv" else None
        new, old = (np.loadtxt(p, delimiter=delimiter, skiprows=1) for p in (generated, committed))
        np.testing.assert_allclose(new, old, rtol=0.05, atol=1e-9, err_msg=generated.name)


def test_every_section_of_the_example_set_is_analysed(example: MeasuredResults) -> None:
    assert example.errors == {}
    assert example.analysed == [
        "xrd",
        "eis_rt",
        "eis_extra",
        "arrhenius",
        "dcpol",
        "aging",
        "symmetric",
        "ccd",
        "full_cell",
    ]
    # the real ZPlot file: its header announces more points than it holds
    assert "truncated" in example.warnings["eis_extra"][0]
    assert example.eis_extra[0].fit.resistance_ohm.value == pytest.approx(650.8, rel=0.01)


def test_round_trip_refinement_recovers_a_and_24e_occupancy(example: MeasuredResults) -> None:
    """Round trip: joint Cu Kα + TOF Rietveld of the synthetic patterns."""
    fit = example.refinement
    assert fit is not None
    assert _inside(TRUTH["a_angstrom"], fit.estimate("a"))
    assert _inside(TRUTH["occupancy_24e"], fit.estimate("occ[Li 24e]"))


def test_round_trip_impedance_recovers_sigma_and_activation_energy(
    example: MeasuredResults,
) -> None:
    """Round trip: sigma(25 °C) from the RT spectrum and the series, Ea from the series."""
    assert example.eis_rt is not None and example.eis_rt.conductivity is not None
    assert _inside(TRUTH["sigma_25C_S_per_cm"], example.eis_rt.conductivity.sigma_S_per_cm)
    assert example.arrhenius is not None
    assert _inside(TRUTH["activation_energy_eV"], example.arrhenius.activation_energy_eV)
    assert _inside(TRUTH["sigma_25C_S_per_cm"], example.arrhenius.sigma_25C_S_per_cm)


def test_round_trip_dc_polarisation_and_aging(example: MeasuredResults) -> None:
    """Round trip: electronic sigma and the ionic/electronic decades; 12 h retention."""
    dcpol = example.dcpol
    assert dcpol is not None and dcpol.conductivity is not None
    assert _inside(TRUTH["electronic_sigma_S_per_cm"], dcpol.conductivity.sigma_S_per_cm)
    decades = TRUTH["sigma_25C_S_per_cm"] / TRUTH["electronic_sigma_S_per_cm"]
    assert dcpol.orders_of_magnitude is not None
    assert dcpol.orders_of_magnitude.value == pytest.approx(math.log10(decades), abs=0.01)
    assert example.aging is not None
    assert _inside(TRUTH["retention_12h"], example.aging.final_retention)


def test_round_trip_cells(example: MeasuredResults) -> None:
    """Round trip: overpotential, CCD within its step, capacity, CE and retention."""
    assert example.symmetric is not None and example.symmetric.short is None
    plateau = TRUTH["symmetric_current_density_mA_per_cm2"] * 1e-3 * TRUTH["symmetric_ohm_cm2"]
    assert example.symmetric.half_cycles[5].overpotential_V == pytest.approx(plateau, rel=0.05)
    assert example.ccd is not None and example.ccd.ccd_mA_per_cm2 is not None
    ccd = example.ccd.ccd_mA_per_cm2
    assert ccd.error_kind == "resolution" and ccd.error is not None
    assert ccd.value - ccd.error < TRUTH["ccd_mA_per_cm2"] <= ccd.value + 1e-9
    full = example.full_cell
    assert full is not None
    assert full.initial_discharge_mAh_per_g == pytest.approx(
        TRUTH["initial_discharge_mAh_per_g"], rel=2e-3
    )
    assert full.initial_coulombic_efficiency == pytest.approx(
        TRUTH["coulombic_efficiency"], abs=1e-3
    )
    assert full.retention[-1] == pytest.approx(TRUTH["final_retention"], abs=2e-3)


def test_results_round_trip_through_json(example: MeasuredResults) -> None:
    import json

    again = MeasuredResults.from_dict(json.loads(json.dumps(example.as_dict())))
    assert again.analysed == example.analysed
    assert again.full_cell_data is not None and again.refinement is not None


def _copy_without_xrd(tmp_path: Path) -> Path:
    """The example set without its patterns (the refinement is the slow section)."""
    folder = tmp_path / "data"
    shutil.copytree(example_folder(), folder)
    text = (folder / MANIFEST_NAME).read_text()
    kept = [line for line in text.splitlines() if not line.startswith(("xrd", "neutron"))]
    (folder / MANIFEST_NAME).write_text("\n".join(kept) + "\n")
    for pattern in folder.glob("synthetic_*.xye"):
        pattern.unlink()
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / MANIFEST_NAME
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_manifest_errors_name_the_field_and_other_sections_still_run(tmp_path: Path) -> None:
    folder = _copy_without_xrd(tmp_path)
    _edit(folder, "thickness_mm = 1.0\n", "")
    _edit(folder, "active_mass_mg = 4.9", "active_mass_mg = -4.9")
    _edit(folder, 'ccd = "synthetic_ccd.csv"', 'ccd = "synthetic_eis_rt_25C.csv"')
    _edit(folder, 'symmetric = "synthetic_symmetric.csv"', 'symmetric = "no_such_file.csv"')
    _edit(folder, "[geometry]\n", "[geometry]\ndiametre_mm = 10\n")
    results = analyse_measured(folder)
    missing = "measured.toml [geometry] thickness_mm: missing"
    for section in ("eis_rt", "arrhenius", "dcpol"):
        assert results.errors[section].startswith(missing), results.errors[section]
    assert results.errors["full_cell"] == (
        "measured.toml [geometry] active_mass_mg: must be a positive number, got -4.9"
    )
    assert results.errors["ccd"].startswith("[files] ccd 'synthetic_eis_rt_25C.csv': ")
    assert "no time column" in results.errors["ccd"]
    assert results.errors["symmetric"].startswith("[files] symmetric 'no_such_file.csv': ")
    assert results.manifest.problems == [
        "measured.toml [geometry] diametre_mm: unknown field (ignored)"
    ]
    # the sections that need none of it still ran
    assert results.analysed == ["eis_extra", "aging"]
    assert results.aging is not None and results.dcpol is None


def test_files_are_found_by_name_without_a_manifest(tmp_path: Path) -> None:
    folder = _copy_without_xrd(tmp_path)
    (folder / MANIFEST_NAME).unlink()
    shutil.copyfile(example_folder() / "synthetic_xrd_CuKa.xye", folder / "my_xrd.xye")
    manifest = read_manifest(folder)
    assert manifest.files["xrd"] == ["my_xrd.xye"]
    assert manifest.files["arrhenius"] == ["synthetic_vt_eis"]
    assert manifest.files["full_cell"] == ["synthetic_full_cell.csv"]
    assert "xrd" in manifest.discovered and not manifest.synthetic
    results = analyse_measured(folder)
    # no [sample] x: the refinement names the field; no geometry: the pellet sections too
    assert results.errors["xrd"].startswith("measured.toml [sample] x: missing")
    assert results.errors["eis_rt"].startswith("measured.toml [geometry] thickness_mm")
    assert "aging" in results.analysed


def test_unreadable_manifest_and_missing_folder_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("[geometry\nthickness_mm = 1")
    with pytest.raises(ManifestError, match=r"measured\.toml"):
        read_manifest(tmp_path)
    with pytest.raises(ManifestError, match="no such folder"):
        resolve_measured_folder(tmp_path / "absent")
    (tmp_path / MANIFEST_NAME).write_text('geometry = "1mm"\n')
    with pytest.raises(ManifestError, match=r"\[geometry\]: must be a table"):
        read_manifest(tmp_path)
