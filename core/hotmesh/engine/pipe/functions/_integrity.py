"""Integrity levels for ``object.freeze``, ``seal`` and ``preventExtensions``.

A locked value is a ``dict`` or ``list`` subclass that records its level,
so it still serialises and compares like any other object.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from typing import Any

from hotmesh.engine.pipe._properties import array_index
from hotmesh.engine.pipe.functions._support import ArgumentError


class Integrity(enum.IntEnum):
    """Integrity levels, weakest first, as JavaScript defines them."""

    EXTENSIBLE = 0
    NON_EXTENSIBLE = 1
    SEALED = 2
    FROZEN = 3


class LockedObject(dict[Any, Any]):
    """A plain object that is non-extensible, sealed or frozen."""

    integrity: Integrity = Integrity.NON_EXTENSIBLE


class LockedArray(list[Any]):
    """An array that is non-extensible, sealed or frozen."""

    integrity: Integrity = Integrity.NON_EXTENSIBLE


def integrity_of(value: Any) -> Integrity:
    """Return the integrity level of an object, counting primitives as frozen."""
    if isinstance(value, LockedObject | LockedArray):
        return value.integrity
    if isinstance(value, Mapping | list | tuple):
        return Integrity.EXTENSIBLE
    return Integrity.FROZEN


def lock(value: Any, level: Integrity) -> Any:
    """Return a copy of an object at ``level``, or a primitive unchanged.

    A level weaker than the value's current one leaves it as it is.
    """
    if not isinstance(value, Mapping | list | tuple):
        return value
    locked: LockedObject | LockedArray
    locked = LockedObject(value) if isinstance(value, Mapping) else LockedArray(value)
    locked.integrity = max(level, integrity_of(value))
    return locked


def effective_integrity(value: Any) -> Integrity:
    """Return the level JavaScript reports, counting empty locked objects.

    An object that cannot be extended and has no properties is both sealed
    and frozen, as in JavaScript.
    """
    level = integrity_of(value)
    is_object = isinstance(value, Mapping | list | tuple)
    if is_object and level >= Integrity.NON_EXTENSIBLE and len(value) == 0:
        return Integrity.FROZEN
    return level


def check_writable(target: Any, key: str) -> None:
    """Raise unless ``target[key]`` may be assigned.

    Raises:
        ArgumentError: ``target`` is not an object, or it is frozen, or
            ``key`` is new and the object is not extensible.
    """
    if not isinstance(target, Mapping | list | tuple):
        raise ArgumentError(f"cannot set property {key!r} on a primitive value")
    level = integrity_of(target)
    if level == Integrity.FROZEN:
        raise ArgumentError(f"cannot assign to property {key!r} of a frozen object")
    if level >= Integrity.NON_EXTENSIBLE and not _has_key(target, key):
        raise ArgumentError(
            f"cannot add property {key!r}: the object is not extensible"
        )


def shallow_copy(target: Any) -> Any:
    """Return a shallow copy of an object that keeps its integrity level."""
    return list(target) if isinstance(target, tuple) else copy.copy(target)


def writable_copy(target: Any, key: str) -> Any:
    """Return a shallow copy of ``target`` after checking ``key`` may be set."""
    check_writable(target, key)
    return shallow_copy(target)


def _has_key(target: Mapping[Any, Any] | list[Any] | tuple[Any, ...], key: str) -> bool:
    index = array_index(key)
    if isinstance(target, Mapping):
        return key in target or (index is not None and index in target)
    return index is not None and index < len(target)


def store(target: dict[Any, Any] | list[Any], key: str, value: Any) -> None:
    """Write ``target[key] = value`` in place, as JavaScript assignment does.

    A dict keeps using an existing ``int`` key that matches ``key``. An
    array grows with null holes up to a new index.

    Raises:
        ArgumentError: ``target`` is an array and ``key`` is not an index.
    """
    index = array_index(key)
    if isinstance(target, dict):
        matching_int = index is not None and key not in target and index in target
        target[index if matching_int else key] = value
        return
    if index is None:
        raise ArgumentError(f"cannot set property {key!r} on an array")
    if index >= len(target):
        target.extend([None] * (index + 1 - len(target)))
    target[index] = value
