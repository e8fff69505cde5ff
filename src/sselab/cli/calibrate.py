"""CLI command ``sselab calibrate``: GPAW labels, fine-tuned MLIPs, errors before and after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sselab.calculators import ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import DeviceOption, OutOption, ProgressOption, StoreOption
from sselab.store import DEFAULT_STORE_PATH

ModelsOption = Annotated[
    list[str] | None,
    typer.Option("--models", help="Models to fine-tune (repeat): chgnet, sevennet."),
]
LearningRateOption = Annotated[
    list[float] | None,
    typer.Option(
        "--learning-rate",
        help="Adam step size (repeat to scan: every model is fine-tuned at each and the "
        "best on the validation family is kept). Default: scan 1e-3, 4e-3, 1e-2.",
    ),
]
FrozenBlocksOption = Annotated[
    list[int] | None,
    typer.Option(
        "--frozen-blocks",
        help="Interaction blocks kept frozen, from the input side (repeat to scan with "
        "--learning-rate on the validation family). Default: each model's recipe, CHGNet 0 "
        "and SevenNet 3; 0 trains all (CHGNet has 4, SevenNet-0 5).",
    ),
]
TrajectoryOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--test-trajectory",
        help="ASE trajectory of a DFT relaxation with the same settings (repeat); its "
        "frames join the test set as a family named after the file.",
    ),
]


def calibrate_command(
    system: str = typer.Option(
        "Li-N-S",
        "--system",
        help="Configuration set: Li-N-S (2-10 atoms), Li-N-S+14 (adds 14-atom x = 1/2 "
        "orderings), Li-N-S+hull (adds 13/15-atom x = 1/4, 3/4 too).",
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        help="Configurations to label with GPAW (default: all of the system's: Li-N-S 36, "
        "Li-N-S+14 44, Li-N-S+hull 56).",
    ),
    workers: int = typer.Option(
        1, "--workers", help="GPAW labelling processes side by side (one per core)."
    ),
    hull_check: int = typer.Option(
        0,
        "--hull-check",
        help="After fine-tuning, relax N orderings per x = 1/4, 1/2, 3/4 with every base "
        "and fine-tuned model and put GPAW on the fine-tuned models' lowest cells "
        "(8 is the quick hull's; about 40 min on 2 cores for two models); 0 skips it.",
    ),
    models: ModelsOption = None,
    epochs: int | None = typer.Option(
        None,
        "--epochs",
        help="Fine-tuning epochs (default: each model's recipe, CHGNet 200, SevenNet 30).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of configurations and training."),
    learning_rate: LearningRateOption = None,
    frozen_blocks: FrozenBlocksOption = None,
    test_trajectory: TrajectoryOption = None,
    sampling_model: str = typer.Option(
        "chgnet",
        "--sampling-model",
        help="MLIP that relaxes the base cells and runs their MD snapshots before DFT "
        "labelling; 'none' labels ideal-site cells without MD frames.",
    ),
    device: DeviceOption = "auto",
    store: StoreOption = DEFAULT_STORE_PATH,
    checkpoint_dir: Path = typer.Option(
        Path("sselab-work/calibrate"), "--checkpoint-dir", help="GPAW .gpw checkpoints."
    ),
    progress: ProgressOption = True,
    out: OutOption = Path("out/calibrate"),
) -> None:
    """Fine-tune CHGNet/SevenNet on GPAW PBE labels: weights, calibration.json, parity.png."""
    from sselab.calibrate.configurations import SYSTEMS
    from sselab.calibrate.finetune import FineTuneSettings
    from sselab.calibrate.labels import trajectory_labels
    from sselab.calibrate.workflow import (
        FINETUNERS,
        INTERACTION_BLOCKS,
        LEARNING_RATE_SCAN,
        calibrate,
    )
    from sselab.dft import QUICK_DFT
    from sselab.dft.jobs import code_version
    from sselab.store import ResultStore

    chosen = models or ["chgnet", "sevennet"]
    if system not in SYSTEMS:
        fail(f"--system {system}: known systems are {', '.join(SYSTEMS)}")
    if (budget is not None and budget < 1) or (epochs is not None and epochs < 0):
        fail(f"--budget {budget} / --epochs {epochs}: budget must be >= 1 and epochs >= 0")
    if workers < 1:
        fail(f"--workers {workers}: run at least one labelling process")
    if workers > 1 and str(store) == ":memory:":
        fail(f"--workers {workers} --store :memory:: labelling processes share a store on disk")
    if hull_check < 0:
        fail(f"--hull-check {hull_check}: orderings per x must be >= 0")
    for rate in learning_rate or []:
        if not 0 < rate < 1:
            fail(f"--learning-rate {rate}: must lie in (0, 1), e.g. 1e-3")
    for model in chosen:
        if model not in FINETUNERS:
            fail(f"--models {model}: fine-tuning exists for {', '.join(FINETUNERS)}")
    # refused here, not after the labelling (tens of minutes) when the first model trains
    fewest_blocks = min(INTERACTION_BLOCKS[model] for model in chosen)
    for frozen in frozen_blocks or []:
        if not 0 <= frozen <= fewest_blocks:
            fail(
                f"--frozen-blocks {frozen}: must lie in 0..{fewest_blocks} "
                f"({', '.join(f'{m} has {INTERACTION_BLOCKS[m]}' for m in chosen)} blocks)"
            )
    extra = []
    for path in test_trajectory or []:
        if not path.is_file():
            fail(f"--test-trajectory {path}: no such file")
        try:
            frames = trajectory_labels(path, path.stem, QUICK_DFT.label(), code_version())
        except Exception as exc:  # ASE raises many types for a file that is not a trajectory
            fail(f"--test-trajectory {path}: not a readable ASE trajectory ({exc})")
        if not frames:
            fail(f"--test-trajectory {path}: no frame has energy, forces and stress")
        extra.extend(frames)
    settings = FineTuneSettings(epochs=epochs, seed=seed, device=device)
    try:
        with ResultStore(store) as results:
            calibration = calibrate(
                out,
                system,
                budget,
                chosen,
                settings,
                store=results,
                checkpoint_dir=checkpoint_dir,
                extra_labels=extra,
                progress=progress,
                sampling_model=None if sampling_model.lower() == "none" else sampling_model,
                learning_rates=learning_rate or LEARNING_RATE_SCAN,
                label_workers=workers,
                hull_check_orderings=hull_check,
                frozen_blocks=frozen_blocks or (),
            )
    except ModelUnavailableError as exc:
        fail(str(exc))
    for trial in calibration.trials:
        rate_text = "default" if trial.learning_rate is None else f"{trial.learning_rate:g}"
        frozen_text = (
            "" if trial.frozen_blocks is None else f", {trial.frozen_blocks} blocks frozen"
        )
        typer.echo(
            f"{trial.model} lr {rate_text}{frozen_text}: validation E "
            f"{trial.validation.energy_meV_per_atom:.1f} meV/atom, F "
            f"{trial.validation.force_meV_per_angstrom:.0f} meV/Å (score {trial.score:.2f})"
        )
    for result in calibration.models:
        typer.echo(f"{result.base_model} -> {result.label}")
        for when, metrics in (("before", result.test_before), ("after", result.test_after)):
            if metrics is not None:
                typer.echo(
                    f"  test {when}: E {metrics.energy_meV_per_atom:.1f} meV/atom, "
                    f"F {metrics.force_meV_per_angstrom:.0f} meV/Å, S {metrics.stress_GPa:.2f} GPa"
                )
    if calibration.hull_check is not None:
        for point in calibration.hull_check.points:
            by_model = ", ".join(f"{k} {v:+.1f}" for k, v in point.model_meV_per_atom.items())
            typer.echo(
                f"hull x = {point.x:g} at {point.geometry_model}'s lowest cell: "
                f"DFT {point.dft_meV_per_atom:+.1f}; {by_model} meV/atom above the tie"
            )
    typer.echo(json.dumps({"out": str(out), "frames": calibration.frames_by_family}))


def register(app: typer.Typer) -> None:
    """Add ``sselab calibrate`` to the root app."""
    app.command("calibrate")(calibrate_command)
