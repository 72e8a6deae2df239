"""Handles of started workflows: wait for them, query, signal, interrupt."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hotmesh.durable import _app, _checks
from hotmesh.durable._context import MARKER
from hotmesh.durable.errors import (
    DurableError,
    WorkflowNotFoundError,
    WorkflowNotRunningError,
    error_from_dict,
)
from hotmesh.errors import ConnectionFailedError, JobNotFoundError, JobTimeoutError
from hotmesh.store.protocol import INTERRUPTED_BELOW, Subscription

if TYPE_CHECKING:
    from hotmesh.durable.client import Client

POLL_SECONDS = 1.0
"""Mean interval at which ``result()`` re-reads the status, in case a notice
was missed."""

logger = logging.getLogger(__name__)


class WorkflowHandle:
    """A started workflow: wait for it, query it, signal or interrupt it."""

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        task_queue: str | None = None,
        workflow_name: str | None = None,
    ) -> None:
        self._client = client
        self.workflow_id = workflow_id
        self.task_queue = task_queue
        self.workflow_name = workflow_name

    def __repr__(self) -> str:
        return f"WorkflowHandle({self.workflow_id!r}, {self.workflow_name!r})"

    async def status(self) -> int:
        """Return the job status: above 0 running, 0 finished, very negative
        (below -100000000) interrupted.

        Raises:
            WorkflowNotFoundError: No such workflow, or it expired.
        """
        mesh = await self._client.mesh()
        try:
            return await mesh.get_status(self.workflow_id)
        except JobNotFoundError as exc:
            raise self._not_found() from exc

    async def state(self, metadata: bool = False) -> dict[str, Any]:
        """Return the workflow's data, with the result decoded under ``response``.

        With ``metadata=True`` return ``{"metadata": ..., "data": ...}`` as
        the engine stores it.
        """
        job = await self._job()
        data = dict(job.get("data") or {})
        outcome = data.pop("outcome", None)
        if isinstance(outcome, str):
            decoded = json.loads(outcome)
            if "data" in decoded:
                data["response"] = decoded["data"]
            if "error" in decoded:
                data["error"] = decoded["error"]
        if metadata:
            return {"metadata": job.get("metadata") or {}, "data": data}
        return data

    async def query_state(self, fields: Sequence[str]) -> dict[str, str | None]:
        """Return the workflow's search fields by name, None where not set."""
        mesh = await self._client.mesh()
        try:
            values = await mesh.get_query_state(self.workflow_id, fields)
        except JobNotFoundError as exc:
            raise self._not_found() from exc
        return {name: values.get(name) for name in fields}

    async def export(self) -> dict[str, Any]:
        """Return the engine's readable dump of the workflow's job.

        Besides the engine's ``status``, ``dependencies``, ``process``,
        ``metadata`` and ``data``, the dump has the workflow's ``timeline``:
        every stored step as ``{key, kind, dimension, index, value}``, in
        order of thread and execution index.
        """
        mesh = await self._client.mesh()
        try:
            dump = await mesh.export(self.workflow_id)
            fields = await mesh.get_raw(self.workflow_id)
        except JobNotFoundError as exc:
            raise self._not_found() from exc
        return {**dump, "timeline": timeline(fields)}

    async def signal(self, signal_id: str, data: Any = None) -> str:
        """Send a signal in this workflow's namespace (see WorkflowClient.signal)."""
        return await self._client.workflow.signal(signal_id, data)

    async def interrupt(
        self,
        *,
        reason: str | None = None,
        throw: bool = True,
        expire: int | None = None,
    ) -> None:
        """Interrupt the workflow and the jobs it started.

        With ``throw=False`` its ``result()`` returns None instead of raising
        WorkflowInterruptedError. ``expire`` sets the whole seconds it stays
        readable afterwards, as in ``start``.

        Raises:
            ConfigurationError: ``expire`` is out of range.
            WorkflowNotFoundError: The workflow does not exist or expired.
            WorkflowNotRunningError: The workflow already completed, failed
                or was interrupted; its ``state`` says which.
        """
        if expire is not None:
            expire = _checks.check_expire(expire, "handle.interrupt")
        mesh = await self._client.mesh()
        try:
            await mesh.interrupt(
                _app.execute_topic(self._client.namespace),
                self.workflow_id,
                reason=reason,
                throw=throw,
                expire=expire,
            )
        except JobNotFoundError as exc:
            raise await self._not_running() from exc

    async def _not_running(self) -> WorkflowNotFoundError | WorkflowNotRunningError:
        """Return the error for an interrupt that found no running job.

        The job is read again: when it exists, the error names how it ended.
        """
        try:
            job = await self._job()
        except WorkflowNotFoundError as missing:
            return missing
        state = _end_state(job)
        if state is None:
            # The job is running, so the interrupt missed it only for a moment.
            return WorkflowNotFoundError(
                f"workflow {self.workflow_id!r} could not be interrupted because "
                "its job was not found at that moment; retry the interrupt",
                workflow_id=self.workflow_id,
            )
        ended = "was interrupted" if state == "interrupted" else state
        return WorkflowNotRunningError(
            f"workflow {self.workflow_id!r} is no longer running: it {ended} "
            f"(state {state!r}), so there is nothing to interrupt",
            workflow_id=self.workflow_id,
            state=state,
        )

    async def result(
        self, timeout: float | None = None, *, throw_on_error: bool = True
    ) -> Any:
        """Wait for the workflow to finish and return its result.

        The wait goes on while the server is unreachable, and reads the
        status again once it is back.

        Args:
            timeout: Seconds to wait; None waits as long as it runs.
            throw_on_error: When False, return the error instead of raising.

        Raises:
            DurableError: The workflow failed. The class and ``code`` show
                how (MaxedError 597, FatalError 598, WorkflowInterruptedError
                410).
            WorkflowNotFoundError: No such workflow, or it expired.
            JobTimeoutError: It did not finish within ``timeout``.
            ConfigurationError: ``timeout`` is negative, not finite or not
                a number.
        """
        timeout = _checks.check_timeout(timeout, "handle.result")
        try:
            job = await asyncio.wait_for(self._finished_job(), timeout)
        except TimeoutError:
            raise JobTimeoutError(
                f"workflow {self.workflow_id!r} did not finish within {timeout}s; "
                "it keeps running",
                job_id=self.workflow_id,
            ) from None
        try:
            return _settle(job, self.workflow_id)
        except DurableError as error:
            if throw_on_error:
                raise
            return error

    async def _finished_job(self) -> dict[str, Any]:
        mesh = await self._client.mesh()
        store = _app.require_store(mesh)
        notice: asyncio.Event = asyncio.Event()

        def notify(channel: str, text: str) -> None:
            notice.set()

        channel = _app.executed_topic(self._client.namespace, self.workflow_id)
        while True:
            try:
                subscription: Subscription = await store.subscribe(
                    mesh.app, channel, notify
                )
                break
            except ConnectionFailedError as exc:
                logger.info(
                    "waiting for workflow %r: %s; retrying", self.workflow_id, exc
                )
                await asyncio.sleep(POLL_SECONDS)
        try:
            while True:
                # The status field alone shows whether the workflow is done;
                # the whole job is read once, when it is.
                try:
                    if await self.status() <= 0:
                        return await self._job()
                except ConnectionFailedError as exc:
                    logger.info(
                        "waiting for workflow %r: %s; retrying", self.workflow_id, exc
                    )
                notice.clear()
                # Random intervals keep the handles that waited through one
                # outage from reading the status all at once afterwards.
                wait = POLL_SECONDS * (0.5 + random.random())
                try:
                    await asyncio.wait_for(notice.wait(), wait)
                except TimeoutError:
                    continue
        finally:
            await subscription.close()

    async def _job(self) -> dict[str, Any]:
        mesh = await self._client.mesh()
        try:
            topic = _app.execute_topic(self._client.namespace)
            return await mesh.get_state(topic, self.workflow_id)
        except JobNotFoundError as exc:
            raise self._not_found() from exc

    def _not_found(self) -> WorkflowNotFoundError:
        return WorkflowNotFoundError(
            f"workflow {self.workflow_id!r} not found in namespace "
            f"{self._client.namespace!r}; it never ran or it expired",
            workflow_id=self.workflow_id,
        )


def timeline(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the stored steps among a workflow job's fields, in order."""
    steps = []
    for key, raw in fields.items():
        match = MARKER.match(key)
        if match is None:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        steps.append(
            {
                "key": key,
                "kind": match["kind"],
                "dimension": match["dim"],
                "index": int(match["index"]),
                "value": value,
            }
        )
    return sorted(steps, key=lambda step: (step["dimension"], step["index"]))


def _settle(job: Mapping[str, Any], workflow_id: str) -> Any:
    """Return the result of a finished job, or raise its error."""
    data = job.get("data") or {}
    metadata = job.get("metadata") or {}
    outcome = data.get("outcome")
    if isinstance(outcome, str):
        decoded = json.loads(outcome)
        if "error" in decoded and "data" not in decoded:
            raise error_from_dict(decoded["error"], workflow_id=workflow_id)
        return decoded.get("data")
    for raw in (metadata.get("err"), data.get("error")):
        if raw:
            raise error_from_dict(_parse(raw), workflow_id=workflow_id)
    status = int(metadata.get("js", 0))
    if status < INTERRUPTED_BELOW:
        return None
    raise error_from_dict(
        {"message": f"workflow {workflow_id!r} finished without a result"},
        workflow_id=workflow_id,
    )


def _end_state(job: Mapping[str, Any]) -> str | None:
    """Return how a finished job ended (``completed``, ``failed`` or
    ``interrupted``), or None while it runs."""
    metadata = job.get("metadata") or {}
    status = int(metadata.get("js", 1))
    if status > 0:
        return None
    if status < INTERRUPTED_BELOW:
        return "interrupted"
    try:
        _settle(job, "")
    except DurableError:
        return "failed"
    return "completed"


def _parse(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return {"message": raw}
    return raw
