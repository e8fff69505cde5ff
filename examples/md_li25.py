"""Scientific run: Li transport in Li2.5N0.5S0.5 (and Li2S for contrast) from MLIP MD.

Paper settings (Yu et al., JACS 2024, Fig. 4a): 2x2x2 supercell, NVT, 2 fs, 50 ps,
600-1200 K. The defaults below are those settings (GPU advised: ~0.65 s per CHGNet
step for the 112-atom cell on a 2-core CPU). A short CPU check::

    OMP_NUM_THREADS=2 python examples/md_li25.py --supercell 1 1 1 --time-ps 6 \
        --equilibration-ps 1 --out out/md_li25_cpu

The script is resumable (``--resume``): a killed run continues from its checkpoints and
a finished one is only re-analysed. It prints, per system, D, sigma and the Haven ratio
per temperature, the Arrhenius Ea and sigma(300 K) with errors, MD length, wall time and
atom-steps/s, and writes ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from sselab.calculators import get_calculator, model_label, relax
from sselab.calculators.registry import resolve_device
from sselab.report.transport import transport_table
from sselab.structures import antifluorite, lowest_energy_ordering, reference_phases
from sselab.transport.study import run_transport_study


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--temps", type=float, nargs="+", default=[600, 800, 1000, 1200])
    parser.add_argument("--li2s-temps", type=float, nargs="*", default=[1000, 1200])
    parser.add_argument("--supercell", type=int, nargs=3, default=[2, 2, 2])
    parser.add_argument("--time-ps", type=float, default=50.0, help="production time per T")
    parser.add_argument("--equilibration-ps", type=float, default=5.0)
    parser.add_argument("--frame-interval-steps", type=int, default=5)
    parser.add_argument("--model", default="chgnet")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n-candidates", type=int, default=3, help="orderings relaxed")
    parser.add_argument("--out", type=Path, default=Path("out/md_li25"))
    parser.add_argument("--blocks", type=int, default=5, help="blocks for the error bars")
    parser.add_argument(
        "--fit-window", type=float, nargs=2, default=None, help="MSD fit window T0 T1 in ps"
    )
    parser.add_argument("--resume", action="store_true")
    return parser.parse_args()


def _run_system(
    label: str, structure: Any, temps: list[float], args: argparse.Namespace
) -> dict[str, Any]:
    start = time.perf_counter()
    study, _ = run_transport_study(
        structure,
        temps,
        args.out / label,
        time_ps=args.time_ps,
        equilibration_ps=args.equilibration_ps,
        model=args.model,
        device=args.device,
        frame_interval_steps=args.frame_interval_steps,
        resume=args.resume,
        n_blocks=args.blocks,
        fit_window_ps=tuple(args.fit_window) if args.fit_window else None,
    )
    wall_s = time.perf_counter() - start
    steps = sum(run["steps_this_call"] for run in study.md)
    md_wall_s = sum(run["wall_s"] for run in study.md)
    print(f"\n== {label}: {structure.composition.reduced_formula}, {len(structure)} atoms")
    header, rows = transport_table(study)
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(v) for v in row))
    if study.arrhenius is not None:
        ea = study.arrhenius.fit.activation_energy_eV
        sigma = study.arrhenius.sigma_S_per_cm
        for name, value in (("Ea", ea), (f"sigma({study.arrhenius.temperature_K:g} K)", sigma)):
            interval = f" (95 %: {value.ci95[0]:.3g} to {value.ci95[1]:.3g})" if value.ci95 else ""
            print(f"{name} = {value.value:.3g} ± {value.error:.2g} {value.unit}{interval}")
    if study.note:
        print(study.note)
    rate = len(structure) * steps / md_wall_s if steps else float("nan")
    print(
        f"MD: {args.time_ps} ps (+{args.equilibration_ps} ps equilibration) per T; "
        f"this call {steps} steps in {md_wall_s:.0f} s ({rate:.0f} atom-steps/s); "
        f"wall {wall_s:.0f} s incl. analysis"
    )
    return study.summary()


def main() -> None:
    """Run both systems and write OUT/results.json."""
    args = _parse()
    args.out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(args.device)
    calculator = get_calculator(args.model, device=device)
    best, _ = lowest_energy_ordering(
        antifluorite(0.5),
        tuple(args.supercell),
        n_candidates=args.n_candidates,
        calculator=calculator,
        fmax=0.05,
    )
    systems = {"Li2.5N0.5S0.5": (best.structure, args.temps)}
    if args.li2s_temps:
        # same conventional 4-anion cell as antifluorite(0.5), relaxed with the same model
        li2s = relax(reference_phases(["Li2S"])["Li2S"], calculator, fmax=0.05).structure
        systems["Li2S"] = (li2s * args.supercell, args.li2s_temps)
    results = {
        "model": model_label(args.model),
        "device": device,
        "supercell": args.supercell,
        **{label: _run_system(label, s, t, args) for label, (s, t) in systems.items()},
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
