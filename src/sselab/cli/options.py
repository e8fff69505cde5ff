"""Option types shared by every command (janus-core style): one definition, one help text.

Use them as annotations, e.g. ``model: ModelOption = DEFAULT_MODEL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MODEL_HELP = (
    "Model: chgnet, chgnet:0.2.0, chgnet:r2scan, sevennet, sevennet:7net-l3i5, "
    "sevennet:7net-mf-0, or NAME:/local/weights (mace, mattersim, orb, fairchem)"
)

ModelOption = Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)]
DeviceOption = Annotated[str, typer.Option("--device", help="Torch device: auto, cpu or cuda.")]
StoreOption = Annotated[Path, typer.Option("--store", help="SQLite results store.")]
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
MaxMemoryOption = Annotated[
    float | None,
    typer.Option(
        "--max-memory-gb",
        help="Refuse work estimated to need more memory (GiB); default "
        "$SSELAB_MAX_MEMORY_GB or 80 % of the available memory.",
    ),
]

WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", help="Run on a local Dask cluster of N single-threaded processes."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run on an existing Dask cluster, e.g. tcp://HOST:8786."),
]
GpusOption = Annotated[
    int | None,
    typer.Option("--gpus", help="GPUs for --workers (one MD per GPU); default: all CUDA devices."),
]
ProgressOption = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Live progress bars.")
]
