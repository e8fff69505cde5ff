"""A calculator given by name or as an object, and the model label its results record.

Relaxation, MD and CI-NEB accept either a registered MLIP name ("chgnet", "sevennet:7net-l3i5",
...) or any ASE calculator. Results record the full label, e.g. ``"chgnet:0.3.0"``
(as relaxations do), so two weight versions never share a cache key or a report row.
"""

from __future__ import annotations

from ase.calculators.calculator import Calculator


def calculator_label(calculator: Calculator | str) -> str:
    """``'name:variant'`` of a registered model, else the object's ``sselab_label`` or class.

    Example:
        >>> calculator_label("chgnet")
        'chgnet:0.3.0'
        >>> from ase.calculators.emt import EMT
        >>> calculator_label(EMT())
        'EMT'
    """
    if isinstance(calculator, str):
        from sselab.calculators.registry import model_label

        return model_label(calculator)
    return str(getattr(calculator, "sselab_label", type(calculator).__name__))


def resolve_calculator(calculator: Calculator | str, device: str = "auto") -> Calculator:
    """The calculator itself, or the registered model of that name loaded on ``device``."""
    if isinstance(calculator, str):
        from sselab.calculators.registry import get_calculator

        return get_calculator(calculator, device=device)
    return calculator
