"""Contracts of ``commit_step``: atomicity, guards, leases and counters."""

from __future__ import annotations

import pytest

from hotmesh.errors import LeaseLostError, StoreError
from hotmesh.store.protocol import (
    INTERRUPTED_BELOW,
    STATUS_FIELD,
    AppKey,
    Dependent,
    Guard,
    GuardKind,
    Lease,
    NewJob,
    Outgoing,
    Step,
    Store,
    Timer,
)
from hotmesh.testing.contracts._support import (
    WORK_TOPIC,
    create,
    deliver,
    peek,
    pending_ids,
    take_over,
)

GUARD_CASES: list[tuple[GuardKind, str, str, bool]] = [
    # kind, field, value, passes on the state {"a": "abc", "n": "5"}
    ("exists", "a", "", True),
    ("exists", "missing", "", False),
    ("absent", "missing", "", True),
    ("absent", "a", "", False),
    ("equals", "a", "abc", True),
    ("equals", "a", "ab", False),
    ("equals", "missing", "", False),
    ("prefix", "a", "ab", True),
    ("prefix", "a", "bc", False),
    ("greater", "n", "4", True),
    ("greater", "n", "5", False),
    ("greater", "a", "0", False),
    ("greater", "missing", "0", False),
]


@pytest.mark.asyncio
class TestSteps:
    async def test_step_writes_fields_and_counters(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2, old="x", gone="y")
        step = Step(
            "job-1",
            fields={"new": "value", "old": "replaced"},
            delete_fields=["gone"],
            increments=[("as", 10), ("as", 1), ("other", -3)],
            status_delta=-1,
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert result.applied
        assert result.status == 1
        assert result.counters == (10, 11, -3)
        assert result.failed_guard is None
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {
            "old": "replaced",
            "new": "value",
            "as": "11",
            "other": "-3",
            STATUS_FIELD: "1",
        }

    @pytest.mark.parametrize(("kind", "field", "value", "passes"), GUARD_CASES)
    async def test_guard_kinds(
        self,
        hotmesh_store: Store,
        hotmesh_app: AppKey,
        kind: GuardKind,
        field: str,
        value: str,
        passes: bool,
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 1, a="abc", n="5")
        step = Step("job-1", guards=[Guard(field, kind, value)], fields={"w": "1"})

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert result.applied is passes
        written = await hotmesh_store.read_job_fields(hotmesh_app, "job-1", ["w"])
        assert written == (["1"] if passes else [None])

    async def test_failed_guard_reports_index(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 7, a="1")
        guards = [Guard("a", "exists"), Guard("a", "equals", "2"), Guard("b", "exists")]

        result = await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", guards=guards, status_delta=-1)
        )

        assert not result.applied
        assert result.failed_guard == 1
        assert result.status == 7

    async def test_guard_drop_acknowledges(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 1)
        message = await deliver(hotmesh_store, hotmesh_app, "stale")
        step = Step(
            "job-1",
            lease=message.lease,
            guards=[Guard("done", "exists", on_fail="drop")],
            fields={"w": "1"},
            increments=[("as", 1)],
            messages=[Outgoing(WORK_TOPIC, "never")],
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert not result.applied
        assert result.failed_guard == 0
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {STATUS_FIELD: "1"}
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0
        assert await pending_ids(hotmesh_store, hotmesh_app) == []

    async def test_guard_retry_keeps_message(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 1)
        message = await deliver(hotmesh_store, hotmesh_app, "early")
        step = Step(
            "job-1",
            lease=message.lease,
            guards=[Guard("ready", "exists", on_fail="retry")],
            fields={"w": "1"},
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert not result.applied
        assert await hotmesh_store.read_job(hotmesh_app, "job-1") == {STATUS_FIELD: "1"}
        pending = await pending_ids(hotmesh_store, hotmesh_app)
        assert pending == [message.lease.message_id]

    async def test_redelivered_step_applies_once(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        message = await deliver(hotmesh_store, hotmesh_app, "step")

        def step_for(lease: Lease) -> Step:
            return Step(
                "job-1",
                lease=lease,
                guards=[Guard("guid-1", "absent")],
                fields={"guid-1": "seen"},
                increments=[("as", 1)],
                status_delta=-1,
                messages=[Outgoing(WORK_TOPIC, "next")],
            )

        first = await hotmesh_store.commit_step(hotmesh_app, step_for(message.lease))
        # Delivery is at least once, so a duplicate of the message arrives
        # and the same step is attempted again under the duplicate's lease.
        duplicate = await deliver(hotmesh_store, hotmesh_app, "step")
        second = await hotmesh_store.commit_step(hotmesh_app, step_for(duplicate.lease))

        assert first.applied
        assert first.counters == (1,)
        assert not second.applied
        assert second.status == 1
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"guid-1": "seen", "as": "1", STATUS_FIELD: "1"}
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["next"]
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_step_after_ack_raises_lease_lost(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        message = await deliver(hotmesh_store, hotmesh_app, "step")
        step = Step("job-1", lease=message.lease, increments=[("as", 1)])
        await hotmesh_store.commit_step(hotmesh_app, step)

        with pytest.raises(LeaseLostError):
            await hotmesh_store.commit_step(hotmesh_app, step)

        fields = await hotmesh_store.read_job_fields(hotmesh_app, "job-1", ["as"])
        assert fields == ["1"]

    async def test_lost_lease_writes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2, a="before")
        message = await deliver(hotmesh_store, hotmesh_app, "step")
        taken = await take_over(hotmesh_store, hotmesh_app, message)
        step = Step(
            "job-1",
            lease=message.lease,
            fields={"a": "after"},
            increments=[("as", 1)],
            status_delta=-1,
            messages=[Outgoing(WORK_TOPIC, "never")],
            timers=[Timer("timer-1", 0, Outgoing("", "never"))],
            signals={"hook": "registration"},
            expire_seconds=60,
        )

        with pytest.raises(LeaseLostError):
            await hotmesh_store.commit_step(hotmesh_app, step)

        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"a": "before", STATUS_FIELD: "2"}
        assert await hotmesh_store.job_ttl(hotmesh_app, "job-1") is None
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None
        assert await hotmesh_store.get_signal(hotmesh_app, "hook") is None
        # The message is still pending for its new owner, who can acknowledge it.
        await hotmesh_store.ack(hotmesh_app, taken.lease)
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_lease_of_same_consumer_lost_after_reclaim(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        message = await deliver(hotmesh_store, hotmesh_app, "step")
        again = await take_over(
            hotmesh_store, hotmesh_app, message, message.lease.consumer
        )

        with pytest.raises(LeaseLostError):
            await hotmesh_store.commit_step(
                hotmesh_app, Step("job-1", lease=message.lease, increments=[("as", 1)])
            )

        assert again.lease.delivery == message.lease.delivery + 1
        fields = await hotmesh_store.read_job_fields(hotmesh_app, "job-1", ["as"])
        assert fields == [None]

    async def test_on_finish_only_when_status_reaches_zero(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        finish = [Outgoing(WORK_TOPIC, "finished")]
        statuses = []

        for _ in range(3):
            result = await hotmesh_store.commit_step(
                hotmesh_app, Step("job-1", status_delta=-1, on_finish=finish)
            )
            statuses.append(result.status)

        assert statuses == [1, 0, -1]
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == ["finished"]

    async def test_interrupted_status_sends_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 1)
        step = Step(
            "job-1",
            status_delta=INTERRUPTED_BELOW * 10,
            messages=[Outgoing(WORK_TOPIC, "never")],
            timers=[Timer("timer-1", 0, Outgoing("", "never"))],
            signals={"hook": "registration"},
            dependents=[Dependent("job-1", "never")],
            on_finish=[Outgoing("", "interrupted")],
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert result.status < INTERRUPTED_BELOW
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None
        assert await hotmesh_store.get_signal(hotmesh_app, "hook") is None
        assert await hotmesh_store.read_dependents(hotmesh_app, "job-1") == []
        assert await peek(hotmesh_store, hotmesh_app) == ["interrupted"]

    async def test_bad_increment_writes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2, text="abc")
        message = await deliver(hotmesh_store, hotmesh_app, "step")
        step = Step(
            "job-1",
            lease=message.lease,
            fields={"a": "1"},
            increments=[("as", 1), ("text", 1)],
            status_delta=-1,
            messages=[Outgoing(WORK_TOPIC, "never")],
        )

        with pytest.raises(StoreError):
            await hotmesh_store.commit_step(hotmesh_app, step)

        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"text": "abc", STATUS_FIELD: "2"}
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        assert await pending_ids(hotmesh_store, hotmesh_app) == [
            message.lease.message_id
        ]

    async def test_step_registers_and_drops_signals(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", signals={"hook-a": "reg-a", "hook-b": "reg-b"})
        )

        await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", drop_signals=["hook-a"])
        )

        assert await hotmesh_store.get_signal(hotmesh_app, "hook-a") is None
        assert await hotmesh_store.get_signal(hotmesh_app, "hook-b") == "reg-b"
        assert await hotmesh_store.delete_signal(hotmesh_app, "hook-b") is True
        assert await hotmesh_store.delete_signal(hotmesh_app, "hook-b") is False

    async def test_step_schedules_timers_and_dependents(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "parent", 1)
        await create(hotmesh_store, hotmesh_app, "job-1", 1)
        step = Step(
            "job-1",
            timers=[Timer("wake-1", 5_000, Outgoing("", "wake"))],
            dependents=[Dependent("parent", "child::job-1")],
        )

        await hotmesh_store.commit_step(hotmesh_app, step)

        assert await hotmesh_store.next_timer_due(hotmesh_app) == 5_000
        assert await hotmesh_store.read_dependents(hotmesh_app, "parent") == [
            "child::job-1"
        ]

    async def test_cancel_timers_removes_only_job_timers(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        created = Timer("created", 1_000, Outgoing("", "created"))
        job = NewJob("job-1", 2, {"a": "1"}, timers=[created])
        await hotmesh_store.create_job(hotmesh_app, job)
        await create(hotmesh_store, hotmesh_app, "job-2", 2)
        stepped = Timer("stepped", 2_000, Outgoing(WORK_TOPIC, "stepped"))
        await hotmesh_store.commit_step(hotmesh_app, Step("job-1", timers=[stepped]))
        other = Timer("other-job", 3_000, Outgoing("", "other-job"))
        await hotmesh_store.commit_step(hotmesh_app, Step("job-2", timers=[other]))
        no_job = Timer("no-job", 4_000, Outgoing("", "no-job"))
        await hotmesh_store.schedule_timers(hotmesh_app, [no_job])
        before = await hotmesh_store.read_job(hotmesh_app, "job-1")

        result = await hotmesh_store.commit_step(
            hotmesh_app,
            Step("job-1", status_delta=INTERRUPTED_BELOW * 10, cancel_timers=True),
        )

        assert before == {"a": "1", STATUS_FIELD: "2"}
        assert result.applied
        assert await hotmesh_store.next_timer_due(hotmesh_app) == 3_000
        assert await hotmesh_store.fire_due_timers(hotmesh_app, 10_000, 10) == 2
        assert await peek(hotmesh_store, hotmesh_app) == ["other-job", "no-job"]
        assert await peek(hotmesh_store, hotmesh_app, WORK_TOPIC) == []
        state = await hotmesh_store.read_job(hotmesh_app, "job-1")
        assert state == {"a": "1", STATUS_FIELD: str(result.status)}

    async def test_cancel_timers_keeps_step_timers(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        first = Timer("first", 1_000, Outgoing("", "first"))
        await hotmesh_store.commit_step(hotmesh_app, Step("job-1", timers=[first]))
        second = Timer("second", 2_000, Outgoing("", "second"))

        await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", timers=[second], cancel_timers=True)
        )
        due_after_cancel = await hotmesh_store.next_timer_due(hotmesh_app)
        await hotmesh_store.commit_step(hotmesh_app, Step("job-1", cancel_timers=True))

        assert due_after_cancel == 2_000
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None
        assert await hotmesh_store.fire_due_timers(hotmesh_app, 10_000, 10) == 0
        assert await peek(hotmesh_store, hotmesh_app) == []

    async def test_failed_guard_keeps_timers(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        timer = Timer("wake", 1_000, Outgoing("", "wake"))
        await hotmesh_store.commit_step(hotmesh_app, Step("job-1", timers=[timer]))
        step = Step(
            "job-1",
            guards=[Guard("missing", "exists")],
            status_delta=INTERRUPTED_BELOW * 10,
            cancel_timers=True,
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert not result.applied
        assert await hotmesh_store.next_timer_due(hotmesh_app) == 1_000

    async def test_cancel_after_timer_fired(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await create(hotmesh_store, hotmesh_app, "job-1", 2)
        timer = Timer("wake", 1_000, Outgoing("", "wake"))
        await hotmesh_store.commit_step(hotmesh_app, Step("job-1", timers=[timer]))
        fired = await hotmesh_store.fire_due_timers(hotmesh_app, 1_000, 10)

        result = await hotmesh_store.commit_step(
            hotmesh_app, Step("job-1", status_delta=-2, cancel_timers=True)
        )

        assert fired == 1
        assert result.applied
        assert result.status == 0
        assert await hotmesh_store.next_timer_due(hotmesh_app) is None
        assert await peek(hotmesh_store, hotmesh_app) == ["wake"]
