"""CLI of the thermodynamics stage: ``sselab hull``, ``sselab window``, ``sselab interface``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sselab.calculators import DEFAULT_MODEL, ModelUnavailableError
from sselab.cli.errors import fail
from sselab.cli.options import ModelOption, OutOption, StoreOption
from sselab.store import DEFAULT_STORE_PATH, ResultStore
from sselab.structures import StructureFileError

if TYPE_CHECKING:  # the thermo modules import pymatgen's phase-diagram stack: keep --help fast
    from sselab.thermo.disorder import ClusterExpansion
    from sselab.thermo.hull import HullSettings


def _write(out: Path, stem: str, data: dict, figure: object | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2, default=str))
    typer.echo(f"wrote {out / f'{stem}.json'}")
    if figure is not None:
        figure.savefig(out / f"{stem}.png", dpi=150)  # type: ignore[attr-defined]
        typer.echo(f"wrote {out / f'{stem}.png'}")


def _settings(model: str, full: bool) -> HullSettings:
    from dataclasses import replace

    from sselab.thermo.hull import FULL, QUICK

    return replace(FULL if full else QUICK, model=model)


def hull_command(
    system: str = typer.Option("Li-N-S", "--system", help="Chemical system (only Li-N-S)."),
    x: list[float] = typer.Option(
        [0.125, 0.25, 0.375, 0.5, 0.625, 0.75], "--x", help="N fractions (multiples of 1/8)."
    ),
    model: ModelOption = DEFAULT_MODEL,
    scheme: str = typer.Option("raw", help="Energy scheme: raw or mp2020."),
    full: bool = typer.Option(False, "--full", help="6 orderings, fmax 0.02 (slow)."),
    disorder: str = typer.Option(
        "ordered",
        "--disorder",
        help="Solid-solution model: ordered (lowest of K orderings), sqs (relaxed SQS) "
        "or ce (cluster-expansion Monte Carlo ground state).",
    ),
    cluster_expansion: Path | None = typer.Option(
        None,
        "--cluster-expansion",
        help="ClusterExpansion JSON for --disorder ce (from fit_cluster_expansion); "
        "default: fitted to the training set shipped for the model.",
    ),
    store: StoreOption = DEFAULT_STORE_PATH,
    out: OutOption = Path("out"),
) -> None:
    """Li–N–S convex hull and E_hull(x) of Li(2+x)N(x)S(1-x) at 0 K (OUT/hull.json, .png)."""
    from sselab.report.thermo import paper_e_hull_meV_per_atom
    from sselab.thermo.figures import ternary_figure
    from sselab.thermo.hull import li_n_s_hull

    if system.replace(" ", "") not in ("Li-N-S", "Li-S-N", "N-S-Li"):
        fail(f"--system: only the Li-N-S system is built, got '{system}'")
    try:
        expansion = _cluster_expansion(disorder, cluster_expansion, model)
        with ResultStore(store) as results:
            hull = li_n_s_hull(
                x,
                _settings(model, full),
                scheme,
                results,
                disorder=disorder,
                cluster_expansion=expansion,
            )
    except (ModelUnavailableError, ValueError) as exc:
        fail(str(exc))
    typer.echo(
        f"stable phases ({hull.model}, {hull.scheme}, disorder={disorder}): "
        f"{', '.join(hull.stable_phases)}"
    )
    typer.echo(f"{'x':>6} {'cell':>12} {'E-tie':>8} {'E_hull':>8}  decomposition (meV/atom)")
    for p in hull.points:
        typer.echo(
            f"{p.x:6.3f} {p.formula:>12} {p.e_above_tie_meV_per_atom:8.1f} "
            f"{p.e_hull_meV_per_atom:8.1f}  {' + '.join(sorted(p.decomposition))}"
        )
    _write(out, "hull", hull.summary(), ternary_figure(hull, paper_e_hull_meV_per_atom()))


def _cluster_expansion(disorder: str, path: Path | None, model: str) -> ClusterExpansion | None:
    """The expansion for ``--disorder ce``: from FILE, else fitted to the model's shipped set."""
    from sselab.thermo.disorder import fit_cluster_expansion, shipped_training_set

    if disorder != "ce":
        return None
    if path is not None:
        return _read_cluster_expansion(path)
    shipped = shipped_training_set(model)
    if shipped is None:
        fail(
            f"--disorder ce: no training set is shipped for {model}; fit one "
            "(relax_training_set, fit_cluster_expansion) and pass --cluster-expansion FILE"
        )
    return fit_cluster_expansion(shipped)


def _read_cluster_expansion(path: Path) -> ClusterExpansion:
    from sselab.thermo.disorder import ClusterExpansion

    try:
        return ClusterExpansion.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path}: not JSON ({exc})")
    except (KeyError, TypeError, ValueError) as exc:
        fail(f"{path}: not a ClusterExpansion JSON ({exc!r})")


def _read_composition(file: Path, model: str, full: bool, store: ResultStore):
    """Composition of FILE; an ordered structure is also relaxed and returned as an entry."""
    from sselab.structures import read_structure
    from sselab.thermo.systems import structure_entry

    structure = read_structure(file)
    if not structure.is_ordered:
        return structure.composition.element_composition, None
    entry = structure_entry(structure, file.stem, _settings(model, full), "raw", store)
    return structure.composition.element_composition, entry


def window_command(
    file: Path = typer.Argument(..., help="Electrolyte structure (CIF, POSCAR, extxyz)."),
    model: ModelOption = DEFAULT_MODEL,
    full: bool = typer.Option(False, "--full", help="Tight relaxations (slow)."),
    store: StoreOption = DEFAULT_STORE_PATH,
    out: OutOption = Path("out"),
) -> None:
    """Electrochemical stability window vs Li+/Li (OUT/window.json, .png)."""
    from sselab.thermo.figures import voltage_profile_figure
    from sselab.thermo.systems import elements_of, phase_diagram_for
    from sselab.thermo.window import stability_window

    try:
        with ResultStore(store) as results:
            comp, entry = _read_composition(file, model, full, results)
            elements = elements_of(comp, "Li")
            diagram = phase_diagram_for(
                elements, _settings(model, full), "raw", results, [entry] if entry else []
            )
            window = stability_window(comp, diagram)
    except (StructureFileError, ModelUnavailableError, ValueError) as exc:
        fail(str(exc))
    typer.echo(
        f"{window.composition}: reduction limit {window.reduction_limit_V:.3f} V, "
        f"oxidation limit {window.oxidation_limit_V:.3f} V vs Li+/Li"
    )
    for p in window.plateaus:
        typer.echo(
            f"  {p.voltage_low_V:6.3f}–{p.voltage_high_V:6.3f} V  Li {p.li_exchange_per_fu:+.3f}"
            f"  {' + '.join(p.phases)}"
        )
    _write(out, "window", window.as_dict(), voltage_profile_figure(window))


def interface_command(
    file: Path = typer.Argument(..., help="Electrolyte structure (CIF, POSCAR, extxyz)."),
    anode: str = typer.Option("Li", "--anode", help="Li, In, LiIn, Si, Li15Si4, C or LiC6."),
    model: ModelOption = DEFAULT_MODEL,
    full: bool = typer.Option(False, "--full", help="Tight relaxations (slow)."),
    store: StoreOption = DEFAULT_STORE_PATH,
    out: OutOption = Path("out"),
) -> None:
    """Pseudo-binary reaction energy between an electrolyte and an anode (OUT/interface.*)."""
    from sselab.thermo.anodes import ANODE_SYSTEMS
    from sselab.thermo.figures import interface_figure
    from sselab.thermo.interface import interface_reaction
    from sselab.thermo.systems import elements_of, phase_diagram_for

    if anode not in ANODE_SYSTEMS:
        fail(f"--anode: unknown anode '{anode}'; choose from {sorted(ANODE_SYSTEMS)}")
    try:
        with ResultStore(store) as results:
            comp, entry = _read_composition(file, model, full, results)
            diagram = phase_diagram_for(
                elements_of(comp, anode),
                _settings(model, full),
                "raw",
                results,
                [entry] if entry else [],
            )
            reaction = interface_reaction(comp, anode, diagram)
    except (StructureFileError, ModelUnavailableError, ValueError) as exc:
        fail(str(exc))
    typer.echo(
        f"{reaction.electrolyte} + {reaction.anode}: most negative reaction energy "
        f"{1000 * reaction.min_energy_eV_per_atom:.1f} meV/atom at electrolyte fraction "
        f"{reaction.min_ratio:.3f}; products {' + '.join(reaction.min_products)}"
    )
    _write(out, "interface", reaction.as_dict(), interface_figure([reaction]))


def register(app: typer.Typer) -> None:
    """Add hull, window and interface to the root app."""
    app.command("hull")(hull_command)
    app.command("window")(window_command)
    app.command("interface")(interface_command)
