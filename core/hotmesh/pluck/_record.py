"""A record: the job of an entity's workflow, read as a cache entry.

When a call with a ttl returns, the entity's workflow writes the response
to :data:`RESPONSE_FIELD` of its job and publishes a notice on
:func:`response_channel`, then keeps running (sleeping for the ttl, or
waiting for the flush signal). While it runs, calls with its id return
that stored response. A finished record is past its ttl or was flushed, so
calls run the function again once its job has expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from hotmesh.durable import FatalError, WorkflowHandle, WorkflowNotFoundError
from hotmesh.errors import ConfigurationError
from hotmesh.hotmesh import HotMesh
from hotmesh.pluck.errors import RecordNotFoundError
from hotmesh.store.protocol import STATUS_FIELD, AppKey, Guard, Step, Store

RESPONSE_FIELD = "-pluck-response-"
"""Job field with the JSON response of a call with a ttl.

It starts with ``-`` like Durable's markers but matches no marker
pattern, so replays and timelines leave it alone.
"""

POLL_SECONDS = 0.5
"""How often a caller re-reads a record, in case a notice was missed."""


def response_channel(workflow_id: str) -> str:
    """Return the channel on which a record announces its stored response."""
    return f"pluck.response.{workflow_id}"


def flush_signal(workflow_id: str) -> str:
    """Return the signal id that ends a record kept with ttl ``"infinity"``."""
    return f"flush-{workflow_id}"


def require_store(mesh: HotMesh) -> Store:
    """Return the store of an open HotMesh instance."""
    if mesh.store is None:
        raise ConfigurationError("the Pluck connection is closed")
    return mesh.store


@dataclass(frozen=True)
class RecordState:
    """The status of a record's job and its stored response, if any."""

    status: int | None
    has_response: bool = False
    response: Any = None

    @property
    def exists(self) -> bool:
        return self.status is not None

    @property
    def running(self) -> bool:
        return self.status is not None and self.status > 0


@dataclass(frozen=True)
class RecordInfo:
    """Status and response of a record, as :meth:`Pluck.info
    <hotmesh.pluck.Pluck.info>` returns them.

    Attributes:
        workflow_id: The record's id, ``<entity>-<id>``.
        status: The job status: above 0 running, 0 finished, below
            -100000000 interrupted.
        done: True once the function returned (its response is stored) or
            the workflow finished.
        response: The function's response, None until ``done``.
        error: The stored error of a workflow that failed, else None.
        metadata: The job's metadata as the engine stores it.
    """

    workflow_id: str
    status: int
    done: bool
    response: Any = None
    error: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_state(self) -> dict[str, Any]:
        """Return ``{"metadata": ..., "data": {...}}`` as exports show it."""
        data: dict[str, Any] = {
            "done": self.done,
            "response": self.response,
            "workflow_id": self.workflow_id,
        }
        if self.error is not None:
            data["error"] = self.error
        return {"metadata": self.metadata, "data": data}


async def read_state(store: Store, app: AppKey, workflow_id: str) -> RecordState:
    """Read a record's status and stored response."""
    status, response = await store.read_job_fields(
        app, workflow_id, [STATUS_FIELD, RESPONSE_FIELD]
    )
    if status is None:
        return RecordState(status=None)
    code = int(float(status))
    if response is None:
        return RecordState(status=code)
    return RecordState(status=code, has_response=True, response=json.loads(response))


async def store_response(mesh: HotMesh, workflow_id: str, response: Any) -> None:
    """Write a record's response and announce it, unless it is already stored."""
    try:
        value = json.dumps(response)
    except (TypeError, ValueError) as exc:
        raise FatalError(
            f"response of record {workflow_id!r} cannot be stored as JSON: {exc}",
            workflow_id=workflow_id,
        ) from exc
    step = Step(
        job_id=workflow_id,
        guards=[
            Guard(STATUS_FIELD, "exists", on_fail="retry"),
            Guard(RESPONSE_FIELD, "absent", on_fail="retry"),
        ],
        fields={RESPONSE_FIELD: value},
        publish=[(response_channel(workflow_id), "stored")],
    )
    await require_store(mesh).commit_step(mesh.app, step)


async def read_info(mesh: HotMesh, handle: WorkflowHandle) -> RecordInfo:
    """Return what a record's job shows about the call.

    Raises:
        RecordNotFoundError: The record does not exist or expired.
    """
    workflow_id = handle.workflow_id
    try:
        job = await handle.state(metadata=True)
    except WorkflowNotFoundError as exc:
        raise not_found(workflow_id, mesh.app_id) from exc
    state = await read_state(require_store(mesh), mesh.app, workflow_id)
    metadata = dict(job.get("metadata") or {})
    data = job.get("data") or {}
    status = state.status if state.status is not None else int(metadata.get("js", 0))
    response = state.response if state.has_response else data.get("response")
    error = data.get("error")
    return RecordInfo(
        workflow_id=workflow_id,
        status=status,
        done=state.has_response or status <= 0,
        response=response,
        error=error if isinstance(error, dict) else None,
        metadata=metadata,
    )


def not_found(workflow_id: str, namespace: str) -> RecordNotFoundError:
    """Return the error for a record that does not exist."""
    return RecordNotFoundError(
        f"record {workflow_id!r} not found in namespace {namespace!r}: it was "
        "never created, was flushed, or expired",
        job_id=workflow_id,
    )


async def await_response(store: Store, app: AppKey, handle: WorkflowHandle) -> Any:
    """Wait until a record stores its response or its workflow finishes.

    Returns the stored response, else the workflow's result.

    Raises:
        DurableError: The workflow failed (see ``WorkflowHandle.result``).
    """
    stored = asyncio.ensure_future(_stored_response(store, app, handle.workflow_id))
    finished = asyncio.ensure_future(handle.result())
    try:
        done, _ = await asyncio.wait(
            {stored, finished}, return_when=asyncio.FIRST_COMPLETED
        )
        if stored in done:
            return stored.result()
        return finished.result()
    finally:
        stored.cancel()
        finished.cancel()
        await asyncio.gather(stored, finished, return_exceptions=True)


async def _stored_response(store: Store, app: AppKey, workflow_id: str) -> Any:
    notice = asyncio.Event()

    def notify(channel: str, message: str) -> None:
        notice.set()

    channel = response_channel(workflow_id)
    subscription = await store.subscribe(app, channel, notify)
    try:
        while True:
            notice.clear()
            state = await read_state(store, app, workflow_id)
            if state.has_response:
                return state.response
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(notice.wait(), POLL_SECONDS)
    finally:
        await subscription.close()


async def wait_until_gone(
    store: Store, app: AppKey, workflow_id: str, *, settle: float, grace: float
) -> bool | None:
    """Wait for a finished record's job to expire.

    The engine sets a finished job's expiry a moment after its status, so
    a job without one is given ``settle`` seconds to get it. Once it has
    one, the wait lasts until that time plus ``grace`` seconds.

    Returns True once the job is gone, False if it was still there at the
    end of the wait, and None if it never got an expiry.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while True:
        state = await read_state(store, app, workflow_id)
        if not state.exists:
            return True
        seconds = await store.job_ttl(app, workflow_id)
        if seconds is not None:
            deadline = max(deadline, loop.time() + seconds + grace)
        if loop.time() >= deadline:
            return None if seconds is None else False
        await asyncio.sleep(POLL_SECONDS / 5)
