"""Contracts of job creation and job reads."""

from __future__ import annotations

import pytest

from hotmesh.errors import DuplicateJobError, LeaseLostError
from hotmesh.store.protocol import (
    INTERRUPTED_BELOW,
    STATUS_FIELD,
    AppKey,
    Dependent,
    NewJob,
    Outgoing,
    Store,
)
from hotmesh.testing.contracts._support import (
    WORK_TOPIC,
    create,
    deliver,
    peek,
    pending_ids,
    take_over,
)


@pytest.mark.asyncio
class TestJobs:
    async def test_create_writes_state(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        job = NewJob("job-1", status=3, fields={"a": "1", "b": "two"})

        result = await hotmesh_store.create_job(hotmesh_app, job)

        assert result.applied
        assert result.status == 3
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"a": "1", "b": "two", STATUS_FIELD: "3"}

    async def test_create_appends_messages(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        job = NewJob(
            "job-1",
            status=1,
            fields={},
            messages=[Outgoing("", "first"), Outgoing(WORK_TOPIC, "work")],
        )

        await hotmesh_store.create_job(hotmesh_app, job)

        assert await peek(hotmesh_store, hotmesh_app) == ["first"]
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["work"]

    async def test_duplicate_raises(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.create_job(
            hotmesh_app, NewJob("job-1", 1, {"a": "first"}, origin="message-1")
        )

        with pytest.raises(DuplicateJobError) as caught:
            await hotmesh_store.create_job(
                hotmesh_app,
                NewJob(
                    "job-1",
                    5,
                    {"a": "second"},
                    origin="message-2",
                    messages=[Outgoing("", "never")],
                ),
            )

        assert caught.value.job_id == "job-1"
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"a": "first", STATUS_FIELD: "1"}
        assert await peek(hotmesh_store, hotmesh_app) == []

    async def test_duplicate_without_origin_raises(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.create_job(hotmesh_app, NewJob("job-1", 1, {}))

        with pytest.raises(DuplicateJobError):
            await hotmesh_store.create_job(hotmesh_app, NewJob("job-1", 1, {}))

    async def test_same_origin_replays(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        first = NewJob(
            "job-1",
            2,
            {"a": "first"},
            origin="message-1",
            messages=[Outgoing("", "once")],
        )
        replay = NewJob(
            "job-1",
            9,
            {"a": "second"},
            origin="message-1",
            messages=[Outgoing("", "twice")],
        )
        await hotmesh_store.create_job(hotmesh_app, first)

        result = await hotmesh_store.create_job(hotmesh_app, replay)

        assert result.applied
        assert result.status == 2
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"a": "first", STATUS_FIELD: "2"}
        assert await peek(hotmesh_store, hotmesh_app) == ["once"]

    async def test_create_acknowledges_lease(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "start")

        await hotmesh_store.create_job(
            hotmesh_app, NewJob("job-1", 1, {}, origin="start", lease=message.lease)
        )

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0
        assert await pending_ids(hotmesh_store, hotmesh_app) == []

    async def test_replay_acknowledges_redelivery(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "start")
        await hotmesh_store.create_job(
            hotmesh_app, NewJob("job-1", 1, {}, origin="start")
        )
        redelivered = await take_over(hotmesh_store, hotmesh_app, message)

        result = await hotmesh_store.create_job(
            hotmesh_app,
            NewJob("job-1", 1, {}, origin="start", lease=redelivered.lease),
        )

        assert result.applied
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_create_under_lost_lease_writes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        message = await deliver(hotmesh_store, hotmesh_app, "start")
        await take_over(hotmesh_store, hotmesh_app, message)
        job = NewJob(
            "job-1",
            1,
            {"a": "1"},
            lease=message.lease,
            messages=[Outgoing(WORK_TOPIC, "never")],
        )

        with pytest.raises(LeaseLostError):
            await hotmesh_store.create_job(hotmesh_app, job)

        assert await hotmesh_store.read_job(hotmesh_app, "job-1") is None
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []

    async def test_interrupted_status_sends_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        job = NewJob(
            "job-1", INTERRUPTED_BELOW - 1, {}, messages=[Outgoing("", "never")]
        )

        await hotmesh_store.create_job(hotmesh_app, job)

        assert await peek(hotmesh_store, hotmesh_app) == []

    async def test_finished_on_creation_sends_on_finish(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        done = NewJob("done", 0, {}, on_finish=[Outgoing("", "finished")])
        running = NewJob("running", 1, {}, on_finish=[Outgoing("", "not yet")])

        await hotmesh_store.create_job(hotmesh_app, done)
        await hotmesh_store.create_job(hotmesh_app, running)

        assert await peek(hotmesh_store, hotmesh_app) == ["finished"]

    async def test_read_missing_job(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        assert await hotmesh_store.read_job(hotmesh_app, "missing") is None

    async def test_read_job_fields(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 4, a="1", b="2")

        values = await hotmesh_store.read_job_fields(
            hotmesh_app, "job-1", ["b", "missing", STATUS_FIELD]
        )

        assert values == ["2", None, "4"]

    async def test_delete_job(self, hotmesh_store: Store, hotmesh_app: AppKey) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1")

        assert await hotmesh_store.delete_job(hotmesh_app, "job-1") is True
        assert await hotmesh_store.delete_job(hotmesh_app, "job-1") is False
        assert await hotmesh_store.read_job(hotmesh_app, "job-1") is None

    async def test_job_ttl(self, hotmesh_store: Store, hotmesh_app: AppKey) -> None:
        await create(hotmesh_store, hotmesh_app, "forever")
        await hotmesh_store.create_job(
            hotmesh_app, NewJob("expiring", 1, {}, expire_seconds=100)
        )

        assert await hotmesh_store.job_ttl(hotmesh_app, "forever") is None
        assert await hotmesh_store.job_ttl(hotmesh_app, "missing") is None
        ttl = await hotmesh_store.job_ttl(hotmesh_app, "expiring")
        assert ttl is not None
        assert 0 < ttl <= 100

    async def test_find_jobs(self, hotmesh_store: Store, hotmesh_app: AppKey) -> None:
        for job_id in ("order-1", "order-2", "invoice-1"):
            await create(hotmesh_store, hotmesh_app, job_id)

        orders = await hotmesh_store.find_jobs(hotmesh_app, "order-*")
        everything = await hotmesh_store.find_jobs(hotmesh_app)
        limited = await hotmesh_store.find_jobs(hotmesh_app, "*", limit=2)

        assert sorted(orders) == ["order-1", "order-2"]
        assert sorted(everything) == ["invoice-1", "order-1", "order-2"]
        assert len(limited) == 2

    async def test_dependents_keep_order(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "parent")
        for index in range(3):
            child = NewJob(
                f"child-{index}",
                1,
                {},
                dependents=[Dependent("parent", f"expire-child::{index}")],
            )
            await hotmesh_store.create_job(hotmesh_app, child)

        entries = await hotmesh_store.read_dependents(hotmesh_app, "parent")

        assert entries == ["expire-child::0", "expire-child::1", "expire-child::2"]
        assert await hotmesh_store.read_dependents(hotmesh_app, "child-0") == []
