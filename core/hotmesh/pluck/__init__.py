"""Pluck: a mesh of functions, cached and searchable, on Durable workflows.

Any process that reaches the store can ``connect`` a function under an
entity name, and any other can ``exec`` it. Each call is a Durable
workflow whose job, the *record* ``<entity>-<id>``, keeps the response and
search fields:

* with an ``id`` and a ``ttl``, later calls with that id return the stored
  response until the ttl passes, and ``flush`` removes the record.
* with ``ttl="infinity"`` the record stays alive until ``flush``: its
  fields can be read and written, searched, and changed by hooks.

Example::

    from hotmesh.pluck import Pluck, workflow

    async def greet(name: str) -> str:
        await workflow.search().set(active="yes")
        return f"Welcome, {name}."

    async with Pluck() as pluck:
        await pluck.connect(entity="greeting", target=greet)
        response = await pluck.exec(
            entity="greeting",
            args=["cat"],
            options={"id": "cat", "ttl": "infinity"},
        )
        print(response, await pluck.all("greeting", "cat"))
"""

from hotmesh.pluck import workflow
from hotmesh.pluck._base import DEFAULT_NAMESPACE
from hotmesh.pluck._options import (
    DEFAULT_EXPIRE,
    INFINITY,
    ConnectOptions,
    ExecOptions,
    HookOptions,
    SearchData,
    Ttl,
)
from hotmesh.pluck._pluck import Pluck
from hotmesh.pluck._query import FieldCondition, QueryItem
from hotmesh.pluck._record import RESPONSE_FIELD, RecordInfo
from hotmesh.pluck.errors import (
    InvalidOptionsError,
    InvalidTtlError,
    PluckError,
    RecordNotFoundError,
    UnknownEntityError,
)

__all__ = [
    "DEFAULT_EXPIRE",
    "DEFAULT_NAMESPACE",
    "INFINITY",
    "RESPONSE_FIELD",
    "ConnectOptions",
    "ExecOptions",
    "FieldCondition",
    "HookOptions",
    "InvalidOptionsError",
    "InvalidTtlError",
    "Pluck",
    "PluckError",
    "QueryItem",
    "RecordInfo",
    "RecordNotFoundError",
    "SearchData",
    "Ttl",
    "UnknownEntityError",
    "workflow",
]
