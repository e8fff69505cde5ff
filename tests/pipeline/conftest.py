"""A two-candidate study small enough for CI, and its serial screening as a baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sselab.pipeline.screen import ScreenResult, screen
from sselab.pipeline.study import load_study
from sselab.store import ResultStore

# Li5NS and Li5NO in one conventional cell (14 atoms), a few loose relaxation steps:
# enough to exercise every cheap stage with real CHGNet numbers in seconds.
TINY_STUDY = """
name = "tiny"
model = "chgnet"
stages = ["order", "relax", "hull", "bvse", "diffraction"]

[relax]
fmax_eV_per_angstrom = 0.1
max_steps = 4

[bvse]
resolution_angstrom = 0.4

[[candidates]]
name = "LiSN"
anions = ["S", "N"]
x = [0.5]

[[candidates]]
name = "LiON"
anions = ["O", "N"]
x = [0.5]
"""


@dataclass
class Baseline:
    """An uninterrupted serial screening of the tiny study."""

    study_path: Path
    store_path: Path
    result: ScreenResult
    rows: dict[str, Any]  # key -> (kind, payload)


@pytest.fixture(scope="session")
def tiny_study_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("study") / "tiny.toml"
    path.write_text(TINY_STUDY)
    return path


@pytest.fixture(scope="session")
def baseline(tiny_study_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    folder = tmp_path_factory.mktemp("baseline")
    store_path = folder / "sselab.sqlite"
    with ResultStore(store_path) as store:
        result = screen(load_study(tiny_study_path), store, work_dir=folder, progress=False)
        rows = {r.key: (r.kind, r.payload) for r in store.rows()}
    return Baseline(tiny_study_path, store_path, result, rows)


def assert_same(a: Any, b: Any, rel: float = 1e-6, where: str = "payload") -> None:
    """Recursive equality of JSON payloads, floats to a relative tolerance (timings ignored)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a.keys() - {"wall_s"}:
            assert_same(a[key], b[key], rel, f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, rel, f"{where}[{k}]")
    elif isinstance(a, float) and isinstance(b, float) and not (math.isnan(a) and math.isnan(b)):
        assert b == pytest.approx(a, rel=rel, abs=1e-9), where
    else:
        assert a == b or (a != a and b != b), where
