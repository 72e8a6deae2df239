"""The ``json`` functions: JavaScript's ``JSON.stringify`` and ``JSON.parse``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from hotmesh.engine.pipe import _json
from hotmesh.engine.pipe._values import UNDEFINED, Undefined


def stringify(
    value: Any, replacer: Any = UNDEFINED, space: Any = UNDEFINED
) -> str | Undefined:
    """Return compact JSON text with keys in insertion order.

    ``replacer`` may list the keys to keep and ``space`` sets the indent
    (a number of spaces up to 10, or a string). Returns UNDEFINED for an
    UNDEFINED value, as JavaScript does.
    """
    return _json.stringify(value, replacer, space)


def parse(text: Any) -> Any:
    """Return the value that JSON text encodes."""
    return _json.parse(text)


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "stringify": stringify,
    "parse": parse,
}
