"""The consumer loop shared by engines and workers."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from hotmesh.errors import ConnectionFailedError
from hotmesh.store.protocol import AppKey, Claim, Store, StreamMessage, describe_topic

logger = logging.getLogger(__name__)


PAUSED = -1
"""Throttle value that stops a router from reading until it changes."""


@dataclass
class RouterSettings:
    """Timing of a consumer loop, in milliseconds."""

    block_ms: int = 1000
    reclaim_delay_ms: int = 60_000
    reclaim_count: int = 3
    batch: int = 10
    concurrency: int = 10
    max_backoff_ms: int = 60_000
    """Maximum wait before the loop retries after a failed pass."""
    reconnect_ms: int = 1000
    """Maximum wait before the loop retries after a lost connection, so it
    resumes within this time once the server is back."""
    retry_lost: bool = False
    """Whether a message whose handler lost the connection is processed
    again every ``reconnect_ms`` until the server replies, rather than left
    to a reclaim. Only for handlers that are safe to repeat."""


class Router:
    """Reads one topic's stream as one consumer of a group and processes it.

    Messages of a batch are processed concurrently, up to
    ``settings.concurrency`` at a time. Every ``reclaim_delay_ms`` the router
    also takes over messages that other consumers left pending that long,
    and hands those past the delivery ceiling to ``on_dead``.
    """

    def __init__(
        self,
        store: Store,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        handler: Callable[[StreamMessage], Awaitable[None]],
        *,
        on_dead: Callable[[StreamMessage], Awaitable[None]],
        settings: RouterSettings | None = None,
    ) -> None:
        self.store = store
        self.app = app
        self.topic = topic
        self.group = group
        self.consumer = consumer
        self.handler = handler
        self.on_dead = on_dead
        self.settings = settings or RouterSettings()
        self.throttle_ms = 0
        self.counts: dict[str, int] = {}
        self._throttle_changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_reclaim = time.monotonic()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._claimed = 0
        """Messages taken by writes (see :meth:`claim`) being processed."""
        self._active: set[str] = set()
        """Ids of the messages being processed."""
        self._reply_lost = False
        """Whether a reply may have been lost since the last look at this
        consumer's pending messages (see :meth:`reply_lost`)."""

    def start(self) -> None:
        self._task = asyncio.create_task(
            self._run(), name=f"hotmesh-router-{self.topic}"
        )

    async def stop(self) -> None:
        self._stopping = True
        self._throttle_changed.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    def claim(self, count: int = 1) -> Claim | None:
        """Return the claim with which a write takes up to ``count`` messages
        it appends to this router's stream, to process them at once.

        None while throttled, paused or stopping. Claimed messages in
        process count against ``settings.concurrency``: the claim takes no
        more than the difference, and none when there is none.
        """
        if self._stopping or self.throttle_ms != 0 or self._task is None:
            return None
        free = min(count, self.settings.concurrency - self._claimed)
        if free <= 0:
            return None
        return Claim(self.topic, self.group, self.consumer, free)

    def process_claimed(self, items: Sequence[StreamMessage]) -> None:
        """Process messages that a write took for this router's consumer.

        They take no slot of the read loop, because that loop keeps its
        free slots while it waits on the stream. :meth:`claim` bounds their
        number instead.
        """
        for item in items:
            if item.lease.message_id in self._active:
                continue  # already resumed from this consumer's pending messages
            self._claimed += 1
            self._start(item, self._claimed_done)

    def _claimed_done(self) -> None:
        self._claimed -= 1

    def reply_lost(self) -> None:
        """Note that the connection dropped during a read or a claiming write.

        The server may have handed this consumer messages in the reply
        that never arrived. They stay pending for it, so after its next
        successful read the router processes its pending messages that it
        is not already processing, instead of leaving them to a reclaim
        by another consumer after ``reclaim_delay_ms``.
        """
        self._reply_lost = True

    def set_throttle(self, delay_ms: int) -> None:
        """Wait ``delay_ms`` before each read; :data:`PAUSED` stops reading."""
        self.throttle_ms = delay_ms
        self._throttle_changed.set()

    async def _wait_throttle(self) -> None:
        while not self._stopping and self.throttle_ms != 0:
            self._throttle_changed.clear()
            timeout = None if self.throttle_ms == PAUSED else self.throttle_ms / 1000
            try:
                await asyncio.wait_for(self._throttle_changed.wait(), timeout)
            except TimeoutError:
                return

    async def _run(self) -> None:
        failures = 0
        group_ready = False
        while not self._stopping:
            await self._wait_throttle()
            try:
                if not group_ready:
                    await self.store.ensure_group(self.app, self.topic, self.group)
                    group_ready = True
                await self._read_once()
                if self._reply_lost:
                    self._reply_lost = False
                    await self._process_own_pending()
                await self._maybe_reclaim()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Any failure of one pass (a lost connection, a message no
                # handler could process) must not end the loop for good.
                failures += 1
                delay = min(0.1 * 2**failures, self.settings.max_backoff_ms / 1000)
                if isinstance(exc, ConnectionFailedError):
                    self._reply_lost = True
                    # Each retry is one connection attempt, so retrying a
                    # down server every reconnect_ms costs it little.
                    delay = min(delay, self.settings.reconnect_ms / 1000)
                else:
                    # A server that restarted without its data lost the
                    # group, so the next pass creates it again.
                    group_ready = False
                logger.warning(
                    "consumer of %s failed (%s); retrying in %.1fs",
                    describe_topic(self.topic),
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _read_once(self) -> None:
        """Read as many messages as there are free processing slots.

        A message is only read when a slot can process it at once, so no
        message waits unacknowledged in this process, where no lease
        extension protects it from being reclaimed by another consumer.
        """
        free = await self._take_slots()
        block = int(self.settings.block_ms * (1 + random.random()))
        try:
            items = await self.store.read_messages(
                self.app,
                self.topic,
                self.group,
                self.consumer,
                count=free,
                block_ms=block,
            )
        except BaseException:
            self._release_slots(free)
            raise
        self._release_slots(free - len(items))
        for item in items:
            self._start(item, self._slots.release)

    async def _take_slots(self) -> int:
        await self._slots.acquire()
        taken = 1
        while taken < self.settings.batch and not self._slots.locked():
            await self._slots.acquire()
            taken += 1
        return taken

    def _release_slots(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()

    async def _process_own_pending(self) -> None:
        """Process this consumer's pending messages that no task processes.

        Each pass lists as many messages as are being processed plus the
        free slots, so the list contains enough others to fill those slots.
        """
        while not self._stopping:
            free = await self._take_slots()
            try:
                listed = await self.store.read_own_pending(
                    self.app,
                    self.topic,
                    self.group,
                    self.consumer,
                    count=len(self._active) + free,
                )
            except BaseException:
                self._release_slots(free)
                raise
            found = [
                item for item in listed if item.lease.message_id not in self._active
            ][:free]
            self._release_slots(free - len(found))
            for item in found:
                logger.info(
                    "resuming message %s on %s, delivered in a reply that was lost",
                    item.lease.message_id,
                    describe_topic(self.topic),
                )
                self._start(item, self._slots.release)
            if len(found) < free:
                return

    def _start(self, item: StreamMessage, done: Callable[[], None]) -> None:
        message_id = item.lease.message_id
        self._active.add(message_id)

        def finished(task: asyncio.Task[None]) -> None:
            self._inflight.discard(task)
            self._active.discard(message_id)

        task = asyncio.create_task(self._process(item, done))
        self._inflight.add(task)
        task.add_done_callback(finished)

    async def _process(self, item: StreamMessage, done: Callable[[], None]) -> None:
        try:
            await self._handle(item)
        except Exception:
            logger.exception(
                "unhandled error processing message %s on %s",
                item.lease.message_id,
                describe_topic(self.topic),
            )
        finally:
            done()

    async def _handle(self, item: StreamMessage) -> None:
        attempt = 0
        while True:
            try:
                await self.handler(item)
                return
            except ConnectionFailedError as exc:
                self._reply_lost = True
                if not self.settings.retry_lost or self._stopping:
                    raise
                attempt += 1
                # One warning a message: retries through an outage repeat it.
                level = logging.WARNING if attempt == 1 else logging.DEBUG
                logger.log(
                    level,
                    "processing message %s on %s failed (%s); retrying in %.1fs",
                    item.lease.message_id,
                    describe_topic(self.topic),
                    exc,
                    self.settings.reconnect_ms / 1000,
                )
                await asyncio.sleep(self.settings.reconnect_ms / 1000)

    async def _maybe_reclaim(self) -> None:
        now = time.monotonic()
        if (now - self._last_reclaim) * 1000 < self.settings.reclaim_delay_ms:
            return
        self._last_reclaim = now
        free = await self._take_slots()
        try:
            result = await self.store.reclaim(
                self.app,
                self.topic,
                self.group,
                self.consumer,
                min_idle_ms=self.settings.reclaim_delay_ms,
                max_deliveries=self.settings.reclaim_count,
                count=free,
            )
        except BaseException:
            self._release_slots(free)
            raise
        self._release_slots(free - len(result.claimed))
        for item in result.dead:
            logger.error(
                "message %s on %s exceeded %d deliveries; dead-lettered",
                item.lease.message_id,
                describe_topic(self.topic),
                self.settings.reclaim_count,
            )
            await self.on_dead(item)
        for item in result.claimed:
            logger.info(
                "reclaimed message %s on %s",
                item.lease.message_id,
                describe_topic(self.topic),
            )
            self._start(item, self._slots.release)
