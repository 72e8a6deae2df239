"""Behaviour of the Redis-family store beyond the conformance suite:
connection errors, supplied client objects, options and capabilities."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable

import pytest
import redis.asyncio
import valkey.asyncio

from _servers import LocalServer, requires_capability
from hotmesh.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    MissingDependencyError,
)
from hotmesh.registry import open_store
from hotmesh.store.backend import ConnectionSettings
from hotmesh.store.protocol import CAP_CLUSTER, CAP_SCRIPTS, AppKey, Outgoing
from hotmesh_redis.keys import AppKeys
from hotmesh_redis.plugin import create_store, is_redis_client
from hotmesh_valkey.plugin import is_valkey_client

ServerFactory = Callable[..., LocalServer]

PASSWORD = "s3cret-Pass-word"
WRONG_PASSWORD = "wrong-Pass-word"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_wrong_password_raises_authentication_error(
    server_factory: ServerFactory,
) -> None:
    server = server_factory("--requirepass", PASSWORD)
    url = f"redis://:{WRONG_PASSWORD}@127.0.0.1:{server.port}/0"

    with pytest.raises(AuthenticationError) as caught:
        await open_store(url)

    assert WRONG_PASSWORD not in str(caught.value)
    assert "***" in str(caught.value)


async def test_unknown_user_raises_authentication_error(
    server_factory: ServerFactory,
) -> None:
    server = server_factory()
    url = f"valkey://nobody:{WRONG_PASSWORD}@127.0.0.1:{server.port}/0"

    with pytest.raises(AuthenticationError) as caught:
        await open_store(url)

    assert WRONG_PASSWORD not in str(caught.value)


async def test_right_password_connects(server_factory: ServerFactory) -> None:
    server = server_factory("--requirepass", PASSWORD)

    store = await open_store(f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0")
    try:
        await store.ping()
    finally:
        await store.close()

    assert PASSWORD not in store.info.url


async def test_closed_port_raises_connection_failed() -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{unused_port()}/0"

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(url)

    assert PASSWORD not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


async def test_unreachable_cluster_raises_connection_failed() -> None:
    with pytest.raises(ConnectionFailedError):
        await open_store(f"redis+cluster://127.0.0.1:{unused_port()}")


async def test_cluster_url_at_single_server_raises(
    server_factory: ServerFactory,
) -> None:
    server = server_factory()

    with pytest.raises(ConfigurationError) as caught:
        await open_store(f"redis+cluster://127.0.0.1:{server.port}")

    assert "cluster" in str(caught.value)


@requires_capability("cluster")
async def test_plain_url_at_cluster_raises(backend_url: str) -> None:
    plain_url = backend_url.replace("+cluster", "", 1)

    with pytest.raises(ConfigurationError) as caught:
        await open_store(plain_url)

    assert "+cluster" in str(caught.value)


async def test_store_reports_capabilities(
    backend_url: str, request: pytest.FixtureRequest
) -> None:
    expected = request.getfixturevalue("backend").capabilities
    store = await open_store(backend_url)
    try:
        info = store.info
    finally:
        await store.close()

    assert CAP_SCRIPTS in info.capabilities
    assert info.name in ("redis", "valkey", "dragonfly")
    assert info.version
    for capability in expected:
        assert capability in info.capabilities
    assert (CAP_CLUSTER in info.capabilities) == ("+cluster" in backend_url)


async def test_supplied_redis_client_is_used_and_kept_open(
    server_factory: ServerFactory, app_key: AppKey
) -> None:
    server = server_factory()
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
    try:
        store = await open_store(client)
        await store.ensure_group(app_key, "", "ENGINE")
        await store.add_message(app_key, Outgoing("", "through the client"))
        messages = await store.read_messages(
            app_key, "", "ENGINE", "c", count=1, block_ms=100
        )
        await store.close()

        assert [message.payload for message in messages] == ["through the client"]
        assert await client.ping()
    finally:
        await client.aclose()


async def test_supplied_valkey_client_is_used(
    server_factory: ServerFactory, app_key: AppKey
) -> None:
    server = server_factory()
    client = valkey.asyncio.Valkey(host="127.0.0.1", port=server.port)
    try:
        store = await open_store(client)
        await store.kv_set(app_key, "k", "v")
        value = await store.kv_get(app_key, "k")
        await store.close()
    finally:
        await client.aclose()

    assert value == "v"


async def test_clone_of_supplied_client_store_owns_its_client(
    server_factory: ServerFactory, app_key: AppKey
) -> None:
    server = server_factory()
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
    try:
        store = await open_store(client)
        clone = store.clone()

        async def read_on_own_loop() -> str | None:
            await clone.connect()
            try:
                return await clone.kv_get(app_key, "k")
            finally:
                await clone.close()

        await store.kv_set(app_key, "k", "v")
        value = await asyncio.to_thread(asyncio.run, read_on_own_loop())
        still_open = await client.ping()
        await store.close()
    finally:
        await client.aclose()

    assert value == "v"
    assert still_open


def test_client_recognition() -> None:
    redis_client = redis.asyncio.Redis()
    valkey_client = valkey.asyncio.Valkey()

    assert is_redis_client(redis_client)
    assert not is_redis_client(valkey_client)
    assert is_valkey_client(valkey_client)
    assert not is_valkey_client(redis_client)
    assert not is_redis_client(object())


def test_invalid_payload_limit_raises() -> None:
    settings = ConnectionSettings(
        url="redis://127.0.0.1?max_payload_bytes=lots",
        scheme="redis",
        options={"max_payload_bytes": "lots"},
    )

    with pytest.raises(ConfigurationError) as caught:
        create_store(settings)

    assert "max_payload_bytes" in str(caught.value)


@pytest.mark.parametrize("app_id", ["", "a{b", "a}b", "{}"])
def test_app_id_that_moves_hash_tag_raises(app_id: str) -> None:
    with pytest.raises(ConfigurationError):
        AppKeys(AppKey("hmsh", app_id))


def test_keys_share_one_hash_tag() -> None:
    keys = AppKeys(AppKey("hmsh", "my.app"))
    names = [
        keys.job("j"),
        keys.dependents("j"),
        keys.stream(""),
        keys.dead_letters("x"),
        keys.timers,
        keys.timer_payloads,
        keys.signals,
        keys.throttles,
        keys.role("scout"),
        keys.kv("k"),
        keys.version("1"),
        keys.profile,
    ]

    for name in names:
        assert name.startswith("hmsh:{my.app}:")
    assert len(set(names)) == len(names)


def test_valkey_missing_raises_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from hotmesh_valkey import plugin

    monkeypatch.setitem(sys.modules, "valkey.asyncio", None)
    settings = ConnectionSettings(url="valkey://127.0.0.1", scheme="valkey")

    with pytest.raises(MissingDependencyError) as caught:
        plugin.create_store(settings)

    assert "pip install 'hotmesh[valkey]'" in str(caught.value)
