"""Argument checks and conversions shared by the function families."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hotmesh.engine.pipe._properties import array_index, own_property
from hotmesh.engine.pipe._values import (
    UNDEFINED,
    is_nullish,
    to_integer_or_infinity,
    to_string,
    type_name,
)
from hotmesh.errors import PipeError


class ArgumentError(PipeError):
    """An argument has a type or value the function cannot accept.

    The registry adds the function name to the message.
    """


def describe(value: Any) -> str:
    """Name a value's type for an error message, with short values shown."""
    kind = type_name(value)
    if kind in ("undefined", "null"):
        return kind
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    if kind == "object":
        return "a Date"
    text = repr(value) if isinstance(value, str) else to_string(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


def require_string(value: Any, name: str = "the first argument") -> str:
    """Return ``value`` as a string, rejecting null and undefined."""
    if isinstance(value, str):
        return value
    if is_nullish(value):
        raise ArgumentError(f"{name} must be a string, got {describe(value)}")
    return to_string(value)


def require_list(value: Any, name: str = "the first argument") -> list[Any]:
    """Return a copy of ``value`` as a list, which must be an array."""
    if isinstance(value, list | tuple):
        return list(value)
    raise ArgumentError(f"{name} must be an array, got {describe(value)}")


def require_object(value: Any, name: str = "the first argument") -> Mapping[Any, Any]:
    """Return ``value``, which must be a plain object (a mapping)."""
    if isinstance(value, Mapping):
        return value
    raise ArgumentError(f"{name} must be an object, got {describe(value)}")


def require_integer(value: Any, name: str) -> int:
    """Return ``value`` truncated to an int (NaN as 0), rejecting infinities."""
    number = to_integer_or_infinity(value)
    if math.isinf(number):
        raise ArgumentError(f"{name} must be finite, got {describe(value)}")
    return int(number)


def optional(value: Any, default: Any) -> Any:
    """Return ``default`` when an argument is missing (UNDEFINED)."""
    return default if value is UNDEFINED else value


def relative_index(value: Any, length: int, default: int) -> int:
    """Resolve a start or end position as Array.prototype.slice does.

    Negative positions count from the end and results are clamped to
    ``0..length``. An UNDEFINED position gives ``default``.
    """
    if value is UNDEFINED:
        return default
    position = to_integer_or_infinity(value)
    if position < 0:
        return int(max(length + position, 0))
    return int(min(position, length))


def clamp_position(value: Any, length: int, default: int) -> int:
    """Clamp a position to ``0..length`` with no counting from the end."""
    if value is UNDEFINED:
        return default
    return int(min(max(to_integer_or_infinity(value), 0), length))


def property_key(key: Any) -> str:
    """Convert a value to a property key as JavaScript does (``1`` is ``'1'``)."""
    return to_string(key)


def get_property(value: Any, key: Any) -> Any:
    """Read ``value[key]`` as JavaScript does, for own properties only.

    Strings give their characters and ``length``, and other primitives
    give UNDEFINED.

    Raises:
        ArgumentError: ``value`` is null or undefined.
    """
    name = property_key(key)
    if is_nullish(value):
        raise ArgumentError(f"cannot read property {name!r} of {describe(value)}")
    if isinstance(value, str):
        if name == "length":
            return len(value)
        index = array_index(name)
        return value[index] if index is not None and index < len(value) else UNDEFINED
    return own_property(value, name)
