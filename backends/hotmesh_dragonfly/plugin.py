"""Registers the ``dragonfly`` backend through the ``hotmesh_backends`` hook.

Dragonfly speaks the Redis protocol and is driven by the ``redis`` package.
Its Lua scripts may only touch keys declared in KEYS; every script of the
Redis-family store declares all its keys, so no script relies on the
``allow-undeclared-keys`` flag, which would make Dragonfly lock the whole
store for each call.
"""

from __future__ import annotations

from hotmesh.hookspecs import hookimpl
from hotmesh.store.backend import BackendSpec, ConnectionSettings
from hotmesh.store.protocol import CAP_PERSISTENCE, CAP_SCRIPTS, CAP_SEARCH
from hotmesh_redis.flavor import Flavor, ScriptRules, redis_flavor
from hotmesh_redis.store import RespStore

# No script flags: scripts keep Dragonfly's default atomicity and locking,
# which is correct because every script declares its keys.
DRAGONFLY_SCRIPT_RULES = ScriptRules(header="")


def dragonfly_flavor() -> Flavor:
    """Return the flavor for Dragonfly servers.

    It differs from the Redis flavor only by name: the shared probe reads
    ``dragonfly_version`` and finds Dragonfly's built-in search through
    ``FT._LIST``.
    """
    return redis_flavor(name="dragonfly", script_rules=DRAGONFLY_SCRIPT_RULES)


def create_store(settings: ConnectionSettings) -> RespStore:
    """Build a store for a Dragonfly server (no I/O)."""
    return RespStore(settings, dragonfly_flavor())


@hookimpl
def hotmesh_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="dragonfly",
            schemes=("dragonfly",),
            create=create_store,
            capabilities=frozenset({CAP_SCRIPTS, CAP_SEARCH, CAP_PERSISTENCE}),
            description="Dragonfly through the redis client package",
        )
    ]
