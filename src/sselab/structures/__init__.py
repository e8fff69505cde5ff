"""Structures: antifluorite solid solutions, ordered supercells, reference phases, readers."""

from sselab.structures.antifluorite import (
    PAPER_INTERSTITIAL_U,
    PARENT_A_ANGSTROM,
    antifluorite,
    nominal_composition,
)

__all__ = ["PAPER_INTERSTITIAL_U", "PARENT_A_ANGSTROM", "antifluorite", "nominal_composition"]
