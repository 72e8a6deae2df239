"""Reading and writing a record's fields from outside its workflow.

Search fields are the job fields ``_<name>``, with text values. Each write
is one guarded step on the job: it applies only if the record still exists
and the fields it read are unchanged, so it never interleaves with a
workflow's own search calls. A write that finds its fields changed reads
them again and retries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hotmesh.pluck._record import not_found
from hotmesh.pluck.errors import InvalidOptionsError, PluckError
from hotmesh.store.protocol import STATUS_FIELD, AppKey, Guard, Step, Store

MAX_WRITE_ATTEMPTS = 20
"""Attempts of one write while other writers keep changing its fields."""

_RECORD_GUARD = 0
"""Index of the guard that checks that the record exists."""

Plan = Callable[[Sequence[str | None]], tuple[Any, Mapping[str, str], Sequence[str]]]
"""Returns a write's result, the fields to set and the fields to delete."""


def field_name(name: object) -> str:
    """Return the job field of a search field name."""
    if not isinstance(name, str) or not name:
        raise InvalidOptionsError(
            f"field name {name!r} is invalid: give a non-empty string"
        )
    return f"_{name}"


def field_names(names: object) -> list[str]:
    """Return the job fields of a list of search field names."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidOptionsError(
            f"fields {names!r} are invalid: give a list of field names"
        )
    return [field_name(name) for name in names]


def format_number(value: float) -> str:
    """Return a number as stored text: integral values without a fraction."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(value)


async def read_raw(store: Store, app: AppKey, workflow_id: str) -> dict[str, str]:
    """Return every field of a record's job."""
    fields = await store.read_job(app, workflow_id)
    if not fields:
        raise not_found(workflow_id, app.app_id)
    return fields


async def read_search_fields(
    store: Store, app: AppKey, workflow_id: str
) -> dict[str, str]:
    """Return a record's search fields by name (without the underscore)."""
    fields = await read_raw(store, app, workflow_id)
    return {name[1:]: value for name, value in fields.items() if name[:1] == "_"}


async def read_fields(
    store: Store, app: AppKey, workflow_id: str, fields: Mapping[str, str]
) -> dict[str, str]:
    """Return the values of ``fields`` (name to job field) that are set."""
    status, *values = await store.read_job_fields(
        app, workflow_id, [STATUS_FIELD, *fields.values()]
    )
    if status is None:
        raise not_found(workflow_id, app.app_id)
    pairs = zip(fields, values, strict=True)
    return {name: value for name, value in pairs if value is not None}


async def write_fields(
    store: Store, app: AppKey, workflow_id: str, data: Mapping[str, Any]
) -> int:
    """Set search fields (values as text) and count the new ones."""
    if not isinstance(data, Mapping):
        raise InvalidOptionsError(
            f"data {data!r} is invalid: give a dict of field names to values"
        )
    updates = {field_name(name): str(value) for name, value in data.items()}

    def plan(current: Sequence[str | None]) -> tuple[Any, Mapping[str, str], list[str]]:
        added = sum(1 for value in current if value is None)
        return added, updates, []

    return int(await _write(store, app, workflow_id, list(updates), plan))


async def increment_field(
    store: Store, app: AppKey, workflow_id: str, name: str, amount: float
) -> float:
    """Add ``amount`` to a numeric search field (0 when unset) and return the sum."""
    target = field_name(name)
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise InvalidOptionsError(f"amount {amount!r} is invalid: give a number")

    def plan(current: Sequence[str | None]) -> tuple[Any, Mapping[str, str], list[str]]:
        (now,) = current
        value = _number(now, name, workflow_id) + amount
        return value, {target: format_number(value)}, []

    total = float(await _write(store, app, workflow_id, [target], plan))
    return int(total) if math.isfinite(total) and total == int(total) else total


async def delete_fields(
    store: Store, app: AppKey, workflow_id: str, names: Sequence[str]
) -> int:
    """Remove search fields and count those that existed."""
    targets = field_names(names)

    def plan(current: Sequence[str | None]) -> tuple[Any, Mapping[str, str], list[str]]:
        removed = sum(1 for value in current if value is not None)
        return removed, {}, targets

    return int(await _write(store, app, workflow_id, targets, plan))


def _number(text: str | None, name: str, workflow_id: str) -> float:
    if text is None:
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise PluckError(
            f"field {name!r} of record {workflow_id!r} contains {text!r}, "
            "which is not a number"
        ) from None


async def _write(
    store: Store, app: AppKey, workflow_id: str, fields: list[str], plan: Plan
) -> Any:
    """Apply one change planned from the current values of ``fields``."""
    fields = list(dict.fromkeys(fields))
    for _ in range(MAX_WRITE_ATTEMPTS):
        status, *current = await store.read_job_fields(
            app, workflow_id, [STATUS_FIELD, *fields]
        )
        if status is None:
            raise not_found(workflow_id, app.app_id)
        result, updates, deleted = plan(current)
        guards = [Guard(STATUS_FIELD, "exists", on_fail="retry")]
        for name, value in zip(fields, current, strict=True):
            guards.append(_unchanged(name, value))
        step = Step(
            job_id=workflow_id,
            guards=guards,
            fields=dict(updates),
            delete_fields=list(deleted),
        )
        outcome = await store.commit_step(app, step)
        if outcome.applied:
            return result
        if outcome.failed_guard == _RECORD_GUARD:
            raise not_found(workflow_id, app.app_id)
    raise PluckError(
        f"write to record {workflow_id!r} kept conflicting with other writers "
        f"after {MAX_WRITE_ATTEMPTS} attempts, so retry it"
    )


def _unchanged(name: str, value: str | None) -> Guard:
    if value is None:
        return Guard(name, "absent", on_fail="retry")
    return Guard(name, "equals", value, on_fail="retry")
