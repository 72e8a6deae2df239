"""Fixtures for engine tests: HotMesh instances on each matrix backend."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from hotmesh import HotMesh

MeshFactory = Callable[..., Awaitable[HotMesh]]

FAST_ENGINE = {
    "block_ms": 200,
    "reclaim_delay_ms": 1500,
    "timer_poll_ms": 100,
    "scout_lease_ms": 1000,
}


@pytest.fixture
def namespace() -> str:
    """Return a namespace no other test uses."""
    return f"t{secrets.token_hex(4)}"


@pytest.fixture
async def mesh(backend_url: str, namespace: str) -> AsyncIterator[MeshFactory]:
    """Yield a factory of HotMesh instances that are stopped after the test."""
    instances: list[HotMesh] = []

    async def create(
        app_id: str,
        workers: Sequence[dict[str, Any]] = (),
        *,
        engine: dict[str, Any] | None = None,
        with_engine: bool = True,
        **options: Any,
    ) -> HotMesh:
        instance = await HotMesh.init(
            app_id=app_id,
            namespace=namespace,
            connection=backend_url,
            engine={**FAST_ENGINE, **(engine or {})} if with_engine else None,
            workers=list(workers),
            **options,
        )
        instances.append(instance)
        return instance

    yield create
    await asyncio.gather(*(instance.stop() for instance in instances))


@pytest.fixture(scope="session")
def reference_apps() -> Path:
    """Return the folder of the TypeScript SDK's test apps, or skip."""
    location = os.environ.get("HOTMESH_REFERENCE_APPS")
    if not location:
        pytest.skip(
            "HOTMESH_REFERENCE_APPS is not set: point it at the folder holding "
            "the TypeScript SDK's test apps (apps/ and seeds/)"
        )
    path = Path(location)
    if not (path / "apps").is_dir():
        pytest.skip(f"HOTMESH_REFERENCE_APPS={location} has no apps/ folder")
    return path


async def wait_for(
    probe: Callable[[], Awaitable[Any]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
) -> Any:
    """Poll ``probe`` until it returns a truthy value; return that value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
