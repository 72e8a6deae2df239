"""The store protocol on Redis, ValKey and Dragonfly: one implementation.

Every verb that writes more than one key runs one Lua script from
``scripts/``, so it applies completely or not at all in one round trip.
Values cross the wire as UTF-8 bytes and are decoded strictly, so any
Unicode text, NUL bytes included, comes back exactly as it was stored.

The verbs live in groups, one module each (``jobs``, ``streams``,
``timers``, ``coordination``, ``stats``, ``inspection``, ``search``), over
the connections and helpers of :class:`~hotmesh_redis.base.RespBase`.
"""

from __future__ import annotations

from hotmesh_redis.base import ClientRole, RespBase
from hotmesh_redis.coordination import CoordinationVerbs
from hotmesh_redis.inspection import InspectionVerbs
from hotmesh_redis.jobs import JobVerbs
from hotmesh_redis.search import SearchVerbs
from hotmesh_redis.stats import StatsVerbs
from hotmesh_redis.streams import StreamVerbs
from hotmesh_redis.timers import TimerVerbs

__all__ = ["ClientRole", "RespBase", "RespStore"]


class RespStore(
    JobVerbs,
    StreamVerbs,
    TimerVerbs,
    CoordinationVerbs,
    StatsVerbs,
    InspectionVerbs,
    SearchVerbs,
):
    """A :class:`~hotmesh.store.protocol.Store` on a Redis-family server.

    ``flavor`` supplies what differs between servers and client libraries.
    ``settings.client``, when set, is used for commands instead of opening a
    connection from the URL; the caller keeps ownership of it.
    """
