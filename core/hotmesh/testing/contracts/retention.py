"""Contracts of expiry and of surviving a flushed script cache."""

from __future__ import annotations

import pytest

from hotmesh.errors import UnsupportedOperationError
from hotmesh.store.protocol import (
    AppKey,
    Dependent,
    NewJob,
    Outgoing,
    Step,
    Store,
    Timer,
)
from hotmesh.testing import StoreInspection, eventually
from hotmesh.testing.contracts._support import (
    GROUP,
    WORK_TOPIC,
    create,
    deliver,
    peek,
)


async def _parent_with_child(store: Store, app: AppKey) -> None:
    await create(store, app, "parent", 2, a="1")
    child = NewJob(
        "child", 1, {}, dependents=[Dependent("parent", "expire-child::child")]
    )
    await store.create_job(app, child)


@pytest.mark.asyncio
class TestRetention:
    async def test_expiry_covers_every_owned_key(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await _parent_with_child(hotmesh_store, hotmesh_app)

        await hotmesh_store.commit_step(
            hotmesh_app, Step("parent", status_delta=-2, expire_seconds=60)
        )

        owned = await hotmesh_inspection.job_owned_keys(hotmesh_app, "parent")
        existing = set(await hotmesh_inspection.list_app_keys(hotmesh_app))
        assert len(set(owned) & existing) >= 2, "job hash and dependents list exist"
        for key in set(owned) & existing:
            ttl = await hotmesh_inspection.key_ttl_ms(key)
            assert ttl is not None, f"{key} has no expiry"
            assert 0 < ttl <= 60_000

    async def test_dependent_added_later_inherits_expiry(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "parent", 1)
        await hotmesh_store.commit_step(
            hotmesh_app, Step("parent", status_delta=-1, expire_seconds=60)
        )

        await hotmesh_store.create_job(
            hotmesh_app, NewJob("late", 1, {}, dependents=[Dependent("parent", "late")])
        )

        owned = await hotmesh_inspection.job_owned_keys(hotmesh_app, "parent")
        existing = set(await hotmesh_inspection.list_app_keys(hotmesh_app))
        for key in set(owned) & existing:
            ttl = await hotmesh_inspection.key_ttl_ms(key)
            assert ttl is not None, f"{key} has no expiry"

    async def test_expired_job_leaves_nothing(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await _parent_with_child(hotmesh_store, hotmesh_app)
        owned = set(await hotmesh_inspection.job_owned_keys(hotmesh_app, "parent"))

        await hotmesh_store.commit_step(
            hotmesh_app, Step("parent", status_delta=-2, expire_seconds=1)
        )

        async def gone() -> bool:
            return await hotmesh_store.read_job(hotmesh_app, "parent") is None

        await eventually(gone, timeout=10.0, message="job expired after 1 s")
        remaining = set(await hotmesh_inspection.list_app_keys(hotmesh_app))
        assert owned & remaining == set()
        assert await hotmesh_store.read_dependents(hotmesh_app, "parent") == []
        assert await hotmesh_store.read_job(hotmesh_app, "child") is not None

    async def test_expire_zero_removes_expiry(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await _parent_with_child(hotmesh_store, hotmesh_app)
        await hotmesh_store.commit_step(hotmesh_app, Step("parent", expire_seconds=60))

        await hotmesh_store.commit_step(hotmesh_app, Step("parent", expire_seconds=0))

        assert await hotmesh_store.job_ttl(hotmesh_app, "parent") is None
        for key in await hotmesh_inspection.job_owned_keys(hotmesh_app, "parent"):
            assert await hotmesh_inspection.key_ttl_ms(key) is None


@pytest.mark.asyncio
class TestScriptCache:
    async def test_flushed_script_cache_is_survived(
        self,
        hotmesh_store: Store,
        hotmesh_inspection: StoreInspection,
        hotmesh_app: AppKey,
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        message = await deliver(hotmesh_store, hotmesh_app, "step")
        try:
            await hotmesh_inspection.flush_scripts()
        except UnsupportedOperationError as exc:
            pytest.skip(f"the server keeps no script cache to flush: {exc}")

        result = await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", lease=message.lease, increments=[("as", 1)])
        )
        await hotmesh_inspection.flush_scripts()
        await hotmesh_store.schedule_timers(
            hotmesh_app, [Timer("t1", 5, Outgoing(WORK_TOPIC, "t"))]
        )
        await hotmesh_inspection.flush_scripts()
        fired = await hotmesh_store.fire_due_timers(hotmesh_app, 10, 10)
        await hotmesh_inspection.flush_scripts()
        second = await deliver(hotmesh_store, hotmesh_app, "ack")
        await hotmesh_inspection.flush_scripts()
        await hotmesh_store.ack(hotmesh_app, second.lease)

        assert result.counters == (1,)
        assert fired == 1
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["t"]
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0
        await hotmesh_inspection.flush_scripts()
        leftover = await hotmesh_store.reclaim(
            hotmesh_app, "", GROUP, "other", min_idle_ms=0, max_deliveries=9, count=9
        )
        assert leftover.claimed == []
        assert leftover.dead == []
