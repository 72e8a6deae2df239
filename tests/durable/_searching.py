"""Checks of workflow searches: the server's index and the scan agree."""

from __future__ import annotations

import dataclasses
from typing import Any

from _servers import BackendServer
from hotmesh.durable import Client
from hotmesh.search import SearchResult
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SEARCH
from hotmesh_redis.search import SearchVerbs


def uses_index(backend: BackendServer) -> bool:
    """Return whether searches on ``backend`` run on the server's index.

    A server with the RediSearch module runs queries on its index, except
    a cluster, which is always scanned.
    """
    return (
        CAP_SEARCH in backend.capabilities and CAP_CLUSTER not in backend.capabilities
    )


async def search_both_ways(
    client: Client, backend: BackendServer, *args: Any, **options: Any
) -> SearchResult:
    """Run ``client.workflow.search`` as the store chooses, then as a scan.

    Asserts that the server's index ran the query where the backend has
    one, that the scan ran it otherwise, and that both gave the same result.
    Returns the first result.
    """
    chosen = await client.workflow.search(*args, **options)
    store = (await client.mesh()).store
    assert isinstance(store, SearchVerbs), "the matrix stores are Redis-family stores"
    store.search_mode = "scan"
    try:
        scanned = await client.workflow.search(*args, **options)
    finally:
        store.search_mode = "auto"

    assert chosen.indexed == uses_index(backend)
    assert not scanned.indexed
    assert dataclasses.replace(chosen, indexed=False) == scanned
    return chosen
