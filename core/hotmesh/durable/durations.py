"""Durations: seconds, ``timedelta`` or text such as ``"15 minutes"``."""

from __future__ import annotations

import math
import re
import sys
from datetime import timedelta
from typing import TypeGuard

from hotmesh.durable.errors import InvalidDurationError

Duration = float | int | str | timedelta
"""A number of seconds, a ``timedelta``, or a number and a unit as text."""

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR

# A month is 30 days and a year 365 days: fixed lengths, not calendar
# arithmetic, because the engine's timers count seconds.
_UNITS: dict[str, float] = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), _MINUTE),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * _DAY),
    **dict.fromkeys(("mo", "month", "months"), 30 * _DAY),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * _DAY),
}

_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)\s*$", re.IGNORECASE)


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """Return whether ``value`` is a finite int or float (a bool is not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def to_seconds(value: Duration) -> float:
    """Return a duration in seconds.

    Numbers are seconds. Text is a number and a unit, as in ``"500ms"``,
    ``"2 seconds"``, ``"15 minutes"``, ``"1.5h"``, ``"3 days"``, ``"2
    weeks"``, ``"1 month"`` (30 days) or ``"1 year"`` (365 days).

    Raises:
        InvalidDurationError: The value is negative, not finite, has no
            unit or an unknown one, or is of another type.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidDurationError(
            f"duration {value!r} is invalid: pass seconds, a timedelta "
            "or text like '15 minutes'"
        )
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        seconds = _to_float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidDurationError(
            f"duration {value!r} is invalid: use a finite value of 0 or more"
        )
    return seconds


def _to_float(number: int | float) -> float:
    try:
        return float(number)
    except OverflowError:
        # Only an int can overflow. Its repr() raises ValueError beyond 4300
        # digits, so the message gives its size instead.
        bits = int(number).bit_length()
        raise InvalidDurationError(
            f"duration is invalid: an integer of {bits} bits is outside the "
            f"float range of ±{sys.float_info.max:.6g}; use a finite value of "
            "0 or more"
        ) from None


def _parse_text(text: str) -> float:
    match = _TEXT.match(text)
    if match is None:
        raise InvalidDurationError(
            f"duration {text!r} is invalid: write a number and a unit, "
            "such as '500ms', '15 minutes' or '2 days'"
        )
    number, unit = match.groups()
    scale = _UNITS.get(unit.lower())
    if scale is None:
        units = "ms, s, m, h, d, w, mo, y"
        raise InvalidDurationError(
            f"duration {text!r} has an unknown unit {unit!r}; use one of {units} "
            "or their full names"
        )
    return float(number) * scale
