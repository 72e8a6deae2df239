"""Pub/sub over one dedicated connection, shared by every subscription.

One reader task takes messages off the connection and calls the callbacks
of the matching subscriptions in order. :meth:`PubSubHub.add` returns only
after the server confirmed the subscription, so a message published after
it returns is delivered.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

from hotmesh.errors import ConnectionFailedError
from hotmesh.store.protocol import MessageCallback

logger = logging.getLogger(__name__)

Kind = Literal["channel", "pattern"]

CONFIRM_TIMEOUT = 10.0
"""Seconds to wait for the server to confirm a subscription."""

_POLL_SECONDS = 1.0
_FIRST_RETRY_SECONDS = 0.1
_MAX_RETRY_SECONDS = 1.0
"""Maximum wait between reconnection attempts, each a single connection, so
subscribers hear again within a second of the server's return."""
_CONFIRMATIONS = {b"subscribe": "channel", b"psubscribe": "pattern"}


class HubSubscription:
    """One callback subscribed to a channel or pattern."""

    def __init__(
        self, hub: PubSubHub, kind: Kind, name: bytes, callback: MessageCallback
    ) -> None:
        self._hub = hub
        self.kind: Kind = kind
        self.name = name
        self.callback = callback
        self._closed = False

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._hub.remove(self)


class PubSubHub:
    """Routes messages of one pub/sub connection to subscriptions."""

    def __init__(self, pubsub: Any, suffix: Callable[[str], str]) -> None:
        self._pubsub = pubsub
        self._suffix = suffix
        self._subscriptions: dict[tuple[Kind, bytes], list[HubSubscription]] = {}
        self._pending: dict[tuple[str, bytes], asyncio.Future[None]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._stopping = False

    async def add(
        self, kind: Kind, name: str, callback: MessageCallback
    ) -> HubSubscription:
        """Subscribe a callback and wait until the server confirmed it."""
        encoded = name.encode("utf-8")
        subscription = HubSubscription(self, kind, encoded, callback)
        async with self._lock:
            listeners = self._subscriptions.setdefault((kind, encoded), [])
            listeners.append(subscription)
            if len(listeners) == 1:
                await self._subscribe(kind, encoded)
        return subscription

    async def _subscribe(self, kind: Kind, name: bytes) -> None:
        confirmed = asyncio.get_running_loop().create_future()
        self._pending[(kind, name)] = confirmed
        if kind == "channel":
            await self._pubsub.subscribe(name)
        else:
            await self._pubsub.psubscribe(name)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="hotmesh-pubsub")
        try:
            await asyncio.wait_for(confirmed, CONFIRM_TIMEOUT)
        except TimeoutError:
            raise ConnectionFailedError(
                f"the server did not confirm the subscription to {name!r} "
                f"within {CONFIRM_TIMEOUT} seconds"
            ) from None
        finally:
            self._pending.pop((kind, name), None)

    async def remove(self, subscription: HubSubscription) -> None:
        key = (subscription.kind, subscription.name)
        async with self._lock:
            listeners = self._subscriptions.get(key, [])
            if subscription in listeners:
                listeners.remove(subscription)
            if listeners:
                return
            self._subscriptions.pop(key, None)
            if subscription.kind == "channel":
                await self._pubsub.unsubscribe(subscription.name)
            else:
                await self._pubsub.punsubscribe(subscription.name)

    async def close(self) -> None:
        """Stop the reader task and close the connection."""
        self._stopping = True
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            # fakeredis's get_message lets the cancellation pass unnoticed,
            # so the reader is waited for one poll at most, then left to end.
            done, _ = await asyncio.wait({reader}, timeout=_POLL_SECONDS * 2)
            if not done:
                logger.debug("pub/sub reader did not stop when cancelled")
        self._subscriptions.clear()
        await self._pubsub.aclose()

    async def _read(self) -> None:
        failures = 0
        outage_started = 0.0
        while not self._stopping:
            try:
                message = await self._pubsub.get_message(timeout=_POLL_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return
                failures += 1
                delay = min(
                    _FIRST_RETRY_SECONDS * 2 ** (failures - 1), _MAX_RETRY_SECONDS
                )
                if failures == 1:
                    outage_started = time.monotonic()
                    logger.warning(
                        "reading pub/sub messages failed (%s); retrying until "
                        "the server answers",
                        exc,
                    )
                logger.debug(
                    "pub/sub read attempt %d failed; next in %.1fs",
                    failures,
                    delay,
                    exc_info=True,
                )
                await asyncio.sleep(delay)
                continue
            if failures:
                logger.warning(
                    "pub/sub reading resumed after %d failed attempts over %.1fs",
                    failures,
                    time.monotonic() - outage_started,
                )
                failures = 0
            if message is not None:
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if isinstance(kind, str):
            kind = kind.encode()
        if kind in _CONFIRMATIONS:
            future = self._pending.get((_CONFIRMATIONS[kind], _raw(message["channel"])))
            if future is not None and not future.done():
                future.set_result(None)
            return
        if kind == b"message":
            key: tuple[Kind, bytes] = ("channel", _raw(message["channel"]))
        elif kind == b"pmessage":
            key = ("pattern", _raw(message["pattern"]))
        else:
            return
        channel = self._suffix(_text(message["channel"]))
        data = _text(message["data"])
        for subscription in list(self._subscriptions.get(key, [])):
            await _call(subscription.callback, channel, data)


async def _call(callback: MessageCallback, channel: str, data: str) -> None:
    try:
        result = callback(channel, data)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("pub/sub callback failed for channel %r", channel)


def _raw(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value
