"""The Pluck class: connect functions, call them, and read their records."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, cast, overload

from hotmesh.durable import Client, Connection, Worker, WorkflowNotFoundError
from hotmesh.hotmesh import HotMesh
from hotmesh.pluck import _exec, _state
from hotmesh.pluck._entity import (
    Target,
    entity_workflow,
    register_entity,
    registered_task_queue,
)
from hotmesh.pluck._find import find_records
from hotmesh.pluck._ids import check_entity, check_id, mint_guid
from hotmesh.pluck._options import (
    ConnectOptions,
    ExecOptions,
    HookOptions,
    check_namespace,
    parse_connect_options,
    parse_exec_options,
    parse_hook_options,
)
from hotmesh.pluck._query import QueryItem, to_conditions
from hotmesh.pluck._record import RecordInfo, not_found, read_info, require_store
from hotmesh.pluck.errors import InvalidOptionsError, UnknownEntityError
from hotmesh.search import SearchIndex, SearchResult

logger = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "durable"
"""Namespace of records and entities when a call names none, as upstream."""


class Pluck:
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

    def __init__(
        self,
        connection: Connection | str | object | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        search: SearchIndex | None = None,
    ) -> None:
        self.connection = _connection_of(connection)
        self.namespace = check_namespace(namespace)
        self.search = search
        self._clients: dict[str, Client] = {}
        self._workers: dict[tuple[str, str], Worker] = {}
        self._queues: dict[tuple[str, str], str] = {}

    # -- connections ----------------------------------------------------------

    def _namespace(self, namespace: str | None) -> str:
        return self.namespace if namespace is None else check_namespace(namespace)

    def _client(self, namespace: str | None) -> Client:
        name = self._namespace(namespace)
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = Client(self.connection, namespace=name)
        return client

    async def mesh(self, namespace: str | None = None) -> HotMesh:
        """Return the HotMesh instance that serves calls in a namespace."""
        return await self._client(namespace).mesh()

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
            task_queue: Task queue of the worker; default the entity name.
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

    async def _task_queue(self, client: Client, entity: str, given: str | None) -> str:
        """Return the task queue of a connected entity.

        Raises:
            UnknownEntityError: No process connected the entity here.
        """
        if given is not None:
            return given
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
            id: Record id; a new random id by default (no cache).
            ttl: How long the record answers from cache: seconds, a
                ``timedelta``, text such as ``"15 minutes"``, or
                ``"infinity"`` to keep it, searchable and open to hooks,
                until :meth:`flush`. Without a ttl the record finishes
                when the function returns.
            search: ``{"data": {name: value}}``, search fields the record
                starts with.
            await: False returns the record id at once, without waiting.
            prefix: Replaces the entity name as the id prefix.
            task_queue: Task queue of the entity's worker; by default the
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
        if isinstance(args, str | bytes | Mapping) or not isinstance(args, Sequence):
            raise InvalidOptionsError(f"args {args!r} are invalid: give a list")
        settings = parse_exec_options(cast(Mapping[str, Any] | None, options))
        client = self._client(settings.namespace)
        workflow_id = mint_guid(settings.prefix or entity, settings.record_id)

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

        The hook function runs inside the record's workflow, as a hook
        thread: its ``workflow.search()`` reads and writes the record's
        fields. Returns the hook message id without waiting for it.

        Raises:
            UnknownEntityError: No process connected ``hook_entity``.
            HookNotFoundError: The record's workflow does not run (or
                refuses hooks).
        """
        check_entity(entity)
        check_entity(hook_entity, "hook_entity")
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
        """Forget a record: end its workflow and wait until it is gone.

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
            RecordNotFoundError: The record does not run.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        try:
            await handle.interrupt(reason=reason, expire=expire)
        except WorkflowNotFoundError as exc:
            raise not_found(workflow_id, client.namespace) from exc

    # -- records --------------------------------------------------------------

    def _workflow_id(self, entity: str, record_id: str, prefix: str | None) -> str:
        check_entity(entity)
        return mint_guid(prefix or entity, check_id(record_id))

    async def _record(
        self, entity: str, record_id: str, namespace: str | None, prefix: str | None
    ) -> tuple[HotMesh, str]:
        workflow_id = self._workflow_id(entity, record_id, prefix)
        return await self.mesh(namespace), workflow_id

    async def info(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> RecordInfo:
        """Return a record's status and response.

        Raises:
            RecordNotFoundError: The record does not exist or expired.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        return await read_info(await client.mesh(), handle)

    async def export(
        self,
        entity: str,
        record_id: str,
        *,
        allow: Sequence[str] | None = None,
        block: Sequence[str] = (),
        values: bool = True,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, Any]:
        """Return a readable dump of a record.

        The dump is Durable's export (``status``, ``dependencies``,
        ``process``, ``metadata``, ``data``, ``timeline``) plus ``state``,
        as ``{"metadata", "data": {"done", "response", "workflow_id"}}``,
        and ``search``, the record's search fields. ``allow`` keeps only
        the named keys, ``block`` drops keys, and ``values=False`` leaves
        the stored values out of the timeline.

        Raises:
            RecordNotFoundError: The record does not exist or expired.
        """
        client = self._client(namespace)
        workflow_id = self._workflow_id(entity, record_id, prefix)
        handle = client.workflow.get_handle(workflow_id)
        mesh = await client.mesh()
        try:
            dump = await handle.export()
        except WorkflowNotFoundError as exc:
            raise not_found(workflow_id, client.namespace) from exc
        info = await read_info(mesh, handle)
        fields = await _state.read_search_fields(
            require_store(mesh), mesh.app, workflow_id
        )
        dump = {**dump, "state": info.to_state(), "search": fields}
        if not values:
            dump["timeline"] = [
                {key: step[key] for key in step if key != "value"}
                for step in dump.get("timeline", [])
            ]
        if allow is not None:
            dump = {key: dump[key] for key in _names("allow", allow) if key in dump}
        for key in _names("block", block):
            dump.pop(key, None)
        return dump

    async def get(
        self,
        entity: str,
        record_id: str,
        fields: Sequence[str] | None = None,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return search fields of a record, leaving out those not set.

        ``fields`` defaults to the fields of this instance's ``search``
        index, and to every search field without one.
        """
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        store = require_store(mesh)
        if fields is None and self.search is None:
            return await _state.read_search_fields(store, mesh.app, workflow_id)
        if fields is None:
            assert self.search is not None
            wanted = {item.name: item.field for item in self.search.fields}
        else:
            targets = _state.field_names(fields)
            wanted = dict(zip(list(fields), targets, strict=True))
        return await _state.read_fields(store, mesh.app, workflow_id, wanted)

    async def all(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return every search field of a record, by name."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.read_search_fields(
            require_store(mesh), mesh.app, workflow_id
        )

    async def raw(
        self,
        entity: str,
        record_id: str,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> dict[str, str]:
        """Return every field of a record's job: engine state, markers, search."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.read_raw(require_store(mesh), mesh.app, workflow_id)

    async def set(
        self,
        entity: str,
        record_id: str,
        data: Mapping[str, Any],
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> int:
        """Set search fields of a record (values as text); return how many were new."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.write_fields(
            require_store(mesh), mesh.app, workflow_id, data
        )

    async def incr(
        self,
        entity: str,
        record_id: str,
        field: str,
        amount: float = 1,
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> float:
        """Add ``amount`` to a numeric search field (0 when unset); return the sum."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.increment_field(
            require_store(mesh), mesh.app, workflow_id, field, amount
        )

    async def delete(
        self,
        entity: str,
        record_id: str,
        fields: Sequence[str],
        *,
        namespace: str | None = None,
        prefix: str | None = None,
    ) -> int:
        """Remove search fields of a record; return how many existed."""
        mesh, workflow_id = await self._record(entity, record_id, namespace, prefix)
        return await _state.delete_fields(
            require_store(mesh), mesh.app, workflow_id, fields
        )

    # -- finding records ----------------------------------------------------

    async def find_jobs(
        self, match: str = "*", *, limit: int = 1000, namespace: str | None = None
    ) -> list[str]:
        """Return up to ``limit`` job ids of a namespace matching a glob, sorted.

        This scans keys, so it lists every job, records and the jobs their
        workflows started alike.
        """
        if not isinstance(match, str) or not match:
            raise InvalidOptionsError(f"match {match!r} is invalid: give a glob")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidOptionsError(f"limit {limit!r} is invalid: give 1 or more")
        mesh = await self.mesh(namespace)
        found = await require_store(mesh).find_jobs(mesh.app, match, limit)
        return sorted(found)

    def _index(self, index: SearchIndex | str | None) -> SearchIndex | str:
        chosen = index if index is not None else self.search
        if chosen is None:
            raise InvalidOptionsError(
                "no search index: pass index=... or create Pluck(search=...)"
            )
        if not isinstance(chosen, SearchIndex | str):
            raise InvalidOptionsError(
                f"index {chosen!r} is invalid: give a SearchIndex or its name"
            )
        return chosen

    async def create_search_index(
        self, index: SearchIndex | None = None, *, namespace: str | None = None
    ) -> None:
        """Create a search index over a namespace's records.

        Where the server has the RediSearch module this also creates its
        index; elsewhere queries scan the records and return the same
        results.
        """
        chosen = self._index(index)
        if not isinstance(chosen, SearchIndex):
            raise InvalidOptionsError(
                f"index {chosen!r} is a name: give the SearchIndex to create"
            )
        mesh = await self.mesh(namespace)
        await require_store(mesh).create_search_index(mesh.app, chosen)

    async def list_search_indexes(self, *, namespace: str | None = None) -> list[str]:
        """Return the names of a namespace's search indexes, sorted."""
        mesh = await self.mesh(namespace)
        return await require_store(mesh).list_search_indexes(mesh.app)

    @overload
    async def find_where(
        self,
        query: Sequence[QueryItem] = ...,
        *,
        index: SearchIndex | str | None = ...,
        return_fields: Sequence[str] = ...,
        limit: int | None = ...,
        offset: int = ...,
        count: Literal[False] = ...,
        namespace: str | None = ...,
    ) -> SearchResult: ...

    @overload
    async def find_where(
        self,
        query: Sequence[QueryItem] = ...,
        *,
        index: SearchIndex | str | None = ...,
        return_fields: Sequence[str] = ...,
        limit: int | None = ...,
        offset: int = ...,
        count: Literal[True],
        namespace: str | None = ...,
    ) -> int: ...

    async def find_where(
        self,
        query: Sequence[QueryItem] = (),
        *,
        index: SearchIndex | str | None = None,
        return_fields: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
        count: bool = False,
        namespace: str | None = None,
    ) -> SearchResult | int:
        """Return the records that meet every condition, ordered by id.

        Conditions are search-layer conditions (:class:`~hotmesh.search.Equals`
        and others) or dictionaries such as ``{"field": "plan", "is": "=",
        "value": "pro"}`` (see :mod:`hotmesh.pluck._query` for operators).
        ``limit`` and ``offset`` select a page, ``return_fields`` the values
        each row carries. With ``count=True`` return only the number of
        matches.

        The index must exist in the namespace (see
        :meth:`create_search_index`). The server's index answers where
        there is one; elsewhere a scan returns the same result. Jobs that
        records start for themselves (ids with ``$``) are never returned.

        Raises:
            InvalidOptionsError: A condition is malformed.
            ConfigurationError: The index does not exist, or a condition
                names a field it lacks or does not fit the field's type.
        """
        chosen = self._index(index)
        name = chosen if isinstance(chosen, str) else chosen.name
        if not _is_names(return_fields):
            raise InvalidOptionsError(
                f"return_fields {return_fields!r} are invalid: give field names"
            )
        conditions = to_conditions(query)
        mesh = await self.mesh(namespace)
        result = await find_records(
            require_store(mesh),
            mesh.app,
            name,
            conditions,
            return_fields=[] if count else list(return_fields),
            limit=0 if count else limit,
            offset=0 if count else offset,
        )
        return result.count if count else result

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


def _connection_of(connection: Connection | str | object | None) -> Connection:
    if connection is None or isinstance(connection, Connection | str):
        settings = Connection.of(connection)
    else:
        # NOTE: Connection.url is typed as a URL, but HotMesh.init passes it
        # on to open_store, which also takes a client object of a backend.
        settings = Connection(url=cast(Any, connection))
    # TODO: keep the engine's job-state cache on once the engine re-reads a
    # job whose step failed to build from cached fields. Until then a hook
    # thread can read another engine's stale copy of its job and fail with
    # "resolved no topic from '{signaler.hook.data.topic}'".
    engine = {"state_cache": 0, **settings.engine}
    return dataclasses.replace(settings, engine=engine)


def _is_names(values: object) -> bool:
    return (
        not isinstance(values, str)
        and isinstance(values, Sequence)
        and all(isinstance(value, str) for value in values)
    )


def _names(option: str, values: object) -> list[str]:
    if not _is_names(values):
        raise InvalidOptionsError(
            f"{option} {values!r} is invalid: give a list of export keys"
        )
    return list(cast(Sequence[str], values))
