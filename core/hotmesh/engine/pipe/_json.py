"""JSON text in and out with the behaviour of JavaScript's ``JSON`` object."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hotmesh.engine.pipe import _dates
from hotmesh.engine.pipe._values import (
    UNDEFINED,
    Undefined,
    is_number,
    js_number,
    number_to_string,
    to_integer_or_infinity,
    to_string,
)
from hotmesh.errors import PipeError

_ESCAPED = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')
_SHORT_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def quote(text: str) -> str:
    """Quote a string as JSON.stringify does, escaping lone surrogates."""
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


@dataclass
class _Writer:
    gap: str
    allowed_keys: list[str] | None
    indent: str = ""
    open_ids: set[int] = field(default_factory=set)

    def write(self, value: Any) -> str | Undefined:
        if isinstance(value, date):
            return quote(_dates.format_iso(_dates.to_epoch_ms(value)))
        if value is None:
            return "null"
        if isinstance(value, Undefined):
            return UNDEFINED
        if isinstance(value, bool):
            return "true" if value else "false"
        if is_number(value):
            finite = not isinstance(value, float) or math.isfinite(value)
            return number_to_string(value) if finite else "null"
        if isinstance(value, str):
            return quote(value)
        if isinstance(value, Mapping | list | tuple):
            return self._write_container(value)
        raise PipeError(
            f"cannot convert a Python {type(value).__name__} to JSON. "
            "Use JSON values, dates or UNDEFINED"
        )

    def _write_container(self, value: Mapping[Any, Any] | Sequence[Any]) -> str:
        if id(value) in self.open_ids:
            raise PipeError("cannot convert a circular structure to JSON")
        self.open_ids.add(id(value))
        outer_indent = self.indent
        self.indent += self.gap
        try:
            if isinstance(value, Mapping):
                return self._join(self._members(value), "{}", outer_indent)
            items = [self.write(item) for item in value]
            parts = ["null" if item is UNDEFINED else item for item in items]
            return self._join(parts, "[]", outer_indent)
        finally:
            self.indent = outer_indent
            self.open_ids.discard(id(value))

    def _members(self, value: Mapping[Any, Any]) -> list[str]:
        entries = {to_string(key): item for key, item in value.items()}
        keys = entries if self.allowed_keys is None else self.allowed_keys
        colon = ": " if self.gap else ":"
        members = []
        for key in keys:
            if key not in entries:
                continue
            text = self.write(entries[key])
            if text is not UNDEFINED:
                members.append(quote(key) + colon + text)
        return members

    def _join(self, parts: Sequence[str | Undefined], brackets: str, outer: str) -> str:
        if not parts:
            return brackets
        texts = [str(part) for part in parts]
        if not self.gap:
            return brackets[0] + ",".join(texts) + brackets[1]
        separator = ",\n" + self.indent
        body = self.indent + separator.join(texts)
        return f"{brackets[0]}\n{body}\n{outer}{brackets[1]}"


def stringify(value: Any, replacer: Any = None, space: Any = None) -> str | Undefined:
    """Convert a value to JSON text as JavaScript's ``JSON.stringify`` does.

    Object keys keep insertion order, UNDEFINED members are left out and
    non-finite numbers become ``null``. ``replacer`` may be a list of the
    keys to keep, and ``space`` is a number of spaces (at most 10) or a string.
    Returns UNDEFINED when ``value`` itself is UNDEFINED.
    """
    writer = _Writer(gap=_gap(space), allowed_keys=_allowed_keys(replacer))
    return writer.write(value)


def _gap(space: Any) -> str:
    if is_number(space):
        return " " * int(min(10.0, max(0.0, to_integer_or_infinity(space))))
    if isinstance(space, str):
        return space[:10]
    return ""


def _allowed_keys(replacer: Any) -> list[str] | None:
    if not isinstance(replacer, list | tuple):
        return None
    keys: list[str] = []
    for item in replacer:
        if isinstance(item, str) or is_number(item):
            key = to_string(item)
            if key not in keys:
                keys.append(key)
    return keys


def parse(text: Any) -> Any:
    """Parse JSON text as JavaScript's ``JSON.parse`` does.

    Numbers come back as doubles (whole ones as ``int``), and ``NaN`` or
    ``Infinity`` literals are rejected as in JavaScript.

    Raises:
        PipeError: The text is not valid JSON.
    """
    source = to_string(text)
    try:
        return json.loads(
            source,
            parse_int=_parse_number,
            parse_float=_parse_number,
            parse_constant=_reject_constant,
        )
    except ValueError as exc:
        raise PipeError(f"invalid JSON text {_preview(source)}: {exc}") from exc


def _parse_number(literal: str) -> int | float:
    return js_number(float(literal))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _preview(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
