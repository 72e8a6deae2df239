"""The ``unary`` functions: JavaScript's ``!``, ``+``, ``-`` and ``~``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import js_number, to_int32, to_number, truthy


def not_(value: Any) -> bool:
    """Return ``!value``."""
    return not truthy(value)


def positive(value: Any) -> int | float:
    """Return ``+value``, the value converted to a number."""
    return js_number(to_number(value))


def negative(value: Any) -> int | float:
    """Return ``-value``."""
    return js_number(-to_number(value))


def bitwise_not(value: Any) -> int:
    """Return ``~value``, computed on a signed 32-bit integer."""
    return ~to_int32(value)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "not": not_,
    "positive": positive,
    "negative": negative,
    "bitwise_not": bitwise_not,
}
