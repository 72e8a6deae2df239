"""Connections per namespace and record ids, shared by Pluck's methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from hotmesh.durable import Client, Connection, Worker
from hotmesh.hotmesh import HotMesh
from hotmesh.pluck._ids import check_entity, check_id, mint_guid
from hotmesh.pluck._options import check_namespace
from hotmesh.search import SearchIndex

DEFAULT_NAMESPACE = "durable"
"""Namespace of records and entities when a call names none, as upstream."""


class PluckBase:
    """Connections of a Pluck instance, one Durable client per namespace."""

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

    def _workflow_id(self, entity: str, record_id: str, prefix: str | None) -> str:
        check_entity(entity)
        return mint_guid(prefix or entity, check_id(record_id))

    async def _record(
        self, entity: str, record_id: str, namespace: str | None, prefix: str | None
    ) -> tuple[HotMesh, str]:
        workflow_id = self._workflow_id(entity, record_id, prefix)
        return await self.mesh(namespace), workflow_id


def _connection_of(connection: Connection | str | object | None) -> Connection:
    if connection is None or isinstance(connection, Connection | str):
        return Connection.of(connection)
    # NOTE: Connection.url is typed as a URL, but HotMesh.init passes it on
    # to open_store, which also takes a client object of a backend.
    return Connection(url=cast(Any, connection))


def is_names(values: object) -> bool:
    return (
        not isinstance(values, str)
        and isinstance(values, Sequence)
        and all(isinstance(value, str) for value in values)
    )
