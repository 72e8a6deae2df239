"""Date arithmetic on epoch milliseconds, as ECMAScript defines it.

Time values are milliseconds since 1970-01-01T00:00:00Z, valid within
±8.64e15 like JavaScript's. Local time is UTC, so the local and UTC
variants of every Date method agree and the time zone offset is 0.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Final, NamedTuple

from hotmesh.errors import PipeError

MS_PER_SECOND: Final = 1000
MS_PER_MINUTE: Final = 60_000
MS_PER_HOUR: Final = 3_600_000
MS_PER_DAY: Final = 86_400_000
MAX_TIME: Final = 8.64e15

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

WEEKDAYS: Final = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
MONTHS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

# The ECMAScript date time string format, with the expanded six-digit years.
_ISO_FORMAT = re.compile(
    r"(?P<year>[+-]\d{6}|\d{4})"
    r"(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?",
    re.ASCII,
)

# Formats of Date.prototype.toString, toUTCString and the en-US locale,
# which JavaScript's Date.parse also reads back.
_TEXT_FORMATS: Final = (
    "%a %b %d %Y %H:%M:%S GMT%z",
    "%a, %d %b %Y %H:%M:%S GMT",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y",
)


class DateFields(NamedTuple):
    """Calendar fields of a time value, with ``month`` counted from 0 as in JS."""

    year: int
    month: int
    day: int
    hours: int
    minutes: int
    seconds: int
    milliseconds: int
    weekday: int


def days_from_civil(year: int, month: int, day: int) -> int:
    """Return days since 1970-01-01 for a proleptic Gregorian date (month 1-12)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100
    return era * 146_097 + day_of_era + day_of_year - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Return ``(year, month 1-12, day)`` for days since 1970-01-01."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (
        365 * year_of_era + year_of_era // 4 - year_of_era // 100
    )
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + (3 if shifted_month < 10 else -9)
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


def make_day(year: float, month: float, day: float) -> float:
    """Return the day number for a year, a 0-based month and a day of month.

    Months outside 0-11 and days outside the month carry over, as in
    ``Date.UTC``. Any non-finite field gives NaN.
    """
    if not all(math.isfinite(field) for field in (year, month, day)):
        return math.nan
    whole_month = math.trunc(month)
    whole_year = math.trunc(year) + whole_month // 12
    if abs(whole_year) > 400_000:
        return math.nan
    month_index = whole_month % 12
    first = days_from_civil(whole_year, month_index + 1, 1)
    return float(first + math.trunc(day) - 1)


def make_time(hours: float, minutes: float, seconds: float, millis: float) -> float:
    """Return the milliseconds within a day for the given clock fields."""
    fields = (hours, minutes, seconds, millis)
    if not all(math.isfinite(field) for field in fields):
        return math.nan
    truncated = [math.trunc(field) for field in fields]
    return float(
        truncated[0] * MS_PER_HOUR
        + truncated[1] * MS_PER_MINUTE
        + truncated[2] * MS_PER_SECOND
        + truncated[3]
    )


def make_date(day: float, time: float) -> float:
    """Combine a day number and a time within the day into a time value."""
    if not (math.isfinite(day) and math.isfinite(time)):
        return math.nan
    return day * MS_PER_DAY + time


def time_clip(time: float) -> float:
    """Return a time value truncated to whole milliseconds, NaN out of range."""
    if not math.isfinite(time) or abs(time) > MAX_TIME:
        return math.nan
    return float(math.trunc(time)) + 0.0


def split_time(time: float) -> DateFields:
    """Return the calendar fields of a finite time value."""
    whole = int(time)
    days, in_day = divmod(whole, MS_PER_DAY)
    year, month, day = civil_from_days(days)
    hours, rest = divmod(in_day, MS_PER_HOUR)
    minutes, rest = divmod(rest, MS_PER_MINUTE)
    seconds, millis = divmod(rest, MS_PER_SECOND)
    weekday = (days + 4) % 7
    return DateFields(year, month - 1, day, hours, minutes, seconds, millis, weekday)


def to_epoch_ms(value: date) -> int:
    """Return the time value of a date or datetime, reading naive values as UTC."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // timedelta(milliseconds=1)


def from_epoch_ms(time: float) -> datetime:
    """Return a UTC datetime for a time value.

    Raises:
        PipeError: The time is NaN or outside years 1 to 9999, which
            ``datetime`` cannot represent.
    """
    if not math.isfinite(time):
        raise PipeError("invalid date: the time value is NaN")
    try:
        return EPOCH + timedelta(milliseconds=math.trunc(time))
    except OverflowError as exc:
        raise PipeError(
            f"date out of range: {time!r} ms is outside years 1 to 9999"
        ) from exc


def format_year(year: int) -> str:
    """Format a year as toISOString does: 4 digits, or signed 6 digits."""
    if 0 <= year <= 9999:
        return f"{year:04d}"
    sign = "+" if year > 0 else "-"
    return f"{sign}{abs(year):06d}"


def format_iso(time: float) -> str:
    """Format a time value as ``YYYY-MM-DDTHH:mm:ss.sssZ``."""
    fields = split_time(time)
    return (
        f"{format_year(fields.year)}-{fields.month + 1:02d}-{fields.day:02d}"
        f"T{fields.hours:02d}:{fields.minutes:02d}:{fields.seconds:02d}"
        f".{fields.milliseconds:03d}Z"
    )


def _display_year(year: int) -> str:
    return f"{year:04d}" if year >= 0 else f"-{-year:04d}"


def format_date_part(time: float) -> str:
    """Format a time value as Date.prototype.toDateString does."""
    fields = split_time(time)
    year = _display_year(fields.year)
    return f"{WEEKDAYS[fields.weekday]} {MONTHS[fields.month]} {fields.day:02d} {year}"


def format_date_string(time: float) -> str:
    """Format a time value as Date.prototype.toString does in UTC."""
    fields = split_time(time)
    clock = f"{fields.hours:02d}:{fields.minutes:02d}:{fields.seconds:02d}"
    return f"{format_date_part(time)} {clock} GMT+0000 (Coordinated Universal Time)"


def format_utc_string(time: float) -> str:
    """Format a time value as Date.prototype.toUTCString does."""
    fields = split_time(time)
    clock = f"{fields.hours:02d}:{fields.minutes:02d}:{fields.seconds:02d}"
    return (
        f"{WEEKDAYS[fields.weekday]}, {fields.day:02d} {MONTHS[fields.month]} "
        f"{_display_year(fields.year)} {clock} GMT"
    )


def parse_iso(text: str) -> float:
    """Parse the ECMAScript date time string format, NaN when invalid.

    Date-only forms and forms without an offset are read as UTC.
    """
    match = _ISO_FORMAT.fullmatch(text)
    if match is None or match.group("year") == "-000000":
        return math.nan
    parts = match.groupdict()
    month = int(parts["month"] or 1)
    day = int(parts["day"] or 1)
    hour = int(parts["hour"] or 0)
    minute = int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    millis = int((parts["fraction"] or "0")[:3].ljust(3, "0"))
    if not _fields_valid(int(parts["year"]), month, day, hour, minute, second):
        return math.nan
    day_number = days_from_civil(int(parts["year"]), month, day)
    time = make_date(day_number, make_time(hour, minute, second, millis))
    return time_clip(time - _zone_offset_ms(parts["zone"]))


def _fields_valid(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> bool:
    if not 1 <= month <= 12 or minute > 59 or second > 59:
        return False
    if hour > 24 or (hour == 24 and (minute or second)):
        return False
    next_month = days_from_civil(year + month // 12, month % 12 + 1, 1)
    return 1 <= day <= next_month - days_from_civil(year, month, 1)


def _zone_offset_ms(zone: str | None) -> int:
    if not zone or zone == "Z":
        return 0
    sign = -1 if zone[0] == "-" else 1
    return sign * (int(zone[1:3]) * MS_PER_HOUR + int(zone[4:6]) * MS_PER_MINUTE)


def parse_date(text: str) -> float:
    """Parse a date string as JavaScript's ``Date.parse`` does, NaN when invalid.

    Reads the ISO format and the texts that ``toString``, ``toUTCString``
    and the en-US ``toLocaleString`` produce.
    """
    stripped = text.strip()
    time = parse_iso(stripped)
    if not math.isnan(time):
        return time
    without_zone_name = stripped.split(" (", 1)[0]
    for pattern in _TEXT_FORMATS:
        try:
            parsed = datetime.strptime(without_zone_name, pattern)
        except ValueError:
            continue
        return float(to_epoch_ms(parsed))
    return math.nan


def now_ms() -> int:
    """Return the current time in epoch milliseconds."""
    return to_epoch_ms(datetime.now(UTC))
