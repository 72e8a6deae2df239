"""The store for Redis-family servers: Redis, ValKey and Dragonfly.

:class:`RespStore` implements :class:`hotmesh.store.protocol.Store` once;
a :class:`Flavor` supplies the few hooks that differ between servers and
client libraries.
"""

from hotmesh_redis.flavor import Flavor, ScriptRules, ServerFacts, redis_flavor
from hotmesh_redis.store import RespStore

__all__ = ["Flavor", "RespStore", "ScriptRules", "ServerFacts", "redis_flavor"]
