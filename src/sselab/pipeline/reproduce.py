"""`sselab reproduce`: every stage of the paper's analysis, one HTML report.

Two profiles: ``quick`` finishes on a 2-core CPU (small cells, few orderings,
loose forces) and ``full`` uses paper-like settings (GPU advised). Results go to
a SQLite store in the output folder, so a rerun after an interruption recomputes
only what is missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sselab.pipeline.lattice import lattice_report_section, lattice_vs_x
from sselab.pipeline.store import ResultStore
from sselab.report import Section, paper_value, write_report

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    """Settings of one reproduce profile.

    Attributes:
        name: "quick" or "full".
        lattice_xs: compositions for a(x) (x = 0 is Li2S).
        n_orderings: orderings relaxed per x.
        max_anions: largest supercell (in 4a sites) used to realise x.
        fmax_eV_per_angstrom: relaxation force threshold.
    """

    name: str
    lattice_xs: tuple[float, ...]
    n_orderings: int
    max_anions: int
    fmax_eV_per_angstrom: float


def _paper_xs() -> tuple[float, ...]:
    return (0.0, *paper_value("structure", "compositions_synthesized_x"))


PROFILES: dict[str, Callable[[], Profile]] = {
    "quick": lambda: Profile("quick", _paper_xs(), 2, 8, 0.05),
    "full": lambda: Profile("full", _paper_xs(), 5, 32, 0.02),
}


@dataclass
class StageTiming:
    """Wall time of one stage in seconds."""

    stage: str
    wall_s: float


def reproduce(
    profile: str = "quick",
    out_dir: str | Path = "out",
    model: str = "chgnet",
    store_path: str | Path | None = None,
) -> Path:
    """Run the paper's analysis with one profile and write ``out_dir/report.html``.

    Args:
        profile: "quick" (2-core CPU, minutes) or "full" (paper settings, GPU advised).
        out_dir: output folder (report, store).
        model: registered MLIP name.
        store_path: SQLite results store (default ``out_dir/sselab.sqlite``).

    Returns:
        Path of the written report.

    Example:
        >>> reproduce("quick", "/tmp/sselab-out")  # doctest: +SKIP
        PosixPath('/tmp/sselab-out/report.html')
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}'; choose from {sorted(PROFILES)}")
    settings = PROFILES[profile]()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: list[StageTiming] = []
    sections: list[Section] = []
    with ResultStore(store_path or out / "sselab.sqlite") as store:
        start = time.perf_counter()
        points = lattice_vs_x(
            settings.lattice_xs,
            model=model,
            n_orderings=settings.n_orderings,
            max_anions=settings.max_anions,
            fmax=settings.fmax_eV_per_angstrom,
            store=store,
        )
        sections.append(lattice_report_section(points))
        timings.append(StageTiming("lattice vs x", time.perf_counter() - start))
        run_info: dict[str, Any] = {
            "profile": profile,
            "model": model,
            **{f"setting: {k}": v for k, v in asdict(settings).items() if k != "name"},
            **{f"time: {t.stage} (s)": round(t.wall_s, 1) for t in timings},
            "store": str(store.path),
            "store hits / misses": f"{store.hits} / {store.misses}",
        }
    return write_report(
        sections, out / "report.html", title=f"sselab reproduce ({profile})", run_info=run_info
    )
