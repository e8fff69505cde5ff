"""Run a DAG of :class:`~sselab.pipeline.tasks.Task` in-process or on Dask, caching in the store.

Design:

* **Only the driver writes the store.** Workers run the stage function and return
  the result as JSON; the driver writes one transaction per finished task (result row
  and executions-log row together) and rebuilds the typed result (``Task.returns``)
  for the dependants. In-process runs also hand the store to the stage (its inner
  relaxations are cached). On Dask a task caches its inner steps in a private scratch
  store in its own work folder (``inner.sqlite``), so a rerun of a killed task resumes
  them; no two processes ever write the same SQLite file. Payloads are small
  (summaries and structures, never trajectories).
* **Resumable.** A task whose key is in the store is never submitted. A killed driver
  loses only the tasks in flight; the rerun computes exactly those and their
  dependents.
* **Failures are contained.** A task that raises is reported in
  :attr:`RunSummary.failed`; its dependents are skipped, everything else runs.
* **Critical path first.** On Dask, a task with a longer chain of dependants below it
  gets a higher priority (the quick profile's thermodynamics gates its DFT check), so
  the dependants are not left to run alone at the end.
* **Placement.** A task's ``resources`` (``{"GPU": 1}`` for MD) are passed to Dask when
  some worker declares them (``dask worker --resources GPU=1``), so each GPU runs one
  MD at a time; without such workers they are ignored.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sselab.pipeline.tasks import Task, TaskContext, TaskFunction
from sselab.roundtrip import RoundTrip, encode
from sselab.store import ResultStore, _json_default

logger = logging.getLogger(__name__)

# a Dask task's own cache of its inner steps, in its work folder
SCRATCH_STORE_NAME = "inner.sqlite"


class TaskError(RuntimeError):
    """A task's stage function raised; the message names the task."""


@dataclass
class RunSummary(RoundTrip):
    """Outcome of :func:`run_tasks`.

    ``as_dict`` leaves the payloads out (they are in the store, typed by their task);
    :meth:`summary` gives the counts per stage.

    Attributes:
        payloads: key -> typed result of every task that has one (stored or new).
        computed: keys computed in this run.
        cached: keys found in the store (not recomputed).
        failed: key -> "kind (label): error" of tasks that raised.
        skipped: keys not run because a dependency failed.
        wall_s: wall time of the run.
        n_workers: Dask workers used (0 = in-process).
        kinds: key -> task kind (for per-stage counts).
    """

    payloads: dict[str, Any] = field(default_factory=dict)
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    n_workers: int = 0
    kinds: dict[str, str] = field(default_factory=dict)

    _derived_fields = ("payloads",)

    def summary(self) -> dict[str, Any]:
        """Counts per stage, failures and timing (JSON; payloads left out)."""

        def per_kind(keys: Iterable[str]) -> dict[str, int]:
            return dict(sorted(Counter(self.kinds[k] for k in keys).items()))

        return {
            "wall_s": self.wall_s,
            "n_workers": self.n_workers,
            "computed": per_kind(self.computed),
            "cached": per_kind(self.cached),
            "failed": self.failed,
            "skipped": per_kind(self.skipped),
        }


def plan(tasks: Iterable[Task]) -> list[Task]:
    """All tasks with their dependencies, deduplicated by key, dependencies first.

    Example:
        >>> def one(i, d, c): return 1
        >>> a = Task("a", {}, one)
        >>> [t.kind for t in plan([Task("b", {}, one, {"a": a}), Task("a", {}, one)])]
        ['a', 'b']
    """
    ordered: dict[str, Task] = {}

    def visit(task: Task) -> None:
        if task.key in ordered:
            return
        for dep in task.deps.values():
            visit(dep)
        ordered[task.key] = task

    for task in tasks:
        visit(task)
    return list(ordered.values())


def execute(
    fn: TaskFunction, inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> tuple[Any, float, str]:
    """Run one stage function (on a worker or in-process): (payload, wall_s, worker).

    The result goes through JSON here (``as_dict`` for typed results) so that a fresh
    result and one read back from the store are the same plain data.

    Example:
        >>> execute(lambda i, d, c: {"y": (i["x"], 2)}, {"x": 1}, {}, TaskContext(Path(".")))[0]
        {'y': [1, 2]}
    """
    start = time.perf_counter()
    payload = json.loads(json.dumps(encode(fn(inputs, deps, context)), default=_json_default))
    return payload, time.perf_counter() - start, f"{socket.gethostname()}:{os.getpid()}"


def execute_with_scratch_store(
    fn: TaskFunction, inputs: dict[str, Any], deps: dict[str, Any], context: TaskContext
) -> tuple[Any, float, str]:
    """:func:`execute` on a Dask worker: inner steps cached in ``work_dir/inner.sqlite``.

    The scratch store is the task's own (its work folder is keyed by the task), so a
    killed task rerun on any worker finds its finished relaxations there, and no other
    process writes that file.

    Example:
        >>> import tempfile
        >>> step = lambda i, d, c: c.store.cached("step", {"x": i["x"]}, lambda: {"y": 2})
        >>> folder = Path(tempfile.mkdtemp())
        >>> execute_with_scratch_store(step, {"x": 1}, {}, TaskContext(folder))[0]
        {'y': 2}
        >>> (folder / "inner.sqlite").exists()
        True
    """
    # rollback journal: the work folder may be on a cluster's network filesystem
    with ResultStore(context.work_dir / SCRATCH_STORE_NAME, wal=False) as scratch:
        return execute(fn, inputs, deps, replace(context, store=scratch))


def typed(task: Task, payload: Any) -> Any:
    """The task's typed result from its stored JSON (``task.returns.from_dict``).

    Example:
        >>> from sselab.estimate import Estimate
        >>> task = Task("e", {}, lambda i, d, c: Estimate.exact(1.0), returns=Estimate)
        >>> typed(task, {"value": 1.0})
        Estimate(value=1.0, error=None, ci95=None, unit='', error_kind='standard error')
    """
    return payload if task.returns is None else task.returns.from_dict(payload)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:>12s}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),  # stdout stays for results
        disable=not enabled,
    )


def _resources_offered(client: Any) -> set[str]:
    workers = client.scheduler_info().get("workers", {}).values()
    return {name for worker in workers for name in (worker.get("resources") or {})}


def task_work_dir(work_dir: str | Path, task: Task) -> Path:
    """Scratch folder of ``task`` under the root ``work_dir`` of :func:`run_tasks`.

    Where an MD task left its trajectory, for analyses that read it afterwards.

    Example:
        >>> def one(inputs, deps, context): return 1
        >>> task_work_dir("work", Task("md", {"x": 1}, one)).name.startswith("md-")
        True
    """
    return Path(work_dir) / f"{task.kind}-{task.key[:16]}"


def run_tasks(
    tasks: Iterable[Task],
    store: ResultStore,
    client: Any | None = None,
    work_dir: str | Path = "sselab-work",
    device: str = "auto",
    progress: bool = True,
) -> RunSummary:
    """Compute every task (and its dependencies) not yet in ``store``.

    Args:
        tasks: the tasks wanted; dependencies are added automatically.
        store: results store; finished tasks are written to it by this process.
        client: ``dask.distributed.Client`` (see :func:`dask_client`), or None to run
            in-process in dependency order.
        work_dir: root of per-task scratch folders (``work_dir/<kind>-<key[:16]>``, MD
            checkpoints); must be visible to the workers.
        device: torch device for MLIPs on the workers ("auto" picks CUDA when present).
        progress: live rich progress bars (done / total per stage).

    Returns:
        :class:`RunSummary` with the typed result of every task.

    Example:
        >>> def square(inputs, deps, context): return inputs["x"] ** 2
        >>> def total(inputs, deps, context): return sum(deps.values())
        >>> parts = [Task("square", {"x": x}, square) for x in (1, 2, 3)]
        >>> job = Task("sum", {}, total, {f"p{k}": t for k, t in enumerate(parts)})
        >>> summary = run_tasks([job], ResultStore(":memory:"), progress=False)
        >>> summary.payloads[job.key], len(summary.computed)
        (14, 4)
    """
    start = time.perf_counter()
    ordered = plan(tasks)
    summary = RunSummary(kinds={t.key: t.kind for t in ordered})
    stored = store.keys()
    root = Path(work_dir)

    def context(task: Task) -> TaskContext:
        return TaskContext(task_work_dir(root, task), device)

    def context_in_process(task: Task) -> TaskContext:
        return TaskContext(task_work_dir(root, task), device, store)

    with _progress(progress) as bars:
        bar_of: dict[str, Any] = {}
        for kind, count in Counter(t.kind for t in ordered).items():
            bar_of[kind] = bars.add_task(kind, total=count)
        todo: list[Task] = []
        for task in ordered:
            found = store.get(task.key) if task.key in stored else None
            if found is not None:
                summary.payloads[task.key] = typed(task, found.payload)
                summary.cached.append(task.key)
                bars.advance(bar_of[task.kind])
            else:
                todo.append(task)

        def record(task: Task, outcome: tuple[Any, float, str] | BaseException) -> None:
            if isinstance(outcome, BaseException):
                summary.failed[task.key] = f"{task.kind} ({task.label}): {outcome}"
                logger.error("task failed: %s", summary.failed[task.key])
            else:
                payload, wall_s, worker = outcome
                store.put(task.kind, task.store_inputs, payload, wall_s=wall_s, worker=worker)
                summary.payloads[task.key] = typed(task, payload)
                summary.computed.append(task.key)
            bars.advance(bar_of[task.kind])

        if client is None:
            _run_serial(todo, summary, record, context_in_process)
        else:
            summary.n_workers = len(client.scheduler_info().get("workers", {}))
            _run_dask(todo, summary, record, context, client)
    summary.wall_s = time.perf_counter() - start
    return summary


def _blocked(task: Task, summary: RunSummary) -> bool:
    return any(d.key in summary.failed or d.key in summary.skipped for d in task.deps.values())


def _run_serial(todo: Sequence[Task], summary: RunSummary, record: Any, context: Any) -> None:
    for task in todo:
        if _blocked(task, summary):
            summary.skipped.append(task.key)
            continue
        deps = {name: summary.payloads[d.key] for name, d in task.deps.items()}
        try:
            outcome: Any = execute(task.fn, dict(task.inputs), deps, context(task))
        except Exception as exc:
            outcome = exc
        record(task, outcome)


def chain_below(tasks: Sequence[Task]) -> dict[str, int]:
    """Length of the longest chain of dependants below each task (0: nothing waits on it).

    Example:
        >>> def one(i, d, c): return 1
        >>> a = Task("a", {}, one); b = Task("b", {}, one, {"a": a})
        >>> c = Task("c", {}, one, {"b": b})
        >>> [chain_below([a, b, c])[t.key] for t in (a, b, c)]
        [2, 1, 0]
    """
    children: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        for dep in task.deps.values():
            children[dep.key].append(task)
    depth: dict[str, int] = {}

    def below(task: Task) -> int:
        if task.key not in depth:
            depth[task.key] = max((1 + below(c) for c in children[task.key]), default=0)
        return depth[task.key]

    for task in tasks:
        below(task)
    return depth


def _run_dask(
    todo: Sequence[Task], summary: RunSummary, record: Any, context: Any, client: Any
) -> None:
    from distributed import as_completed

    priority = chain_below(todo)

    offered = _resources_offered(client)
    waiting = {t.key: t for t in todo}
    children: dict[str, list[Task]] = defaultdict(list)
    for task in todo:
        for dep in task.deps.values():
            if dep.key in waiting:
                children[dep.key].append(task)
    futures = as_completed()
    task_of: dict[str, Task] = {}

    def ready(task: Task) -> bool:
        return all(d.key in summary.payloads for d in task.deps.values())

    def submit(task: Task) -> None:
        deps = {name: summary.payloads[d.key] for name, d in task.deps.items()}
        resources = dict(task.resources) if set(task.resources) <= offered else None
        future = client.submit(
            execute_with_scratch_store,
            task.fn,
            dict(task.inputs),
            deps,
            context(task),
            key=f"{task.kind}-{task.key[:12]}-{uuid.uuid4().hex[:6]}",
            pure=False,
            priority=priority[task.key],
            resources=resources or None,
        )
        task_of[future.key] = task
        futures.add(future)
        del waiting[task.key]

    def skip_descendants(key: str) -> None:
        for child in children[key]:
            if child.key in waiting:
                del waiting[child.key]
                summary.skipped.append(child.key)
                skip_descendants(child.key)

    # submitted in priority order too: a free worker takes the first task that arrives
    for task in sorted(waiting.values(), key=lambda t: -priority[t.key]):
        if ready(task):
            submit(task)
    for future in futures:
        task = task_of.pop(future.key)
        try:
            outcome: Any = future.result()
        except Exception as exc:
            outcome = exc
        record(task, outcome)
        if task.key in summary.failed:
            skip_descendants(task.key)
            continue
        for child in children[task.key]:
            if child.key in waiting and ready(child):
                submit(child)


def local_cluster(workers: int, gpus: int = 0) -> Any:
    """A Dask cluster of single-threaded worker processes on loopback (no dashboard).

    The first ``gpus`` workers each own one GPU: ``CUDA_VISIBLE_DEVICES`` pins it and
    they declare the resource ``GPU=1``, so tasks asking for a GPU (MD) run one per
    GPU; the other workers see no GPU and take the CPU work.

    Args:
        workers: worker processes (>= 1).
        gpus: GPUs to hand out, at most ``workers``.

    Example:
        >>> with local_cluster(2) as cluster:  # doctest: +SKIP
        ...     len(cluster.workers)
        2
    """
    import dask
    from distributed import Nanny, Scheduler, SpecCluster

    if workers < 1:
        raise ValueError(f"workers = {workers}: need at least one worker")
    if not 0 <= gpus <= workers:
        raise ValueError(f"gpus = {gpus}: must be between 0 and the number of workers")
    # Processes (not threads): MLIP calculators are not thread-safe and torch holds the
    # GIL in parts of a force call; one thread each keeps 1 task = 1 core.
    base = {"nthreads": 1, "host": "127.0.0.1", "dashboard": False, "silence_logs": logging.ERROR}
    specs = {}
    for i in range(workers):
        if i < gpus:
            extra = {"resources": {"GPU": 1}, "env": {"CUDA_VISIBLE_DEVICES": str(i)}}
            specs[f"gpu-{i}"] = {"cls": Nanny, "options": {**base, **extra}}
        else:
            extra = {"env": {"CUDA_VISIBLE_DEVICES": ""}} if gpus else {}
            specs[f"cpu-{i}"] = {"cls": Nanny, "options": {**base, **extra}}
    scheduler = {
        "cls": Scheduler,
        "options": {"host": "127.0.0.1", "port": 0, "dashboard": False, "dashboard_address": None},
    }
    # The Nannies read their pre-spawn environment when they are built, here.
    with dask.config.set({PRE_SPAWN_ENVIRON: worker_pre_spawn_environ()}):
        return SpecCluster(workers=specs, scheduler=scheduler, silence_logs=logging.ERROR)


PRE_SPAWN_ENVIRON = "distributed.nanny.pre-spawn-environ"


def worker_pre_spawn_environ() -> dict[str, Any]:
    """Dask's pre-spawn environment of worker processes, less ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets glibc's trim threshold to 64 KiB in every worker it spawns, so that freed
    memory goes back to the OS. Torch frees and reallocates its buffers at every force
    call, and with that setting each reallocation is a fresh ``mmap`` and page faults:
    a CHGNet force call ran 1.8x slower (14- and 96-atom cells, one thread, idle 2-core
    machine; half the worker's CPU time was spent in the kernel). glibc's own adaptive
    threshold keeps the buffers. The thread limits (``OMP_NUM_THREADS=1`` ...) stay.

    Example:
        >>> "MALLOC_TRIM_THRESHOLD_" in worker_pre_spawn_environ()
        False
        >>> worker_pre_spawn_environ()["OMP_NUM_THREADS"]
        1
    """
    import dask
    import distributed  # noqa: F401  (importing it loads its config defaults)

    environ = dict(dask.config.get(PRE_SPAWN_ENVIRON, default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environ


def _visible_gpus() -> int:
    import torch

    return torch.cuda.device_count()


@contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, gpus: int | None = None
) -> Iterator[Any]:
    """A Dask client for ``run_tasks``, or None for in-process execution.

    Args:
        workers: start a :func:`local_cluster` of this many worker processes.
        scheduler: address of an existing scheduler, e.g. ``tcp://10.0.0.5:8786``
            (a dask-jobqueue SLURMCluster, ``dask scheduler`` + ``dask worker``; start
            GPU workers with ``--resources GPU=1`` for one MD per GPU).
        gpus: GPUs handed to the local cluster (default: all CUDA devices, at most
            ``workers``).

    Yields:
        ``distributed.Client`` or None (neither option given).

    Raises:
        ValueError: both options given, or workers < 1.

    Example:
        >>> with dask_client() as client:
        ...     client is None
        True
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers (a local cluster) or scheduler, not both")
    if workers is None and scheduler is None:
        yield None
        return
    from distributed import Client

    if scheduler is not None:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    assert workers is not None  # neither option given returned above
    if workers < 1:
        raise ValueError(f"workers = {workers}: need at least one worker")
    n_gpus = min(workers, _visible_gpus()) if gpus is None else gpus
    with local_cluster(workers, n_gpus) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers, timeout=120)
        yield client
