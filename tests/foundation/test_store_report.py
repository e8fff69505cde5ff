"""Results store (transactions, hashing) and the HTML report."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from sselab.estimate import Estimate
from sselab.pipeline.lattice import LatticePoint, LatticeScan
from sselab.reference import paper_value
from sselab.report import Section, write_report
from sselab.report.lattice import lattice_section
from sselab.store import ResultStore, input_key
from sselab.structures import antifluorite
from sselab.structures.cells import supercell_for_x


def test_input_key_is_stable_for_equal_structures() -> None:
    assert input_key("relax", {"s": antifluorite(0.5)}) == input_key(
        "relax", {"s": antifluorite(0.5)}
    )
    assert input_key("relax", {"s": antifluorite(0.5)}) != input_key(
        "relax", {"s": antifluorite(0.4)}
    )
    assert input_key("relax", {"fmax": 0.02}) != input_key("md", {"fmax": 0.02})


def _write_forever(path: str) -> None:
    store = ResultStore(path)
    i = 0
    while True:
        store.put("bulk", {"i": i}, {"data": "x" * 50_000, "i": i})
        i += 1


def test_killed_writer_leaves_only_whole_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "r.sqlite")
    ResultStore(path).close()
    process = multiprocessing.get_context("spawn").Process(target=_write_forever, args=(path,))
    process.start()
    # kill mid-stream once a few rows have landed (start-up time varies with load)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with ResultStore(path) as store:
            if len(store) >= 3:
                break
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    with ResultStore(path) as store:
        rows = list(store.rows("bulk"))
        assert len(rows) > 0
        for row in rows:
            assert row.payload["data"] == "x" * 50_000
            assert row.payload["i"] == row.inputs["i"]
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_supercell_choice() -> None:
    assert supercell_for_x(0.5) == ((1, 1, 1), 0.5)
    assert supercell_for_x(0.25) == ((1, 1, 1), 0.25)
    assert supercell_for_x(0.1, max_anions=8) == ((2, 1, 1), 0.125)
    assert supercell_for_x(0.7, max_anions=16) == ((2, 2, 1), 0.6875)
    with pytest.raises(ValueError):
        supercell_for_x(0.5, max_anions=2)


def test_report_is_self_contained_and_compares_with_paper(tmp_path: Path) -> None:
    spread = Estimate.from_samples([5.40, 5.42], "Å", best=5.40)
    point = LatticePoint(0.5, 0.5, (1, 1, 1), 14, 2, spread, -4.0, True, "chgnet:0.3.0", 1.0)
    one = Estimate.from_samples([5.70], "Å", best=5.70)
    li2s = LatticePoint(0.0, 0.0, (1, 1, 1), 12, 1, one, -4.1, True, "chgnet:0.3.0", 1.0)
    section = lattice_section(LatticeScan([li2s, point]))
    paper_a = paper_value("structure", "a_Li2.5N0.5S0.5_angstrom")
    row = next(c for c in section.comparisons if c.quantity.startswith("a(x = 0.5)"))
    assert row.paper_value == paper_a
    assert row.relative_deviation == pytest.approx((5.40 - paper_a) / paper_a)
    assert row.sselab_error == pytest.approx(spread.error)  # the spread over orderings
    assert li2s.a_angstrom.error is None  # one ordering: spread unknown, not 0
    page = write_report([section, Section("Empty")], tmp_path / "r.html").read_text()
    assert "Paper vs sselab" in page and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page  # opens offline


def test_paper_values_copy_matches_shared(shared_dir: Path) -> None:
    import tomllib

    from sselab.reference import paper_values

    shared = tomllib.loads((shared_dir / "reference" / "paper_values.toml").read_text())
    assert paper_values() == shared
