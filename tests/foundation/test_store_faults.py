"""Faults under load: several processes write one store while some are SIGKILLed.

The properties (issue "hostile input and hard faults"): the database passes
``PRAGMA integrity_check``; every result a process reported finished is there,
whole; no key holds a partial payload; a rerun computes exactly the missing tasks.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from sselab.store import ResultStore, input_key

N_TASKS = 40
N_PROCESSES = 4
PAYLOAD_CHARS = 20_000  # large enough that a torn write would show


def _payload(task: int) -> dict[str, object]:
    return {"task": task, "data": f"{task:06d}" * (PAYLOAD_CHARS // 6)}


def _worker(path: str, order_seed: int, log_path: str) -> None:
    """Work through every task in its own order, logging each one the store returned."""
    import random

    tasks = list(range(N_TASKS))
    random.Random(order_seed).shuffle(tasks)
    with ResultStore(path) as store, open(log_path, "a") as log:
        for task in tasks:

            def compute(task: int = task) -> dict[str, object]:
                time.sleep(0.05)  # a computation that takes a moment
                return _payload(task)

            store.cached("fault_task", {"task": task}, compute)
            log.write(f"{task}\n")
            log.flush()


def _wait_for_rows(path: str, n_rows: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with ResultStore(path) as store:
            if len(store) >= n_rows:
                return
        time.sleep(0.02)


def test_concurrent_writers_with_kills_lose_nothing_finished(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    ResultStore(path).close()
    context = multiprocessing.get_context("spawn")
    logs = [tmp_path / f"worker{i}.log" for i in range(N_PROCESSES)]
    processes = [
        context.Process(target=_worker, args=(path, seed, str(log)))
        for seed, log in enumerate(logs)
    ]
    for process in processes:
        process.start()
    # kill half of the writers once rows are landing (start-up time varies with load),
    # the other half later, so that work is left for the rerun
    for batch, rows_landed in ((processes[:2], 5), (processes[2:], N_TASKS // 2)):
        _wait_for_rows(path, rows_landed)
        for process in batch:
            os.kill(process.pid, signal.SIGKILL)
    for process in processes:
        process.join(timeout=300)
    assert all(process.exitcode == -signal.SIGKILL for process in processes)

    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reported = {int(line) for log in logs if log.exists() for line in log.read_text().split()}
    with ResultStore(path) as store:
        rows = list(store.rows("fault_task"))
        stored = {row.inputs["task"] for row in rows}
        assert reported <= stored, f"reported but lost: {sorted(reported - stored)}"
        for row in rows:  # whole payloads only
            assert row.payload == _payload(row.inputs["task"])
        missing = set(range(N_TASKS)) - stored
        assert missing, "every writer finished before its kill: the test exercised nothing"
        executions_before = sum(store.execution_counts("fault_task").values())

    _worker(path, order_seed=99, log_path=str(tmp_path / "rerun.log"))
    with ResultStore(path) as store:
        executions_after = sum(store.execution_counts("fault_task").values())
        assert len(store.keys("fault_task")) == N_TASKS
        assert executions_after - executions_before == len(missing)
        for task in range(N_TASKS):
            row = store.get(input_key("fault_task", {"task": task}))
            assert row is not None
            assert json.dumps(row.payload) == json.dumps(_payload(task))


@pytest.mark.slow
def test_repeated_kill_rounds(tmp_path: Path) -> None:
    """Five rounds of start-four-kill-two on one store, then a clean rerun."""
    for _round in range(5):
        test_concurrent_writers_with_kills_lose_nothing_finished(tmp_path / f"r{_round}")
