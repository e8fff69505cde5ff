"""The seed paper's reported numbers (Yu et al., JACS 2024), for comparison only.

sselab ships a copy of ``shared/reference/paper_values.toml`` as package data so
that reports work from an installed wheel; a test keeps the copy in sync.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def paper_values() -> dict[str, dict[str, Any]]:
    """All tables of paper_values.toml as nested dicts.

    Example:
        >>> paper_values()["structure"]["space_group"]
        'Fm-3m'
    """
    text = resources.files("sselab.data").joinpath("paper_values.toml").read_text("utf-8")
    return tomllib.loads(text)


def paper_value(table: str, key: str) -> Any:
    """One reported value, e.g. ``paper_value("structure", "a_Li2S_icsd_angstrom")``.

    Raises:
        KeyError: naming the missing table or key.

    Example:
        >>> paper_value("thermodynamics", "e_above_hull_Li2.5N0.5S0.5_meV_per_atom")
        17
        >>> paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")
        5.458
    """
    values = paper_values()
    if table not in values:
        raise KeyError(f"paper_values.toml has no table [{table}]; tables: {sorted(values)}")
    # Keys such as ``a_Li2.5N0.5S0.5_angstrom`` are written bare in the TOML, which
    # makes each "." a table separator: walk the nested tables the parser built.
    node: Any = values[table]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"paper_values.toml [{table}] has no key '{key}'")
        node = node[part]
    return node
