"""Every result type round-trips through JSON: one parametrised test over all of them.

Each area lists one cheap instance per result type in its
``tests/<area>/roundtrip_cases.py`` (``ROUND_TRIP_CASES``); every such file is found,
so a new area needs no edit here. The coverage test below
finds every class in ``sselab`` that can be rebuilt from a dict (``from_dict``) and
fails when one has no case, so a new result type cannot skip the check.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sselab
from sselab.estimate import Estimate

AREAS = sorted(path.parent.name for path in Path(__file__).parent.glob("*/roundtrip_cases.py"))


def _cases() -> dict[str, tuple[type, Callable[[], Any]]]:
    cases: dict[str, tuple[type, Callable[[], Any]]] = {
        "Estimate": (Estimate, lambda: Estimate.normal(5.41, 0.01, "Å", dof=6)),
    }
    for area in AREAS:
        module = importlib.import_module(f"tests.{area}.roundtrip_cases")
        for name, case in module.ROUND_TRIP_CASES.items():
            cases[f"{area}.{name}"] = case
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_round_trips_through_json(name: str) -> None:
    cls, build = CASES[name]
    obj = build()
    assert type(obj) is cls
    text = json.dumps(obj.as_dict())  # plain JSON: no custom encoder
    again = cls.from_dict(json.loads(text))
    assert type(again) is cls
    assert json.dumps(again.as_dict()) == text


def _rebuildable_classes() -> set[type]:
    found = set()
    for info in pkgutil.walk_packages(sselab.__path__, "sselab."):
        if info.name.startswith("sselab.cli"):
            continue  # presentation commands hold no result types
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and callable(getattr(cls, "from_dict", None)):
                found.add(cls)
    return found


def test_every_result_type_has_a_round_trip_case() -> None:
    covered = {cls for cls, _ in CASES.values()}
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _rebuildable_classes() - covered
        if not inspect.isabstract(cls)
        and not cls.__name__.startswith("_")
        and cls.__name__ != "RoundTrip"
    )
    assert not missing, f"result types without a case in tests/<area>/roundtrip_cases.py: {missing}"
