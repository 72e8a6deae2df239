"""Contracts of lease extension: a running consumer keeps its message."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.store.protocol import AppKey, Store
from hotmesh.testing.contracts._support import GROUP, deliver, take_over


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
