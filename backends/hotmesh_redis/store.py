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

import copy
import dataclasses
from typing import Self

from hotmesh import errors
from hotmesh_redis.base import ClientRole, RespBase
from hotmesh_redis.connection import twin_client
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

    def clone(self) -> Self:
        """Return an unconnected store on the same server, with the same
        options and connections of its own.

        A store on a client that the caller supplied gets a copy of that
        client with its own connection pool, which the clone closes. Raises
        ``UnsupportedOperationError`` for a supplied cluster client.
        """
        settings = self.settings
        supplied = settings.client
        if supplied is not None:
            if self._cluster:
                raise errors.UnsupportedOperationError(
                    "a store on a supplied cluster client cannot be cloned; "
                    "pass a URL instead of the client"
                )
            settings = dataclasses.replace(settings, client=twin_client(supplied))
        # The copy keeps what subclasses add; __init__ then gives it fresh
        # connections and per-store state.
        clone = copy.copy(self)
        RespStore.__init__(clone, settings, self.flavor)
        clone.search_mode = self.search_mode
        clone._owns_supplied = supplied is not None
        return clone
