"""The ``bitwise`` functions, with JavaScript's 32-bit integer semantics.

Operands convert to 32-bit integers first, and shift counts use their low
five bits, so ``leftShift(1, 33)`` is 2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import to_int32, to_uint32


def _wrap_int32(value: int) -> int:
    value %= 2**32
    return value - 2**32 if value >= 2**31 else value


def and_(left: Any, right: Any) -> int:
    """Return ``left & right``."""
    return to_int32(left) & to_int32(right)


def or_(left: Any, right: Any) -> int:
    """Return ``left | right``."""
    return to_int32(left) | to_int32(right)


def xor(left: Any, right: Any) -> int:
    """Return ``left ^ right``."""
    return to_int32(left) ^ to_int32(right)


def left_shift(value: Any, count: Any) -> int:
    """Return ``value << count``, wrapped to a signed 32-bit result."""
    return _wrap_int32(to_int32(value) << (to_uint32(count) & 31))


def right_shift(value: Any, count: Any) -> int:
    """Return ``value >> count``, which keeps the sign."""
    return to_int32(value) >> (to_uint32(count) & 31)


def unsigned_right_shift(value: Any, count: Any) -> int:
    """Return ``value >>> count``, which fills with zeros."""
    return to_uint32(value) >> (to_uint32(count) & 31)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "and": and_,
    "or": or_,
    "xor": xor,
    "leftShift": left_shift,
    "rightShift": right_shift,
    "unsignedRightShift": unsigned_right_shift,
}
