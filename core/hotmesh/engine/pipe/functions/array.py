"""The ``array`` functions, after JavaScript's Array methods.

Functions that mutate in JavaScript (``push``, ``pop``, ``splice`` and so
on) work on a copy, so they never change job data or model literals. Each
returns what the JavaScript method returns, except ``push``, which returns
the extended array rather than its length.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import (
    UNDEFINED,
    is_nullish,
    is_number,
    strict_equals,
    to_integer_or_infinity,
    to_number,
    to_string,
)
from hotmesh.engine.pipe.functions._support import (
    ArgumentError,
    get_property,
    optional,
    relative_index,
    require_list,
)

_ORDERS: Final = ("ASCENDING", "DESCENDING")


def get(array: Any, index: Any = 0) -> Any:
    """Return ``array[index]``, with the index 0 by default."""
    return get_property(array, optional(index, 0))


def length(array: Any) -> Any:
    """Return the length of an array or string."""
    return get_property(array, "length")


def concat(array: Any, *values: Any) -> list[Any]:
    """Return a new array with ``values`` appended, spreading array values."""
    result = require_list(array)
    for value in values:
        if isinstance(value, list | tuple):
            result.extend(value)
        else:
            result.append(value)
    return result


def index_of(array: Any, value: Any, from_index: Any = UNDEFINED) -> int:
    """Return the first index holding ``value`` by ``===``, or -1."""
    items = require_list(array)
    start = relative_index(optional(from_index, 0), len(items), 0)
    for position in range(start, len(items)):
        if strict_equals(items[position], value):
            return position
    return -1


def last_index_of(array: Any, value: Any, from_index: Any = UNDEFINED) -> int:
    """Return the last index holding ``value`` by ``===``, or -1."""
    items = require_list(array)
    start = len(items) - 1
    if from_index is not UNDEFINED:
        position = to_integer_or_infinity(from_index)
        limit = min(position, start) if position >= 0 else len(items) + position
        start = int(max(limit, -1))
    for position in range(start, -1, -1):
        if strict_equals(items[position], value):
            return position
    return -1


def join(array: Any, separator: Any = ",") -> str:
    """Join the elements as strings, with null and undefined as empty text."""
    items = require_list(array)
    glue = to_string(optional(separator, ","))
    return glue.join("" if is_nullish(item) else to_string(item) for item in items)


def pop(array: Any) -> Any:
    """Return the last element, or UNDEFINED for an empty array."""
    items = require_list(array)
    return items[-1] if items else UNDEFINED


def push(array: Any, *values: Any) -> list[Any]:
    """Return a new array with ``values`` appended."""
    return [*require_list(array), *values]


def reverse(array: Any) -> list[Any]:
    """Return the elements in reverse order."""
    return require_list(array)[::-1]


def shift(array: Any) -> Any:
    """Return the first element, or UNDEFINED for an empty array."""
    items = require_list(array)
    return items[0] if items else UNDEFINED


def slice_(array: Any, start: Any = UNDEFINED, end: Any = UNDEFINED) -> list[Any]:
    """Return ``array[start:end]``, where negative positions count from the end."""
    items = require_list(array)
    first = relative_index(start, len(items), 0)
    last = relative_index(end, len(items), len(items))
    return items[first:last]


def sort(array: Any, order: Any = "ASCENDING") -> list[Any]:
    """Return the elements sorted 'ASCENDING' or 'DESCENDING'.

    Numbers sort by value and strings by locale order. Null and undefined
    sort first when ascending and last when descending. Other pairs keep
    their relative order.
    """
    items = require_list(array)
    direction = optional(order, "ASCENDING")
    if direction not in _ORDERS:
        raise ArgumentError(
            f"order must be 'ASCENDING' or 'DESCENDING', got {direction!r}"
        )
    ascending = direction == "ASCENDING"
    return sorted(items, key=functools.cmp_to_key(_comparator(ascending)))


def _comparator(ascending: bool) -> Callable[[Any, Any], int]:
    sign = 1 if ascending else -1

    def compare(left: Any, right: Any) -> int:
        if is_nullish(left):
            return -sign
        if is_nullish(right):
            return sign
        if is_number(left) and is_number(right):
            return sign * _ordering(to_number(left), to_number(right))
        if isinstance(left, str) and isinstance(right, str):
            return sign * _ordering(_collation_key(left), _collation_key(right))
        return 0

    return compare


def _ordering(left: Any, right: Any) -> int:
    return int(left > right) - int(left < right)


def _collation_key(text: str) -> tuple[str, str, tuple[bool, ...]]:
    # NOTE: approximates localeCompare in the root locale: letters compare
    # without accents and case first, then accents, then lowercase before
    # uppercase. Punctuation keeps code point order, unlike ICU.
    decomposed = unicodedata.normalize("NFD", text)
    base = "".join(char for char in decomposed if not unicodedata.combining(char))
    return base.casefold(), decomposed.casefold(), tuple(c.isupper() for c in text)


def splice(
    array: Any, start: Any = UNDEFINED, delete_count: Any = UNDEFINED, *values: Any
) -> list[Any]:
    """Return the elements that JavaScript's ``splice`` would remove.

    The input is not changed. An UNDEFINED ``delete_count`` removes
    everything from ``start`` on.
    """
    items = require_list(array)
    first = relative_index(start, len(items), 0)
    if delete_count is UNDEFINED:
        count = len(items) - first
    else:
        wanted = to_integer_or_infinity(delete_count)
        count = int(min(max(wanted, 0), len(items) - first))
    return items[first : first + count]


def unshift(array: Any, *values: Any) -> int:
    """Return the length the array would have with ``values`` prepended."""
    return len(require_list(array)) + len(values)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "get": get,
    "length": length,
    "concat": concat,
    "indexOf": index_of,
    "join": join,
    "lastIndexOf": last_index_of,
    "pop": pop,
    "push": push,
    "reverse": reverse,
    "shift": shift,
    "slice": slice_,
    "sort": sort,
    "splice": splice,
    "unshift": unshift,
}
