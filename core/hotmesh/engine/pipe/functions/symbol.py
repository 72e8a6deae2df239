"""The ``symbol`` functions: constants, called with no arguments.

``object``, ``array`` and ``date`` return a new value on every call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from hotmesh.engine.pipe import _dates
from hotmesh.engine.pipe._values import UNDEFINED, Undefined


def null() -> None:
    """Return null."""
    return None


def undefined() -> Undefined:
    """Return UNDEFINED."""
    return UNDEFINED


def whitespace() -> str:
    """Return a single space."""
    return " "


def object_() -> dict[str, Any]:
    """Return a new empty object."""
    return {}


def array() -> list[Any]:
    """Return a new empty array."""
    return []


def pos_infinity() -> float:
    """Return positive infinity."""
    return math.inf


def neg_infinity() -> float:
    """Return negative infinity."""
    return -math.inf


def nan() -> float:
    """Return NaN."""
    return math.nan


def date() -> datetime:
    """Return the current time as a Date, to the millisecond."""
    return _dates.from_epoch_ms(_dates.now_ms())


FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "null": null,
    "undefined": undefined,
    "whitespace": whitespace,
    "object": object_,
    "array": array,
    "posInfinity": pos_infinity,
    "negInfinity": neg_infinity,
    "NaN": nan,
    "date": date,
}
