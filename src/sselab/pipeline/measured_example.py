"""The packaged example of ``reproduce --measured``: SYNTHETIC data from sselab's simulators.

:func:`write_example_set` regenerates ``sselab/data/measured_example`` (the files are
committed): a Cu Kα and a TOF neutron pattern of Li2.5N0.5S0.5, room- and
variable-temperature impedance, DC polarisation, interface aging, symmetric-cell,
CCD-staircase and full-cell records, every file named ``synthetic_*`` and generated
from the values of :data:`TRUTH` (chosen near, but not at, the paper's numbers, so
the set is never mistaken for the paper's data). The manifest says ``synthetic =
true`` and carries :data:`TRUTH` in its ``[truth]`` table; the report labels the
measured column synthetic. One real instrument file joins them as a further
spectrum: impedance.py's Scribner ZPlot example (MIT licence, copied with it).

Regenerate with ``python -m sselab.pipeline.measured_example [FOLDER]``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from pymatgen.core import Structure

from sselab.structures import antifluorite
from sselab.units import BOLTZMANN_EV_PER_K, KELVIN_AT_0_CELSIUS, T_25C_K

# The generating values (synthetic; NOT the paper's).
TRUTH: dict[str, float] = {
    "x": 0.5,
    "a_angstrom": 5.452,
    "occupancy_24e": 0.95,
    "u_24e": 0.38,  # pinned, so a change of sselab's default start u leaves the set valid
    "thickness_mm": 1.0,
    "diameter_mm": 10.0,
    "sigma_25C_S_per_cm": 1.6e-4,
    "activation_energy_eV": 0.37,
    "electronic_sigma_S_per_cm": 1.2e-8,
    "retention_12h": 0.95,
    "electrode_area_cm2": 0.283,
    "symmetric_ohm_cm2": 120.0,
    "symmetric_current_density_mA_per_cm2": 0.1,
    "symmetric_hours": 100.0,
    "ccd_mA_per_cm2": 1.25,
    "ccd_step_mA_per_cm2": 0.05,
    "active_mass_mg": 4.9,
    "first_charge_mAh_per_g": 131.0,
    "coulombic_efficiency": 0.958,
    "fade_per_cycle": 0.003,
    "n_cycles": 25,
}
# Derived truths the round-trip tests compare with.
TRUTH["initial_discharge_mAh_per_g"] = (
    TRUTH["first_charge_mAh_per_g"] * TRUTH["coulombic_efficiency"]
)
TRUTH["final_retention"] = 1 - TRUTH["fade_per_cycle"] * (TRUTH["n_cycles"] - 1)

VT_TEMPERATURES_C = (25.0, 40.0, 60.0, 80.0, 100.0, 110.0)  # the paper's range: RT-110 °C
AGING_TIMES_H = (0.0, 3.0, 6.0, 12.0)
DC_BIASES_V = (0.10, 0.15, 0.20, 0.25)  # the paper's DC polarisation biases
_UISO = {"S": 0.012, "N": 0.012, "Li": 0.025}
_XRAY_PROFILE = {"U": 0.006, "V": -0.003, "W": 0.004, "X": 0.03, "Y": 0.005}
_TOF_BANK = {"DIFC": 9330.0, "TOF_MIN": 5000.0, "TOF_MAX": 30000.0}
_PEAK_COUNTS = 1e5
_REAL_FILE = "exampleDataZPlot.z"  # impedance.py's ZPlot example: a real instrument file
_LICENCE = "LICENSE-impedance.py.txt"


def _pellet_area_cm2() -> float:
    return float(np.pi * (TRUTH["diameter_mm"] / 10) ** 2 / 4)


def sigma_at(temperature_K: float) -> float:
    """The synthetic sigma(T) (S/cm): sigma T = A exp(-Ea / kB T) through sigma(25 °C).

    Example:
        >>> f"{sigma_at(298.15):.2e}"
        '1.60e-04'
    """
    ea = TRUTH["activation_energy_eV"]
    ln_a = np.log(TRUTH["sigma_25C_S_per_cm"] * T_25C_K) + ea / (BOLTZMANN_EV_PER_K * T_25C_K)
    return float(np.exp(ln_a - ea / (BOLTZMANN_EV_PER_K * temperature_K)) / temperature_K)


def _cpe(q: float, n: float, jw: np.ndarray) -> np.ndarray:
    return 1.0 / (q * jw**n)


def _parallel(r: float, z_cpe: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 / r + 1.0 / z_cpe)


def _write_spectrum(path: Path, f: np.ndarray, z: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = 0.005 * np.abs(z) * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    z = z + noise
    table = np.column_stack([f, z.real, z.imag])
    # the readers take no comment line: "synthetic" is in the file names and the manifest
    header = "freq/Hz,Re(Z)/Ohm,Im(Z)/Ohm"
    np.savetxt(path, table, delimiter=",", fmt="%.6g", header=header, comments="")


def pellet_spectrum_file(path: Path, temperature_K: float, seed: int) -> float:
    """Blocking-electrode pellet at ``temperature_K``: R_bulk ‖ CPE + CPE tail, 7 MHz-1 Hz,
    0.5 % noise; returns R_bulk (Ω)."""
    f = np.logspace(np.log10(7e6), 0, 69)
    jw = 2j * np.pi * f
    r_bulk = TRUTH["thickness_mm"] / 10 / (sigma_at(temperature_K) * _pellet_area_cm2())
    z = _parallel(r_bulk, _cpe(3e-10, 0.9, jw)) + _cpe(1e-6, 0.8, jw)
    _write_spectrum(path, f, z, seed)
    return float(r_bulk)


def aging_spectrum_file(path: Path, time_h: float, seed: int) -> None:
    """Li | SE | Li after ``time_h``: R0 + bulk arc + a growing interphase arc, no tail."""
    f = np.logspace(6, -1, 71)
    jw = 2j * np.pi * f
    r0, r_bulk, r_interphase = 5.0, sigma_to_ohm(), 200.0
    start = r0 + r_bulk + r_interphase
    retention = 1 - (1 - TRUTH["retention_12h"]) * np.sqrt(time_h / 12.0)
    grown = start / retention - r0 - r_bulk
    z = r0 + _parallel(r_bulk, _cpe(1e-9, 0.9, jw)) + _parallel(grown, _cpe(1e-6, 0.85, jw))
    _write_spectrum(path, f, z, seed)


def sigma_to_ohm() -> float:
    """Bulk resistance (Ω) of the synthetic pellet at 25 °C."""
    return TRUTH["thickness_mm"] / 10 / (TRUTH["sigma_25C_S_per_cm"] * _pellet_area_cm2())


def _write_table(path: Path, header: str, columns: list[np.ndarray], fmt: str = "%.6g") -> None:
    np.savetxt(path, np.column_stack(columns), delimiter=",", fmt=fmt, header=header, comments="")


def dcpol_file(path: Path, seed: int = 11) -> None:
    """Chronoamperometry at the paper's biases: an ionic transient decaying to U / R_e."""
    rng = np.random.default_rng(seed)
    r_e = TRUTH["thickness_mm"] / 10 / (TRUTH["electronic_sigma_S_per_cm"] * _pellet_area_cm2())
    hold = np.arange(0.0, 600.0, 5.0)
    times, volts, amps = [], [], []
    for k, bias in enumerate(DC_BIASES_V):
        steady = bias / r_e
        current = steady * (1 + 3 * np.exp(-hold / 60.0))
        current = current + 0.003 * steady * rng.standard_normal(hold.size)
        times.append(k * 600.0 + hold)
        volts.append(np.full(hold.size, bias))
        amps.append(current)
    columns = [np.concatenate(times), np.concatenate(volts), 1e3 * np.concatenate(amps)]
    _write_table(path, "time/s,Ewe/V,<I>/mA", columns)


def symmetric_file(path: Path, seed: int = 12) -> None:
    """Li | SE | Li at a constant current density, 1 h half-cycles, no short."""
    rng = np.random.default_rng(seed)
    j, area = TRUTH["symmetric_current_density_mA_per_cm2"], TRUTH["electrode_area_cm2"]
    n_half, points = int(TRUTH["symmetric_hours"]), 12
    ramp = np.linspace(0, 1, points, endpoint=False)
    sign = np.repeat(np.where(np.arange(n_half) % 2 == 0, 1.0, -1.0), points)
    t = (np.repeat(np.arange(n_half), points) + np.tile(ramp, n_half)) * 3600.0
    v = sign * j * 1e-3 * TRUTH["symmetric_ohm_cm2"] * (1 + 0.05 * np.tile(ramp, n_half))
    v = v + 1e-4 * rng.standard_normal(v.size)
    _write_table(path, "time/s,Ewe/V,<I>/mA", [t, v, sign * j * area])


def ccd_file(path: Path, seed: int = 13) -> None:
    """Li | SE | Li current staircase (one charge/discharge pair per step) that shorts in
    the step of :data:`TRUTH` ``ccd_mA_per_cm2``."""
    rng = np.random.default_rng(seed)
    step, short_at = TRUTH["ccd_step_mA_per_cm2"], TRUTH["ccd_mA_per_cm2"]
    area, ohm_cm2, points, half_s = TRUTH["electrode_area_cm2"], 100.0, 20, 1800.0
    times, volts, currents = [], [], []
    shorted, t0 = False, 0.0
    for k in range(1, round(short_at / step) + 3):
        j = round(k * step, 10)
        for sign in (1.0, -1.0):
            t = t0 + np.linspace(0, half_s, points, endpoint=False)
            v = sign * j * 1e-3 * ohm_cm2 * (1 + 0.1 * np.linspace(0, 1, points))
            if not shorted and abs(j - short_at) < 1e-9:
                shorted = True
                v[points // 2 :] *= 0.02
            elif shorted:
                v *= 0.02
            times.append(t)
            volts.append(v + 1e-4 * rng.standard_normal(points))
            currents.append(np.full(points, sign * j * area))
            t0 += half_s
    columns = [np.concatenate(times), np.concatenate(volts), np.concatenate(currents)]
    _write_table(path, "time/s,Ewe/V,<I>/mA", columns)


def full_cell_file(path: Path) -> None:
    """LiCoO2 | SE | Li at 0.1C: known first charge, constant CE, linear capacity fade."""
    mass_g = TRUTH["active_mass_mg"] / 1000
    current = 14.0 * mass_g  # 0.1C of 140 mA/g
    times, volts, currents, cycles = [], [], [], []
    t0, points = 0.0, 40
    for k in range(1, int(TRUTH["n_cycles"]) + 1):
        charge = TRUTH["first_charge_mAh_per_g"] * (1 - TRUTH["fade_per_cycle"] * (k - 1))
        for sign, q in ((1.0, charge), (-1.0, TRUTH["coulombic_efficiency"] * charge)):
            duration = q * mass_g / current * 3600.0
            t = t0 + np.linspace(0, duration, points + 1)
            frac = np.linspace(0, 1, t.size)
            v = 3.7 + 0.6 * frac if sign > 0 else 4.2 - 1.1 * frac
            n = points if sign > 0 else points + 1  # the last point closes the cycle
            times.append(t[:n])
            volts.append(v[:n])
            currents.append(np.full(n, sign * current))
            cycles.append(np.full(n, k))
            t0 += duration
    time = np.concatenate(times)
    time = time + np.arange(time.size) * 1e-3  # shared stamps between half-cycles
    columns = [time, np.concatenate(volts), np.concatenate(currents), np.concatenate(cycles)]
    _write_table(path, "time/s,Ewe/V,<I>/mA,cycle number", columns, fmt="%.8g")


def refined_truth_structure() -> Structure:
    """Li2.5N0.5S0.5 at the synthetic a with the 24e occupancy scaled by its factor."""
    truth = antifluorite(TRUTH["x"], a=TRUTH["a_angstrom"], u=TRUTH["u_24e"])
    for i, site in enumerate(truth):
        if site.species.num_atoms < 0.5:  # the 24e interstitial Li
            scaled = {sp: occ * TRUTH["occupancy_24e"] for sp, occ in site.species.items()}
            truth.replace(i, scaled, coords=site.frac_coords)
    return truth


def pattern_files(folder: Path, seed: int = 21) -> None:
    """Cu Kα (10-80°, 0.02° step) and one TOF bank, with counting noise."""
    from sselab.diffraction import (
        TOFBank,
        TOFNeutron,
        add_counting_noise,
        simulate_pattern,
        write_pattern,
    )

    truth = refined_truth_structure()
    xray = simulate_pattern(
        truth,
        "CuKa",
        x_range=(10.0, 80.0),
        step=0.02,
        uiso_A2=_UISO,
        profile=_XRAY_PROFILE,
        background=[30, -8, 3],
    )
    write_pattern(
        add_counting_noise(xray.pattern, _PEAK_COUNTS, seed), folder / "synthetic_xrd_CuKa.xye"
    )
    bank = TOFBank(tof_min_us=_TOF_BANK["TOF_MIN"], tof_max_us=_TOF_BANK["TOF_MAX"])
    neutron = simulate_pattern(
        truth,
        TOFNeutron(bank),
        uiso_A2=_UISO,
        step=2e-3,
        background=[20, -5],
    )
    write_pattern(
        add_counting_noise(neutron.pattern, _PEAK_COUNTS, seed + 1),
        folder / "synthetic_neutron_tof_bank1.xye",
    )
    lines = [f"{key} {value:g}" for key, value in _TOF_BANK.items()]
    (folder / "synthetic_tof_bank1.instprm").write_text(
        "# SYNTHETIC TOF bank of the example set\n" + "\n".join(lines) + "\n"
    )


def _manifest_text() -> str:
    truth = "\n".join(f"{key} = {value:.10g}" for key, value in TRUTH.items())
    return f"""# Example data set of `sselab reproduce --measured example`.
# SYNTHETIC: every synthetic_* file was generated by sselab's own simulators
# (sselab.pipeline.measured_example) from the [truth] values below. It is NOT the
# paper's data. real_zplot_impedancepy.z is a real instrument file from impedance.py
# (MIT licence, LICENSE-impedance.py.txt), not an antifluorite electrolyte.

[sample]
name = "Li2.5N0.5S0.5 (synthetic example)"
x = {TRUTH["x"]}
u_24e = {TRUTH["u_24e"]}
synthetic = true
description = "SYNTHETIC data from sselab's simulators (values in [truth]), not the paper's"

[geometry]
thickness_mm = {TRUTH["thickness_mm"]}
diameter_mm = {TRUTH["diameter_mm"]}
electrode_area_cm2 = {TRUTH["electrode_area_cm2"]}
active_mass_mg = {TRUTH["active_mass_mg"]}
one_c_mA_per_g = 140

[files]
xrd = "synthetic_xrd_CuKa.xye"
xrd_radiation = "CuKa"
neutron = ["synthetic_neutron_tof_bank1.xye"]
neutron_radiation = "tof:synthetic_tof_bank1.instprm"
eis_rt = "synthetic_eis_rt_25C.csv"
eis_extra = ["real_zplot_impedancepy.z"]
arrhenius = "synthetic_vt_eis"
dcpol = "synthetic_dcpol.csv"
aging = "synthetic_aging"
symmetric = "synthetic_symmetric.csv"
ccd = "synthetic_ccd.csv"
full_cell = "synthetic_full_cell.csv"

[truth]  # the generating values (synthetic sets only)
{truth}
"""


def write_example_set(folder: str | Path, real_data: str | Path | None = None) -> Path:
    """Write the example set to ``folder`` (replacing synthetic files; a few seconds).

    Args:
        folder: target folder.
        real_data: folder with impedance.py's example files and licence; when None,
            the real file already in ``folder`` is kept.

    Example:
        >>> written = write_example_set("/tmp/sselab-measured-example")  # doctest: +SKIP

    Skipped (simulates two patterns); tests/measured/test_measured.py regenerates it.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    pattern_files(out)
    pellet_spectrum_file(out / "synthetic_eis_rt_25C.csv", T_25C_K, seed=1)
    vt = out / "synthetic_vt_eis"
    vt.mkdir(exist_ok=True)
    for k, celsius in enumerate(VT_TEMPERATURES_C):
        name = f"synthetic_{celsius:g}C.csv"
        pellet_spectrum_file(vt / name, celsius + KELVIN_AT_0_CELSIUS, seed=100 + k)
    aging = out / "synthetic_aging"
    aging.mkdir(exist_ok=True)
    for k, hours in enumerate(AGING_TIMES_H):
        aging_spectrum_file(aging / f"synthetic_aging_{hours:g}h.csv", hours, seed=200 + k)
    dcpol_file(out / "synthetic_dcpol.csv")
    symmetric_file(out / "synthetic_symmetric.csv")
    ccd_file(out / "synthetic_ccd.csv")
    full_cell_file(out / "synthetic_full_cell.csv")
    if real_data is not None:
        shutil.copyfile(Path(real_data) / _REAL_FILE, out / "real_zplot_impedancepy.z")
        shutil.copyfile(Path(real_data) / _LICENCE, out / _LICENCE)
    (out / "measured.toml").write_text(_manifest_text())
    return out


if __name__ == "__main__":  # pragma: no cover - regeneration entry point
    from sselab.pipeline.measured import example_folder

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else example_folder()
    write_example_set(target, sys.argv[2] if len(sys.argv) > 2 else None)
    print(f"wrote {target}")
