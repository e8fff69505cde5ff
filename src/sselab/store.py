"""Embedded SQLite results store: repeating a calculation is a lookup.

Schema (two tables, created on first use)::

    results(
        key        TEXT PRIMARY KEY,   -- sha256 of the canonical JSON of the inputs
        kind       TEXT NOT NULL,      -- task name, e.g. "relax", "md", "hull"
        inputs     TEXT NOT NULL,      -- canonical JSON of the inputs (for humans/export)
        payload    TEXT NOT NULL,      -- JSON of the result
        created_utc TEXT NOT NULL,
        wall_s     REAL                -- seconds the computation took
    )
    executions(                        -- one row per completed computation
        key TEXT, kind TEXT, finished_utc TEXT, wall_s REAL, worker TEXT
    )

Every write is one transaction (``with connection``) holding the result row and its
execution row, so a killed process leaves either both or nothing, and the executions
table counts how often each result was really computed (a cached result never adds
a row); the database runs in WAL mode so readers are not
blocked by a writer (several Dask workers on one machine may share a file).
Inputs are hashed after canonicalisation: floats rounded to 10 significant
digits, structures as their ``as_dict()`` with rounded coordinates, so that the
same structure built twice gives the same key.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

DEFAULT_STORE_PATH = Path("sselab.sqlite")

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    inputs TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    wall_s REAL
);
CREATE INDEX IF NOT EXISTS results_kind ON results(kind);
CREATE TABLE IF NOT EXISTS executions (
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    finished_utc TEXT NOT NULL,
    wall_s REAL,
    worker TEXT
);
"""


def canonical(obj: Any) -> Any:
    """Convert inputs to plain JSON types with floats rounded (stable hashing).

    Structures (pymatgen ``Structure``, ASE ``Atoms``), dataclasses, numpy arrays,
    paths and mappings are handled.

    Example:
        >>> canonical({"a": 0.1 + 0.2, "b": (1, 2)})
        {'a': 0.3, 'b': [1, 2]}
    """
    if hasattr(obj, "as_dict") and callable(obj.as_dict):
        return canonical(obj.as_dict())
    if obj.__class__.__name__ == "Atoms" and hasattr(obj, "get_chemical_symbols"):
        return {
            "symbols": obj.get_chemical_symbols(),
            "positions": canonical(obj.get_positions()),
            "cell": canonical(np.asarray(obj.cell)),
            "pbc": [bool(p) for p in obj.pbc],
        }
    if is_dataclass(obj) and not isinstance(obj, type):
        return canonical(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [canonical(v) for v in items]
    if isinstance(obj, np.ndarray):
        return canonical(obj.tolist())
    if isinstance(obj, np.generic):
        return canonical(obj.item())
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return str(obj)
        return float(f"{obj:.10g}") + 0.0  # + 0.0 maps -0.0 to 0.0
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    raise TypeError(f"cannot hash input of type {type(obj).__name__} for the results store")


def _json_default(obj: Any) -> Any:
    """Numpy scalars and arrays in payloads (e.g. float32 site properties) as JSON."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"result payload holds a {type(obj).__name__}, which is not JSON")


def input_key(kind: str, inputs: dict[str, Any]) -> str:
    """sha256 hex digest identifying a computation of ``kind`` on ``inputs``.

    Example:
        >>> input_key("relax", {"fmax": 0.02}) == input_key("relax", {"fmax": 0.020})
        True
    """
    text = json.dumps({"kind": kind, "inputs": canonical(inputs)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResult:
    """A row of the store."""

    key: str
    kind: str
    inputs: dict[str, Any]
    payload: Any
    created_utc: str
    wall_s: float | None


class ResultStore:
    """SQLite-backed cache of results keyed by input hash.

    Example:
        >>> store = ResultStore(":memory:")
        >>> calls = []
        >>> def square(): calls.append(1); return {"y": 4}
        >>> store.cached("square", {"x": 2}, square)
        {'y': 4}
        >>> store.cached("square", {"x": 2}, square), len(calls)
        ({'y': 4}, 1)
    """

    def __init__(self, path: str | Path = DEFAULT_STORE_PATH, wal: bool = True) -> None:
        """Open (or create) the store at ``path`` (":memory:" for a throwaway one).

        ``wal=False`` keeps SQLite's rollback journal: write-ahead logging needs shared
        memory between the processes of one host and is unsafe on a network
        filesystem, where a Dask task's scratch store may live.
        """
        self.path = str(path)
        self.wal = wal
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        if self.path != ":memory:" and wal:
            self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.executescript(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, key: str) -> StoredResult | None:
        """The stored row for ``key``, or None."""
        row = self._connection.execute(
            "SELECT key, kind, inputs, payload, created_utc, wall_s FROM results WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return StoredResult(row[0], row[1], json.loads(row[2]), json.loads(row[3]), row[4], row[5])

    def put(
        self,
        kind: str,
        inputs: dict[str, Any],
        payload: Any,
        wall_s: float | None = None,
        worker: str | None = None,
    ) -> str:
        """Store ``payload`` (JSON-serialisable) for (kind, inputs) in one transaction.

        The same transaction logs the computation in the executions table (``worker``
        names where it ran). Returns the key. An existing row with the same key is
        replaced.
        """
        key = input_key(kind, inputs)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        row = (
            key,
            kind,
            json.dumps(canonical(inputs), sort_keys=True),
            json.dumps(payload, default=_json_default),
            now,
            wall_s,
        )
        with self._connection:
            self._connection.execute("BEGIN IMMEDIATE")
            self._connection.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)", row
            )
            self._connection.execute(
                "INSERT INTO executions VALUES (?, ?, ?, ?, ?)", (key, kind, now, wall_s, worker)
            )
        return key

    def keys(self, kind: str | None = None) -> set[str]:
        """Keys of the stored rows, optionally of one kind (no payloads are read).

        Example:
            >>> store = ResultStore(":memory:")
            >>> key = store.put("square", {"x": 2}, {"y": 4})
            >>> store.keys() == {key}, store.keys("cube")
            (True, set())
        """
        query, args = "SELECT key FROM results", tuple[str, ...]()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        return {row[0] for row in self._connection.execute(query, args)}

    def execution_counts(self, kind: str | None = None) -> dict[str, int]:
        """How many times each key was computed to completion (from the executions log).

        Example:
            >>> store = ResultStore(":memory:")
            >>> _ = store.cached("square", {"x": 2}, lambda: {"y": 4})
            >>> _ = store.cached("square", {"x": 2}, lambda: {"y": 4})
            >>> list(store.execution_counts().values())
            [1]
        """
        query, args = "SELECT key, COUNT(*) FROM executions", tuple[str, ...]()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        return dict(self._connection.execute(query + " GROUP BY key", args).fetchall())

    def cached(self, kind: str, inputs: dict[str, Any], compute: Callable[[], T]) -> T:
        """Return the stored payload for (kind, inputs), computing and storing it if absent.

        ``compute`` must return a JSON-serialisable payload.
        """
        found = self.get(input_key(kind, inputs))
        if found is not None:
            self.hits += 1
            return found.payload
        self.misses += 1
        start = time.perf_counter()
        payload = compute()
        self.put(kind, inputs, payload, wall_s=time.perf_counter() - start)
        return payload

    def rows(self, kind: str | None = None) -> Iterator[StoredResult]:
        """Iterate over stored rows, optionally of one kind, oldest first."""
        query = "SELECT key, kind, inputs, payload, created_utc, wall_s FROM results"
        args: tuple[str, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            args = (kind,)
        for row in self._connection.execute(query + " ORDER BY created_utc, key", args):
            yield StoredResult(
                row[0], row[1], json.loads(row[2]), json.loads(row[3]), row[4], row[5]
            )

    def __len__(self) -> int:
        return self._connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
