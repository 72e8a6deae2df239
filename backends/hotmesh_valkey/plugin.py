"""Registers the ``valkey`` backend through the ``hotmesh_backends`` hook.

The ``valkey`` client package is optional: it is imported only when a store
is created, and its absence raises an error naming the extra to install.
"""

from __future__ import annotations

import sys
from typing import Any

from hotmesh.errors import MissingDependencyError
from hotmesh.hookspecs import hookimpl
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh_redis.errors import ClientErrors
from hotmesh_redis.flavor import Flavor
from hotmesh_redis.plugin import REDIS_CAPABILITIES
from hotmesh_redis.store import RespStore

INSTALL_HINT = "pip install 'hotmesh[valkey]'"


def valkey_flavor() -> Flavor:
    """Return the flavor that talks through the ``valkey`` package."""
    try:
        import valkey.asyncio
        import valkey.asyncio.retry
        import valkey.backoff
        import valkey.exceptions
    except ImportError as exc:
        raise MissingDependencyError(
            f"the valkey backend needs the valkey client package: {INSTALL_HINT}"
        ) from exc

    def no_retry() -> Any:
        return valkey.asyncio.retry.Retry(valkey.backoff.NoBackoff(), 0)

    return Flavor(
        name="valkey",
        client_module=valkey.asyncio,
        client_class=valkey.asyncio.Valkey,
        cluster_class=valkey.asyncio.ValkeyCluster,
        errors=ClientErrors.from_module(valkey.exceptions, "Valkey"),
        no_retry=no_retry,
    )


def create_store(settings: ConnectionSettings) -> RespStore:
    """Build a store for a ValKey server or cluster (no I/O)."""
    return RespStore(settings, valkey_flavor())


def is_valkey_client(client: Any) -> bool:
    """Return whether ``client`` is an asyncio client of the ``valkey`` package."""
    module = sys.modules.get("valkey.asyncio")
    if module is None:  # never imported, so no valkey client exists
        return False
    return isinstance(client, module.Valkey | module.ValkeyCluster)


@hookimpl
def hotmesh_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="valkey",
            schemes=("valkey", "valkeys", "valkey+cluster", "valkeys+cluster"),
            create=create_store,
            capabilities=REDIS_CAPABILITIES,
            description="ValKey 7.2 or later through the valkey client package, "
            "a single server or a cluster",
            accepts_client=is_valkey_client,
        )
    ]
