"""Orchestration: studies over x and candidates, reproduce the paper, one task executor.

``reproduce`` and ``screen`` run their stages as cached tasks on ``run_tasks``
(in-process, a local Dask cluster or a scheduler). The function names shadow their
modules as attributes of this package; reach a module with
``importlib.import_module("sselab.pipeline.reproduce")``.

Example:
    >>> from sselab.pipeline import load_study
    >>> load_study("seed").model
    'chgnet'
"""

from sselab.pipeline.executor import RunSummary, dask_client, run_tasks
from sselab.pipeline.lattice import LatticePoint, LatticeScan, lattice_vs_x
from sselab.pipeline.reproduce import PROFILES, ReproduceResults, reproduce
from sselab.pipeline.screen import CandidateRow, ScreenResult, screen
from sselab.pipeline.study import Study, load_study
from sselab.pipeline.tasks import Task, TaskContext

__all__ = [
    "PROFILES",
    "CandidateRow",
    "LatticePoint",
    "LatticeScan",
    "ReproduceResults",
    "RunSummary",
    "ScreenResult",
    "Study",
    "Task",
    "TaskContext",
    "dask_client",
    "lattice_vs_x",
    "load_study",
    "reproduce",
    "run_tasks",
    "screen",
]
