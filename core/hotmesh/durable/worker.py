"""The Durable worker: runs workflow functions and their activities."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from hotmesh.durable import _app, _checks
from hotmesh.durable._activities import Activities, ActivityFunction, register
from hotmesh.durable._activities import run_activity as _run_activity
from hotmesh.durable._context import Execution
from hotmesh.durable._query import check_indexes
from hotmesh.durable._runner import Response, WorkflowFunction, run_request
from hotmesh.durable.retry import RetryPolicy
from hotmesh.engine.worker import WorkerCallback
from hotmesh.errors import ConfigurationError
from hotmesh.hotmesh import HotMesh, WorkerConfig
from hotmesh.search import SearchIndex

logger = logging.getLogger(__name__)

Workflows = (
    WorkflowFunction | Sequence[WorkflowFunction] | Mapping[str, WorkflowFunction]
)
"""One workflow function, a list of them, or a mapping of names to them."""

DEFAULT_RUN_TIMEOUT = 60.0


def _workflows(workflow: Workflows) -> dict[str, WorkflowFunction]:
    found = _checks.workflow_functions(workflow)
    if not found:
        raise ConfigurationError("a Worker needs at least one workflow function")
    for name, function in found.items():
        _app.check_name("workflow name", name)
        if not inspect.iscoroutinefunction(function):
            raise ConfigurationError(
                f"workflow {name!r} must be an 'async def' function"
            )
    return found


class Worker:
    """Runs workflow functions, their hook functions and activities for a task queue.

    Create one with :meth:`create`; it consumes its streams from then on.
    ``await worker.run()`` waits until :meth:`shutdown` is called.
    """

    def __init__(
        self,
        task_queue: str,
        namespace: str,
        workflows: dict[str, WorkflowFunction],
        activities: dict[str, ActivityFunction],
        run_timeout: float,
        search: tuple[SearchIndex, ...] = (),
    ) -> None:
        self.task_queue = task_queue
        self.namespace = namespace
        self.workflows = workflows
        self.activities = activities
        self.run_timeout = run_timeout
        self.search = search
        self._mesh: HotMesh | None = None
        self._ready = asyncio.Event()
        self._stopped = asyncio.Event()

    @classmethod
    async def create(
        cls,
        *,
        task_queue: str,
        workflow: Workflows,
        connection: _app.Connection | str | None = None,
        activities: Activities = (),
        namespace: str = _app.DEFAULT_NAMESPACE,
        concurrency: int = 10,
        reclaim_delay_ms: int | None = None,
        run_timeout: float = DEFAULT_RUN_TIMEOUT,
        search: SearchIndex | Sequence[SearchIndex] | None = None,
    ) -> Worker:
        """Start a worker for the workflows of a task queue.

        Args:
            task_queue: Name shared with the clients that start the workflows.
            workflow: The workflow functions (``async def``) to run; each is
                known by its ``__name__`` (or its key in a mapping).
            connection: Store URL or :class:`Connection`.
            activities: Activity functions this worker runs, besides those
                registered by ``proxy_activities`` in this process.
            namespace: Durable namespace (HotMesh app id).
            concurrency: Messages each stream of this worker handles at
                once, 1 or more.
            reclaim_delay_ms: Milliseconds after which this worker takes over
                messages that another, presumably dead, worker left unanswered.
                A running activity's lease is extended while it runs, so a
                long activity is not taken over.
            run_timeout: Seconds (above 0) one run of a workflow function
                may take before it counts as a retryable failure.
            search: Search indexes over the namespace's workflows, from
                :mod:`hotmesh.search`, that ``client.workflow.search``
                queries. Each covers the workflows whose ids start with one
                of its prefixes, and its fields are the names that
                ``workflow.search()`` and ``start(search=...)`` set. The
                worker creates them as it starts; creating an index that
                exists with the same definition changes nothing, and a
                different definition replaces it. Example::

                    SearchIndex(
                        "bye-bye",
                        fields=[
                            SearchField("custom1", "text"),
                            SearchField("custom2", "numeric"),
                        ],
                        prefixes=["bye-world-"],
                    )
        """
        settings = _app.Connection.of(connection)
        worker = cls(
            _app.check_name("task_queue", task_queue),
            namespace,
            _workflows(workflow),
            register(activities),
            _checks.check_run_timeout(run_timeout),
            check_indexes(search),
        )
        configs = worker._configs(
            _checks.check_concurrency(concurrency), reclaim_delay_ms
        )
        mesh = await _app.open_mesh(settings, namespace, configs)
        try:
            store = _app.require_store(mesh)
            for index in worker.search:
                await store.create_search_index(mesh.app, index)
        except BaseException:
            await mesh.stop()
            raise
        worker._mesh = mesh
        worker._ready.set()
        logger.info(
            "Durable worker for task queue %r started: workflows %s",
            task_queue,
            ", ".join(sorted(worker.workflows)),
        )
        return worker

    def _configs(
        self, concurrency: int, reclaim_delay_ms: int | None
    ) -> list[WorkerConfig]:
        """Return a stream consumer for each workflow and for its activities."""
        callbacks: list[tuple[str, WorkerCallback]] = []
        for name in self.workflows:
            topic = _app.workflow_topic(self.task_queue, name)
            callbacks.append((topic, self._workflow_callback(name)))
            topic = _app.activity_topic(self.task_queue, name)
            callbacks.append((topic, self._run_activity))
        return [
            WorkerConfig(
                topic=topic,
                callback=callback,
                concurrency=concurrency,
                reclaim_delay_ms=reclaim_delay_ms,
            )
            for topic, callback in callbacks
        ]

    @property
    def mesh(self) -> HotMesh:
        """The HotMesh instance this worker runs in."""
        if self._mesh is None:
            raise ConfigurationError("the worker is not started; use Worker.create")
        return self._mesh

    def _workflow_callback(
        self, name: str
    ) -> Callable[[dict[str, Any]], Awaitable[Response]]:
        function = self.workflows[name]

        async def callback(payload: dict[str, Any]) -> Response:
            await self._ready.wait()
            data = payload.get("data") or {}
            execution = self._execution(name, data)
            return await run_request(
                execution, function, data.get("arguments") or [], self.run_timeout
            )

        return callback

    def _execution(self, name: str, data: Mapping[str, Any]) -> Execution:
        workflow_id = str(data.get("workflow_id"))
        parent = data.get("parent_id")
        return Execution(
            mesh=self.mesh,
            namespace=self.namespace,
            workflow_id=workflow_id,
            workflow_name=name,
            task_queue=self.task_queue,
            dimension=str(data.get("dimension") or ""),
            origin_id=str(data.get("origin_id") or workflow_id),
            parent_id=str(parent) if parent else None,
            expire=int(data.get("expire") or 0),
            policy=RetryPolicy.from_dict(data.get("policy")),
            attempt=int(data.get("attempt") or 0),
            retrying=bool(data.get("retrying")),
        )

    async def _run_activity(self, payload: dict[str, Any]) -> Response:
        await self._ready.wait()
        return await _run_activity(self.activities, payload)

    async def run(self) -> None:
        """Wait until :meth:`shutdown`; cancelling the wait shuts the worker down."""
        try:
            await self._stopped.wait()
        except asyncio.CancelledError:
            await self.shutdown()
            raise

    async def shutdown(self) -> None:
        """Stop consuming and close the worker's connections."""
        if self._mesh is not None:
            await self._mesh.stop()
            self._mesh = None
            logger.info("Durable worker for task queue %r stopped", self.task_queue)
        self._stopped.set()

    async def __aenter__(self) -> Worker:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()
