"""Server names in fakeredis URLs: a host names an in-process server."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from hotmesh.errors import (
    ConnectionFailedError,
    PayloadTooLargeError,
    UnknownBackendError,
)
from hotmesh.registry import backend_for_scheme, open_store
from hotmesh.store.protocol import AppKey, Store


@pytest.fixture(autouse=True)
def _require_plugin() -> None:
    try:
        backend_for_scheme("fakeredis")
    except UnknownBackendError:
        pytest.skip(
            "fakeredis plugin not installed: pip install -e plugins/hotmesh-fakeredis"
        )


async def read_back(url: str, app: AppKey, key: str) -> str | None:
    store = await open_store(url)
    try:
        return await store.kv_get(app, key)
    finally:
        await store.close()


async def write_on(store: Store) -> tuple[AppKey, str, str]:
    app = AppKey(namespace=f"n{secrets.token_hex(4)}", app_id="names")
    value = secrets.token_hex(4)
    await store.kv_set(app, "probe", value)
    return app, "probe", value


@pytest.mark.parametrize(
    "url", ["fakeredis://", "fakeredis://?max_payload_bytes=1048576", "fakeredis:///0"]
)
async def test_no_host_uses_default(url: str) -> None:
    store = await open_store(url)
    try:
        app, key, value = await write_on(store)
    finally:
        await store.close()

    assert await read_back("fakeredis://default", app, key) == value
    assert await read_back(f"fakeredis://other{secrets.token_hex(4)}", app, key) is None


async def test_no_host_keeps_options() -> None:
    store = await open_store("fakeredis://?max_payload_bytes=16")
    try:
        app = AppKey(namespace=f"n{secrets.token_hex(4)}", app_id="names")
        with pytest.raises(PayloadTooLargeError):
            await store.kv_set(app, "probe", "x" * 17)
    finally:
        await store.close()


async def test_pool_keeps_max_connections() -> None:
    store = await open_store(
        f"fakeredis://pool{secrets.token_hex(4)}?max_connections=2"
    )
    app = AppKey(namespace=f"n{secrets.token_hex(4)}", app_id="names")
    try:
        await store.ensure_group(app, "work", "g")
        reads = [
            store.read_messages(app, "work", "g", f"c{index}", count=1, block_ms=300)
            for index in range(3)
        ]
        with pytest.raises(ConnectionFailedError, match="max_connections"):
            await asyncio.gather(*reads)
    finally:
        await store.close()
