"""The workflow that runs a connected function, and the registry of entities.

``connect`` serves each function as a Durable workflow named after its
entity. The workflow calls the function with the caller's arguments.
After a call with a ttl it stores the response on the record and keeps the
workflow alive: asleep for the ttl, or waiting for the flush signal when
the ttl is ``"infinity"``. While it lives, the record keeps its search
fields and takes hooks.

The last argument of a call made through Pluck is a marker such as
``{"$type": "exec", "ttl": 60}``, and the workflow removes it before
calling the function.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from hotmesh.durable import workflow
from hotmesh.hotmesh import HotMesh
from hotmesh.pluck._options import INFINITY
from hotmesh.pluck._record import flush_signal, require_store, store_response

ENTITY_KEY_PREFIX = "pluck:entity:"
"""Prefix of the app-scoped entries that record which entities are connected."""

MARKER_TYPES = ("exec", "hook")

Target = Callable[..., Any]
"""A connected function: ``def`` or ``async def``, JSON arguments and result."""

EntityWorkflow = Callable[..., Coroutine[Any, Any, Any]]


def split_marker(args: Sequence[Any]) -> tuple[list[Any], dict[str, Any] | None]:
    """Return the caller's arguments and the Pluck marker, if the last one is."""
    values = list(args)
    last = values[-1] if values else None
    if isinstance(last, dict) and last.get("$type") in MARKER_TYPES:
        values.pop()
        return values, last
    return values, None


def ttl_of(marker: dict[str, Any] | None, infinite: bool) -> float | None:
    """Return the ttl in seconds that a call keeps its record for, or None.

    Only calls made by ``exec`` have one, and ``connect(..., ttl="infinity")``
    makes every such call infinite.
    """
    if marker is None or marker.get("$type") != "exec":
        return None
    if infinite:
        return math.inf
    ttl = marker.get("ttl")
    if ttl is None:
        return None
    return math.inf if ttl == INFINITY else float(ttl)


def entity_workflow(
    entity: str,
    target: Target,
    *,
    infinite: bool,
    mesh: Callable[[], Awaitable[HotMesh]],
) -> EntityWorkflow:
    """Return the Durable workflow function that serves ``target`` as ``entity``.

    ``mesh`` returns the HotMesh instance whose store the response is
    written with (the worker's own).
    """

    async def run(*args: Any) -> Any:
        values, marker = split_marker(args)
        result = target(*values)
        if inspect.isawaitable(result):
            result = await result
        ttl = ttl_of(marker, infinite)
        context = workflow.get_context()
        # A child workflow never pauses: its parent waits for it to return.
        if ttl is not None and context.parent_id is None:
            await store_response(await mesh(), context.workflow_id, result)
            if math.isinf(ttl):
                await workflow.wait_for(flush_signal(context.workflow_id))
            else:
                await workflow.sleep_for(ttl)
        return result

    run.__name__ = entity
    run.__qualname__ = entity
    return run


async def register_entity(mesh: HotMesh, entity: str, task_queue: str) -> None:
    """Record that ``entity`` is served on ``task_queue`` in the mesh's namespace."""
    store = require_store(mesh)
    document = json.dumps({"task_queue": task_queue})
    await store.kv_set(mesh.app, ENTITY_KEY_PREFIX + entity, document)


async def registered_task_queue(mesh: HotMesh, entity: str) -> str | None:
    """Return the task queue an entity is served on, or None if never connected."""
    document = await require_store(mesh).kv_get(mesh.app, ENTITY_KEY_PREFIX + entity)
    if document is None:
        return None
    queue = json.loads(document).get("task_queue")
    return str(queue) if queue else None
