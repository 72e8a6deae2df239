"""A per-engine cache of the job state this engine last wrote.

When the same engine processes the next message of a job, it can skip
reading the job's state: it reuses the fields it computed after its own
last commit. Every commit increments the job's :data:`VERSION_FIELD`, and a
step built from cached fields carries guards on that version and on the
job's generation id, so a change made anywhere else (another engine's step,
an interrupt, a deleted and re-created job) fails the step before it writes
anything, and the engine retries it from a fresh read.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping

from hotmesh.engine.state import metadata_field, read_status
from hotmesh.store.protocol import STATUS_FIELD, Guard, Step, StepResult

VERSION_FIELD = "ver"
"""Job field counting the commits made to the job."""

DEFAULT_LIMIT = 10_000


class StateCache:
    """The fields of recently written jobs, least recently used dropped first."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._entries: OrderedDict[str, dict[str, str]] = OrderedDict()

    def take(self, job_id: str) -> dict[str, str] | None:
        """Remove and return a job's cached fields, if any."""
        return self._entries.pop(job_id, None)

    def forget(self, job_id: str) -> None:
        self._entries.pop(job_id, None)

    def remember(self, job_id: str, fields: dict[str, str]) -> None:
        if self.limit <= 0:
            return
        self._entries[job_id] = fields
        self._entries.move_to_end(job_id)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)


_shared: weakref.WeakValueDictionary[Hashable, StateCache] = (
    weakref.WeakValueDictionary()
)


def shared_cache(key: Hashable, limit: int = DEFAULT_LIMIT) -> StateCache:
    """Return the cache that engines of one process share for ``key``.

    Engines of one app on one server, in one process (a Durable client and
    worker, say), take turns reading the engine stream, so each would miss
    the state the other wrote last. Sharing a cache between them is safe:
    every cached step is guarded by the job's version. A ``limit`` of 0 or
    less returns a disabled cache of its own.
    """
    if limit <= 0:
        return StateCache(limit)
    cache = _shared.get(key)
    if cache is None:
        cache = StateCache(limit)
        _shared[key] = cache
    cache.limit = max(cache.limit, limit)
    return cache


def versioned(step: Step, cached: Mapping[str, str] | None) -> Step:
    """Return ``step`` counting one more commit, guarded when ``cached``."""
    guards = list(step.guards)
    if cached is not None:
        gid = metadata_field("gid")
        guards[:0] = [
            Guard(VERSION_FIELD, "equals", cached.get(VERSION_FIELD, ""), "retry"),
            Guard(gid, "equals", cached.get(gid, ""), "retry"),
        ]
    increments = [*step.increments, (VERSION_FIELD, 1)]
    return dataclasses.replace(step, guards=guards, increments=increments)


def _written(
    fields: Mapping[str, str],
    step: Step,
    counters: tuple[int, ...],
    status: int,
) -> dict[str, str]:
    """Return ``fields`` with the step's writes, counter values and status."""
    written = dict(fields)
    written.update(step.fields)
    for name in step.delete_fields:
        written.pop(name, None)
    for (name, _), value in zip(step.increments, counters, strict=True):
        written[name] = str(value)
    written[STATUS_FIELD] = str(status)
    return written


def predicted(fields: Mapping[str, str], step: Step) -> dict[str, str]:
    """Return the job's fields as ``step`` will leave them, if it applies.

    Exact when the step carries the version guard of ``fields``: the store
    then applies it to these very fields or not at all.
    """
    pending = dict(fields)
    pending.update(step.fields)
    for name in step.delete_fields:
        pending.pop(name, None)
    counters = tuple(
        int(pending.get(name) or 0) + amount for name, amount in step.increments
    )
    status = (read_status(pending) or 0) + step.status_delta
    return _written(fields, step, counters, status)


def after_commit(
    fields: Mapping[str, str], step: Step, result: StepResult
) -> dict[str, str] | None:
    """Return the job's fields as ``step`` left them, or None when unknown.

    The result is known only when no other commit landed between the read
    of ``fields`` and this one: the version must have moved by exactly one.
    """
    before = fields.get(VERSION_FIELD)
    written = _written(fields, step, result.counters, result.status)
    if before is None or written.get(VERSION_FIELD) != str(int(before) + 1):
        return None
    return written
