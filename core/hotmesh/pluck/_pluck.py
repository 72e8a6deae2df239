"""The Pluck class: connect functions, call them, and read their records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, cast

from hotmesh.durable import Client, Worker, WorkflowNotFoundError
from hotmesh.hotmesh import HotMesh
from hotmesh.pluck import _exec
from hotmesh.pluck._entity import (
    Target,
    entity_workflow,
    register_entity,
    registered_task_queue,
)
from hotmesh.pluck._find import FindMethods
from hotmesh.pluck._ids import check_entity, mint_guid
from hotmesh.pluck._options import (
    ConnectOptions,
    ExecOptions,
    HookOptions,
    parse_connect_options,
    parse_exec_options,
    parse_hook_options,
)
from hotmesh.pluck._record import not_found, require_store
from hotmesh.pluck._records import RecordMethods
from hotmesh.pluck.errors import InvalidOptionsError, UnknownEntityError

logger = logging.getLogger(__name__)


class Pluck(RecordMethods, FindMethods):
    """A mesh of functions: connect them in one process, call them from any.

    Args:
        connection: Store URL, a Durable :class:`~hotmesh.durable.Connection`
            (URL plus engine options), or a client object of an installed
            backend. None uses ``HOTMESH_URL``, ``hotmesh.toml`` or the
            embedded server, as everywhere in HotMesh.
        namespace: Namespace of calls that name none.
        search: Index used by ``get``, ``create_search_index`` and
            ``find_where`` when a call names none.

    Connections open on first use. Close them with :meth:`shutdown` or an
    ``async with`` block.
    """

    async def shutdown(self) -> None:
        """Stop every worker this instance connected and close its clients."""
        workers = list(self._workers.values())
        clients = list(self._clients.values())
        self._workers.clear()
        self._queues.clear()
        self._clients.clear()
        await asyncio.gather(*(worker.shutdown() for worker in workers))
        await asyncio.gather(*(client.close() for client in clients))

    async def __aenter__(self) -> Pluck:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    # -- entities -------------------------------------------------------------

    async def connect(
        self,
        *,
        entity: str,
        target: Target,
        options: ConnectOptions | None = None,
    ) -> bool:
        """Serve ``target`` as ``entity``: start a worker that runs its calls.

        The function runs as a Durable workflow, so it may call
        :mod:`hotmesh.pluck.workflow` functions (search fields, activities,
        sleeps, child calls). A function that makes no durable calls runs
        again each time its workflow resumes, so it must give the same
        result for the same arguments.

        Options:
            ttl: ``"infinity"`` keeps the record of every ``exec`` call,
                whatever ttl the caller gives.
            task_queue: Task queue of the worker, by default the entity name.
            namespace: Namespace of the entity's records.
            search: A SearchIndex to create in the namespace.
            concurrency: Calls the worker runs at once.
            run_timeout: Seconds one run of the function may take.

        Returns True once the worker consumes calls.
        """
        check_entity(entity)
        if not callable(target):
            raise InvalidOptionsError(f"target {target!r} is not a function")
        settings = parse_connect_options(options)
        namespace = self._namespace(settings.namespace)
        key = (namespace, entity)
        if key in self._workers:
            raise InvalidOptionsError(
                f"entity {entity!r} is already connected in namespace "
                f"{namespace!r} by this Pluck instance"
            )
        queue = settings.task_queue or entity
        ready = asyncio.Event()
        worker: Worker | None = None

        async def worker_mesh() -> HotMesh:
            await ready.wait()
            assert worker is not None
            return worker.mesh

        function = entity_workflow(
            entity, target, infinite=settings.infinite, mesh=worker_mesh
        )
        worker = await Worker.create(
            connection=self.connection,
            task_queue=queue,
            workflow={entity: function},
            namespace=namespace,
            **settings.worker,
        )
        ready.set()
        self._workers[key] = worker
        self._queues[key] = queue
        await register_entity(worker.mesh, entity, queue)
        if settings.search is not None:
            store = require_store(worker.mesh)
            await store.create_search_index(worker.mesh.app, settings.search)
        logger.info("Pluck entity %r connected in namespace %r", entity, namespace)
        return True

    async def _task_queue(
        self, client: Client, entity: str, task_queue: str | None
    ) -> str:
        """Return the task queue of a connected entity.

        Raises:
            UnknownEntityError: No process connected the entity here.
        """
        if task_queue is not None:
            return task_queue
        queue = self._queues.get((client.namespace, entity))
        if queue is None:
            queue = await registered_task_queue(await client.mesh(), entity)
        if queue is None:
            raise UnknownEntityError(
                f"entity {entity!r} is not connected in namespace "
                f"{client.namespace!r}: call connect(entity={entity!r}, ...) in a "
                "process that reaches this store, or check the namespace"
            )
        return queue

    # -- calls ----------------------------------------------------------------

    async def exec(
        self,
        *,
        entity: str,
        args: Sequence[Any] = (),
        options: ExecOptions | None = None,
    ) -> Any:
        """Call a connected function and return its response.

        With an ``id`` the record ``<entity>-<id>`` is a cache entry: while
        it lives, calls with that id return its stored response without
        running the function.

        Options:
            id: Record id, by default a new random id (no cache).
            ttl: How long the record returns its stored response: seconds, a
                ``timedelta``, text such as ``"15 minutes"``, or
                ``"infinity"`` to keep it, searchable and open to hooks,
                until :meth:`flush`. Without a ttl the record finishes
                when the function returns.
            search: ``{"data": {name: value}}``, search fields the record
                starts with.
            await: False returns the record id at once, without waiting.
            prefix: Replaces the entity name as the id prefix.
            task_queue: Task queue of the entity's worker, by default the
                one its ``connect`` registered.
            namespace: Namespace of the record.
            retry_policy: How failed runs of the function are retried.
            expire: Seconds a finished record stays readable (default 1).
            signal_in: False refuses hooks on the record.

        Raises:
            UnknownEntityError: No process connected the entity.
            InvalidOptionsError: An option is invalid (InvalidTtlError for
                the ttl).
            DurableError: The function failed for good (see
                :mod:`hotmesh.durable.errors`).
        """
        check_entity(entity)
        _check_args("args", args)
        settings = parse_exec_options(cast(Mapping[str, Any] | None, options))
        client = self._client(settings.namespace)
        workflow_id = mint_guid(
            settings.prefix or entity, settings.record_id, "option 'id'"
        )

        async def task_queue() -> str:
            return await self._task_queue(client, entity, settings.task_queue)

        return await _exec.execute(
            client, entity, workflow_id, list(args), settings, task_queue
        )

    async def hook(
        self,
        *,
        entity: str,
        record_id: str,
        hook_entity: str,
        hook_args: Sequence[Any] = (),
        options: HookOptions | None = None,
    ) -> str:
        """Run the function connected as ``hook_entity`` against a live record.

        The record is ``<entity>-<record_id>``, or ``options["workflow_id"]``.

        The hook function, connected with :meth:`connect`, runs inside the
        record's workflow as a hook thread: its ``workflow.search()`` reads
        and writes the record's fields. Returns the hook message id without
        waiting for the hook to run.

        Raises:
            UnknownEntityError: No process connected ``hook_entity``.
            HookNotFoundError: The record's workflow does not run (or
                refuses hooks).
        """
        check_entity(entity)
        check_entity(hook_entity, "hook_entity")
        _check_args("hook_args", hook_args)
        settings = parse_hook_options(cast(Mapping[str, Any] | None, options))
        client = self._client(settings.namespace)
        target = settings.workflow_id or mint_guid(settings.prefix or entity, record_id)
        queue = await self._task_queue(client, hook_entity, settings.task_queue)
        return await client.workflow.hook(
            workflow_id=target,
            workflow_name=hook_entity,
            task_queue=queue,
            args=[*hook_args, {"$type": "hook"}],
        )

    async def signal(
        self, signal_id: str, data: Any = None, *, namespace: str | None = None
    ) -> str:
        """Send a signal to whatever ``wait_for(signal_id)`` waits in a namespace."""
        return await self._client(namespace).workflow.signal(signal_id, data)

    async def flush(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> None:
        """Remove a record: end its workflow and wait until it is gone.

        The next ``exec`` with the same id runs the function again.
        """
        client = self._client(namespace)
        await _exec.flush(client, self._workflow_id(entity, record_id, prefix))

    async def interrupt(
        self,
        entity: str,
        record_id: str,
        *,
        reason: str | None = None,
        expire: int | None = None,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> None:
        """Interrupt a record's workflow and the workflows it started.

        Its waiting callers get a WorkflowInterruptedError. ``expire`` sets
        the seconds the record stays readable afterwards.

        Raises:
            RecordNotFoundError: The record does not exist or expired.
            WorkflowNotRunningError: The record's workflow already
                completed, failed or was interrupted.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        try:
            await handle.interrupt(reason=reason, expire=expire)
        except WorkflowNotFoundError as exc:
            raise not_found(workflow_id, client.namespace) from exc

    # -- the mesh -------------------------------------------------------------

    async def roll_call(
        self, *, delay: float = 1.0, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Return a profile of every live engine and worker of a namespace."""
        mesh = await self.mesh(namespace)
        return await mesh.roll_call(delay)

    async def throttle(
        self,
        delay_ms: int,
        *,
        topic: str | None = None,
        namespace: str | None = None,
    ) -> bool:
        """Make a namespace's engines and workers wait ``delay_ms`` before each read.

        ``-1`` pauses them until the next throttle. A ``topic`` (such as an
        entity's ``"<task_queue>-<entity>"``) limits it to that worker.
        """
        mesh = await self.mesh(namespace)
        return await mesh.throttle(delay_ms, topic=topic)


def _check_args(name: str, args: object) -> None:
    if isinstance(args, str | bytes | Mapping) or not isinstance(args, Sequence):
        raise InvalidOptionsError(f"{name} {args!r} are invalid: give a list")
