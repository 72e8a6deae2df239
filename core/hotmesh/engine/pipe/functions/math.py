"""The ``math`` functions: arithmetic plus every JavaScript ``Math`` function.

Arguments convert to numbers as in JavaScript and results are doubles.
Where Python's ``math`` module raises, these return JavaScript's result:
NaN for a domain error (``acos(2)``) and an infinity for an overflow or a
pole (``exp(1000)``, ``log(0)``). Transcendental results come from the C
library and can differ from those of Node.js 20 in the last bit.
"""

from __future__ import annotations

import math
import random as _random
import struct
from collections.abc import Callable, Iterable
from typing import Any, Final

from hotmesh.engine.pipe._values import (
    js_number,
    to_int32,
    to_number,
    to_primitive,
    to_string,
    to_uint32,
)
from hotmesh.engine.pipe.functions._support import ArgumentError

Number = int | float


def js_add(left: Any, right: Any) -> Any:
    """Apply JavaScript's ``+``: text concatenation if either side is a string."""
    left_value, right_value = to_primitive(left), to_primitive(right)
    if isinstance(left_value, str) or isinstance(right_value, str):
        return to_string(left_value) + to_string(right_value)
    return js_number(to_number(left_value) + to_number(right_value))


def add(*operands: Any) -> Any:
    """Return the sum of the operands, starting from 0.

    Array operands are summed recursively first. As with JavaScript's
    ``+``, a string operand turns the rest of the sum into concatenation.
    """
    total: Any = 0
    for operand in operands:
        value = add(*operand) if isinstance(operand, list | tuple) else operand
        total = js_add(total, value)
    return total


def multiply(*operands: Any) -> Number:
    """Return the product of the operands, multiplying array operands recursively."""
    product = 1.0
    for operand in operands:
        value = multiply(*operand) if isinstance(operand, list | tuple) else operand
        product *= to_number(value)
    return js_number(product)


def _flatten_once(operands: Iterable[Any]) -> list[float]:
    numbers: list[float] = []
    for operand in operands:
        if isinstance(operand, list | tuple):
            numbers.extend(to_number(item) for item in operand)
        else:
            numbers.append(to_number(operand))
    if not numbers:
        raise ArgumentError("expected at least one number")
    return numbers


def subtract(*operands: Any) -> Number:
    """Return the first operand minus the rest (arrays flattened one level)."""
    first, *rest = _flatten_once(operands)
    for number in rest:
        first -= number
    return js_number(first)


def divide(*operands: Any) -> Number:
    """Return the first operand divided by the rest (arrays flattened one level).

    Any zero divisor makes the result NaN.
    """
    first, *rest = _flatten_once(operands)
    for number in rest:
        if number == 0:
            return math.nan
        first /= number
    return js_number(first)


def _guarded(function: Callable[[float], float], value: float) -> float:
    try:
        return function(value)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.copysign(math.inf, value)


def _with_pole(function: Callable[[float], float], pole: float) -> Callable[..., float]:
    def apply(value: float) -> float:
        return -math.inf if value == pole else function(value)

    return apply


def _atanh(value: float) -> float:
    return math.copysign(math.inf, value) if abs(value) == 1 else math.atanh(value)


def _cosh(value: float) -> float:
    try:
        return math.cosh(value)
    except OverflowError:
        return math.inf


def _rounding(function: Callable[[float], int]) -> Callable[[float], float]:
    def apply(value: float) -> float:
        if not math.isfinite(value):
            return value
        result = float(function(value))
        return -0.0 if result == 0 and math.copysign(1, value) < 0 else result

    return apply


def _round_half_up(value: float) -> int:
    floor = math.floor(value)
    return floor + 1 if value - floor >= 0.5 else floor


def _sign(value: float) -> float:
    if math.isnan(value) or value == 0:
        return value
    return 1.0 if value > 0 else -1.0


def _fround(value: float) -> float:
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


_UNARY: Final[dict[str, Callable[[float], float]]] = {
    "abs": math.fabs,
    "acos": math.acos,
    "acosh": math.acosh,
    "asin": math.asin,
    "asinh": math.asinh,
    "atan": math.atan,
    "atanh": _atanh,
    "cbrt": math.cbrt,
    "ceil": _rounding(math.ceil),
    "cos": math.cos,
    "cosh": _cosh,
    "exp": math.exp,
    "expm1": math.expm1,
    "floor": _rounding(math.floor),
    "fround": _fround,
    "log": _with_pole(math.log, 0),
    "log10": _with_pole(math.log10, 0),
    "log1p": _with_pole(math.log1p, -1),
    "log2": _with_pole(math.log2, 0),
    "round": _rounding(_round_half_up),
    "sign": _sign,
    "sin": math.sin,
    "sinh": math.sinh,
    "sqrt": math.sqrt,
    "tan": math.tan,
    "tanh": math.tanh,
    "trunc": _rounding(math.trunc),
}


def _unary(name: str, function: Callable[[float], float]) -> Callable[[Any], Number]:
    def apply(value: Any) -> Number:
        return js_number(_guarded(function, to_number(value)))

    apply.__name__ = name
    apply.__doc__ = f"Return JavaScript's Math.{name}(value)."
    return apply


def atan2(y: Any, x: Any) -> Number:
    """Return the angle of the point (x, y) from the x axis, in radians."""
    return js_number(math.atan2(to_number(y), to_number(x)))


def clz32(value: Any) -> int:
    """Return the number of leading zero bits in the 32-bit form of ``value``."""
    return 32 - to_uint32(value).bit_length()


def hypot(*values: Any) -> Number:
    """Return the square root of the sum of squares of the arguments."""
    return js_number(math.hypot(*(to_number(value) for value in values)))


def imul(left: Any, right: Any) -> int:
    """Return the 32-bit integer product, as C's int32 multiplication gives."""
    product = (to_int32(left) * to_int32(right)) % 2**32
    return product - 2**32 if product >= 2**31 else product


def _extreme(values: tuple[Any, ...], sign: int) -> Number:
    """Return the max (sign 1) or min (sign -1), with +0 above -0 as in JS."""
    best = -sign * math.inf
    for value in values:
        number = to_number(value)
        if math.isnan(number):
            return math.nan
        beyond = number > best if sign > 0 else number < best
        tie_on_zero = number == best == 0 and sign * math.copysign(1, number) > 0
        if beyond or tie_on_zero:
            best = number
    return js_number(best)


def max_(*values: Any) -> Number:
    """Return the largest argument: -Infinity with none, NaN if any is NaN."""
    return _extreme(values, 1)


def min_(*values: Any) -> Number:
    """Return the smallest argument: Infinity with none, NaN if any is NaN."""
    return _extreme(values, -1)


def pow_(base: Any, exponent: Any) -> Number:
    """Return ``base ** exponent`` with JavaScript's results for edge cases."""
    x, y = to_number(base), to_number(exponent)
    if math.isnan(y) or (abs(x) == 1 and math.isinf(y)):
        return math.nan
    odd_exponent = y.is_integer() and y % 2 == 1
    negative_result = math.copysign(1, x) < 0 and odd_exponent
    if x == 0 and y < 0:
        return -math.inf if negative_result else math.inf
    try:
        return js_number(math.pow(x, y))
    except ValueError:
        return math.nan
    except OverflowError:
        return -math.inf if negative_result else math.inf


def random() -> float:
    """Return a pseudo-random number in [0, 1), unfit for security use."""
    return _random.random()


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "add": add,
    "subtract": subtract,
    "multiply": multiply,
    "divide": divide,
    **{name: _unary(name, function) for name, function in _UNARY.items()},
    "atan2": atan2,
    "clz32": clz32,
    "hypot": hypot,
    "imul": imul,
    "max": max_,
    "min": min_,
    "pow": pow_,
    "random": random,
}
