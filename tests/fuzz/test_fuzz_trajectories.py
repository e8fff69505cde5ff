"""Fuzzing the trajectory readers and the diffusion analysis: refuse naming the file, or finite.

Property, for every mutated file: ``read_trajectory`` followed by ``analyze_diffusion``
either raises ``TrajectoryError`` whose one-line message starts with the file's path,
or returns finite D, D_x/y/z, D_sigma, sigma, sigma_NE, Haven ratio and MSD curves —
never another exception, a hang or a NaN. Mutations of a short sselab MD file (EMT
copper, 31 production frames): random truncation and byte flips (anywhere, in the
metadata at the start, or in the positions' chunk), NaN/inf/huge values written into
positions, datasets replaced by a wrong dtype or shape (also empty), datasets and attributes
deleted, steps made non-monotone, duplicated or uneven, and bad attribute values
(time step, frame interval, temperature, symbols). XDATCAR and ASE .traj copies of the
run get truncation, byte flips and number injection.

CI runs a short profile; ``SSELAB_FUZZ_EXAMPLES=2000 pytest -m slow tests/fuzz`` the long one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from hypothesis import given, note
from hypothesis import strategies as st
from tests.fuzz.mutate import EXAMPLES, LONG_EXAMPLES, fuzz_settings, time_limit

from sselab.transport.analysis import analyze_diffusion
from sselab.transport.md import run_md
from sselab.transport.trajectory import TrajectoryError, read_trajectory

SECONDS_PER_FILE = 20
FRAME_INTERVAL_FS = 2.0
NUMBER = re.compile(rb"-?\d+\.\d+(?:[eE][-+]?\d+)?")
INJECTED = [b"nan", b"inf", b"-inf", b"-5.7", b"1e300", b"0.0", b"1e-300", b"NaN"]
DATASETS = ["positions", "step", "potential_energy_eV", "temperature_K", "cell", "numbers"]
ATTRIBUTES = ["format", "symbols", "timestep_fs", "frame_interval_steps", "temperature_K"]
ATTRIBUTES += ["equilibration_steps"]
BAD_ATTRIBUTES: dict[str, list[Any]] = {
    "timestep_fs": [0.0, -2.0, np.nan, np.inf, "two", 1e300],
    "frame_interval_steps": [0, -1, 1.5, 10**12],
    "equilibration_steps": [10**9, -(10**9), 0.5],
    "temperature_K": [0.0, -600.0, np.nan, np.inf, "hot"],
    "symbols": ["not json", '["Cu"]', '["Xx", "Cu", "Cu", "Cu"]', "[1, 2, 3, 4]", "{}"],
    "format": ["other", ""],
}
KINDS = {"h5-bytes": "md_600K.h5", "h5-data": "md_600K.h5", "xdatcar": "XDATCAR", "traj": "md.traj"}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from ase.io import write

    folder = tmp_path_factory.mktemp("md")
    run = run_md(
        bulk("Cu", "fcc", a=3.61, cubic=True),
        600,
        folder,
        time_ps=0.06,
        equilibration_ps=0.002,
        frame_interval_steps=1,
        checkpoint_interval_steps=10,
        calculator=EMT(),
        progress=False,
    )
    trajectory = read_trajectory(run.trajectory_path)
    from ase import Atoms

    frames = [
        Atoms(trajectory.symbols, positions=p, cell=trajectory.cell_angstrom, pbc=True)
        for p in trajectory.positions_angstrom
    ]
    write(folder / "XDATCAR", frames, format="vasp-xdatcar")
    write(folder / "md.traj", frames)
    data = run.trajectory_path.read_bytes()
    return {
        "h5-bytes": data,
        "h5-data": data,
        "xdatcar": (folder / "XDATCAR").read_bytes(),
        "traj": (folder / "md.traj").read_bytes(),
    }


@st.composite
def byte_mutations(draw: st.DrawFn, text: bytes) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["truncate", "flip", "flip-head", "inject"]))
    if kind == "truncate":
        return kind, text[: draw(st.integers(0, len(text) - 1))]
    if kind.startswith("flip"):
        data = bytearray(text)
        last = min(len(data), 4096) - 1 if kind == "flip-head" else len(data) - 1
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, last))] = draw(st.integers(0, 255))
        return kind, bytes(data)
    numbers = list(NUMBER.finditer(text))
    if not numbers:  # binary file: flip instead
        return draw(byte_mutations(text))
    match = numbers[draw(st.integers(0, len(numbers) - 1))]
    value = draw(st.sampled_from(INJECTED))
    return kind, text[: match.start()] + value + text[match.end() :]


def _positions_flip(path: Path, draw: st.DrawFn) -> str:
    """Flip bytes inside the stored positions (HDF5 keeps no checksum of raw data)."""
    with h5py.File(path, "r") as handle:
        info = handle["positions"].id.get_chunk_info(0)
        offset, size = info.byte_offset, info.size
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        data[offset + draw(st.integers(0, size - 1))] = draw(st.integers(0, 255))
    path.write_bytes(bytes(data))
    return "flip-positions"


def _replace(handle: h5py.File, name: str, value: Any) -> None:
    del handle[name]
    handle[name] = value


def _edit(path: Path, draw: st.DrawFn) -> str:
    """One structural mutation of the sselab MD file at ``path``, in place."""
    kind = draw(
        st.sampled_from(["value", "dtype", "shape", "delete", "steps", "attribute", "flip"])
    )
    if kind == "flip":
        return _positions_flip(path, draw)
    with h5py.File(path, "r+") as handle:
        n_frames, n_atoms, _ = handle["positions"].shape
        if kind == "value":
            value = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e30, -3e38, 5e4]))
            index = (
                draw(st.integers(0, n_frames - 1)),
                draw(st.integers(0, n_atoms - 1)),
                draw(st.integers(0, 2)),
            )
            handle["positions"][index] = value
            return f"value {value} at {index}"
        if kind in ("dtype", "shape"):
            name = draw(st.sampled_from(DATASETS))
            data = handle[name][:]
            if kind == "dtype":
                dtype = draw(st.sampled_from(["S8", "c16", "i4", "f4", "bool"]))
                _replace(handle, name, data.astype(dtype))
                return f"{name} as {dtype}"
            edits = ["drop-last", "empty", "no-atoms", "flatten", "add-axis", "scalar"]
            shape_edit = draw(st.sampled_from(edits))
            new = {
                "drop-last": data[..., :-1] if data.ndim > 1 else data[:-1],
                "empty": data[:0],
                "no-atoms": data[:, :0] if data.ndim > 1 else data[:0],
                "flatten": data.ravel(),
                "add-axis": data[..., None],
                "scalar": np.float64(1.0),
            }[shape_edit]
            _replace(handle, name, new)
            return f"{name} {shape_edit}"
        if kind == "delete":
            name = draw(st.sampled_from(DATASETS + [f"@{a}" for a in ATTRIBUTES]))
            if name.startswith("@"):
                del handle.attrs[name[1:]]
            else:
                del handle[name]
            return f"delete {name}"
        if kind == "steps":
            steps = handle["step"][:]
            edit = draw(st.sampled_from(["swap", "duplicate", "gap", "reverse", "negative"]))
            i = draw(st.integers(1, n_frames - 2))
            if edit == "swap":
                steps[[i, i + 1]] = steps[[i + 1, i]]
            elif edit == "duplicate":
                steps[i] = steps[i - 1]
            elif edit == "gap":
                steps[i:] += draw(st.integers(1, 5))
            elif edit == "reverse":
                steps = steps[::-1].copy()
            else:
                steps = -steps
            handle["step"][:] = steps
            return f"steps {edit} at {i}"
        name = draw(st.sampled_from(sorted(BAD_ATTRIBUTES)))
        value = draw(st.sampled_from(BAD_ATTRIBUTES[name]))
        handle.attrs[name] = value
        return f"attribute {name} = {value!r}"


def _check(path: Path) -> None:
    """The property: TrajectoryError naming the file in one line, or finite outputs."""
    try:
        with time_limit(SECONDS_PER_FILE):
            trajectory = read_trajectory(
                path, frame_interval_fs=FRAME_INTERVAL_FS, temperature_K=None
            )
            if trajectory.temperature_K is None:
                trajectory.temperature_K = 600.0
            result = analyze_diffusion(trajectory, species="Cu", n_blocks=3)
    except TrajectoryError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:"), message
        assert "\n" not in message, message
        return
    estimates = [
        result.D_cm2_per_s,
        *result.D_xyz_cm2_per_s,
        result.D_sigma_cm2_per_s,
        result.sigma_S_per_cm,
        result.sigma_NE_S_per_cm,
    ]
    if result.haven_ratio is not None:
        estimates.append(result.haven_ratio)
    for estimate in estimates:
        assert np.isfinite(estimate.value), estimate
        assert estimate.error is not None and np.isfinite(estimate.error), estimate
    for curve in (result.msd_angstrom2, result.msd_xyz_angstrom2, result.collective_msd_angstrom2):
        assert np.all(np.isfinite(curve))


def _fuzz(kind: str, seeds: dict[str, bytes], folder: Path, examples: int, fixed: bool) -> None:
    path = folder / KINDS[kind]

    @fuzz_settings(examples, long=not fixed)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        if kind == "h5-data":
            path.write_bytes(seeds[kind])
            note(_edit(path, data.draw))
        else:
            label, mutated = data.draw(byte_mutations(seeds[kind]))
            note(label)
            path.write_bytes(mutated)
        _check(path)

    run()


def test_unmutated_seeds_are_read_and_analysed(seeds: dict[str, bytes], tmp_path: Path) -> None:
    for kind, name in KINDS.items():
        (tmp_path / name).write_bytes(seeds[kind])
        _check(tmp_path / name)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_trajectory_readers_refuse_or_give_finite_transport(
    kind: str, seeds: dict[str, bytes], tmp_path: Path
) -> None:
    _fuzz(kind, seeds, tmp_path, EXAMPLES, fixed=True)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_trajectory_readers_long_profile(
    kind: str, seeds: dict[str, bytes], tmp_path: Path
) -> None:
    _fuzz(kind, seeds, tmp_path, LONG_EXAMPLES, fixed=False)
