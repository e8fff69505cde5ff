"""One error helper for every command: a red one-line message and exit code 1, no traceback."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit with status 1.

    Example:
        >>> import typer
        >>> try:
        ...     fail("x = 1.5 must be in (0, 1)")
        ... except typer.Exit as exit_:
        ...     exit_.exit_code
        1
    """
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
