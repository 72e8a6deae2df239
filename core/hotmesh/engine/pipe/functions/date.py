"""The ``date`` functions, after JavaScript's Date methods.

A date argument may be a ``datetime`` (naive ones are UTC), epoch
milliseconds as a number or numeric string, or an ISO 8601 string such as
``2024-07-15`` or ``2024-07-15T12:30:45.123Z``. Anything else raises
PipeError. Getters return numbers, setters return the new epoch
milliseconds, and formatters return strings.

Local time is UTC, so ``getHours`` equals ``getUTCHours`` and
``getTimezoneOffset`` is 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date as _date
from datetime import datetime
from typing import Any, Final

from hotmesh.engine.pipe import _dates
from hotmesh.engine.pipe._values import (
    UNDEFINED,
    is_number,
    js_number,
    string_to_number,
    to_number,
    to_string,
)
from hotmesh.engine.pipe.functions._locale import format_locale
from hotmesh.engine.pipe.functions._support import ArgumentError, describe

Number = int | float


def time_value(value: Any) -> float:
    """Return the epoch milliseconds of a date argument.

    Raises:
        ArgumentError: The value is not a date, a number, a numeric string
            or an ISO 8601 string, or it names an invalid date.
    """
    if isinstance(value, _date):
        time = float(_dates.to_epoch_ms(value))
    elif is_number(value):
        time = float(value)
    elif isinstance(value, str) and value.strip():
        time = string_to_number(value)
        if math.isnan(time):
            time = _dates.parse_iso(value)
    else:
        raise ArgumentError(
            "expected a Date, epoch milliseconds or an ISO 8601 string, "
            f"got {describe(value)}"
        )
    clipped = _dates.time_clip(time)
    if math.isnan(clipped):
        raise ArgumentError(f"invalid date {describe(value)}")
    return clipped


def now() -> int:
    """Return the current time in epoch milliseconds."""
    return _dates.now_ms()


def parse(text: Any) -> Number:
    """Return the epoch milliseconds of a date string, or NaN if unreadable."""
    return js_number(_dates.parse_date(to_string(text)))


def from_iso_string(text: Any) -> datetime:
    """Return the Date that a date string names."""
    time = _dates.parse_date(to_string(text))
    if math.isnan(time):
        raise ArgumentError(f"invalid date string {describe(text)}")
    return _dates.from_epoch_ms(time)


def _getter(field: str, doc: str) -> Callable[[Any], int]:
    def get(value: Any) -> int:
        return int(getattr(_dates.split_time(time_value(value)), field))

    get.__doc__ = doc
    return get


def get_time(value: Any) -> Number:
    """Return the epoch milliseconds of a date."""
    return js_number(time_value(value))


def get_timezone_offset(value: Any) -> int:
    """Return 0, the offset in minutes between UTC and local time (UTC)."""
    time_value(value)
    return 0


def _changed(
    value: Any,
    year: Any = UNDEFINED,
    month: Any = UNDEFINED,
    day: Any = UNDEFINED,
    hours: Any = UNDEFINED,
    minutes: Any = UNDEFINED,
    seconds: Any = UNDEFINED,
    milliseconds: Any = UNDEFINED,
) -> Number:
    fields = _dates.split_time(time_value(value))

    def pick(given: Any, current: int) -> float:
        return float(current) if given is UNDEFINED else to_number(given)

    day_number = _dates.make_day(
        pick(year, fields.year), pick(month, fields.month), pick(day, fields.day)
    )
    time_of_day = _dates.make_time(
        pick(hours, fields.hours),
        pick(minutes, fields.minutes),
        pick(seconds, fields.seconds),
        pick(milliseconds, fields.milliseconds),
    )
    return js_number(_dates.time_clip(_dates.make_date(day_number, time_of_day)))


def _required(value: Any) -> float:
    # A required field that is missing is NaN in JavaScript, not "unchanged".
    return to_number(value)


def set_milliseconds(value: Any, milliseconds: Any) -> Number:
    """Return the time with its milliseconds replaced."""
    return _changed(value, milliseconds=_required(milliseconds))


def set_seconds(value: Any, seconds: Any, milliseconds: Any = UNDEFINED) -> Number:
    """Return the time with its seconds (and milliseconds) replaced."""
    return _changed(value, seconds=_required(seconds), milliseconds=milliseconds)


def set_minutes(
    value: Any, minutes: Any, seconds: Any = UNDEFINED, milliseconds: Any = UNDEFINED
) -> Number:
    """Return the time with its minutes (and smaller fields) replaced."""
    return _changed(
        value, minutes=_required(minutes), seconds=seconds, milliseconds=milliseconds
    )


def set_hours(
    value: Any,
    hours: Any,
    minutes: Any = UNDEFINED,
    seconds: Any = UNDEFINED,
    milliseconds: Any = UNDEFINED,
) -> Number:
    """Return the time with its hours (and smaller fields) replaced."""
    return _changed(
        value,
        hours=_required(hours),
        minutes=minutes,
        seconds=seconds,
        milliseconds=milliseconds,
    )


def set_date(value: Any, day: Any) -> Number:
    """Return the time with its day of the month replaced."""
    return _changed(value, day=_required(day))


def set_month(value: Any, month: Any, day: Any = UNDEFINED) -> Number:
    """Return the time with its month (0 to 11) and optionally its day replaced."""
    return _changed(value, month=_required(month), day=day)


def set_full_year(
    value: Any, year: Any, month: Any = UNDEFINED, day: Any = UNDEFINED
) -> Number:
    """Return the time with its year (and optionally month and day) replaced."""
    return _changed(value, year=_required(year), month=month, day=day)


def set_time(value: Any, time: Any) -> Number:
    """Return ``time`` as a valid time value after checking ``value`` is a date."""
    time_value(value)
    return js_number(_dates.time_clip(to_number(time)))


def to_date_string(value: Any) -> str:
    """Format the date part, as in ``Mon Jul 15 2024``."""
    return _dates.format_date_part(time_value(value))


def to_iso_string(value: Any) -> str:
    """Format as ``2024-07-15T12:30:45.123Z``."""
    return _dates.format_iso(time_value(value))


def to_isox_string(value: Any = UNDEFINED) -> str:
    """Format as compact ISO (``20240715123045.123``), the current time by default."""
    time = _dates.now_ms() if value is UNDEFINED else time_value(value)
    text = _dates.format_iso(time)
    return text.translate(str.maketrans("", "", "-:TZ"))


def to_string_(value: Any) -> str:
    """Format as ``Mon Jul 15 2024 12:30:45 GMT+0000 (Coordinated Universal Time)``."""
    return _dates.format_date_string(time_value(value))


def to_utc_string(value: Any) -> str:
    """Format as ``Mon, 15 Jul 2024 12:30:45 GMT``."""
    return _dates.format_utc_string(time_value(value))


def to_locale_string(
    value: Any, locales: Any = UNDEFINED, options: Any = UNDEFINED
) -> str:
    """Format for a locale, such as ``7/15/2024, 12:30:45 PM`` for en-US."""
    text = format_locale(time_value(value), locales, options)
    return f"{text.date}, {text.time}"


def to_locale_date_string(
    value: Any, locales: Any = UNDEFINED, options: Any = UNDEFINED
) -> str:
    """Format the date for a locale, such as ``7/15/2024`` for en-US."""
    return format_locale(time_value(value), locales, options).date


def to_locale_time_string(
    value: Any, locales: Any = UNDEFINED, options: Any = UNDEFINED
) -> str:
    """Format the time of day for a locale, such as ``12:30:45 PM`` for en-US."""
    return format_locale(time_value(value), locales, options).time


def utc(
    year: Any,
    month: Any = 0,
    day: Any = 1,
    hours: Any = 0,
    minutes: Any = 0,
    seconds: Any = 0,
    milliseconds: Any = 0,
) -> Number:
    """Return the epoch milliseconds of UTC calendar fields, as ``Date.UTC`` does.

    Months count from 0, and years 0 to 99 mean 1900 to 1999.
    """
    given = (month, day, hours, minutes, seconds, milliseconds)
    defaults = (0, 1, 0, 0, 0, 0)
    fields = [
        to_number(default if field is UNDEFINED else field)
        for field, default in zip(given, defaults, strict=True)
    ]
    full_year = to_number(year)
    if math.isfinite(full_year) and 0 <= math.trunc(full_year) <= 99:
        full_year = 1900.0 + math.trunc(full_year)
    day_number = _dates.make_day(full_year, fields[0], fields[1])
    time_of_day = _dates.make_time(*fields[2:])
    return js_number(_dates.time_clip(_dates.make_date(day_number, time_of_day)))


_GETTERS: Final = {
    "Date": ("day", "Return the day of the month, 1 to 31."),
    "Day": ("weekday", "Return the day of the week, 0 (Sunday) to 6."),
    "FullYear": ("year", "Return the year."),
    "Hours": ("hours", "Return the hour, 0 to 23."),
    "Milliseconds": ("milliseconds", "Return the milliseconds, 0 to 999."),
    "Minutes": ("minutes", "Return the minutes, 0 to 59."),
    "Month": ("month", "Return the month, 0 (January) to 11."),
    "Seconds": ("seconds", "Return the seconds, 0 to 59."),
}

_SETTERS: Final[dict[str, Callable[..., Any]]] = {
    "Milliseconds": set_milliseconds,
    "Seconds": set_seconds,
    "Minutes": set_minutes,
    "Hours": set_hours,
    "Date": set_date,
    "Month": set_month,
    "FullYear": set_full_year,
}


def _build_registry() -> dict[str, Callable[..., Any]]:
    functions: dict[str, Callable[..., Any]] = {
        "now": now,
        "parse": parse,
        "fromISOString": from_iso_string,
        "getTime": get_time,
        "getTimezoneOffset": get_timezone_offset,
        "setTime": set_time,
        "toDateString": to_date_string,
        "toISOString": to_iso_string,
        "toISOXString": to_isox_string,
        "toJSON": to_iso_string,
        "toLocaleDateString": to_locale_date_string,
        "toLocaleString": to_locale_string,
        "toLocaleTimeString": to_locale_time_string,
        "toString": to_string_,
        "toUTCString": to_utc_string,
        "UTC": utc,
        "valueOf": get_time,
    }
    for suffix, (field, doc) in _GETTERS.items():
        getter = _getter(field, doc)
        functions[f"get{suffix}"] = getter
        functions[f"getUTC{suffix}"] = getter
    for suffix, setter in _SETTERS.items():
        functions[f"set{suffix}"] = setter
        functions[f"setUTC{suffix}"] = setter
    return functions


FUNCTIONS: Final = _build_registry()
