"""Job statistics: counters and id indexes recorded when a job starts.

A trigger with ``stats.key`` and ``measures`` records, in a bucket named
``<key>:<time slot>``:

* ``count`` and ``count:<path>:<value>`` counters (measure ``count``);
* ``sum:<path>`` and ``avg:<path>`` running sums (measures ``sum``, ``avg``);
* the job id on the index of facet ``<path>:<value>`` (measure ``index``).

``<path>`` is the measure's target with its first three segments removed
(``{t1.input.data.color}`` gives ``color``). The time slot is the job's
creation time in UTC as ``YYYYMMDDHHmm``, rounded down to the granularity,
or ``0`` for granularity ``infinity``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotmesh.engine.model import Activity
from hotmesh.engine.pipe import UNDEFINED, resolve
from hotmesh.engine.pipe import to_string as js_string
from hotmesh.errors import ConfigurationError
from hotmesh.store.protocol import StatsUpdate

GRANULARITIES = {"5m": 5, "10m": 10, "15m": 15, "30m": 30, "1h": 60, "infinity": 0}
DEFAULT_GRANULARITY = "5m"
_RANGE = re.compile(r"^(\d+)([mhd])$")
_RANGE_MINUTES = {"m": 1, "h": 60, "d": 1440}


def measure_path(target: str) -> str:
    """Return the stats path of a measure target expression."""
    inner = target.strip("{}")
    return "/".join(inner.split(".")[3:])


def granularity_of(trigger: Activity) -> str:
    stats = trigger.definition.get("stats") or {}
    granularity = str(stats.get("granularity") or DEFAULT_GRANULARITY)
    if granularity not in GRANULARITIES:
        return DEFAULT_GRANULARITY
    return granularity


def time_slot(moment: datetime, granularity: str) -> str:
    """Return the bucket name of a moment at a granularity."""
    minutes = GRANULARITIES[granularity]
    if minutes == 0:
        return "0"
    moment = moment.astimezone(UTC)
    total = moment.hour * 60 + moment.minute
    total -= total % minutes
    floored = moment.replace(
        hour=total // 60, minute=total % 60, second=0, microsecond=0
    )
    return floored.strftime("%Y%m%d%H%M")


def trigger_scope(trigger: Activity, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a context in which a trigger's stats expressions resolve on ``data``."""
    node = {"input": {"data": dict(data)}, "output": {"data": dict(data)}}
    context: dict[str, Any] = {
        "metadata": {},
        "data": {},
        trigger.id: node,
        "$self": node,
    }
    context["$job"] = context
    return context


def job_key(trigger: Activity, context: Mapping[str, Any]) -> str:
    stats = trigger.definition.get("stats") or {}
    if stats.get("key") is None:
        return ""
    value = resolve(stats["key"], dict(context))
    return "" if value is UNDEFINED or value is None else js_string(value)


def stats_updates(
    trigger: Activity, context: Mapping[str, Any], job_id: str, now: datetime
) -> list[StatsUpdate]:
    """Return what a new job records in its trigger's stats bucket."""
    stats = trigger.definition.get("stats") or {}
    measures = stats.get("measures") or []
    key = job_key(trigger, context)
    if not key or not measures:
        return []
    counters: dict[str, float] = {"count": 1}
    index: list[tuple[str, str]] = []
    for measure in measures:
        kind = measure.get("measure")
        target = str(measure.get("target", ""))
        value = resolve(target, dict(context))
        if value is UNDEFINED:
            continue
        path = measure_path(target)
        facet = f"{path}:{js_string(value)}"
        if kind == "count":
            counters[f"count:{facet}"] = counters.get(f"count:{facet}", 0) + 1
        elif kind == "index":
            index.append((facet, job_id))
        elif kind in ("sum", "avg"):
            try:
                counters[f"{kind}:{path}"] = float(value)
            except (TypeError, ValueError):
                continue
    bucket = f"{key}:{time_slot(now, granularity_of(trigger))}"
    return [StatsUpdate(bucket, counters, index)]


@dataclass(frozen=True)
class StatsWindow:
    """The buckets a stats query covers."""

    key: str
    granularity: str
    slots: list[str]
    range: str | None
    end: str | None

    def buckets(self) -> list[str]:
        return [f"{self.key}:{slot}" for slot in self.slots]


def _parse_range(text: str) -> timedelta:
    match = _RANGE.match(text)
    if not match:
        raise ConfigurationError(
            f"stats range {text!r} is invalid: use e.g. '5m', '1h', '2d'"
        )
    return timedelta(minutes=int(match[1]) * _RANGE_MINUTES[match[2]])


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if value in (None, "NOW"):
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise ConfigurationError(
            f"stats time {value!r} is not an ISO date or 'NOW'"
        ) from exc


def resolve_window(trigger: Activity, query: Mapping[str, Any]) -> StatsWindow:
    """Resolve a stats query (``data`` and a time window) to its buckets."""
    data = query.get("data") or {}
    key = job_key(trigger, trigger_scope(trigger, data))
    granularity = granularity_of(trigger)
    if GRANULARITIES[granularity] == 0:
        return StatsWindow(
            key, granularity, ["0"], query.get("range"), query.get("end")
        )
    step = timedelta(minutes=GRANULARITIES[granularity])
    start_raw, end_raw, range_raw = (
        query.get("start"),
        query.get("end"),
        query.get("range"),
    )
    if start_raw is not None and end_raw is not None:
        start, end = _parse_time(start_raw), _parse_time(end_raw)
    elif end_raw is not None and range_raw is not None:
        end = _parse_time(end_raw)
        start = end - _parse_range(str(range_raw))
    elif start_raw is not None and range_raw is not None:
        start = _parse_time(start_raw)
        end = start + _parse_range(str(range_raw))
    else:
        raise ConfigurationError(
            "stats query needs two of 'start', 'end' and 'range' "
            "(for example range='1h', end='NOW')"
        )
    slots = []
    current = datetime.strptime(time_slot(start, granularity), "%Y%m%d%H%M").replace(
        tzinfo=UTC
    )
    while current <= end:
        slots.append(current.strftime("%Y%m%d%H%M"))
        current += step
    return StatsWindow(key, granularity, slots, range_raw, end_raw)


def facets_of(counters: Sequence[Mapping[str, float]]) -> list[str]:
    """Return the facets (``path:value``) found in bucket counters."""
    found: dict[str, None] = {}
    for bucket in counters:
        for name in bucket:
            if name.startswith("count:"):
                found[name[len("count:") :]] = None
    return list(found)


def slot_iso(slot: str) -> str:
    if slot == "0":
        return "0"
    moment = datetime.strptime(slot, "%Y%m%d%H%M")
    return moment.strftime("%Y-%m-%dT%H:%MZ")
