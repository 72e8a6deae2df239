"""JavaScript value semantics over Python values.

Pipe values are JSON values plus two extras. ``UNDEFINED`` is JavaScript's
``undefined`` (``None`` is ``null``), and a ``datetime`` is a ``Date``.
Numbers are ``int`` or ``float`` and behave like IEEE doubles: ``5`` and
``5.0`` are the same number. Function results that are whole and within the
safe integer range come back as ``int``.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import date
from typing import Any, Final, Literal, TypeGuard

from hotmesh.engine.pipe import _dates


class Undefined(enum.Enum):
    """Type of ``UNDEFINED``, the stand-in for JavaScript's ``undefined``."""

    UNDEFINED = "undefined"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined.UNDEFINED

MAX_SAFE_INTEGER: Final = 2**53 - 1

# The characters that String.prototype.trim and Number() strip.
JS_WHITESPACE: Final = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_DECIMAL_LITERAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_RADIX_LITERAL = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)", re.ASCII)
_RADIX_BASES: Final = {"x": 16, "o": 8, "b": 2}

TypeName = Literal["undefined", "null", "boolean", "number", "string", "object"]


def is_number(value: object) -> TypeGuard[int | float]:
    """Return whether a value is a JavaScript number (``bool`` excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_nullish(value: object) -> bool:
    """Return whether a value is ``null`` or ``undefined``."""
    return value is None or value is UNDEFINED


def is_object(value: object) -> bool:
    """Return whether a value is a JavaScript object (array, object or Date)."""
    return isinstance(value, dict | list | tuple | date)


def type_name(value: object) -> TypeName:
    """Return the JavaScript type of a value, with ``null`` as its own type."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def type_of(value: object) -> str:
    """Return what JavaScript's ``typeof`` operator gives for a value."""
    name = type_name(value)
    return "object" if name == "null" else name


def js_number(value: float) -> int | float:
    """Return a double as ``int`` when it is whole and safe, else unchanged.

    Negative zero stays a float so that ``1 / -0`` keeps its sign.
    """
    if isinstance(value, int):
        value = _int_to_float(value)
    if not value.is_integer() or abs(value) > MAX_SAFE_INTEGER:
        return value
    if value == 0 and math.copysign(1.0, value) < 0:
        return value
    return int(value)


def _int_to_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def truthy(value: object) -> bool:
    """Return the JavaScript truthiness of a value (``'0'`` is truthy)."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    if is_number(value):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def to_number(value: object) -> float:
    """Convert a value to a double as JavaScript's ``Number()`` does."""
    if value is UNDEFINED:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return _int_to_float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return string_to_number(value)
    if isinstance(value, date):
        return float(_dates.to_epoch_ms(value))
    return to_number(to_primitive(value, "number"))


def string_to_number(text: str) -> float:
    """Parse a string as JavaScript's ``Number()`` does, NaN when invalid."""
    body = text.strip(JS_WHITESPACE)
    if not body:
        return 0.0
    unsigned = body.lstrip("+-")
    if unsigned == "Infinity" and len(body) - len(unsigned) <= 1:
        return -math.inf if body[0] == "-" else math.inf
    radix_match = _RADIX_LITERAL.fullmatch(body)
    if radix_match:
        digits = radix_match.group(1)
        return _int_to_float(int(digits[1:], _RADIX_BASES[digits[0].lower()]))
    if _DECIMAL_LITERAL.fullmatch(body):
        return float(body)
    return math.nan


def number_to_string(value: float) -> str:
    """Format a number as JavaScript's ``String(number)`` does.

    Examples: ``5.0`` gives ``'5'``, ``1e21`` gives ``'1e+21'`` and
    ``1e-7`` gives ``'1e-7'``.
    """
    number = _int_to_float(value) if isinstance(value, int) else value
    if math.isnan(number):
        return "NaN"
    if number == 0:
        return "0"
    if number < 0:
        return "-" + number_to_string(-number)
    if math.isinf(number):
        return "Infinity"
    digits, point = shortest_digits(number)
    return _place_point(digits, point)


def shortest_digits(number: float) -> tuple[str, int]:
    """Return the shortest round-trip digits of a positive finite double.

    The result ``(digits, point)`` means ``0.<digits> * 10**point``, so
    ``123.4`` gives ``('1234', 3)``.
    """
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return stripped.rstrip("0"), point


def _place_point(digits: str, point: int) -> str:
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits if count == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(exponent)}"


def to_string(value: object) -> str:
    """Convert a value to a string as JavaScript's ``String()`` does."""
    if isinstance(value, str):
        return value
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if is_nullish(item) else to_string(item) for item in value)
    if isinstance(value, date):
        return _dates.format_date_string(_dates.to_epoch_ms(value))
    return "[object Object]"


def to_primitive(value: object, hint: str = "default") -> Any:
    """Convert an object to a primitive for ``hint`` ('number' or 'default').

    Dates become their time value for the number hint and their
    ``toString()`` text otherwise, as in JavaScript.
    """
    if isinstance(value, date):
        if hint == "number":
            return _dates.to_epoch_ms(value)
        return to_string(value)
    if is_object(value):
        return to_string(value)
    return value


def to_integer_or_infinity(value: object) -> float:
    """Truncate a value to an integer, with NaN as 0 and infinities kept."""
    number = to_number(value)
    if math.isnan(number):
        return 0.0
    if math.isinf(number):
        return number
    return float(math.trunc(number))


def to_int32(value: object) -> int:
    """Convert a value to a signed 32-bit integer as JavaScript's ``| 0`` does."""
    unsigned = to_uint32(value)
    return unsigned - 2**32 if unsigned >= 2**31 else unsigned


def to_uint32(value: object) -> int:
    """Convert a value to an unsigned 32-bit integer as ``>>> 0`` does."""
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return 0
    return math.trunc(number) % 2**32


def strict_equals(left: object, right: object) -> bool:
    """Compare two values as JavaScript's ``===`` does.

    Numbers compare by value (NaN never equals itself), objects by identity.
    """
    kind = type_name(left)
    if kind != type_name(right):
        return False
    if kind == "number":
        return to_number(left) == to_number(right)
    if kind == "object":
        return left is right
    return left == right


def loose_equals(left: object, right: object) -> bool:
    """Compare two values as JavaScript's ``==`` does.

    ``1 == '1'``, ``0 == ''`` and ``null == undefined`` are all true.
    """
    left_kind, right_kind = type_name(left), type_name(right)
    if left_kind == right_kind:
        return strict_equals(left, right)
    if is_nullish(left) or is_nullish(right):
        return is_nullish(left) and is_nullish(right)
    if left_kind == "boolean":
        return loose_equals(to_number(left), right)
    if right_kind == "boolean":
        return loose_equals(left, to_number(right))
    if left_kind == "object":
        return loose_equals(to_primitive(left), right)
    if right_kind == "object":
        return loose_equals(left, to_primitive(right))
    return to_number(left) == to_number(right)


def less_than(left: object, right: object) -> bool | None:
    """Apply JavaScript's abstract ``<`` comparison.

    Returns None when either side converts to NaN, which makes ``<``,
    ``>``, ``<=`` and ``>=`` all false.
    """
    left_value = to_primitive(left, "number")
    right_value = to_primitive(right, "number")
    if isinstance(left_value, str) and isinstance(right_value, str):
        return utf16_key(left_value) < utf16_key(right_value)
    left_number, right_number = to_number(left_value), to_number(right_value)
    if math.isnan(left_number) or math.isnan(right_number):
        return None
    return left_number < right_number


def compare(left: object, operator: str, right: object) -> bool:
    """Evaluate ``left <operator> right`` for ``<``, ``>``, ``<=`` or ``>=``."""
    if operator == "<":
        return less_than(left, right) is True
    if operator == ">":
        return less_than(right, left) is True
    if operator == "<=":
        return less_than(right, left) is False
    if operator == ">=":
        return less_than(left, right) is False
    raise ValueError(f"unknown comparison operator {operator!r}")


def utf16_key(text: str) -> bytes:
    """Return a sort key that orders strings by UTF-16 code units, as JS does."""
    return text.encode("utf-16-be", "surrogatepass")
