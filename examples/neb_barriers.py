"""Scientific run: CI-NEB Li migration barriers in Li2S and Li2.5N0.5S0.5 with an MLIP.

The paper (Yu et al., JACS 2024, Fig. 4b) reports a DFT CI-NEB barrier of 0.38 eV for
Li2.5N0.5S0.5 (path not stated). This script computes, in 2x2x2 supercells of the
conventional cell by default:

* Li2S, neutral vacancy hop 8c -> 8c (a/2), at the MLIP-relaxed lattice constant;
* Li2.5N0.5S0.5 (lowest-energy of the lowest-Ewald orderings, cell relaxed), the hop of an
  8c Li into an empty octahedral void (8c -> 24e) and a vacancy hop 8c -> 8c.

Each NEB checkpoints into OUT and every finished step is cached in OUT/store.sqlite, so
a killed run continues and a finished one is a lookup. A short CPU check::

    OMP_NUM_THREADS=2 python examples/neb_barriers.py --supercell 1 1 1 --images 3 \
        --fmax 0.1 --out out/neb_cpu

Prints one row per hop (barrier ± uncertainty, reaction energy, steps, wall time) next to
the paper's 0.38 eV and writes OUT/results.json, OUT/<system>_<hop>.png and the images.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from pymatgen.core import Structure

from sselab.calculators import get_calculator, relax
from sselab.report.transport import PAPER_NEB_LABEL, paper_neb_barrier_eV
from sselab.store import ResultStore
from sselab.structures import antifluorite, lowest_energy_ordering
from sselab.structures.cells import pseudo_cubic_a
from sselab.transport.neb import (
    EndpointError,
    NEBSettings,
    hop_barrier,
    profile_figure,
    write_images,
)

HOPS = {"Li2S": ("vac-8c-8c",), "Li2.5N0.5S0.5": ("8c-24e", "vac-8c-8c")}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supercell", type=int, nargs=3, default=[2, 2, 2])
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--fmax", type=float, default=0.05, help="eV/Å")
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--orderings", type=int, default=1, help="Li2.5N0.5S0.5 orderings relaxed")
    parser.add_argument("--systems", nargs="+", default=list(HOPS), choices=list(HOPS))
    parser.add_argument("--model", default="chgnet")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=Path("out/neb"))
    return parser.parse_args()


def _cell(
    system: str, args: argparse.Namespace, calculator: Any, store: ResultStore
) -> tuple[Structure, tuple[int, int, int]]:
    """MLIP-relaxed cell of a system and the repetition the NEB applies to it."""
    if system == "Li2S":
        li2s = relax(antifluorite(0.0), calculator, fmax=0.01, store=store).structure
        return li2s, tuple(args.supercell)
    # Li2.5N0.5S0.5 is ordered (and relaxed) in the supercell itself
    best, _ = lowest_energy_ordering(
        antifluorite(0.5),
        supercell=tuple(args.supercell),
        n_candidates=args.orderings,
        calculator=calculator,
        fmax=0.02,
        store=store,
    )
    return best.structure, (1, 1, 1)


def main() -> None:
    args = _parse()
    args.out.mkdir(parents=True, exist_ok=True)
    paper = paper_neb_barrier_eV()
    settings = NEBSettings(n_images=args.images, fmax=args.fmax, max_steps=args.max_steps)
    calculator = get_calculator(args.model, device=args.device)
    rows = []
    with ResultStore(args.out / "store.sqlite") as store:
        for system in args.systems:
            cell, repeat = _cell(system, args, calculator, store)
            for hop in HOPS[system]:
                start = time.perf_counter()
                try:
                    result = hop_barrier(
                        cell,
                        hop,
                        calculator,
                        settings,
                        supercell=repeat,
                        out_dir=args.out,
                        store=store,
                    )
                except EndpointError as exc:
                    print(f"{system:14s} {hop:10s} no barrier: {exc}", flush=True)
                    rows.append({"system": system, "hop": hop, "error": str(exc)})
                    continue
                stem = args.out / f"{system}_{hop}"
                profile_figure(result, paper, PAPER_NEB_LABEL).savefig(f"{stem}.png", dpi=120)
                write_images(result, f"{stem}_images.extxyz")
                row = {
                    "system": system,
                    "hop": hop,
                    "anion_lattice_angstrom": pseudo_cubic_a(cell),
                    "paper_cineb_barrier_eV": paper,
                    "wall_s_this_call": time.perf_counter() - start,
                    **result.summary(),
                }
                rows.append(row)
                print(
                    f"{system:14s} {hop:10s} barrier {result.barrier_eV.format()} "
                    f"(paper {paper:.2f}), dE "
                    f"{result.reaction_energy_eV:+.3f} eV, {result.n_atoms} atoms, "
                    f"{result.n_steps} steps, converged {result.converged}, "
                    f"{row['wall_s_this_call']:.0f} s",
                    flush=True,
                )
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
