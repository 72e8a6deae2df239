"""Locale formatting for ``toLocaleString`` and its date and time variants.

Two layouts are built in: en-US (``7/4/2024, 2:05:09 PM``), which is also
the default, and en-GB (``04/07/2024, 14:05:09``).

NOTE: other locales fall back to en-US. Of the Intl options only
``timeZone`` and ``hour12`` are applied, so others such as ``dateStyle``
or ``month`` have no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotmesh.engine.pipe import _dates
from hotmesh.engine.pipe._values import UNDEFINED
from hotmesh.engine.pipe.functions._support import ArgumentError, describe

_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT"})


class LocaleText(NamedTuple):
    """The date and the time of day of one instant, formatted for a locale."""

    date: str
    time: str


def _locale_name(locales: Any) -> str:
    if isinstance(locales, list | tuple):
        locales = locales[0] if locales else UNDEFINED
    if locales is UNDEFINED or locales is None:
        return "en-US"
    if not isinstance(locales, str):
        raise ArgumentError(
            f"locales must be a string or a list, got {describe(locales)}"
        )
    return locales


def _offset_ms(time: float, zone: Any) -> int:
    if zone is UNDEFINED or zone is None or zone in _UTC_NAMES:
        return 0
    try:
        info = ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ArgumentError(f"invalid time zone {zone!r}") from exc
    offset = _dates.from_epoch_ms(time).astimezone(info).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() * 1000)


def format_locale(time: float, locales: Any, options: Any) -> LocaleText:
    """Format an instant for ``locales`` with Intl-style ``options``."""
    settings: Mapping[str, Any] = options if isinstance(options, Mapping) else {}
    british = _locale_name(locales).lower().startswith("en-gb")
    fields = _dates.split_time(time + _offset_ms(time, settings.get("timeZone")))
    hour12 = settings.get("hour12", not british)

    if british:
        day_text = f"{fields.day:02d}/{fields.month + 1:02d}/{fields.year}"
    else:
        day_text = f"{fields.month + 1}/{fields.day}/{fields.year}"

    clock = f"{fields.minutes:02d}:{fields.seconds:02d}"
    if not hour12:
        return LocaleText(day_text, f"{fields.hours:02d}:{clock}")
    hour = fields.hours % 12 or 12
    marker = "AM" if fields.hours < 12 else "PM"
    if british:
        marker = marker.lower()
    return LocaleText(day_text, f"{hour}:{clock} {marker}")
