"""Task DAG semantics: caching by key, dependency order, failure containment, executions log."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from sselab.estimate import Estimate
from sselab.pipeline.executor import RunSummary, dask_client, local_cluster, plan, run_tasks
from sselab.pipeline.tasks import Task, TaskContext
from sselab.store import ResultStore


def square(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> float:
    return inputs["x"] ** 2


def total(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> float:
    return inputs["scale"] * sum(deps.values())


def reciprocal(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> float:
    return 1.0 / inputs["x"]


def _graph(xs: list[float], scale: float = 1.0) -> Task:
    parts = {f"p{k}": Task("square", {"x": x}, square) for k, x in enumerate(xs)}
    return Task("sum", {"scale": scale}, total, parts)


def test_results_are_cached_and_reruns_compute_nothing(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "s.sqlite") as store:
        job = _graph([1.0, 2.0, 3.0])
        first = run_tasks([job], store, progress=False)
        assert first.payloads[job.key] == pytest.approx(14.0)
        assert len(first.computed) == 4 and not first.cached
        again = run_tasks([_graph([1.0, 2.0, 3.0])], store, progress=False)
        assert not again.computed and len(again.cached) == 4
        # a changed upstream input changes every downstream key, nothing else
        changed = run_tasks([_graph([1.0, 2.0, 4.0])], store, progress=False)
        assert sorted(changed.kinds[k] for k in changed.computed) == ["square", "sum"]
        assert changed.payloads[_graph([1.0, 2.0, 4.0]).key] == pytest.approx(21.0)
        assert set(store.execution_counts().values()) == {1}


def test_shared_dependencies_run_once_and_come_first() -> None:
    a, b = _graph([1.0, 2.0]), _graph([2.0, 1.0], scale=2.0)
    ordered = plan([a, b])
    assert len(ordered) == 4  # squares of 1 and 2 are shared
    assert [t.kind for t in ordered].index("sum") == 2


def test_a_failing_task_skips_only_its_dependents(tmp_path: Path) -> None:
    bad = Task("reciprocal", {"x": 0.0}, reciprocal)
    good = Task("reciprocal", {"x": 4.0}, reciprocal)
    downstream = Task("sum", {"scale": 1.0}, total, {"a": bad})
    with ResultStore(tmp_path / "s.sqlite") as store:
        summary = run_tasks([downstream, good], store, progress=False)
        assert list(summary.failed.values()) == ["reciprocal (): float division by zero"]
        assert summary.skipped == [downstream.key]
        assert summary.payloads[good.key] == 0.25
        assert store.keys() == {good.key}  # nothing partial was written
    assert summary.summary()["skipped"] == {"sum": 1}
    assert RunSummary.from_dict(json.loads(json.dumps(summary.as_dict()))).failed == summary.failed


def test_client_options_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either workers"), dask_client(2, "tcp://127.0.0.1:1"):
        pass
    with pytest.raises(ValueError, match="at least one worker"), dask_client(0):
        pass


def gpu_job(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> dict:
    import os
    import time

    start = time.time()
    time.sleep(0.3)
    return {"gpu": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start, "end": time.time()}


def test_gpu_tasks_run_one_at_a_time_on_the_gpu_worker(tmp_path: Path) -> None:
    # One worker owns "GPU 0" (a declared resource + CUDA_VISIBLE_DEVICES), one does not;
    # the placement logic is Dask's and needs no physical GPU to be exercised.
    # Connecting by address is the --scheduler path (an existing cluster).
    jobs = [Task("md", {"k": k}, gpu_job, resources={"GPU": 1}) for k in range(4)]
    with (
        local_cluster(2, gpus=1) as cluster,
        dask_client(scheduler=cluster.scheduler_address) as client,
        ResultStore(tmp_path / "g.sqlite") as store,
    ):
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        client.wait_for_workers(2)
        resources = {w["name"]: w["resources"] for w in client.scheduler_info()["workers"].values()}
        assert resources == {"gpu-0": {"GPU": 1}, "cpu-1": {}}
        summary = run_tasks(jobs, store, client, tmp_path, progress=False)
    runs = sorted((summary.payloads[t.key] for t in jobs), key=lambda r: r["start"])
    assert [r["gpu"] for r in runs] == ["0"] * 4
    assert all(a["end"] <= b["start"] for a, b in pairwise(runs))


def measured(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Estimate:
    return Estimate.normal(inputs["x"], 0.1, "eV")


def doubled(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> Estimate:
    source = deps["source"]
    assert isinstance(source, Estimate), "dependants receive the typed result"
    return Estimate.normal(2 * source.value, 2 * (source.error or 0.0), source.unit)


def test_typed_results_reach_dependants_fresh_and_from_the_store(tmp_path: Path) -> None:
    source = Task("measure", {"x": 0.25}, measured, returns=Estimate)
    job = Task("double", {}, doubled, {"source": source}, returns=Estimate)
    with ResultStore(tmp_path / "s.sqlite") as store:
        fresh = run_tasks([job], store, progress=False)
        again = run_tasks([job], store, progress=False)
        stored = store.get(job.key)
    assert fresh.payloads[job.key] == again.payloads[job.key] == Estimate.normal(0.5, 0.2, "eV")
    assert len(again.cached) == 2 and not again.computed
    assert stored is not None and stored.payload["error"] == pytest.approx(0.2)  # JSON in the store


def two_steps(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> dict:
    """Two cached inner steps; the second fails while ``fail`` names a file that exists."""
    context.store.cached("step", {"n": 1}, lambda: {"done": True})
    if Path(inputs["fail"]).exists():
        raise RuntimeError("killed after the first step")
    return {"hits": context.store.hits}


def test_a_killed_dask_task_resumes_its_inner_steps_from_its_scratch_store(
    tmp_path: Path,
) -> None:
    flag = tmp_path / "fail-now"
    flag.touch()
    job = Task("two-steps", {"fail": str(flag)}, two_steps)
    with dask_client(workers=1) as client, ResultStore(tmp_path / "s.sqlite") as store:
        first = run_tasks([job], store, client, tmp_path / "work", progress=False)
        assert "killed after the first step" in first.failed[job.key]
        flag.unlink()
        again = run_tasks([job], store, client, tmp_path / "work", progress=False)
    assert again.payloads[job.key]["hits"] == 1  # the first step came from the scratch store
    assert store.path not in {str(p) for p in (tmp_path / "work").rglob("*.sqlite")}
    assert len(list((tmp_path / "work").rglob("inner.sqlite"))) == 1


def timed(inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext) -> float:
    time.sleep(0.2)
    return time.time()


def test_on_one_worker_the_task_others_wait_for_runs_first(tmp_path: Path) -> None:
    alone = [Task("leaf", {"k": k}, timed) for k in range(3)]
    gate = Task("gate", {}, timed)
    after = Task("after", {}, timed, {"gate": gate})
    with dask_client(workers=1) as client, ResultStore(tmp_path / "s.sqlite") as store:
        summary = run_tasks([*alone, after], store, client, tmp_path, progress=False)
    finished = sorted((summary.payloads[t.key], t.kind) for t in (*alone, gate, after))
    assert finished[0][1] == "gate"


def test_local_workers_keep_glibc_trim_threshold_and_one_thread() -> None:
    # Dask's 64 KiB MALLOC_TRIM_THRESHOLD_ made every CHGNet force call 1.8x slower
    # (page faults on each torch reallocation): local workers must not inherit it.
    import os

    with dask_client(workers=1) as client:
        environ = client.run(
            lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")}
        )
    assert list(environ.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1"}]
