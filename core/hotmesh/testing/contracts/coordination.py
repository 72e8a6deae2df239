"""Contracts of role leases, throttles, pub/sub, entries and app versions."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.errors import DeploymentError
from hotmesh.store.protocol import CAP_CLUSTER, AppKey, Step, Store
from hotmesh.testing import eventually
from hotmesh.testing.contracts._support import OpenStore, create

DELIVERY_TIMEOUT = 5.0
"""Seconds a published message may take to reach a subscriber."""


@pytest.mark.asyncio
class TestRoles:
    async def test_role_is_exclusive(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.acquire_role(hotmesh_app, "scout", "a", 10_000)
        assert not await hotmesh_store.acquire_role(hotmesh_app, "scout", "b", 10_000)
        # The holder extends its lease; another role is independent.
        assert await hotmesh_store.acquire_role(hotmesh_app, "scout", "a", 10_000)
        assert await hotmesh_store.acquire_role(hotmesh_app, "other", "b", 10_000)

    async def test_release_frees_role(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.acquire_role(hotmesh_app, "scout", "a", 10_000)

        await hotmesh_store.release_role(hotmesh_app, "scout", "b")
        assert not await hotmesh_store.acquire_role(hotmesh_app, "scout", "b", 10_000)

        await hotmesh_store.release_role(hotmesh_app, "scout", "a")
        assert await hotmesh_store.acquire_role(hotmesh_app, "scout", "b", 10_000)

    async def test_role_expires(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.acquire_role(hotmesh_app, "scout", "a", 200)

        async def taken_by_b() -> bool:
            return await hotmesh_store.acquire_role(hotmesh_app, "scout", "b", 10_000)

        assert not await taken_by_b()
        await eventually(taken_by_b, message="role free after its 200 ms lease")
        assert not await hotmesh_store.acquire_role(hotmesh_app, "scout", "a", 10_000)


@pytest.mark.asyncio
class TestThrottles:
    async def test_throttles_round_trip(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.get_throttles(hotmesh_app) == {}

        await hotmesh_store.set_throttle(hotmesh_app, ":", 100)
        await hotmesh_store.set_throttle(hotmesh_app, "work.do", 2_500)
        await hotmesh_store.set_throttle(hotmesh_app, ":", 0)

        throttles = await hotmesh_store.get_throttles(hotmesh_app)
        assert throttles == {":": 0, "work.do": 2_500}
        await hotmesh_store.clear_throttles(hotmesh_app)
        assert await hotmesh_store.get_throttles(hotmesh_app) == {}


@pytest.mark.asyncio
class TestPubSub:
    async def test_subscribe_delivers(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        subscription = await hotmesh_store.subscribe(
            hotmesh_app,
            "jobs.done",
            lambda channel, text: received.put_nowait((channel, text)),
        )

        receivers = await hotmesh_store.publish(hotmesh_app, "jobs.done", "hello")
        await hotmesh_store.publish(hotmesh_app, "jobs.other", "not for us")
        await hotmesh_store.publish(hotmesh_app, "jobs.done", "again")

        first = await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT)
        second = await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT)
        assert first == ("jobs.done", "hello")
        assert second == ("jobs.done", "again")
        if CAP_CLUSTER not in hotmesh_store.info.capabilities:
            assert receivers == 1
        await subscription.close()

    async def test_psubscribe_delivers_channel(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

        async def on_message(channel: str, text: str) -> None:
            await received.put((channel, text))

        subscription = await hotmesh_store.psubscribe(hotmesh_app, "jobs.*", on_message)
        await hotmesh_store.publish(hotmesh_app, "other", "not for us")
        await hotmesh_store.publish(hotmesh_app, "jobs.42", "done")

        message = await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT)
        assert message == ("jobs.42", "done")
        await subscription.close()

    async def test_apps_do_not_share_channels(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        other_app = AppKey(hotmesh_app.namespace, "other-app")
        received: asyncio.Queue[str] = asyncio.Queue()
        subscription = await hotmesh_store.psubscribe(
            hotmesh_app, "*", lambda _channel, text: received.put_nowait(text)
        )

        await hotmesh_store.publish(other_app, "news", "other app")
        await hotmesh_store.publish(hotmesh_app, "news", "this app")

        assert await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT) == "this app"
        await subscription.close()

    async def test_closed_subscription_stops(
        self, hotmesh_open_store: OpenStore, hotmesh_app: AppKey
    ) -> None:
        subscriber = await hotmesh_open_store()
        publisher = await hotmesh_open_store()
        received: asyncio.Queue[str] = asyncio.Queue()
        closing = await subscriber.subscribe(
            hotmesh_app, "news", lambda _channel, text: received.put_nowait(f"1:{text}")
        )
        staying = await subscriber.subscribe(
            hotmesh_app, "news", lambda _channel, text: received.put_nowait(f"2:{text}")
        )

        await publisher.publish(hotmesh_app, "news", "before")
        before = {
            await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT) for _ in range(2)
        }
        await closing.close()
        await closing.close()
        await publisher.publish(hotmesh_app, "news", "after")
        after = await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT)

        assert before == {"1:before", "2:before"}
        assert after == "2:after"
        assert received.empty()
        await staying.close()

    async def test_step_publishes(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 1)
        received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        subscription = await hotmesh_store.subscribe(
            hotmesh_app,
            "done.job-1",
            lambda channel, text: received.put_nowait((channel, text)),
        )

        await hotmesh_store.commit_step(
            hotmesh_app,
            Step("job-1", status_delta=-1, publish=[("done.job-1", '{"ok":true}')]),
        )

        message = await asyncio.wait_for(received.get(), DELIVERY_TIMEOUT)
        assert message == ("done.job-1", '{"ok":true}')
        await subscription.close()


@pytest.mark.asyncio
class TestEntries:
    async def test_entry_round_trip(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.kv_get(hotmesh_app, "k") is None

        await hotmesh_store.kv_set(hotmesh_app, "k", "v1")
        await hotmesh_store.kv_set(hotmesh_app, "k", "v2")

        assert await hotmesh_store.kv_get(hotmesh_app, "k") == "v2"
        assert await hotmesh_store.kv_delete(hotmesh_app, "k") is True
        assert await hotmesh_store.kv_delete(hotmesh_app, "k") is False
        assert await hotmesh_store.kv_get(hotmesh_app, "k") is None

    async def test_entry_expires(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.kv_set(hotmesh_app, "short", "v", ttl_ms=150)
        await hotmesh_store.kv_set(hotmesh_app, "long", "v", ttl_ms=600_000)

        async def expired() -> bool:
            return await hotmesh_store.kv_get(hotmesh_app, "short") is None

        await eventually(expired, message="entry gone after its 150 ms TTL")
        assert await hotmesh_store.kv_get(hotmesh_app, "long") == "v"


@pytest.mark.asyncio
class TestApps:
    async def test_versions_round_trip(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.load_app_version(hotmesh_app, "1") is None
        assert await hotmesh_store.load_app_profile(hotmesh_app) == {}

        await hotmesh_store.save_app_version(hotmesh_app, "1", "doc-1", "t1")
        await hotmesh_store.save_app_version(hotmesh_app, "2", "doc-2", "t2")
        await hotmesh_store.save_app_version(hotmesh_app, "2", "doc-2b", "t3")

        assert await hotmesh_store.load_app_version(hotmesh_app, "1") == "doc-1"
        assert await hotmesh_store.load_app_version(hotmesh_app, "2") == "doc-2b"
        profile = await hotmesh_store.load_app_profile(hotmesh_app)
        assert "active_version" not in profile
        assert set(profile) == {"versions/1", "versions/2"}

    async def test_activate_version(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.save_app_version(hotmesh_app, "1", "doc-1", "t1")
        await hotmesh_store.save_app_version(hotmesh_app, "2", "doc-2", "t2")

        await hotmesh_store.activate_app_version(hotmesh_app, "2", "t3")
        await hotmesh_store.activate_app_version(hotmesh_app, "1", "t4")

        profile = await hotmesh_store.load_app_profile(hotmesh_app)
        assert profile["active_version"] == "1"

    async def test_activate_undeployed_raises(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        with pytest.raises(DeploymentError):
            await hotmesh_store.activate_app_version(hotmesh_app, "9", "t1")

        assert await hotmesh_store.load_app_profile(hotmesh_app) == {}
