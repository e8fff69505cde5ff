"""Export the results store: rows as CSV/JSON, structures as CIF/extxyz.

CSV has one row per result with the row's metadata and the payload's scalar fields
flattened to dotted columns (``sigma_S_per_cm.value``); lists and structures stay in
the JSON export, which keeps every payload whole. Structures are found anywhere in a
payload by their pymatgen ``@class`` tag and written with pymatgen (CIF) or ASE
(extxyz), one file per structure, named ``<kind>-<key[:12]>[-<path>].<ext>``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pymatgen.core import Structure

from sselab.store import ResultStore, StoredResult

EXPORT_FORMATS = ("csv", "json")
STRUCTURE_FORMATS = ("cif", "extxyz")


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        if value.get("@class") == "Structure":
            return
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}{key}.")
    elif isinstance(value, str | int | float | bool) or value is None:
        yield prefix.rstrip("."), value


def flat_row(row: StoredResult) -> dict[str, Any]:
    """Metadata plus scalar payload fields of a stored row (dotted names).

    Example:
        >>> store = ResultStore(":memory:")
        >>> _ = store.put("fit", {"T": 300}, {"D": {"value": 1e-6, "error": 1e-7}, "curve": [1, 2]})
        >>> flat = flat_row(next(store.rows()))
        >>> flat["kind"], flat["D.value"], "curve" in flat
        ('fit', 1e-06, False)
    """
    flat: dict[str, Any] = {
        "key": row.key,
        "kind": row.kind,
        "created_utc": row.created_utc,
        "wall_s": row.wall_s,
        "inputs": json.dumps(row.inputs, sort_keys=True),
    }
    payload = row.payload if isinstance(row.payload, dict) else {"value": row.payload}
    for name, value in _flatten(payload):
        flat.setdefault(name, value)
    return flat


def export_results(
    store: ResultStore, path: str | Path, fmt: str = "csv", kind: str | None = None
) -> Path:
    """Write the store's rows (optionally of one kind) to a CSV or JSON file.

    Args:
        store: results store.
        path: output file.
        fmt: "csv" (flattened scalars) or "json" (whole rows).
        kind: only rows of this kind.

    Returns:
        The written path.

    Raises:
        ValueError: unknown format.

    Example:
        >>> store = ResultStore(":memory:")
        >>> _ = store.put("fit", {"T": 300}, {"D": 1e-6})
        >>> export_results(store, "/tmp/results.json", "json").name
        'results.json'
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{fmt}'; choose from {EXPORT_FORMATS}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = list(store.rows(kind))
    if fmt == "json":
        data = [
            {
                "key": r.key,
                "kind": r.kind,
                "created_utc": r.created_utc,
                "wall_s": r.wall_s,
                "inputs": r.inputs,
                "payload": r.payload,
            }
            for r in rows
        ]
        path.write_text(json.dumps(data, indent=1))
        return path
    flat = [flat_row(r) for r in rows]
    columns = list(dict.fromkeys(name for row in flat for name in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(flat)
    return path


def _structures(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        if value.get("@class") == "Structure":
            yield path, value
            return
        for key, item in value.items():
            yield from _structures(item, f"{path}-{key}" if path else str(key))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _structures(item, f"{path}{k}")


def export_structures(
    store: ResultStore, out_dir: str | Path, fmt: str = "cif", kind: str | None = None
) -> list[Path]:
    """Write every structure held in the store's payloads as CIF or extxyz files.

    Args:
        store: results store.
        out_dir: output folder.
        fmt: "cif" (pymatgen CifWriter) or "extxyz" (ASE, with energy where stored).
        kind: only rows of this kind (e.g. "relax").

    Returns:
        The written paths.

    Example:
        >>> from sselab.structures import antifluorite
        >>> store = ResultStore(":memory:")
        >>> _ = store.put("order", {"x": 0}, {"structure": antifluorite(0.0).as_dict()})
        >>> [p.suffix for p in export_structures(store, "/tmp/structures")]
        ['.cif']
    """
    if fmt not in STRUCTURE_FORMATS:
        raise ValueError(f"unknown structure format '{fmt}'; choose from {STRUCTURE_FORMATS}")
    from ase.io import write
    from pymatgen.io.ase import AseAtomsAdaptor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for row in store.rows(kind):
        for where, data in _structures(row.payload):
            structure = Structure.from_dict(data)
            suffix = f"-{where.replace('.', '_')}" if where and where != "structure" else ""
            path = out / f"{row.kind}-{row.key[:12]}{suffix}.{fmt}"
            if fmt == "cif":
                structure.to(filename=str(path), fmt="cif")
            else:
                atoms = AseAtomsAdaptor.get_atoms(structure)
                atoms.info.update({"kind": row.kind, "key": row.key})
                if isinstance(row.payload, dict) and "energy_eV" in row.payload:
                    atoms.info["energy_eV"] = row.payload["energy_eV"]
                write(path, atoms, format="extxyz")
            written.append(path)
    return written
