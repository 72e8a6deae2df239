"""The ``string`` functions, after JavaScript's String methods.

The first argument is the string. Other values convert with ``String()``,
while null and undefined are rejected. Positions count code points.

NOTE: JavaScript counts UTF-16 code units, so positions differ from
JavaScript's for text outside the Basic Multilingual Plane (such as emoji).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe._values import (
    JS_WHITESPACE,
    UNDEFINED,
    is_nullish,
    to_integer_or_infinity,
    to_number,
    to_string,
    to_uint32,
)
from hotmesh.engine.pipe.functions._support import (
    ArgumentError,
    clamp_position,
    optional,
    relative_index,
    require_string,
)

# V8's maximum string length on 64-bit hosts (2**29 - 24 code units).
MAX_STRING_LENGTH: Final = 2**29 - 24
_SUBSTITUTION = re.compile(r"\$([$&`'])")


def _check_length(size: float) -> None:
    if size > MAX_STRING_LENGTH:
        raise ArgumentError(
            f"the result would have {size:.0f} characters, "
            f"more than the maximum of {MAX_STRING_LENGTH}"
        )


def split(text: Any, separator: Any = UNDEFINED, limit: Any = UNDEFINED) -> list[str]:
    """Split at each ``separator``, or into characters at an empty one.

    Without a separator the result is ``[text]``. ``limit`` caps the count.
    """
    source = require_string(text)
    count = 2**32 - 1 if limit is UNDEFINED else to_uint32(limit)
    if count == 0:
        return []
    if separator is UNDEFINED:
        return [source]
    glue = to_string(separator)
    parts = list(source) if glue == "" else source.split(glue)
    return parts[:count]


def char_at(text: Any, index: Any = 0) -> str:
    """Return the character at ``index``, or ``''`` when out of range."""
    source = require_string(text)
    position = to_integer_or_infinity(optional(index, 0))
    return source[int(position)] if 0 <= position < len(source) else ""


def concat(*values: Any) -> str:
    """Join the values as strings, skipping null and undefined."""
    return "".join("" if is_nullish(value) else to_string(value) for value in values)


def includes(text: Any, search: Any, position: Any = UNDEFINED) -> bool:
    """Return whether ``search`` occurs at or after ``position``."""
    source = require_string(text)
    start = clamp_position(position, len(source), 0)
    return source.find(to_string(search), start) != -1


def index_of(text: Any, search: Any, position: Any = UNDEFINED) -> int:
    """Return the first position of ``search`` at or after ``position``, or -1."""
    source = require_string(text)
    start = clamp_position(position, len(source), 0)
    return source.find(to_string(search), start)


def last_index_of(text: Any, search: Any, position: Any = UNDEFINED) -> int:
    """Return the last position of ``search`` at or before ``position``, or -1."""
    source = require_string(text)
    needle = to_string(search)
    number = to_number(position)
    limit = (
        len(source) if math.isnan(number) else clamp_position(number, len(source), 0)
    )
    start = min(limit, len(source) - len(needle))
    if start < 0:
        return -1
    return source.rfind(needle, 0, start + len(needle))


def slice_(text: Any, start: Any = UNDEFINED, end: Any = UNDEFINED) -> str:
    """Return ``text[start:end]``, where negative positions count from the end."""
    source = require_string(text)
    first = relative_index(start, len(source), 0)
    last = relative_index(end, len(source), len(source))
    return source[first:last]


def substring(text: Any, start: Any = UNDEFINED, end: Any = UNDEFINED) -> str:
    """Return the text between two positions, clamped and in either order."""
    source = require_string(text)
    first = clamp_position(start, len(source), 0)
    last = clamp_position(end, len(source), len(source))
    return source[min(first, last) : max(first, last)]


def to_lower_case(text: Any) -> str:
    """Return the text in lower case."""
    return require_string(text).lower()


def to_upper_case(text: Any) -> str:
    """Return the text in upper case."""
    return require_string(text).upper()


def trim(text: Any) -> str:
    """Return the text without leading and trailing white space."""
    return require_string(text).strip(JS_WHITESPACE)


def trim_start(text: Any) -> str:
    """Return the text without leading white space."""
    return require_string(text).lstrip(JS_WHITESPACE)


def trim_end(text: Any) -> str:
    """Return the text without trailing white space."""
    return require_string(text).rstrip(JS_WHITESPACE)


def _padding(source: str, length: Any, filler: Any) -> str:
    target = to_integer_or_infinity(length)
    fill = " " if filler is UNDEFINED else to_string(filler)
    if target <= len(source) or fill == "":
        return ""
    _check_length(target)
    missing = int(target) - len(source)
    return (fill * (missing // len(fill) + 1))[:missing]


def pad_start(text: Any, length: Any, filler: Any = UNDEFINED) -> str:
    """Pad the start with ``filler`` (a space by default) to ``length``."""
    source = require_string(text)
    return _padding(source, length, filler) + source


def pad_end(text: Any, length: Any, filler: Any = UNDEFINED) -> str:
    """Pad the end with ``filler`` (a space by default) to ``length``."""
    source = require_string(text)
    return source + _padding(source, length, filler)


def replace(text: Any, pattern: Any, replacement: Any) -> str:
    """Replace the first occurrence of the string ``pattern``.

    As in JavaScript, ``$$``, ``$&``, ``$``` and ``$'`` in the replacement
    insert a dollar sign, the match, and the text before or after it.
    """
    source = require_string(text)
    needle = to_string(pattern)
    position = source.find(needle)
    if position == -1:
        return source
    end = position + len(needle)
    pieces = {"$": "$", "&": needle, "`": source[:position], "'": source[end:]}
    inserted = _SUBSTITUTION.sub(lambda m: pieces[m.group(1)], to_string(replacement))
    return source[:position] + inserted + source[end:]


def search(text: Any, pattern: Any = UNDEFINED) -> int:
    """Return the position of the first match of a regular expression, or -1.

    NOTE: the pattern is compiled by Python's ``re``, whose syntax differs
    from JavaScript's in places (named groups are ``(?P<name>...)``).
    """
    source = require_string(text)
    expression = "" if pattern is UNDEFINED else to_string(pattern)
    try:
        match = re.search(expression, source)
    except re.error as exc:
        raise ArgumentError(
            f"invalid regular expression {expression!r}: {exc}"
        ) from exc
    return match.start() if match else -1


def starts_with(text: Any, search: Any, position: Any = UNDEFINED) -> bool:
    """Return whether the text at ``position`` (0 by default) starts with ``search``."""
    source = require_string(text)
    start = clamp_position(position, len(source), 0)
    return source.startswith(to_string(search), start)


def ends_with(text: Any, search: Any, end_position: Any = UNDEFINED) -> bool:
    """Return whether the text before ``end_position`` ends with ``search``."""
    source = require_string(text)
    end = clamp_position(end_position, len(source), len(source))
    return source[:end].endswith(to_string(search))


def repeat(text: Any, count: Any) -> str:
    """Return the text repeated ``count`` times (finite and >= 0)."""
    source = require_string(text)
    times = to_integer_or_infinity(count)
    if times < 0 or math.isinf(times):
        raise ArgumentError(f"count must be a finite number >= 0, got {count!r}")
    _check_length(len(source) * times)
    return source * int(times)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "split": split,
    "charAt": char_at,
    "concat": concat,
    "includes": includes,
    "indexOf": index_of,
    "lastIndexOf": last_index_of,
    "slice": slice_,
    "toLowerCase": to_lower_case,
    "toUpperCase": to_upper_case,
    "trim": trim,
    "trimStart": trim_start,
    "trimEnd": trim_end,
    "padStart": pad_start,
    "padEnd": pad_end,
    "replace": replace,
    "search": search,
    "substring": substring,
    "startsWith": starts_with,
    "endsWith": ends_with,
    "repeat": repeat,
}
