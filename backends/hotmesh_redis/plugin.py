"""Registers the ``redis`` backend through the ``hotmesh_backends`` hook."""

from __future__ import annotations

from typing import Any

from hotmesh.hookspecs import hookimpl
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh.store.protocol import CAP_CLUSTER, CAP_PERSISTENCE, CAP_SCRIPTS, CAP_SEARCH
from hotmesh_redis.flavor import redis_flavor
from hotmesh_redis.store import RespStore

REDIS_CAPABILITIES = frozenset({CAP_SCRIPTS, CAP_CLUSTER, CAP_SEARCH, CAP_PERSISTENCE})


def create_store(settings: ConnectionSettings) -> RespStore:
    """Build a store for a Redis server or cluster (no I/O)."""
    return RespStore(settings, redis_flavor())


def is_redis_client(client: Any) -> bool:
    """Return whether ``client`` is an asyncio client of the ``redis`` package."""
    import redis.asyncio

    return isinstance(client, redis.asyncio.Redis | redis.asyncio.RedisCluster)


@hookimpl
def hotmesh_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="redis",
            schemes=("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"),
            create=create_store,
            capabilities=REDIS_CAPABILITIES,
            description="Redis 6.2 or later, a single server or a cluster",
            accepts_client=is_redis_client,
        )
    ]
