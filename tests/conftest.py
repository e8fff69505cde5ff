"""Shared fixtures: paths to the shared data and a throw-away results store."""

from __future__ import annotations

from pathlib import Path

import pytest

from sselab.store import ResultStore

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    """An empty SQLite results store in a temporary folder."""
    with ResultStore(tmp_path / "results.sqlite") as results:
        yield results


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared/ folder (instrument data, paper values)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED}")
    return SHARED
