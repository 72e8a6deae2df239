"""Checks of activity options that deployment and the engine share.

Deployment applies them to literal values. The engine applies them to the
values that expressions resolve to when a job runs.
"""

from __future__ import annotations

import re
from typing import Any

from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")

_DECIMAL_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
"""A number as text, in ASCII digits only (``float`` also takes ``1_0``,
other scripts' digits and ``inf``)."""

MAX_CODE = 999
"""Highest status code of an interrupt or a hook: codes have three digits."""

_INTERRUPT_RANGE = {"code": (1, MAX_CODE), "expire": (0, MAX_EXPIRE_SECONDS)}


def is_literal(value: Any) -> bool:
    """Return whether a YAML value is fixed at deployment.

    Expressions (``'{a.b}'``), pipes (mappings) and lists are resolved when
    a job runs, and None means the option is left out.
    """
    if value is None or isinstance(value, dict | list):
        return False
    return not (
        isinstance(value, str) and value.startswith("{") and value.endswith("}")
    )


def sleep_seconds(value: Any) -> float:
    """Return a hook's ``sleep`` value as seconds.

    Raises:
        ValueError: The value is not a number, or is outside 0 to
            :data:`MAX_EXPIRE_SECONDS`. The message gives the reason.
    """
    if isinstance(value, bool) or (
        isinstance(value, str) and not _DECIMAL_NUMBER.fullmatch(value.strip())
    ):
        raise ValueError("which is not a number of seconds")
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("which is not a number of seconds") from None
    if not 0 <= seconds <= MAX_EXPIRE_SECONDS:
        raise ValueError(
            f"out of range: use seconds from 0 to {MAX_EXPIRE_SECONDS} (10 years)"
        )
    return seconds


def interrupt_number(name: str, value: Any) -> int:
    """Return the interrupt option ``name`` (``code`` or ``expire``) as an int.

    Whole numbers may be given as text, as YAML and expressions often do.

    Raises:
        ValueError: The value is not a whole number in the option's range.
            The message gives the range.
    """
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    lowest, highest = _INTERRUPT_RANGE[name]
    if name == "code":
        expected = f"give a whole number from {lowest} to {highest}"
    else:
        expected = f"give whole seconds from {lowest} to {highest} (10 years)"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(expected)
    if not lowest <= value <= highest:
        raise ValueError(f"out of range: {expected}")
    return value
