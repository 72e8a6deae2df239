"""The ``number`` functions, after JavaScript's Number methods.

``toFixed``, ``toExponential`` and ``toPrecision`` round the exact binary
value half up, as JavaScript does, so ``toFixed(1.005, 2)`` is ``'1.00'``
because the double nearest 1.005 is slightly below it.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from hotmesh.engine.pipe._values import (
    JS_WHITESPACE,
    UNDEFINED,
    compare,
    is_number,
    js_number,
    number_to_string,
    shortest_digits,
    to_int32,
    to_integer_or_infinity,
    to_number,
    to_string,
)
from hotmesh.engine.pipe.functions import math as js_math
from hotmesh.engine.pipe.functions._support import ArgumentError, describe

Number = int | float

_FLOAT_PREFIX = re.compile(
    r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", re.ASCII
)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# Enough digits to hold any double exactly (5e-324 has 751 of them).
_EXACT = decimal.Context(prec=1200, rounding=ROUND_HALF_UP)


def _number_argument(value: Any) -> float:
    if is_number(value) or isinstance(value, str):
        return to_number(value)
    raise ArgumentError(f"the value must be a number, got {describe(value)}")


def _digit_count(value: Any, low: int, high: int, name: str) -> int:
    count = to_integer_or_infinity(value)
    if not low <= count <= high:
        raise ArgumentError(f"{name} must be between {low} and {high}, got {value!r}")
    return int(count)


def is_finite(value: Any) -> bool:
    """Return whether ``value`` is a finite number (no type conversion)."""
    return is_number(value) and math.isfinite(value)


def is_integer(value: Any) -> bool:
    """Return whether ``value`` is a whole number (no type conversion)."""
    return is_finite(value) and float(value).is_integer()


def is_nan(value: Any) -> bool:
    """Return whether ``value`` is the number NaN (no type conversion)."""
    return isinstance(value, float) and math.isnan(value)


def is_even(value: Any) -> bool:
    """Return whether ``value`` converts to an even whole number."""
    number = to_number(value)
    return math.isfinite(number) and number % 2 == 0


def is_odd(value: Any) -> bool:
    """Return whether ``value`` converts to an odd whole number."""
    number = to_number(value)
    return math.isfinite(number) and abs(number % 2) == 1


def parse_float(text: Any) -> Number:
    """Parse the longest decimal prefix of a string, NaN when there is none."""
    match = _FLOAT_PREFIX.match(to_string(text).lstrip(JS_WHITESPACE))
    if match is None:
        return math.nan
    return js_number(to_number(match.group()))


def parse_int(text: Any, radix: Any = UNDEFINED) -> Number:
    """Parse the leading integer of a string in base ``radix`` (2 to 36).

    Without a radix, ``0x`` selects base 16 and anything else base 10.
    Returns NaN when no digit leads the string.
    """
    body = to_string(text).lstrip(JS_WHITESPACE)
    sign = -1 if body.startswith("-") else 1
    body = body[1:] if body[:1] in ("+", "-") else body
    base = to_int32(radix)
    if base != 0 and not 2 <= base <= 36:
        return math.nan
    if base in (0, 16) and body[:2].lower() == "0x":
        body, base = body[2:], 16
    base = base or 10
    valid = set(_DIGITS[:base] + _DIGITS[:base].upper())
    end = 0
    while end < len(body) and body[end] in valid:
        end += 1
    if end == 0:
        return math.nan
    return js_number(sign * float(int(body[:end], base)))


def _significant(value: float, count: int) -> tuple[str, int]:
    """Round a positive double half up to ``count`` digits: (digits, exponent)."""
    exact = Decimal(value)
    exponent = exact.adjusted()
    step = Decimal(1).scaleb(1 - count)
    mantissa = exact.scaleb(-exponent, _EXACT).quantize(step, context=_EXACT)
    if mantissa >= 10:
        exponent += 1
        mantissa = exact.scaleb(-exponent, _EXACT).quantize(step, context=_EXACT)
    return "".join(map(str, mantissa.as_tuple().digits)), exponent


def _exponential(digits: str, exponent: int) -> str:
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{head}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def to_fixed(value: Any, digits: Any = 0) -> str:
    """Format a number with ``digits`` (0 to 100) digits after the point."""
    number = _number_argument(value)
    count = _digit_count(digits, 0, 100, "digits")
    if not math.isfinite(number) or abs(number) >= 1e21:
        return number_to_string(number)
    step = Decimal(1).scaleb(-count)
    rounded = Decimal(number + 0.0).quantize(step, context=_EXACT)
    return format(rounded, "f")


def to_exponential(value: Any, digits: Any = UNDEFINED) -> str:
    """Format a number as ``d.ddde+n`` with ``digits`` (0 to 100) decimals.

    Without ``digits``, uses as many as the number needs.
    """
    number = _number_argument(value)
    if not math.isfinite(number):
        return number_to_string(number)
    sign = "-" if number < 0 else ""
    magnitude = abs(number)
    if digits is UNDEFINED:
        if magnitude == 0:
            return "0e+0"
        text, point = shortest_digits(magnitude)
        return sign + _exponential(text, point - 1)
    count = _digit_count(digits, 0, 100, "digits")
    if magnitude == 0:
        return _exponential("0" * (count + 1), 0)
    return sign + _exponential(*_significant(magnitude, count + 1))


def to_precision(value: Any, precision: Any = UNDEFINED) -> str:
    """Format a number with ``precision`` (1 to 100) significant digits."""
    number = _number_argument(value)
    if precision is UNDEFINED or not math.isfinite(number):
        return number_to_string(number)
    count = _digit_count(precision, 1, 100, "precision")
    sign = "-" if number < 0 else ""
    if number == 0:
        digits, exponent = "0" * count, 0
    else:
        digits, exponent = _significant(abs(number), count)
    if exponent < -6 or exponent >= count:
        return sign + _exponential(digits, exponent)
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    whole, fraction = digits[: exponent + 1], digits[exponent + 1 :]
    return sign + whole + ("." + fraction if fraction else "")


def gte(left: Any, right: Any) -> bool:
    """Return ``left >= right``."""
    return compare(left, ">=", right)


def lte(left: Any, right: Any) -> bool:
    """Return ``left <= right``."""
    return compare(left, "<=", right)


def gt(left: Any, right: Any) -> bool:
    """Return ``left > right``."""
    return compare(left, ">", right)


def lt(left: Any, right: Any) -> bool:
    """Return ``left < right``."""
    return compare(left, "<", right)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "isFinite": is_finite,
    "isEven": is_even,
    "isOdd": is_odd,
    "isInteger": is_integer,
    "isNaN": is_nan,
    "parseFloat": parse_float,
    "parseInt": parse_int,
    "toFixed": to_fixed,
    "toExponential": to_exponential,
    "toPrecision": to_precision,
    "gte": gte,
    "lte": lte,
    "gt": gt,
    "lt": lt,
    "max": js_math.max_,
    "min": js_math.min_,
    "pow": js_math.pow_,
    "round": js_math.FUNCTIONS["round"],
}
