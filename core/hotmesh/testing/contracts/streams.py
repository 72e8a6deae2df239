"""Contracts of streams: claims, acknowledgements, reclaim and dead letters."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.errors import LeaseLostError
from hotmesh.store.protocol import AppKey, Outgoing, ReclaimResult, Store
from hotmesh.testing import eventually
from hotmesh.testing.contracts._support import (
    CONSUMER,
    FAR_FUTURE_IDLE_MS,
    GROUP,
    OTHER_CONSUMER,
    WORK_TOPIC,
    deliver,
    peek,
    pending_ids,
    take_over,
)


@pytest.mark.asyncio
class TestStreams:
    async def test_ensure_group_is_idempotent(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)

        assert await hotmesh_store.stream_depth(hotmesh_app, WORK_TOPIC) == 0

    async def test_messages_before_group_are_delivered(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.add_message(hotmesh_app, Outgoing(WORK_TOPIC, "early"))
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)

        messages = await hotmesh_store.read_messages(
            hotmesh_app, WORK_TOPIC, GROUP, CONSUMER, count=10, block_ms=0
        )

        assert [message.payload for message in messages] == ["early"]

    async def test_read_claims_in_order(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)
        ids = [
            await hotmesh_store.add_message(hotmesh_app, Outgoing(WORK_TOPIC, f"m{i}"))
            for i in range(3)
        ]

        first = await hotmesh_store.read_messages(
            hotmesh_app, WORK_TOPIC, GROUP, CONSUMER, count=2, block_ms=0
        )
        rest = await hotmesh_store.read_messages(
            hotmesh_app, WORK_TOPIC, GROUP, OTHER_CONSUMER, count=10, block_ms=0
        )

        assert [message.payload for message in first] == ["m0", "m1"]
        assert [message.payload for message in rest] == ["m2"]
        assert [message.lease.message_id for message in first + rest] == ids
        for message in first:
            assert message.lease.consumer == CONSUMER
            assert message.lease.delivery == 1
            assert message.lease.topic == WORK_TOPIC
            assert message.lease.group == GROUP

    async def test_read_times_out_empty(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)

        messages = await hotmesh_store.read_messages(
            hotmesh_app, WORK_TOPIC, GROUP, CONSUMER, count=10, block_ms=50
        )

        assert messages == []

    async def test_blocked_read_leaves_commands_free(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, WORK_TOPIC, GROUP)
        reading = asyncio.create_task(
            hotmesh_store.read_messages(
                hotmesh_app, WORK_TOPIC, GROUP, CONSUMER, count=1, block_ms=5_000
            )
        )
        try:
            # Commands finish while the read waits on the server.
            for index in range(5):
                await asyncio.wait_for(
                    hotmesh_store.kv_set(hotmesh_app, f"key-{index}", "v"), 2.0
                )
            assert not reading.done()

            await hotmesh_store.add_message(hotmesh_app, Outgoing(WORK_TOPIC, "wake"))
            messages = await asyncio.wait_for(reading, 5.0)
        finally:
            reading.cancel()

        assert [message.payload for message in messages] == ["wake"]

    async def test_own_pending_changes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        first = await deliver(hotmesh_store, hotmesh_app, "first")
        second = await deliver(hotmesh_store, hotmesh_app, "second")
        other = await deliver(hotmesh_store, hotmesh_app, "other", consumer="c")

        listed = await hotmesh_store.read_own_pending(
            hotmesh_app, "", GROUP, CONSUMER, count=10
        )
        again = await hotmesh_store.read_own_pending(
            hotmesh_app, "", GROUP, CONSUMER, count=1
        )

        assert [message.payload for message in listed] == ["first", "second"]
        assert [message.lease for message in listed] == [first.lease, second.lease]
        assert [message.lease for message in again] == [first.lease]
        # The listed leases are still valid: listing changed no delivery count.
        await hotmesh_store.ack(hotmesh_app, listed[0].lease)
        await hotmesh_store.ack(hotmesh_app, second.lease)
        await hotmesh_store.ack(hotmesh_app, other.lease)
        assert (
            await hotmesh_store.read_own_pending(
                hotmesh_app, "", GROUP, CONSUMER, count=10
            )
            == []
        )

    async def test_own_pending_without_group_is_empty(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        listed = await hotmesh_store.read_own_pending(
            hotmesh_app, "nothing.here", GROUP, CONSUMER, count=10
        )

        assert listed == []

    async def test_ack_deletes_and_appends(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "request")

        await hotmesh_store.ack(
            hotmesh_app, message.lease, [Outgoing(WORK_TOPIC, "response")]
        )

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["response"]
        assert await pending_ids(hotmesh_store, hotmesh_app) == []

    async def test_ack_under_lost_lease_writes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "request")
        taken = await take_over(hotmesh_store, hotmesh_app, message)

        with pytest.raises(LeaseLostError):
            await hotmesh_store.ack(
                hotmesh_app, message.lease, [Outgoing(WORK_TOPIC, "never")]
            )

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 1
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        await hotmesh_store.ack(hotmesh_app, taken.lease)
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_ack_twice_raises_lease_lost(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "request")
        await hotmesh_store.ack(hotmesh_app, message.lease)

        with pytest.raises(LeaseLostError):
            await hotmesh_store.ack(hotmesh_app, message.lease)

    async def test_reclaim_waits_for_min_idle(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "orphan", consumer="dead")

        async def reclaim(min_idle_ms: int) -> ReclaimResult:
            return await hotmesh_store.reclaim(
                hotmesh_app,
                "",
                GROUP,
                OTHER_CONSUMER,
                min_idle_ms=min_idle_ms,
                max_deliveries=5,
                count=10,
            )

        early = await reclaim(FAR_FUTURE_IDLE_MS)

        async def claimed() -> ReclaimResult | None:
            result = await reclaim(200)
            return result if result.claimed else None

        late = await eventually(claimed, message="message reclaimed after 200 ms idle")
        assert late is not None

        assert early.claimed == []
        assert early.dead == []
        [taken] = late.claimed
        assert taken.payload == "orphan"
        assert taken.lease.message_id == message.lease.message_id
        assert taken.lease.consumer == OTHER_CONSUMER
        assert taken.lease.delivery == 2
        assert late.dead == []
        await hotmesh_store.ack(hotmesh_app, taken.lease)
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_dead_letter_past_max_deliveries(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "poison")
        second = await take_over(hotmesh_store, hotmesh_app, message)
        assert second.lease.delivery == 2

        result = await hotmesh_store.reclaim(
            hotmesh_app, "", GROUP, CONSUMER, min_idle_ms=0, max_deliveries=2, count=10
        )

        assert result.claimed == []
        [dead] = result.dead
        assert dead.payload == "poison"
        assert dead.lease.message_id == message.lease.message_id
        assert dead.lease.delivery == 2
        assert await hotmesh_store.read_dead_letters(hotmesh_app, "") == ["poison"]
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0
        again = await hotmesh_store.reclaim(
            hotmesh_app, "", GROUP, CONSUMER, min_idle_ms=0, max_deliveries=2, count=10
        )
        assert again.claimed == []
        assert again.dead == []
        with pytest.raises(LeaseLostError):
            await hotmesh_store.ack(hotmesh_app, second.lease)

    async def test_dead_letters_keep_order(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        for payload in ("first", "second"):
            await deliver(hotmesh_store, hotmesh_app, payload)

        await hotmesh_store.reclaim(
            hotmesh_app, "", GROUP, CONSUMER, min_idle_ms=0, max_deliveries=1, count=10
        )

        letters = await hotmesh_store.read_dead_letters(hotmesh_app, "")
        assert letters == ["first", "second"]
        assert await hotmesh_store.read_dead_letters(hotmesh_app, "", count=1) == [
            "first"
        ]

    async def test_reclaim_of_unknown_topic_is_empty(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        result = await hotmesh_store.reclaim(
            hotmesh_app,
            "nothing",
            GROUP,
            CONSUMER,
            min_idle_ms=0,
            max_deliveries=3,
            count=10,
        )

        assert result.claimed == []
        assert result.dead == []
        assert await hotmesh_store.read_dead_letters(hotmesh_app, "nothing") == []

    async def test_stream_depth_counts_unacknowledged(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        first = await deliver(hotmesh_store, hotmesh_app, "a")
        await deliver(hotmesh_store, hotmesh_app, "b")

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 2
        await hotmesh_store.ack(hotmesh_app, first.lease)
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 1
        assert await hotmesh_store.stream_depth(hotmesh_app, "unused") == 0
