"""Calling an entity through its record cache, and flushing a record.

A call with an ``id`` first reads the record ``<entity>-<id>``:

* running with a stored response: the cached response, returned at once.
* running without one: another caller's call is in progress, so this one
  waits for its response.
* finished: the ttl passed or the record was flushed, so the call waits
  for the old job to expire (about a second) and runs the function again.
* missing: the call starts the entity's workflow.

Two callers that start the same id at once both end up waiting for the
one workflow that won.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hotmesh.durable import (
    Client,
    DuplicateWorkflowError,
    DurableError,
    WorkflowNotFoundError,
    WorkflowNotRunningError,
)
from hotmesh.errors import HookNotFoundError, JobTimeoutError
from hotmesh.pluck._options import ExecSettings
from hotmesh.pluck._record import (
    await_response,
    flush_signal,
    read_state,
    require_store,
    wait_until_gone,
)
from hotmesh.store.protocol import AppKey, Store

logger = logging.getLogger(__name__)

START_ATTEMPTS = 5
"""Rounds of read-then-start before a call gives up on a contested id."""

EXPIRY_SETTLE_SECONDS = 2.0
"""Seconds a finished record's job may take to get its expiry time."""

EXPIRY_GRACE_SECONDS = 2.0
"""Seconds a caller waits past a finished record's expiry time for it to go."""

FLUSH_WAIT_SECONDS = 5.0
"""Seconds ``flush`` waits for a signalled record to finish before it
interrupts it."""

FLUSH_EXPIRE_SECONDS = 1
"""Seconds an interrupted record stays readable."""


async def execute(
    client: Client,
    entity: str,
    workflow_id: str,
    args: Sequence[Any],
    settings: ExecSettings,
    task_queue: Callable[[], Awaitable[str]],
) -> Any:
    """Return the response of a call, from the record cache or a new run.

    ``task_queue`` returns the entity's task queue. It is awaited only
    when a workflow must start.
    """
    mesh = await client.mesh()
    store = require_store(mesh)
    cached = settings.record_id is not None
    for _ in range(START_ATTEMPTS):
        if cached:
            state = await read_state(store, mesh.app, workflow_id)
            if state.running:
                if not settings.wait:
                    return workflow_id
                if state.has_response:
                    return state.response
                handle = client.workflow.get_handle(workflow_id)
                return await await_response(store, mesh.app, handle)
            if state.exists:
                await wait_for_expiry(store, mesh.app, workflow_id)
        try:
            handle = await client.workflow.start(
                workflow_name=entity,
                task_queue=await task_queue(),
                args=[*args, settings.call_marker()],
                workflow_id=workflow_id,
                expire=settings.expire,
                search=settings.search,
                retry_policy=settings.retry_policy,
                signal_in=settings.signal_in,
            )
        except DuplicateWorkflowError:
            if not cached:
                raise
            continue
        if not settings.wait:
            return workflow_id
        return await await_response(store, mesh.app, handle)
    raise DuplicateWorkflowError(
        f"record {workflow_id!r} was taken by other callers {START_ATTEMPTS} "
        "times while this call tried to start it. Retry the call",
        workflow_id=workflow_id,
    )


async def wait_for_expiry(store: Store, app: AppKey, workflow_id: str) -> None:
    """Wait for a finished record's job to expire, so its id can run again.

    Raises:
        DuplicateWorkflowError: The job is kept without expiry, so the id
            stays taken.
    """
    expired = await wait_until_gone(
        store,
        app,
        workflow_id,
        settle=EXPIRY_SETTLE_SECONDS,
        grace=EXPIRY_GRACE_SECONDS,
    )
    if expired is None:
        raise DuplicateWorkflowError(
            f"record {workflow_id!r} finished and is kept without expiry, so its "
            "id cannot run again. Flush it or use another id",
            workflow_id=workflow_id,
        )
    if not expired:
        logger.warning(
            "record %r was still readable %.1fs after its expiry time",
            workflow_id,
            EXPIRY_GRACE_SECONDS,
        )


async def flush(client: Client, workflow_id: str) -> None:
    """End a record's workflow and wait until the record is gone.

    A record kept with ttl ``"infinity"`` gets its flush signal and
    finishes. Any other running record is interrupted. A finished record
    that never expires (started outside Pluck with ``expire=0``) is
    deleted. Flushing a record that does not exist does nothing.
    """
    mesh = await client.mesh()
    store = require_store(mesh)
    state = await read_state(store, mesh.app, workflow_id)
    if not state.exists:
        return
    if state.running:
        handle = client.workflow.get_handle(workflow_id)
        try:
            await client.workflow.signal(flush_signal(workflow_id))
        except HookNotFoundError:
            pass
        else:
            with contextlib.suppress(DurableError, JobTimeoutError):
                await handle.result(timeout=FLUSH_WAIT_SECONDS)
        with contextlib.suppress(WorkflowNotFoundError, WorkflowNotRunningError):
            await handle.interrupt(throw=False, expire=FLUSH_EXPIRE_SECONDS)
    try:
        await wait_for_expiry(store, mesh.app, workflow_id)
    except DuplicateWorkflowError:
        await mesh.scrub(workflow_id)
