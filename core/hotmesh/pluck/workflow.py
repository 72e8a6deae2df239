"""Functions a connected function calls while it runs as a workflow.

These are Durable's workflow functions (see :mod:`hotmesh.durable.workflow`
for the rules a workflow function follows), plus child calls, hooks and
interrupts addressed by entity. An entity's task queue defaults to its
name, as ``connect`` does.

Example::

    from hotmesh.pluck import workflow

    async def greeting(email: str, name: str) -> str:
        await workflow.search().set(email=email, newsletter="yes")
        await workflow.hook("subscribe", args=[email])
        return f"Hello, {name}."
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hotmesh.durable import RetryPolicy
from hotmesh.durable import workflow as _durable
from hotmesh.durable.workflow import (
    ActivityProxy,
    Search,
    WorkflowInfo,
    get_context,
    once,
    proxy_activities,
    random,
    search,
    signal,
    sleep_for,
    wait_for,
)
from hotmesh.pluck._ids import check_entity, mint_guid
from hotmesh.pluck.errors import InvalidOptionsError

__all__ = [
    "ActivityProxy",
    "Search",
    "WorkflowInfo",
    "exec_child",
    "get_context",
    "hook",
    "interrupt",
    "once",
    "proxy_activities",
    "random",
    "search",
    "signal",
    "sleep_for",
    "start_child",
    "wait_for",
]

_EXEC_MARKER = {"$type": "exec"}
_HOOK_MARKER = {"$type": "hook"}


def _child_id(entity: str, record_id: str | None, prefix: str | None) -> str | None:
    if record_id is None:
        return None
    return mint_guid(prefix or entity, record_id)


async def exec_child(
    entity: str,
    *,
    args: Sequence[Any] = (),
    record_id: str | None = None,
    prefix: str | None = None,
    task_queue: str | None = None,
    retry_policy: RetryPolicy | None = None,
) -> Any:
    """Call a connected function as a child workflow and return its response.

    With ``record_id`` the child's id is ``<entity>-<record_id>``, and by
    default Durable derives one from this workflow's id. A child never
    keeps its record after it returns, whatever its ``connect`` ttl.
    """
    check_entity(entity)
    return await _durable.exec_child(
        entity,
        args=[*args, dict(_EXEC_MARKER)],
        workflow_id=_child_id(entity, record_id, prefix),
        task_queue=task_queue or entity,
        retry_policy=retry_policy,
    )


async def start_child(
    entity: str,
    *,
    args: Sequence[Any] = (),
    record_id: str | None = None,
    prefix: str | None = None,
    task_queue: str | None = None,
    retry_policy: RetryPolicy | None = None,
) -> str:
    """Start a connected function as a child workflow and return its id."""
    check_entity(entity)
    return await _durable.start_child(
        entity,
        args=[*args, dict(_EXEC_MARKER)],
        workflow_id=_child_id(entity, record_id, prefix),
        task_queue=task_queue or entity,
        retry_policy=retry_policy,
    )


async def hook(
    hook_entity: str,
    *,
    args: Sequence[Any] = (),
    entity: str | None = None,
    record_id: str | None = None,
    task_queue: str | None = None,
) -> None:
    """Run the function connected as ``hook_entity`` against a record, once.

    The record is ``<entity>-<record_id>``, by default the running one.
    Hooks to records that do not run are dropped.
    """
    check_entity(hook_entity, "hook_entity")
    if (entity is None) != (record_id is None):
        raise InvalidOptionsError(
            "give both entity and record_id to hook another record, or neither"
        )
    target = None if entity is None else mint_guid(entity, str(record_id))
    await _durable.hook(
        hook_entity,
        args=[*args, dict(_HOOK_MARKER)],
        workflow_id=target,
        task_queue=task_queue or hook_entity,
    )


async def interrupt(
    entity: str,
    record_id: str,
    *,
    reason: str | None = None,
    throw: bool = True,
    expire: int | None = None,
) -> None:
    """Interrupt the record ``<entity>-<record_id>``, once."""
    await _durable.interrupt(
        mint_guid(entity, record_id), reason=reason, throw=throw, expire=expire
    )
