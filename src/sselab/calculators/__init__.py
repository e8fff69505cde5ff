"""MLIP calculators behind one registry, and relaxation."""

from sselab.calculators.registry import (
    DEFAULT_MODEL,
    REGISTRY,
    ModelUnavailableError,
    available_models,
    get_calculator,
    model_label,
    parse_model,
    resolve_device,
)
from sselab.calculators.relax import RelaxResult, relax

__all__ = [
    "DEFAULT_MODEL",
    "REGISTRY",
    "ModelUnavailableError",
    "RelaxResult",
    "available_models",
    "get_calculator",
    "model_label",
    "parse_model",
    "relax",
    "resolve_device",
]
