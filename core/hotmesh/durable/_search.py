"""The search session: named fields on a workflow's job, replayed like any step.

Fields are stored on the workflow's job as ``_<name>`` with text values, so
the engine's ``get_query_state`` and store searches see them. Each call
commits together with a marker ``-search<dimension>-<index>-<n>-`` holding
its result, so a replayed run returns that result: a write is never applied
twice, and a read returns what the first run read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hotmesh.durable._app import require_store
from hotmesh.durable._context import Execution
from hotmesh.errors import HotMeshError
from hotmesh.store.protocol import STATUS_FIELD, Guard, Step

MAX_WRITE_ATTEMPTS = 20
"""Attempts of one write while other writers keep changing its fields."""


def field_name(name: str) -> str:
    """Return the job field of a search field name."""
    return f"_{name}"


def format_number(value: float) -> str:
    """Return a number as stored text: integral values without a fraction."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(value)


def parse_number(text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        return default


def _result(value: float) -> float:
    return int(value) if math.isfinite(value) and value == int(value) else value


class Search:
    """Reads and writes the search fields of the running workflow.

    Calls of one session must run one after another, not in
    ``asyncio.gather``: each takes the session's next marker.

    Get one with :func:`hotmesh.durable.workflow.search`.
    """

    def __init__(self, execution: Execution, index: int) -> None:
        self._execution = execution
        self._session = f"-search{execution.dimension}-{index}"
        self._writes = 0

    def _next_marker(self) -> str:
        marker = f"{self._session}-{self._writes}-"
        self._writes += 1
        return marker

    async def set(self, fields: Mapping[str, Any] | None = None, **more: Any) -> int:
        """Store fields (values as text); return how many were new."""
        values = {**(fields or {}), **more}
        names = [field_name(name) for name in values]
        updates = {field_name(name): str(value) for name, value in values.items()}

        def plan(current: Sequence[str | None]) -> tuple[Any, Step]:
            pairs = zip(names, current, strict=True)
            guards = [_presence_guard(name, now) for name, now in pairs]
            added = sum(1 for now in current if now is None)
            return added, self._step(guards, updates)

        return int(await self._write(names, plan))

    async def get(self, name: str) -> str | None:
        """Return a field's current value, or None when it is not set."""
        (value,) = await self.mget(name)
        return value

    async def mget(self, *names: str) -> list[str | None]:
        """Return the values of several fields, None where not set.

        The first run reads the live values and stores them with the
        session, so later runs return the same values.
        """
        fields = [field_name(name) for name in names]

        def plan(current: Sequence[str | None]) -> tuple[Any, Step]:
            return list(current), self._step([], {})

        values = await self._write(fields, plan)
        return [None if value is None else str(value) for value in values]

    async def delete(self, *names: str) -> int:
        """Remove fields; return how many existed."""
        fields = [field_name(name) for name in names]

        def plan(current: Sequence[str | None]) -> tuple[Any, Step]:
            pairs = zip(fields, current, strict=True)
            guards = [_presence_guard(name, now) for name, now in pairs]
            removed = sum(1 for now in current if now is not None)
            return removed, self._step(guards, {}, delete=fields)

        return int(await self._write(fields, plan))

    async def incr(self, name: str, amount: float = 1) -> float:
        """Add ``amount`` to a numeric field (0 when not set); return the sum."""
        return await self._update(name, lambda now: now + amount, 0.0)

    async def mult(self, name: str, factor: float) -> float:
        """Multiply a numeric field (1 when not set) by ``factor``; return it."""
        return await self._update(name, lambda now: now * factor, 1.0)

    async def _update(
        self, name: str, change: Callable[[float], float], start: float
    ) -> float:
        target = field_name(name)

        def plan(current: Sequence[str | None]) -> tuple[Any, Step]:
            (now,) = current
            value = change(parse_number(now, start))
            guard = (
                Guard(target, "absent", on_fail="retry")
                if now is None
                else Guard(target, "equals", now, on_fail="retry")
            )
            return value, self._step([guard], {target: format_number(value)})

        return _result(float(await self._write([target], plan)))

    def _step(
        self,
        guards: list[Guard],
        updates: dict[str, str],
        *,
        delete: Sequence[str] = (),
    ) -> Step:
        return Step(
            job_id=self._execution.workflow_id,
            guards=[Guard(STATUS_FIELD, "exists", on_fail="retry"), *guards],
            fields=updates,
            delete_fields=list(delete),
        )

    async def _write(
        self,
        fields: list[str],
        plan: Callable[[Sequence[str | None]], tuple[Any, Step]],
    ) -> Any:
        """Apply one change with its marker, or return the stored result."""
        execution = self._execution
        marker = self._next_marker()
        async with execution.io():
            store = require_store(execution.mesh)
            for _ in range(MAX_WRITE_ATTEMPTS):
                stored, *current = await store.read_job_fields(
                    execution.mesh.app, execution.workflow_id, [marker, *fields]
                )
                if stored is not None:
                    return json.loads(stored)
                result, step = plan(current)
                step = _with_marker(step, marker, result)
                if (await store.commit_step(execution.mesh.app, step)).applied:
                    return result
        raise HotMeshError(
            f"search call on workflow {execution.workflow_id!r} kept conflicting "
            f"with other writers after {MAX_WRITE_ATTEMPTS} attempts"
        )


def _presence_guard(name: str, current: str | None) -> Guard:
    if current is None:
        return Guard(name, "absent", on_fail="retry")
    return Guard(name, "exists", on_fail="retry")


def _with_marker(step: Step, marker: str, result: Any) -> Step:
    return Step(
        job_id=step.job_id,
        guards=[*step.guards, Guard(marker, "absent", on_fail="retry")],
        fields={**step.fields, marker: json.dumps(result)},
        delete_fields=step.delete_fields,
    )
