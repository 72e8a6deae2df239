"""The Durable client: starts workflows and talks to running ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from hotmesh.durable import _app, _checks
from hotmesh.durable._query import WorkflowQuery, search_workflows
from hotmesh.durable.errors import DuplicateWorkflowError
from hotmesh.durable.handle import WorkflowHandle
from hotmesh.durable.retry import RetryPolicy
from hotmesh.errors import DuplicateJobError
from hotmesh.hotmesh import HotMesh
from hotmesh.search import SearchIndex, SearchResult

DEFAULT_EXPIRE_SECONDS = 3600
"""Seconds a finished workflow stays readable when ``start`` sets no ``expire``."""


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
            args: JSON arguments of the workflow function, a list or tuple.
            workflow_id: The workflow's id; None makes a new random id. It
                is not empty, may not contain ``-$``, which the ids of the
                jobs that run its activities contain, and is at most 512
                characters long.
            expire: Whole seconds the finished workflow stays readable, from
                0 (kept without expiry) to
                :data:`~hotmesh.engine.model._types.MAX_EXPIRE_SECONDS` (10 years).
            search: Search fields to set as the workflow starts.
            retry_policy: How failed runs of the workflow function are
                retried; None uses ``RetryPolicy()``.
            signal_in: Whether hook threads (``hook``) can join the workflow.

        Raises:
            ConfigurationError: An argument is invalid, such as an id that
                :func:`~hotmesh.durable._app.check_workflow_id` rejects.
            DuplicateWorkflowError: A workflow with this id exists.
        """
        where = "client.workflow.start"
        name = _checks.workflow_name(workflow_name, where)
        queue = _app.check_name("task_queue", task_queue)
        arguments = _checks.check_args(args, where)
        seconds = _checks.check_expire(expire, where)
        policy = _checks.check_retry_policy(retry_policy, where)
        workflow_id = _checks.check_workflow_id(workflow_id, where) or HotMesh.guid()
        mesh = await self._client.mesh()
        topic = _app.workflow_topic(queue, name)
        data = {
            "workflow_id": workflow_id,
            "topic": topic,
            "arguments": arguments,
            "origin_id": workflow_id,
            "expire": seconds,
            "policy": policy.to_dict(),
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
            ConfigurationError: ``signal_id`` is not a non-empty string.
            HookNotFoundError: Nothing waits for ``signal_id`` now.
        """
        signal_id = _checks.check_signal_id(signal_id, "client.workflow.signal")
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
        where = "client.workflow.hook"
        name = _checks.workflow_name(workflow_name, where)
        queue = _app.check_name("task_queue", task_queue)
        arguments = _checks.check_args(args, where)
        mesh = await self._client.mesh()
        payload = {
            "id": workflow_id,
            "arguments": arguments,
            "topic": _app.workflow_topic(queue, name),
        }
        topic = _app.hook_topic(self._client.namespace)
        return await mesh.hook(topic, payload, "pending", 202)

    async def search(
        self,
        query: WorkflowQuery = (),
        *,
        index: SearchIndex | str | None = None,
        limit: int | None = None,
        offset: int = 0,
        return_fields: Sequence[str] = (),
        count: bool = False,
    ) -> SearchResult:
        """Return the workflows whose search fields match a query, by id.

        ``query`` is a dict of field values that must all match, a list of
        conditions from :mod:`hotmesh.search` (``Equals``, ``NotEquals``,
        ``Range``, ``Match``, ``Not``) that must all hold, or a whole
        :class:`~hotmesh.search.SearchQuery`, which then carries every
        other option too. Conditions name the fields of the index. A dict
        value matches as ``Equals``: one of a tag field's tags, a numeric
        field's number, every word of a text field. Results hold workflows
        (child workflows included), never the jobs that run their
        activities. Example::

            found = await client.workflow.search(
                [Match("custom1", "durable"), Range("custom2", low=50)],
                index="bye-bye",
                return_fields=["custom1"],
            )
            found.count, found.job_ids, found.rows[0].fields

        Args:
            query: The conditions; none matches every workflow of the index.
            index: The search index (declared by a worker with
                ``Worker.create(search=...)``) or its name; default the
                namespace's only index.
            limit: Maximum number of rows; None returns every match.
            offset: Matches skipped before the first row.
            return_fields: Search fields each row carries, when set.
            count: Return only the count, with no rows.

        Returns:
            A :class:`~hotmesh.search.SearchResult`: the number of matches,
            and rows of workflow id (``row.job_id``) and requested fields,
            ordered by workflow id. ``indexed`` is true when the server's
            search index ran the query. Without one the namespace's jobs
            are scanned, with the same result.

        Raises:
            ConfigurationError: The index does not exist (or ``index`` is
                left out and the namespace has not exactly one), or a
                condition names a field the index lacks or does not fit
                its type.
        """
        mesh = await self._client.mesh()
        return await search_workflows(
            _app.require_store(mesh),
            mesh.app,
            query,
            index=index,
            limit=limit,
            offset=offset,
            return_fields=return_fields,
            count=count,
        )
