"""Memory limits: estimate what a computation needs before allocating it, refuse if it cannot fit.

A BVSE grid at fine resolution on a large cell, or an MD run that keeps millions of
frames, can ask for more memory than the machine has; the OS then kills the process
without a word. Instead, the entry points that allocate in proportion to their
arguments estimate the need first and raise :class:`MemoryLimitError` with the
estimate and the option that lowers it.

The limit (``max_memory_gb``) is, in order: the argument when given, the environment
variable ``SSELAB_MAX_MEMORY_GB``, else 80 % of the memory available now — psutil's
``available`` when psutil is installed, otherwise ``os.sysconf`` free pages — and never
more than what a container's cgroup (v2 ``memory.max``) still allows.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

GIB = 1024**3
MEMORY_FRACTION = 0.8  # leave room for the interpreter, libraries and other processes
_CGROUP = Path("/sys/fs/cgroup")


class MemoryLimitError(ValueError):
    """A computation would need more memory than allowed (the message says how to lower it)."""


def available_memory_bytes() -> int | None:
    """Memory this process can still allocate, in bytes (None when it cannot be found).

    Example:
        >>> available = available_memory_bytes()
        >>> available is None or available > 0
        True
    """
    candidates = []
    try:
        import psutil

        candidates.append(int(psutil.virtual_memory().available))
    except ImportError:
        with contextlib.suppress(ValueError, OSError):  # not POSIX
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    try:
        limit = (_CGROUP / "memory.max").read_text().strip()
        if limit != "max":
            used = int((_CGROUP / "memory.current").read_text())
            candidates.append(max(int(limit) - used, 0))
    except (OSError, ValueError):  # no cgroup v2 limit visible
        pass
    return min(candidates) if candidates else None


def default_max_memory_gb() -> float:
    """The default limit in GiB: ``SSELAB_MAX_MEMORY_GB``, else 80 % of the available memory.

    Example:
        >>> default_max_memory_gb() > 0
        True
    """
    setting = os.environ.get("SSELAB_MAX_MEMORY_GB")
    if setting:
        try:
            value = float(setting)
        except ValueError:
            raise MemoryLimitError(
                f"SSELAB_MAX_MEMORY_GB = '{setting}' is not a number of GiB"
            ) from None
        if not value > 0:
            raise MemoryLimitError(f"SSELAB_MAX_MEMORY_GB = '{setting}' must be positive")
        return value
    available = available_memory_bytes()
    # Unknown (exotic platform): do not refuse what might fit.
    return float("inf") if available is None else MEMORY_FRACTION * available / GIB


def memory_limit_gb(max_memory_gb: float | None = None) -> float:
    """The limit in GiB: ``max_memory_gb`` when given (must be positive), else the default.

    Example:
        >>> memory_limit_gb(4.0)
        4.0
    """
    limit_gb = default_max_memory_gb() if max_memory_gb is None else max_memory_gb
    if not limit_gb > 0:
        raise MemoryLimitError(f"max_memory_gb = {limit_gb}: must be positive")
    return limit_gb


def check_memory(
    need_bytes: float, what: str, remedy: str, max_memory_gb: float | None = None
) -> None:
    """Raise :class:`MemoryLimitError` when ``need_bytes`` exceeds the limit.

    Args:
        need_bytes: estimated peak memory of the computation, bytes.
        what: the computation, e.g. "BVSE grid 400 x 400 x 400".
        remedy: the option(s) that lower the need, e.g. "use a coarser --resolution".
        max_memory_gb: limit in GiB; None for :func:`default_max_memory_gb`.

    Example:
        >>> check_memory(2 * GIB, "a test grid", "use fewer points", max_memory_gb=4)
        >>> try:
        ...     check_memory(8 * GIB, "a test grid", "use fewer points", max_memory_gb=4)
        ... except MemoryLimitError as exc:
        ...     print(exc)
        a test grid needs about 8.0 GB of memory, more than the 4.0 GB allowed (max_memory_gb); use fewer points
    """  # noqa: E501
    limit_gb = memory_limit_gb(max_memory_gb)
    if need_bytes > limit_gb * GIB:
        raise MemoryLimitError(
            f"{what} needs about {_size(need_bytes)} of memory, more than the "
            f"{_size(limit_gb * GIB)} allowed (max_memory_gb); {remedy}"
        )


def _size(n_bytes: float) -> str:
    """``12.3 GB`` (GiB), or ``45 MB`` (MiB) below 1 GiB."""
    return f"{n_bytes / GIB:.1f} GB" if n_bytes >= GIB else f"{n_bytes / 2**20:.3g} MB"
