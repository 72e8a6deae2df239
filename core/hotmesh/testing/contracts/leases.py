"""Contracts of lease extension: a running consumer keeps its message."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.store.protocol import AppKey, ReclaimResult, Step, Store
from hotmesh.testing import StoreInspection, eventually
from hotmesh.testing.contracts._support import (
    GROUP,
    OTHER_CONSUMER,
    create,
    deliver,
    take_over,
)

LONG_TTL_MS = 60_000
"""A lease time to live that no test outlasts."""


async def _reclaim_now(
    store: Store, app: AppKey, consumer: str = OTHER_CONSUMER
) -> ReclaimResult:
    """Reclaim with min idle time 0, so only a lease deadline holds a message."""
    return await store.reclaim(
        app, "", GROUP, consumer, min_idle_ms=0, max_deliveries=10, count=10
    )


@pytest.mark.asyncio
class TestLeases:
    async def test_extended_lease_outlives_min_idle(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)

        for _ in range(3):
            await asyncio.sleep(0.1)
            assert await hotmesh_store.extend_lease(hotmesh_app, message.lease)

        result = await hotmesh_store.reclaim(
            hotmesh_app,
            "",
            GROUP,
            "consumer-b",
            min_idle_ms=200,
            max_deliveries=10,
            count=10,
        )
        assert result.claimed == []
        assert result.dead == []
        await hotmesh_store.ack(hotmesh_app, message.lease)

    async def test_extend_after_takeover_fails(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)
        claimed = await take_over(hotmesh_store, hotmesh_app, message)

        assert not await hotmesh_store.extend_lease(hotmesh_app, message.lease)
        assert await hotmesh_store.extend_lease(hotmesh_app, claimed.lease)
        await hotmesh_store.ack(hotmesh_app, claimed.lease)

    async def test_deadline_holds_against_any_min_idle(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)

        assert await hotmesh_store.extend_lease(
            hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
        )
        await asyncio.sleep(0.05)
        result = await _reclaim_now(hotmesh_store, hotmesh_app)

        assert result.claimed == []
        assert result.dead == []
        await hotmesh_store.ack(hotmesh_app, message.lease)

    async def test_held_message_hides_no_idle_one(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        held = await deliver(hotmesh_store, hotmesh_app, "held")
        orphan = await deliver(hotmesh_store, hotmesh_app, "orphan", consumer="dead")
        assert await hotmesh_store.extend_lease(
            hotmesh_app, held.lease, ttl_ms=LONG_TTL_MS
        )

        result = await hotmesh_store.reclaim(
            hotmesh_app,
            "",
            GROUP,
            OTHER_CONSUMER,
            min_idle_ms=0,
            max_deliveries=10,
            count=1,
        )

        [claimed] = result.claimed
        assert claimed.lease.message_id == orphan.lease.message_id
        assert result.dead == []
        await hotmesh_store.ack(hotmesh_app, claimed.lease)
        await hotmesh_store.ack(hotmesh_app, held.lease)

    async def test_deadline_also_holds_off_dead_letters(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)
        assert await hotmesh_store.extend_lease(
            hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
        )

        result = await hotmesh_store.reclaim(
            hotmesh_app,
            "",
            GROUP,
            OTHER_CONSUMER,
            min_idle_ms=0,
            max_deliveries=1,
            count=10,
        )

        assert result.claimed == []
        assert result.dead == []
        assert await hotmesh_store.read_dead_letters(hotmesh_app, "") == []
        await hotmesh_store.ack(hotmesh_app, message.lease)

    async def test_lapsed_deadline_lets_reclaim_in(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "orphan")
        assert await hotmesh_store.extend_lease(hotmesh_app, message.lease, ttl_ms=200)

        async def claimed() -> ReclaimResult | None:
            result = await _reclaim_now(hotmesh_store, hotmesh_app)
            return result if result.claimed else None

        late = await eventually(claimed, message="message reclaimed after 200 ms")
        assert late is not None

        [taken] = late.claimed
        assert taken.payload == "orphan"
        assert taken.lease.consumer == OTHER_CONSUMER
        assert taken.lease.delivery == 2
        assert not await hotmesh_store.extend_lease(
            hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
        )
        await hotmesh_store.ack(hotmesh_app, taken.lease)

    async def test_takeover_clears_old_deadline(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)
        assert await hotmesh_store.extend_lease(hotmesh_app, message.lease, ttl_ms=200)
        await asyncio.sleep(0.3)
        second = await take_over(hotmesh_store, hotmesh_app, message)

        # The new owner sets no deadline, so nothing holds the message now.
        third = await take_over(hotmesh_store, hotmesh_app, second, "consumer-c")

        assert third.lease.delivery == 3
        await hotmesh_store.ack(hotmesh_app, third.lease)

    async def test_acknowledgement_clears_deadline(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job")
        leased = [await deliver(hotmesh_store, hotmesh_app, f"m{n}") for n in range(3)]
        before = set(await hotmesh_inspection.list_app_keys(hotmesh_app))
        for message in leased:
            assert await hotmesh_store.extend_lease(
                hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
            )

        await hotmesh_store.ack(hotmesh_app, leased[0].lease)
        await hotmesh_store.commit_step(
            hotmesh_app, Step("job", lease=leased[1].lease, fields={"a": "1"})
        )
        await hotmesh_store.ack(hotmesh_app, leased[2].lease)

        after = set(await hotmesh_inspection.list_app_keys(hotmesh_app))
        assert after == before, "a lease deadline outlived its acknowledgement"


@pytest.mark.asyncio
class TestClones:
    async def test_clone_shares_data(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)
        clone = hotmesh_store.clone()
        await clone.connect()
        try:
            extended = await clone.extend_lease(
                hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
            )
            result = await _reclaim_now(hotmesh_store, hotmesh_app)
        finally:
            await clone.close()

        assert extended
        assert result.claimed == []
        await hotmesh_store.ack(hotmesh_app, message.lease)
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_clone_works_on_another_thread(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app)
        clone = hotmesh_store.clone()

        async def extend_on_own_loop() -> bool:
            await clone.connect()
            try:
                return await clone.extend_lease(
                    hotmesh_app, message.lease, ttl_ms=LONG_TTL_MS
                )
            finally:
                await clone.close()

        extended = await asyncio.to_thread(asyncio.run, extend_on_own_loop())

        assert extended
        assert (await _reclaim_now(hotmesh_store, hotmesh_app)).claimed == []
        await hotmesh_store.ack(hotmesh_app, message.lease)
