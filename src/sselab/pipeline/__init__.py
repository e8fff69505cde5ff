"""Orchestration: results store, studies over x, reproduce the paper."""

from sselab.store import DEFAULT_STORE_PATH, ResultStore, input_key

__all__ = ["DEFAULT_STORE_PATH", "ResultStore", "input_key"]
