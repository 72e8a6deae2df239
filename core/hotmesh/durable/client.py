"""The Durable client: starts workflows and talks to running ones."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from hotmesh.durable import _app
from hotmesh.durable._context import MARKER
from hotmesh.durable.errors import (
    DuplicateWorkflowError,
    DurableError,
    WorkflowNotFoundError,
    error_from_dict,
)
from hotmesh.durable.retry import RetryPolicy
from hotmesh.errors import DuplicateJobError, JobNotFoundError, JobTimeoutError
from hotmesh.hotmesh import HotMesh
from hotmesh.store.protocol import INTERRUPTED_BELOW, Subscription

logger = logging.getLogger(__name__)

DEFAULT_EXPIRE_SECONDS = 3600
"""Seconds a finished workflow stays readable when ``start`` sets no ``expire``."""

POLL_SECONDS = 1.0
"""How often ``result()`` re-reads the status, in case a notice was missed."""


class Client:
    """Connects to a Durable namespace; ``client.workflow`` starts workflows.

    The connection opens on first use. Close it with :meth:`close` or an
    ``async with`` block. The client runs an engine, so it also helps move
    the namespace's workflows forward while it is open.
    """

    def __init__(
        self,
        connection: _app.Connection | str | None = None,
        *,
        namespace: str = _app.DEFAULT_NAMESPACE,
    ) -> None:
        self.connection = _app.Connection.of(connection)
        self.namespace = namespace
        self.workflow = WorkflowClient(self)
        self._mesh: HotMesh | None = None
        self._lock = asyncio.Lock()

    async def mesh(self) -> HotMesh:
        """Return the client's HotMesh instance, connecting on first use."""
        async with self._lock:
            if self._mesh is None:
                self._mesh = await _app.open_mesh(self.connection, self.namespace)
            return self._mesh

    async def close(self) -> None:
        """Close the client's connections."""
        async with self._lock:
            if self._mesh is not None:
                await self._mesh.stop()
                self._mesh = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class WorkflowClient:
    """Workflow operations of a :class:`Client`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def start(
        self,
        *,
        workflow_name: str | Callable[..., Any],
        task_queue: str,
        args: Sequence[Any] = (),
        workflow_id: str | None = None,
        expire: int = DEFAULT_EXPIRE_SECONDS,
        search: Mapping[str, Any] | None = None,
        retry_policy: RetryPolicy | None = None,
        signal_in: bool = True,
    ) -> WorkflowHandle:
        """Start a workflow and return its handle without waiting for it.

        Args:
            workflow_name: The workflow function or its name.
            task_queue: Task queue of the worker that runs it.
            args: JSON arguments of the workflow function.
            workflow_id: The workflow's id; a new random id by default.
            expire: Seconds the finished workflow stays readable (0 keeps it).
            search: Search fields to set as the workflow starts.
            retry_policy: How failed runs of the workflow function are retried.
            signal_in: Whether hook threads (``hook``) can join the workflow.

        Raises:
            DuplicateWorkflowError: A workflow with this id exists.
        """
        name = _name_of(workflow_name)
        queue = _app.check_name("task_queue", task_queue)
        mesh = await self._client.mesh()
        topic = _app.workflow_topic(queue, name)
        workflow_id = workflow_id or HotMesh.guid()
        data = {
            "workflow_id": workflow_id,
            "topic": topic,
            "arguments": list(args),
            "origin_id": workflow_id,
            "expire": int(expire),
            "policy": (retry_policy or RetryPolicy()).to_dict(),
            "signal_in": signal_in,
        }
        fields = {name: str(value) for name, value in (search or {}).items()}
        try:
            await mesh.pub(
                _app.execute_topic(self._client.namespace),
                data,
                extended={"search": fields},
            )
        except DuplicateJobError as exc:
            raise DuplicateWorkflowError(
                f"Duplicate job: {workflow_id}", workflow_id=workflow_id
            ) from exc
        return WorkflowHandle(self._client, workflow_id, queue, name)

    def get_handle(
        self,
        workflow_id: str,
        *,
        task_queue: str | None = None,
        workflow_name: str | None = None,
    ) -> WorkflowHandle:
        """Return a handle to a workflow; whether it exists is not checked."""
        return WorkflowHandle(self._client, workflow_id, task_queue, workflow_name)

    async def signal(self, signal_id: str, data: Any = None) -> str:
        """Wake the ``wait_for(signal_id)`` call that waits; return the message id.

        Raises:
            HookNotFoundError: Nothing waits for ``signal_id`` now.
        """
        mesh = await self._client.mesh()
        topic = _app.signal_topic(self._client.namespace)
        return await mesh.hook(topic, {"id": signal_id, "data": data})

    async def hook(
        self,
        *,
        workflow_id: str,
        workflow_name: str | Callable[..., Any],
        task_queue: str,
        args: Sequence[Any] = (),
    ) -> str:
        """Run a hook function as a new thread of a running workflow.

        The hook function is a workflow function served by a worker of
        ``task_queue``; it runs against the target workflow's job.

        Raises:
            HookNotFoundError: The workflow does not run or takes no hooks.
        """
        name = _name_of(workflow_name)
        queue = _app.check_name("task_queue", task_queue)
        mesh = await self._client.mesh()
        payload = {
            "id": workflow_id,
            "arguments": list(args),
            "topic": _app.workflow_topic(queue, name),
        }
        topic = _app.hook_topic(self._client.namespace)
        return await mesh.hook(topic, payload, "pending", 202)

    async def search(self, query: Mapping[str, Any], *, limit: int = 1000) -> list[str]:
        """Return the ids of workflows whose search fields equal every value given.

        Values compare as text. Up to ``limit`` jobs of the namespace are
        read one after another, so a search costs a round trip per job.
        """
        mesh = await self._client.mesh()
        store = _app.require_store(mesh)
        names = list(query)
        expected = [str(query[name]) for name in names]
        found = []
        for job_id in sorted(await store.find_jobs(mesh.app, "*", limit)):
            if "$" in job_id:
                continue
            values = await mesh.get_query_state(job_id, names)
            if [values.get(name) for name in names] == expected:
                found.append(job_id)
        return found


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
        WorkflowInterruptedError. ``expire`` sets the seconds it stays
        readable afterwards.

        Raises:
            WorkflowNotFoundError: The workflow does not exist or already
                finished.
        """
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
            raise WorkflowNotFoundError(str(exc), workflow_id=self.workflow_id) from exc

    async def result(
        self, timeout: float | None = None, *, throw_on_error: bool = True
    ) -> Any:
        """Wait for the workflow to finish and return its result.

        Args:
            timeout: Seconds to wait; None waits as long as it runs.
            throw_on_error: When False, return the error instead of raising.

        Raises:
            DurableError: The workflow failed. The class and ``code`` show
                how (MaxedError 597, FatalError 598, WorkflowInterruptedError
                410).
            WorkflowNotFoundError: No such workflow, or it expired.
            JobTimeoutError: It did not finish within ``timeout``.
        """
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
        subscription: Subscription = await store.subscribe(mesh.app, channel, notify)
        try:
            while True:
                job = await self._job()
                status = int(job.get("metadata", {}).get("js", 1))
                if status <= 0:
                    return job
                notice.clear()
                try:
                    await asyncio.wait_for(notice.wait(), POLL_SECONDS)
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


def _parse(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return {"message": raw}
    return raw


def _name_of(workflow: str | Callable[..., Any]) -> str:
    name = workflow if isinstance(workflow, str) else workflow.__name__
    return _app.check_name("workflow name", name)
