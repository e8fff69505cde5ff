"""The tutorials' Python blocks run (docs/tutorials/*.md), so the pages cannot rot.

Each page's ```python blocks run in order, in one namespace, in an empty folder. A block
with the comment ``# tutorial: skip-in-ci`` (minutes of MLIP, MD or a SLURM cluster) is
skipped unless ``SSELAB_TUTORIALS_FULL=1``; every page keeps blocks that run in CI.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
SKIP_IN_CI = "# tutorial: skip-in-ci"
FULL = os.environ.get("SSELAB_TUTORIALS_FULL") == "1"
PAGES = sorted(p for p in TUTORIALS.glob("*.md") if p.name != "README.md")


def python_blocks(page: Path) -> list[str]:
    """The ```python blocks of a markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


def test_the_four_tutorials_exist_and_each_runs_something_in_ci() -> None:
    names = {p.stem for p in PAGES}
    assert names == {
        "reproduce-the-paper",
        "bring-your-own-measurements",
        "screen-your-own-cifs",
        "run-on-a-cluster",
    }
    for page in PAGES:
        blocks = python_blocks(page)
        assert any(SKIP_IN_CI not in block for block in blocks), page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_tutorial_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"tutorial_{page.stem}"}
    for number, block in enumerate(python_blocks(page), start=1):
        if SKIP_IN_CI in block and not FULL:
            continue
        exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
