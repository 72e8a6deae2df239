"""Lease extensions for the messages whose worker callbacks are running."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable

from hotmesh.errors import UnsupportedOperationError
from hotmesh.store.protocol import AppKey, Lease, Store

logger = logging.getLogger(__name__)

MIN_INTERVAL_MS = 50
"""Minimum interval between two extensions of one lease, in ms."""

MAX_INTERVAL_MS = 1000
"""Maximum interval between two extensions of one lease, in ms."""

FIRST_EXTENSION_MS = MIN_INTERVAL_MS
"""Delay from holding a lease to its first extension, in ms.

Callbacks that return sooner cost no extension at all.
Until the first extension a reclaimer goes by the message's idle time, so
only one with a reclaim delay below this could take the message over."""

STOP_TIMEOUT_S = 10.0
"""Maximum wait, in seconds, for the extension thread to close its connections."""


class LeaseKeeper:
    """Extends the leases of held messages every ``interval_ms``.

    Each extension sets the lease's deadline ``ttl_ms`` ahead, and
    reclaimers leave the message alone until that deadline, whatever their
    own reclaim delay. A message is first extended ``FIRST_EXTENSION_MS``
    after it is held, then every ``interval_ms`` until it is released.
    When its process dies, the deadline passes and the message can be
    reclaimed.

    The extensions run on a thread with its own event loop and its own
    store (see :meth:`Store.clone`), so they go on while a callback blocks
    the worker's event loop. A store that cannot be cloned is extended on
    the caller's event loop instead, where a blocking callback stops them.

    NOTE: a callback that never returns keeps its message for as long as
    its process lives, because nothing stops the extensions.
    """

    def __init__(
        self, store: Store, app: AppKey, topic: str, *, interval_ms: int, ttl_ms: int
    ) -> None:
        if interval_ms <= 0 or ttl_ms <= interval_ms:
            raise ValueError(
                f"lease extensions need 0 < interval_ms < ttl_ms, got "
                f"interval_ms={interval_ms} and ttl_ms={ttl_ms}"
            )
        self.store = store
        self.app = app
        self.topic = topic
        self.interval_ms = interval_ms
        self.ttl_ms = ttl_ms
        self._lock = threading.Lock()
        self._due: dict[Lease, float] = {}
        """Held leases, each with the monotonic time of its next extension."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._wake_at = 0.0
        """Monotonic time the extension loop next wakes by itself."""
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._started = False
        self._stopping = False

    @classmethod
    def for_reclaim_delay(
        cls, store: Store, app: AppKey, topic: str, reclaim_delay_ms: int
    ) -> LeaseKeeper:
        """Return a keeper for a worker with this reclaim delay.

        It extends every third of the delay, but at least every
        ``MAX_INTERVAL_MS``, and each lease lives three intervals. So a
        lease survives two failed extensions in a row, and the messages of
        a worker that died are reclaimable within three intervals (at most
        3 s) of its last extension, whatever its own reclaim delay.
        """
        interval_ms = min(max(reclaim_delay_ms // 3, MIN_INTERVAL_MS), MAX_INTERVAL_MS)
        return cls(store, app, topic, interval_ms=interval_ms, ttl_ms=3 * interval_ms)

    def hold(self, lease: Lease) -> None:
        """Extend ``lease`` soon and then every ``interval_ms`` until released."""
        due = time.monotonic() + FIRST_EXTENSION_MS / 1000
        with self._lock:
            self._due[lease] = due
            # Waking the loop costs a call across threads, so it happens
            # only when the loop would otherwise sleep past this extension.
            wake = due < self._wake_at
        if not self._started:
            self._start()
        if wake:
            self._call_in_loop(self._set_wake)

    def release(self, lease: Lease) -> None:
        """Stop extending ``lease``; its deadline, if any, stays until it
        is acknowledged or passes."""
        with self._lock:
            self._due.pop(lease, None)

    async def stop(self) -> None:
        """Stop extending and close the keeper's own connections."""
        self._stopping = True
        main, thread = self._main, self._thread
        if main is not None:
            self._call_in_loop(main.cancel)
            # The wake ends the loop's wait even when a client library call
            # in progress swallows the cancellation.
            self._call_in_loop(self._set_wake)
        if thread is not None:
            await asyncio.to_thread(thread.join, STOP_TIMEOUT_S)
            if thread.is_alive():
                logger.warning(
                    "lease extensions of %r did not stop within %.0f s",
                    self.topic,
                    STOP_TIMEOUT_S,
                )
        elif main is not None:
            await asyncio.gather(main, return_exceptions=True)

    # -- running ------------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        try:
            clone = self.store.clone()
        except UnsupportedOperationError as exc:
            logger.warning(
                "lease extensions of %r run on the worker's event loop, so a "
                "callback that blocks the loop stops them: %s",
                self.topic,
                exc,
            )
            self._main = asyncio.get_running_loop().create_task(
                self._keep(self.store, owned=False)
            )
            return
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._keep(clone, owned=True),),
            name=f"hotmesh-leases-{self.topic}",
            daemon=True,
        )
        self._thread.start()

    def _call_in_loop(self, callback: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None:
            return  # not running yet: its first pass extends every held lease
        # RuntimeError: the loop has closed because the keeper stopped.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(callback)

    def _set_wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _keep(self, store: Store, *, owned: bool) -> None:
        self._main = asyncio.current_task()
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        connected = not owned
        try:
            while not self._stopping:
                self._wake.clear()
                if not connected:
                    connected = await self._connect(store)
                if connected:
                    await self._extend_due(store)
                    timeout = self._until_next_due()
                else:
                    timeout = self.interval_ms / 1000
                    with self._lock:
                        self._wake_at = time.monotonic() + timeout
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        except asyncio.CancelledError:
            pass
        finally:
            if owned:
                await _close_through_cancel(store, self.topic)

    # The two steps below log every exception and return, because the
    # thread has to outlive any failure to keep extending the other leases.

    async def _connect(self, store: Store) -> bool:
        try:
            await store.connect()
        except Exception as exc:
            logger.warning(
                "lease extensions of %r could not connect: %s; retrying",
                self.topic,
                exc,
            )
            return False
        return True

    def _until_next_due(self) -> float | None:
        """Return the seconds until the next extension; None when none is held.

        Records the time the loop wakes, so that :meth:`hold` can tell
        whether to wake it sooner.
        """
        with self._lock:
            next_due = min(self._due.values(), default=None)
            self._wake_at = math.inf if next_due is None else next_due
        if next_due is None:
            return None
        return max(0.0, next_due - time.monotonic())

    async def _extend_due(self, store: Store) -> None:
        now = time.monotonic()
        with self._lock:
            due = [lease for lease, at in self._due.items() if at <= now]
            for lease in due:
                self._due[lease] = now + self.interval_ms / 1000
        await asyncio.gather(*(self._extend(store, lease) for lease in due))

    async def _extend(self, store: Store, lease: Lease) -> None:
        try:
            extended = await store.extend_lease(self.app, lease, ttl_ms=self.ttl_ms)
        except Exception as exc:
            logger.warning(
                "could not extend the lease of message %s on %r: %s",
                lease.message_id,
                self.topic,
                exc,
            )
            return
        if extended:
            return
        with self._lock:
            held = self._due.pop(lease, None) is not None
        if held:
            # A lease released meanwhile was acknowledged, not taken over.
            logger.info(
                "message %s on %r was taken over while its callback ran",
                lease.message_id,
                self.topic,
            )


async def _close_through_cancel(store: Store, topic: str) -> None:
    """Close ``store``, finishing even when :meth:`LeaseKeeper.stop`
    cancels the extension loop after it began closing."""
    closing = asyncio.ensure_future(store.close())
    while not closing.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(closing)
    if not closing.cancelled() and closing.exception() is not None:
        logger.warning(
            "lease extensions of %r failed to close their connections: %s",
            topic,
            closing.exception(),
        )
