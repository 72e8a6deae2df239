"""The lease keeper: extensions from a thread of their own, on a fake server."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator

import pytest

from hotmesh.engine.leases import LeaseKeeper
from hotmesh.registry import open_store
from hotmesh.store.protocol import AppKey, Outgoing, Store, StreamMessage

GROUP = "WORKER"
TOPIC = "work"


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    """Yield a store on an in-process server of its own."""
    pytest.importorskip("hotmesh_fakeredis")
    opened = await open_store(f"fakeredis://leases{secrets.token_hex(4)}")
    yield opened
    await opened.close()


async def deliver(store: Store, app: AppKey) -> StreamMessage:
    await store.ensure_group(app, TOPIC, GROUP)
    await store.add_message(app, Outgoing(TOPIC, "request"))
    [message] = await store.read_messages(
        app, TOPIC, GROUP, "runner", count=1, block_ms=0
    )
    return message


async def reclaim_now(store: Store, app: AppKey) -> list[StreamMessage]:
    """Reclaim with min idle time 0: only a lease deadline holds a message."""
    result = await store.reclaim(
        app, TOPIC, GROUP, "reclaimer", min_idle_ms=0, max_deliveries=10, count=10
    )
    return result.claimed


def keeper_threads() -> list[threading.Thread]:
    return [
        thread
        for thread in threading.enumerate()
        if thread.name == f"hotmesh-leases-{TOPIC}"
    ]


async def test_keeper_holds_through_blocked_loop(store: Store) -> None:
    app = AppKey("t", secrets.token_hex(4))
    keeper = LeaseKeeper(store, app, TOPIC, interval_ms=100, ttl_ms=300)
    message = await deliver(store, app)

    try:
        keeper.hold(message.lease)
        time.sleep(1.0)  # blocks this event loop for three times the ttl
        claimed = await reclaim_now(store, app)
        keeper.release(message.lease)
        await store.ack(app, message.lease)
    finally:
        await keeper.stop()

    assert claimed == []
    assert keeper_threads() == []


async def test_released_lease_lapses(store: Store) -> None:
    app = AppKey("t", secrets.token_hex(4))
    keeper = LeaseKeeper(store, app, TOPIC, interval_ms=50, ttl_ms=150)
    message = await deliver(store, app)

    try:
        keeper.hold(message.lease)
        await asyncio.sleep(0.2)
        held = await reclaim_now(store, app)
        keeper.release(message.lease)
        await asyncio.sleep(0.3)
        lapsed = await reclaim_now(store, app)
    finally:
        await keeper.stop()

    assert held == []
    assert [item.lease.message_id for item in lapsed] == [message.lease.message_id]


def test_timing_follows_reclaim_delay() -> None:
    third = LeaseKeeper.for_reclaim_delay(
        None,  # type: ignore[arg-type]
        AppKey("t", "app"),
        TOPIC,
        1500,
    )
    keeper = LeaseKeeper.for_reclaim_delay(
        None,  # type: ignore[arg-type]
        AppKey("t", "app"),
        TOPIC,
        60_000,
    )
    short = LeaseKeeper.for_reclaim_delay(
        None,  # type: ignore[arg-type]
        AppKey("t", "app"),
        TOPIC,
        0,
    )

    assert (third.interval_ms, third.ttl_ms) == (500, 1500)
    assert (keeper.interval_ms, keeper.ttl_ms) == (1000, 3000)
    assert (short.interval_ms, short.ttl_ms) == (50, 150)


def test_ttl_must_exceed_interval() -> None:
    with pytest.raises(ValueError, match="interval_ms"):
        LeaseKeeper(
            None,  # type: ignore[arg-type]
            AppKey("t", "app"),
            TOPIC,
            interval_ms=100,
            ttl_ms=100,
        )


async def test_stop_during_close_waits(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop that cancels the keeper after it began closing waits for the close."""
    app = AppKey("t", secrets.token_hex(4))
    keeper = LeaseKeeper(store, app, TOPIC, interval_ms=100, ttl_ms=300)
    message = await deliver(store, app)
    closed: list[str] = []
    clone = store.clone()
    close = clone.close

    async def slow_close() -> None:
        await asyncio.sleep(0.3)
        await close()
        closed.append("closed")

    monkeypatch.setattr(clone, "close", slow_close)
    monkeypatch.setattr(store, "clone", lambda: clone)
    failures: list[BaseException | None] = []
    monkeypatch.setattr(
        threading, "excepthook", lambda args: failures.append(args.exc_value)
    )

    keeper.hold(message.lease)
    await asyncio.sleep(0.2)
    # The loop leaves its while on its own, then the stop's cancel arrives
    # while the slow close is under way.
    keeper._stopping = True
    keeper._call_in_loop(keeper._set_wake)
    await asyncio.sleep(0.1)
    await keeper.stop()

    assert failures == []
    assert closed == ["closed"]
    assert keeper_threads() == []
