"""Registers the ``fakeredis`` backend through the ``hotmesh_backends`` hook."""

from __future__ import annotations

from hotmesh.hookspecs import hookimpl
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh.store.protocol import CAP_SCRIPTS, Store


def create_store(settings: ConnectionSettings) -> Store:
    """Build a store on the in-process server the URL names (no I/O)."""
    # Imported here so listing backends never imports fakeredis or lupa.
    from hotmesh_fakeredis.store import FakeRedisStore

    return FakeRedisStore(settings)


@hookimpl
def hotmesh_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="fakeredis",
            schemes=("fakeredis",),
            create=create_store,
            capabilities=frozenset({CAP_SCRIPTS}),
            description="in-process fakeredis server, for unit tests",
        )
    ]
