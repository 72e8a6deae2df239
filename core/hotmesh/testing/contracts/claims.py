"""Contracts of claims: writes that take the messages they append.

A backend may take no message for a claim (see ``Claim``). One that takes
some must lease them to the claiming consumer exactly as a read would, and
never take more than the write appended.
"""

from __future__ import annotations

import pytest

from hotmesh.errors import LeaseLostError
from hotmesh.store.protocol import (
    AppKey,
    Claim,
    Guard,
    NewJob,
    Outgoing,
    Step,
    Store,
    StreamMessage,
)
from hotmesh.testing.contracts._support import (
    CONSUMER,
    GROUP,
    OTHER_CONSUMER,
    WORK_TOPIC,
    create,
    deliver,
    pending_ids,
    take_over,
)

CLAIM = Claim("", GROUP, CONSUMER, 5)
"""A claim on the engine stream (topic '') for the test consumer."""


def check_leased(messages: list[StreamMessage]) -> None:
    """Check that each message is leased to the claiming consumer."""
    for message in messages:
        assert message.lease.topic == ""
        assert message.lease.group == GROUP
        assert message.lease.consumer == CONSUMER
        assert message.lease.delivery == 1


@pytest.mark.asyncio
class TestClaims:
    async def test_step_takes_what_it_appends(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        await create(hotmesh_store, hotmesh_app, "job-1")
        step = Step(
            job_id="job-1",
            messages=[Outgoing("", "first"), Outgoing("", "second")],
            claim=CLAIM,
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert result.applied
        claimed = list(result.claimed)
        assert [message.payload for message in claimed] in ([], ["first", "second"])
        check_leased(claimed)
        claimed_ids = {message.lease.message_id for message in claimed}
        assert set(await pending_ids(hotmesh_store, hotmesh_app)) == claimed_ids

    async def test_claimed_message_acknowledges(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        await create(hotmesh_store, hotmesh_app, "job-1")
        step = Step(job_id="job-1", messages=[Outgoing("", "next")], claim=CLAIM)
        result = await hotmesh_store.commit_step(hotmesh_app, step)
        if not result.claimed:
            pytest.skip("the backend takes no messages for claims")

        await hotmesh_store.ack(hotmesh_app, result.claimed[0].lease)

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_claim_takes_at_most_appended(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        for payload in ("queued-1", "queued-2"):
            await hotmesh_store.add_message(hotmesh_app, Outgoing("", payload))
        await create(hotmesh_store, hotmesh_app, "job-1")
        step = Step(job_id="job-1", messages=[Outgoing("", "mine")], claim=CLAIM)

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert len(result.claimed) <= 1
        left = await hotmesh_store.read_messages(
            hotmesh_app, "", GROUP, OTHER_CONSUMER, count=10, block_ms=0
        )
        assert len(left) + len(result.claimed) == 3

    async def test_claim_without_appending_takes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        await hotmesh_store.add_message(hotmesh_app, Outgoing("", "queued"))
        await create(hotmesh_store, hotmesh_app, "job-1")
        step = Step(
            job_id="job-1", messages=[Outgoing(WORK_TOPIC, "elsewhere")], claim=CLAIM
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert result.applied
        assert list(result.claimed) == []

    async def test_refused_step_takes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        await create(hotmesh_store, hotmesh_app, "job-1", x="1")
        step = Step(
            job_id="job-1",
            guards=[Guard("x", "absent")],
            messages=[Outgoing("", "never")],
            claim=CLAIM,
        )

        result = await hotmesh_store.commit_step(hotmesh_app, step)

        assert not result.applied
        assert list(result.claimed) == []
        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 0

    async def test_new_job_takes_its_messages(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)
        job = NewJob(
            job_id="job-1",
            status=1,
            fields={},
            messages=[Outgoing("", "start")],
            claim=CLAIM,
        )

        result = await hotmesh_store.create_job(hotmesh_app, job)

        claimed = list(result.claimed)
        assert [message.payload for message in claimed] in ([], ["start"])
        check_leased(claimed)

    async def test_ack_takes_the_response(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        request = await deliver(hotmesh_store, hotmesh_app, "request", topic=WORK_TOPIC)
        await hotmesh_store.ensure_group(hotmesh_app, "", GROUP)

        claimed = list(
            await hotmesh_store.ack(
                hotmesh_app, request.lease, [Outgoing("", "response")], CLAIM
            )
        )

        assert [message.payload for message in claimed] in ([], ["response"])
        check_leased(claimed)

    async def test_claim_by_lost_lease_takes_nothing(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        request = await deliver(hotmesh_store, hotmesh_app, "request")
        await take_over(hotmesh_store, hotmesh_app, request)

        with pytest.raises(LeaseLostError):
            await hotmesh_store.ack(
                hotmesh_app, request.lease, [Outgoing("", "late")], CLAIM
            )

        assert await hotmesh_store.stream_depth(hotmesh_app, "") == 1
