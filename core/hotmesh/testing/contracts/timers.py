"""Contracts of timers, with the clock passed in by the test."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.store.protocol import AppKey, Outgoing, Store, Timer
from hotmesh.testing.contracts._support import WORK_TOPIC, OpenStore, peek

NOW = 1_700_000_000_000
"""The fake clock's reading, in epoch ms."""


def timer(timer_id: str, due_ms: int, payload: str = "", topic: str = "") -> Timer:
    return Timer(timer_id, due_ms, Outgoing(topic, payload or timer_id))


@pytest.mark.asyncio
class TestTimers:
    async def test_timer_never_fires_early(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.schedule_timers(hotmesh_app, [timer("t1", NOW + 1_000)])

        early = await hotmesh_store.fire_due_timers(hotmesh_app, NOW + 999, 10)
        assert early == 0
        assert await peek(hotmesh_store, hotmesh_app) == []

        due = await hotmesh_store.fire_due_timers(hotmesh_app, NOW + 1_000, 10)
        assert due == 1
        assert await peek(hotmesh_store, hotmesh_app) == ["t1"]

    async def test_timer_fires_once(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.schedule_timers(hotmesh_app, [timer("t1", NOW)])

        fired = [
            await hotmesh_store.fire_due_timers(hotmesh_app, NOW + step, 10)
            for step in range(3)
        ]

        assert fired == [1, 0, 0]
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None

    async def test_timer_goes_to_its_topic(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.schedule_timers(
            hotmesh_app,
            [timer("t1", NOW, "engine"), timer("t2", NOW, "worker", WORK_TOPIC)],
        )

        assert await hotmesh_store.fire_due_timers(hotmesh_app, NOW, 10) == 2

        assert await peek(hotmesh_store, hotmesh_app) == ["engine"]
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["worker"]

    async def test_reschedule_keeps_later_due(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.schedule_timers(
            hotmesh_app, [timer("t1", NOW + 500, "first")]
        )
        await hotmesh_store.schedule_timers(
            hotmesh_app, [timer("t1", NOW + 900, "later")]
        )
        await hotmesh_store.schedule_timers(
            hotmesh_app, [timer("t1", NOW + 100, "earlier")]
        )

        assert await hotmesh_store.next_timer_due(hotmesh_app) == NOW + 900
        assert await hotmesh_store.fire_due_timers(hotmesh_app, NOW + 899, 10) == 0
        assert await hotmesh_store.fire_due_timers(hotmesh_app, NOW + 900, 10) == 1
        assert await peek(hotmesh_store, hotmesh_app) == ["later"]

    async def test_cancel_timer(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.schedule_timers(hotmesh_app, [timer("t1", NOW)])

        assert await hotmesh_store.cancel_timer(hotmesh_app, "t1") is True
        assert await hotmesh_store.cancel_timer(hotmesh_app, "t1") is False
        assert await hotmesh_store.fire_due_timers(hotmesh_app, NOW, 10) == 0
        assert await peek(hotmesh_store, hotmesh_app) == []

    async def test_next_timer_due(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None

        await hotmesh_store.schedule_timers(
            hotmesh_app, [timer("late", NOW + 50), timer("soon", NOW + 10)]
        )

        assert await hotmesh_store.next_timer_due(hotmesh_app) == NOW + 10

    async def test_fire_respects_limit_and_order(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        timers = [timer(f"t{index}", NOW - 100 + index) for index in range(5)]
        await hotmesh_store.schedule_timers(hotmesh_app, list(reversed(timers)))

        first = await hotmesh_store.fire_due_timers(hotmesh_app, NOW, 2)
        rest = await hotmesh_store.fire_due_timers(hotmesh_app, NOW, 10)

        assert (first, rest) == (2, 3)
        assert await peek(hotmesh_store, hotmesh_app) == [f"t{i}" for i in range(5)]

    async def test_concurrent_firing_never_duplicates(
        self, hotmesh_open_store: OpenStore, hotmesh_app: AppKey
    ) -> None:
        stores = [await hotmesh_open_store() for _ in range(3)]
        count = 120
        await stores[0].schedule_timers(
            hotmesh_app, [timer(f"t{index:03}", NOW - index) for index in range(count)]
        )
        # Two timers come due only after the racing callers' clock.
        await stores[0].schedule_timers(
            hotmesh_app, [timer("future-1", NOW + 1), timer("future-2", NOW + 60_000)]
        )

        async def drain(store: Store) -> int:
            total = 0
            while fired := await store.fire_due_timers(hotmesh_app, NOW, 7):
                total += fired
                await asyncio.sleep(0)
            return total

        totals = await asyncio.gather(
            *(drain(store) for store in stores for _ in range(2))
        )

        assert sum(totals) == count
        payloads = await peek(stores[0], hotmesh_app)
        assert len(payloads) == count
        assert sorted(payloads) == sorted(f"t{index:03}" for index in range(count))
        assert await stores[0].next_timer_due(hotmesh_app) == NOW + 1
