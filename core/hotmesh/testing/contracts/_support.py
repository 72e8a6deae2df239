"""Helpers shared by the contract tests."""

from __future__ import annotations

import secrets

from hotmesh.store.protocol import AppKey, NewJob, Outgoing, Store, StreamMessage
from hotmesh.testing import OpenStore

__all__ = ["OpenStore"]

GROUP = "ENGINE"
CONSUMER = "consumer-a"
OTHER_CONSUMER = "consumer-b"
WORK_TOPIC = "work.do"

FAR_FUTURE_IDLE_MS = 3_600_000
"""A min idle time no message of a test reaches, so reclaim claims nothing."""


async def deliver(
    store: Store,
    app: AppKey,
    payload: str = "message",
    *,
    topic: str = "",
    consumer: str = CONSUMER,
) -> StreamMessage:
    """Append a message and read it as ``consumer``: the message and its lease."""
    await store.ensure_group(app, topic, GROUP)
    await store.add_message(app, Outgoing(topic, payload))
    messages = await store.read_messages(
        app, topic, GROUP, consumer, count=1, block_ms=0
    )
    assert len(messages) == 1, f"expected 1 new message, read {len(messages)}"
    return messages[0]


async def take_over(
    store: Store, app: AppKey, message: StreamMessage, consumer: str = OTHER_CONSUMER
) -> StreamMessage:
    """Reclaim a pending message for another consumer at once."""
    result = await store.reclaim(
        app,
        message.lease.topic,
        GROUP,
        consumer,
        min_idle_ms=0,
        max_deliveries=100,
        count=100,
    )
    for claimed in result.claimed:
        if claimed.lease.message_id == message.lease.message_id:
            return claimed
    raise AssertionError(f"message {message.lease.message_id} was not reclaimed")


async def pending_ids(store: Store, app: AppKey, topic: str = "") -> list[str]:
    """Return ids of the messages still pending in the group.

    The messages are reclaimed by a throwaway consumer on the way, so call
    this only once a test is done with them.
    """
    result = await store.reclaim(
        app, topic, GROUP, "inspector", min_idle_ms=0, max_deliveries=100, count=100
    )
    return [message.lease.message_id for message in result.claimed]


async def peek(store: Store, app: AppKey, topic: str = "") -> list[str]:
    """Return the payloads of every message in a topic's stream, oldest first.

    Reads through a fresh consumer group, so other groups are unaffected.
    """
    group = f"peek-{secrets.token_hex(4)}"
    await store.ensure_group(app, topic, group)
    messages = await store.read_messages(
        app, topic, group, "peeker", count=10_000, block_ms=0
    )
    return [message.payload for message in messages]


async def create(
    store: Store, app: AppKey, job_id: str, status: int = 1, **fields: str
) -> None:
    """Create a job with a status and fields."""
    await store.create_job(app, NewJob(job_id=job_id, status=status, fields=fields))
