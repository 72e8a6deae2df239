"""Test support for HotMesh stores: the conformance suite and its helpers.

The suite itself is the pytest plugin :mod:`hotmesh.testing.conformance`.
This module contains what a backend's own tests may also want:

* :class:`StoreInspection`, the optional test-only view of a store's hidden
  state that some conformance tests need;
* :func:`eventually`, which polls a condition instead of sleeping;
* :data:`OpenStore`, the type of the ``hotmesh_store_factory`` fixture.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, runtime_checkable

from hotmesh.store.protocol import AppKey, Store

__all__ = ["OpenStore", "StoreInspection", "eventually"]

OpenStore = Callable[..., Awaitable[Store]]
"""Opens a connected store: ``await open_store(max_payload_bytes="1024")``."""

_T = TypeVar("_T")


@runtime_checkable
class StoreInspection(Protocol):
    """Hidden state of a store, for tests only.

    Key names are the backend's own; tests only pass them back to
    :meth:`key_ttl_ms` or compare them with each other.
    """

    async def list_app_keys(self, app: AppKey) -> list[str]:
        """Return the names of every key of an app that exists."""

    async def job_owned_keys(self, app: AppKey, job_id: str) -> list[str]:
        """Return the names of the keys holding a job's state, existing or not."""

    async def key_ttl_ms(self, key: str) -> int | None:
        """Return the milliseconds until a key expires; None if it never does
        or does not exist."""

    async def purge_app(self, app: AppKey) -> int:
        """Delete every key of an app. Return how many were deleted."""

    async def flush_scripts(self) -> None:
        """Empty the server's cache of stored scripts.

        Raises ``UnsupportedOperationError`` when the store keeps no scripts
        on the server.
        """


async def eventually(
    check: Callable[[], Awaitable[_T]],
    *,
    timeout: float = 5.0,
    interval: float = 0.05,
    message: str = "condition",
) -> _T:
    """Call ``check`` until it returns a truthy value, and return that value.

    Raises ``AssertionError`` naming ``message`` when ``timeout`` seconds
    pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} not met within {timeout} seconds")
        await asyncio.sleep(interval)
