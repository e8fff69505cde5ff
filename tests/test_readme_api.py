"""Every Python name the README's "What it does" table promises can be imported.

Names in the API column are read in order: a dotted ``sselab.…`` name is absolute; a
bare or partly dotted one (``relax``, ``analysis.analyze_diffusion``) is looked up
relative to the module of the name before it and that module's parent packages.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _api_cells() -> list[tuple[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## What it does", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) < 2:
            continue
        names = [
            re.sub(r"\(.*", "", code).rstrip(":") for code in re.findall(r"`([^`]+)`", cells[1])
        ]
        rows.append((cells[0], [name for name in names if name]))
    return rows


def _resolve(dotted: str) -> tuple[Any, str]:
    """The object and the module it was found in, for an absolute dotted name."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        module = obj.__name__
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
            if isinstance(obj, ModuleType):
                module = obj.__name__
        return obj, module
    raise ModuleNotFoundError(dotted)


ROWS = _api_cells()


def test_the_readme_table_was_found() -> None:
    assert len(ROWS) >= 8, ROWS


@pytest.mark.parametrize(("stage", "names"), ROWS, ids=[stage for stage, _ in ROWS])
def test_readme_api_names_import(stage: str, names: list[str]) -> None:
    context = "sselab"
    for name in names:
        if name.startswith("sselab"):
            candidates = [name]
        else:
            parts = context.split(".")
            candidates = [".".join([*parts[:n], name]) for n in range(len(parts), 0, -1)]
        for candidate in candidates:
            try:
                _, module = _resolve(candidate)
            except (ModuleNotFoundError, AttributeError):
                continue
            context = module
            break
        else:
            pytest.fail(f"README ({stage}) names `{name}`, which none of {candidates} provides")
