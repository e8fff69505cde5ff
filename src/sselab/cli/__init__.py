"""The ``sselab`` command: a thin typer layer over the Python API.

Each stage adds its commands through a ``register(app)`` function in its own
``sselab.cli.<stage>`` module, listed in STAGE_CLI_MODULES.
"""

from __future__ import annotations

import importlib
import logging
import warnings

import typer

app = typer.Typer(
    name="sselab",
    help="Design and evaluate solid-state electrolytes for Li-metal batteries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
) -> None:
    """sselab: from candidate solid electrolyte to evidence."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        # ASE's FrechetCellFilter calls scipy's logm every step and scipy warns about
        # a 1e-13 inaccuracy each time, burying the progress bars
        warnings.filterwarnings("ignore", message="logm result may be inaccurate")


@app.command()
def models() -> None:
    """List the registered MLIPs, their bundled weights and whether they are installed."""
    from sselab.calculators import REGISTRY, available_models

    installed = available_models()
    for name, spec in REGISTRY.items():
        weights = ", ".join(spec.variants) if spec.variants else "local file: NAME:/path/to/weights"
        status = "installed" if installed[name] else f"missing (pip install 'sselab[{spec.extra}]')"
        typer.echo(f"{name:10s} {status:40s} {weights}")


STAGE_CLI_MODULES: tuple[str, ...] = (
    "sselab.cli.pipeline",
    "sselab.cli.thermo",
    "sselab.cli.diffraction",
    "sselab.cli.md",
    "sselab.cli.neb",
    "sselab.cli.bvse",
    "sselab.cli.electrochem",
    "sselab.cli.dft",
    "sselab.cli.screen",
    "sselab.cli.calibrate",
)

for _module in STAGE_CLI_MODULES:
    importlib.import_module(_module).register(app)
