"""Results that round-trip: one mixin gives every result dataclass ``as_dict``/``from_dict``.

Modelled on pymatgen's MSONable, but driven by the dataclass fields and their type
hints instead of ``__init__`` introspection and ``@module``/``@class`` tags, so the
JSON stays the plain record a user reads (``json.dumps(result.as_dict())``) and
``Type.from_dict`` rebuilds the object from it. Handled field types: numbers,
strings, ``None``, :class:`~sselab.estimate.Estimate`, nested ``RoundTrip``
dataclasses, numpy arrays (as nested lists), pymatgen ``Structure``, ASE ``Atoms``,
``Path``, and lists/tuples/dicts/unions of those.

Example:
    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> @dataclass
    ... class Barrier(RoundTrip):
    ...     barrier_eV: Estimate
    ...     profile_eV: np.ndarray
    >>> b = Barrier(Estimate.normal(0.25, 0.01, "eV"), np.array([0.0, 0.25, 0.0]))
    >>> Barrier.from_dict(b.as_dict()).barrier_eV == b.barrier_eV
    True
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, TypeVar, Union

import numpy as np

from sselab.estimate import Estimate

R = TypeVar("R", bound="RoundTrip")


class RoundTrip:
    """Mixin for result dataclasses: ``as_dict()`` to JSON types, ``from_dict()`` back.

    A subclass may list fields that are derived and not stored in ``_derived_fields``
    (their ``init=False`` fields are skipped automatically).
    """

    _derived_fields: ClassVar[tuple[str, ...]] = ()

    def as_dict(self) -> dict[str, Any]:
        """Every init field as plain JSON types (see the module docstring)."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} uses RoundTrip but is not a dataclass")
        return {
            f.name: encode(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.init and f.name not in self._derived_fields
        }

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        """Rebuild from :meth:`as_dict` output (or its JSON), guided by the field type hints."""
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if not f.init or f.name in cls._derived_fields or f.name not in data:
                continue
            kwargs[f.name] = decode(data[f.name], hints.get(f.name, Any))
        return cls(**kwargs)


def encode(value: Any) -> Any:
    """Plain JSON types for one field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, RoundTrip | Estimate):
        return value.as_dict()
    if type(value).__name__ == "Atoms" and hasattr(value, "todict"):
        return {key: encode(item) for key, item in value.todict().items()}
    if hasattr(value, "as_dict") and callable(value.as_dict):  # pymatgen objects
        return value.as_dict()
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__} for JSON")


def decode(value: Any, hint: Any) -> Any:
    """Inverse of :func:`encode` for a value whose declared type is ``hint``."""
    if value is None or hint is Any:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        arms = [arm for arm in args if arm is not type(None)]
        for arm in arms:
            try:
                return decode(value, arm)
            except (TypeError, ValueError, KeyError, AttributeError):
                continue
        return value
    if origin in (list, tuple, dict) or hint in (list, tuple, dict):
        return _decode_container(value, origin or hint, args)
    if isinstance(hint, type):
        return _decode_class(value, hint)
    return value


def _decode_container(value: Any, origin: Any, args: tuple[Any, ...]) -> Any:
    if origin is dict:
        value_hint = args[1] if len(args) == 2 else Any
        return {key: decode(item, value_hint) for key, item in value.items()}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(item, args[0]) for item in value)
        if args:
            return tuple(decode(item, arm) for item, arm in zip(value, args, strict=True))
        return tuple(value)
    item_hint = args[0] if args else Any
    return [decode(item, item_hint) for item in value]


def _decode_class(value: Any, hint: type) -> Any:
    if hint is float:
        if not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint):
            raise TypeError(f"expected {hint.__name__}, got {value!r}")
        return value
    if hint is np.ndarray:
        return np.asarray(value)
    if hint is Path:
        return Path(value)
    if issubclass(hint, RoundTrip | Estimate):
        if not isinstance(value, dict):
            raise TypeError(f"expected a mapping for {hint.__name__}")
        return hint.from_dict(value)
    if hint.__name__ == "Atoms" and hasattr(hint, "fromdict"):
        return hint.fromdict({key: np.asarray(item) for key, item in value.items()})
    if hasattr(hint, "from_dict"):  # pymatgen objects
        return hint.from_dict(value)
    return value
