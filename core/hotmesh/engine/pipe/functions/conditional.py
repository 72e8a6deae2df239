"""The ``conditional`` functions: choice, equality and comparison.

``equality`` is JavaScript's loose ``==`` (so ``1`` equals ``'1'``) and
``strict_equality`` is ``===``. The comparisons follow JavaScript's
relational operators: two strings compare as text, anything else as
numbers, and a NaN on either side makes every comparison false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import (
    compare,
    is_nullish,
    loose_equals,
    strict_equals,
    truthy,
)


def ternary(condition: Any, when_true: Any, when_false: Any) -> Any:
    """Return ``when_true`` if ``condition`` is truthy, else ``when_false``."""
    return when_true if truthy(condition) else when_false


def equality(left: Any, right: Any) -> bool:
    """Return ``left == right``."""
    return loose_equals(left, right)


def strict_equality(left: Any, right: Any) -> bool:
    """Return ``left === right``."""
    return strict_equals(left, right)


def greater_than(left: Any, right: Any) -> bool:
    """Return ``left > right``."""
    return compare(left, ">", right)


def less_than(left: Any, right: Any) -> bool:
    """Return ``left < right``."""
    return compare(left, "<", right)


def greater_than_or_equal(left: Any, right: Any) -> bool:
    """Return ``left >= right``."""
    return compare(left, ">=", right)


def less_than_or_equal(left: Any, right: Any) -> bool:
    """Return ``left <= right``."""
    return compare(left, "<=", right)


def nullish(value: Any, fallback: Any) -> Any:
    """Return ``value ?? fallback``: the fallback only for null or undefined."""
    return fallback if is_nullish(value) else value


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "ternary": ternary,
    "equality": equality,
    "strict_equality": strict_equality,
    "greater_than": greater_than,
    "less_than": less_than,
    "greater_than_or_equal": greater_than_or_equal,
    "less_than_or_equal": less_than_or_equal,
    "nullish": nullish,
}
