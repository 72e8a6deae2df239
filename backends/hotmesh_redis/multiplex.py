"""One connection that carries many commands at once, for the hot path.

Every engine step is one script call, so the cost of a call in the client
bounds how fast jobs move. A :class:`Multiplexer` writes each command to a
single socket as soon as it is issued, commands issued in the same event
loop turn in one write, and matches replies to callers in order, the way
the server sends them. It skips what a general client does per call
(taking a connection from a pool, a retry wrapper, events), which costs
more than the round trip on a local server.

Commands that block (``XREADGROUP ... BLOCK``) or subscribe must not use
it: they would hold up every reply behind them. TLS connections and
clusters keep the client library's connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import hiredis

from hotmesh.store.backend import ConnectionSettings
from hotmesh_redis.errors import ClientErrors

_NO_SCRIPT = "NOSCRIPT"


@dataclass(frozen=True)
class Endpoint:
    """The address and credentials of a connection: a unix socket path, or a
    host and port."""

    path: str | None
    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    client_name: str | None
    connect_timeout: float | None
    reply_timeout: float | None

    @classmethod
    def of(
        cls,
        settings: ConnectionSettings,
        client_name: str | None,
        connect_timeout: float | None,
        reply_timeout: float | None,
    ) -> Endpoint | None:
        """Return the endpoint of a plain connection; None for TLS."""
        if settings.tls:
            return None
        return cls(
            path=settings.path or None,
            host=settings.host,
            port=settings.port or 6379,
            db=settings.db or 0,
            username=settings.username,
            password=settings.password,
            client_name=client_name,
            connect_timeout=connect_timeout,
            reply_timeout=reply_timeout,
        )


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: Multiplexer) -> None:
        self._owner = owner
        self._reader = hiredis.Reader()

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        while True:
            reply = reader.gets()
            if reply is False:
                return
            self._owner._deliver(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost(exc)


class Multiplexer:
    """Sends commands over one connection and returns their replies.

    Replies come back as the client library returns them with
    ``decode_responses=False``: bytes, ints, lists and None. Error replies
    raise the client library's exceptions (``NoScriptError`` for
    ``NOSCRIPT``), so callers handle both paths alike. A lost connection
    fails every command waiting on it with the library's
    ``ConnectionError``; the next command connects again. Nothing is sent
    twice.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        errors: ClientErrors,
        response_error: type[Exception],
    ) -> None:
        self._endpoint = endpoint
        self._errors = errors
        self._response_error = response_error
        self._transport: asyncio.Transport | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._pending: list[bytes] = []
        self._flush_scheduled = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._closed = False

    async def execute(self, *args: Any) -> Any:
        """Run one command and return its reply."""
        if self._transport is None:
            await self._connect()
        return await self._send(hiredis.pack_command(args))

    def _send(self, packed: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((future, time.monotonic()))
        self._pending.append(packed)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        if self._watchdog is None and self._endpoint.reply_timeout:
            self._arm_watchdog(loop)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        transport = self._transport
        if transport is None or transport.is_closing():
            self._lost(None)
            return
        transport.write(b"".join(pending))

    def _deliver(self, reply: Any) -> None:
        future, _ = self._waiting.popleft()
        if future.done():
            return
        if isinstance(reply, hiredis.ReplyError):
            future.set_exception(self._error(str(reply)))
        else:
            future.set_result(reply)

    def _error(self, message: str) -> Exception:
        if message.startswith(_NO_SCRIPT):
            return self._errors.no_script(message)
        return self._response_error(message)

    def _lost(self, exc: Exception | None) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.abort()
        self._pending.clear()
        reason = f"connection to the server lost: {exc}" if exc else "connection closed"
        waiting, self._waiting = self._waiting, deque()
        for future, _ in waiting:
            if not future.done():
                future.set_exception(self._errors.connection(reason))

    def _arm_watchdog(self, loop: asyncio.AbstractEventLoop) -> None:
        timeout = self._endpoint.reply_timeout
        assert timeout
        self._watchdog = loop.call_later(timeout / 2, self._check_replies, loop)

    def _check_replies(self, loop: asyncio.AbstractEventLoop) -> None:
        """Drop the connection when its oldest command waits too long."""
        self._watchdog = None
        timeout = self._endpoint.reply_timeout
        if not self._waiting or not timeout:
            return
        _, sent = self._waiting[0]
        if time.monotonic() - sent > timeout:
            waiting, self._waiting = self._waiting, deque()
            transport, self._transport = self._transport, None
            if transport is not None:
                transport.abort()
            for future, _ in waiting:
                if not future.done():
                    future.set_exception(
                        self._errors.timeout(f"no reply within {timeout}s")
                    )
            return
        self._arm_watchdog(loop)

    async def _connect(self) -> None:
        if self._closed:
            raise self._errors.connection("the connection is closed")
        if self._connecting is not None:
            await asyncio.shield(self._connecting)
            return
        loop = asyncio.get_running_loop()
        self._connecting = loop.create_future()
        try:
            await asyncio.wait_for(self._open(loop), self._endpoint.connect_timeout)
        except BaseException as exc:
            # A connection opened before the failure (a timeout or a
            # rejected AUTH) is dropped, so no socket is left open.
            self._lost(None)
            error = exc
            if isinstance(exc, TimeoutError | OSError):
                error = self._errors.connection(f"cannot connect: {exc}")
            self._connecting.set_exception(error)
            # Retrieved here so that no caller left waiting logs it as lost.
            self._connecting.exception()
            self._connecting = None
            if error is exc:
                raise
            raise error from exc
        self._connecting.set_result(None)
        self._connecting = None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        endpoint = self._endpoint
        if endpoint.path:
            transport, _ = await loop.create_unix_connection(
                lambda: _Protocol(self), endpoint.path
            )
        else:
            transport, _ = await loop.create_connection(
                lambda: _Protocol(self), endpoint.host, endpoint.port
            )
        # Event loops such as uvloop return transports of their own classes,
        # which are not subclasses of asyncio.Transport but have its methods,
        # so no isinstance check applies here.
        self._transport = transport
        if self._closed:
            # close() ran while the connection was being opened.
            self._lost(None)
            raise self._errors.connection("the connection is closed")
        setup: list[tuple[Any, ...]] = []
        if endpoint.password:
            if endpoint.username:
                setup.append(("AUTH", endpoint.username, endpoint.password))
            else:
                setup.append(("AUTH", endpoint.password))
        if endpoint.db:
            setup.append(("SELECT", endpoint.db))
        if endpoint.client_name:
            setup.append(("CLIENT", "SETNAME", endpoint.client_name))
        try:
            for command in setup:
                await self._send(hiredis.pack_command(command))
        except self._response_error as exc:
            self._lost(None)
            message = str(exc)
            if "WRONGPASS" in message or "NOAUTH" in message:
                raise self._errors.authentication(message) from None
            raise

    async def close(self) -> None:
        """Close the connection; commands still waiting fail."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        with contextlib.suppress(Exception):
            self._lost(None)


def multiplexer_for(
    settings: ConnectionSettings,
    errors: ClientErrors,
    *,
    client_name: str | None,
    connect_timeout: float | None,
    reply_timeout: float | None,
) -> Multiplexer | None:
    """Return a multiplexer for a URL, or None where it does not apply."""
    endpoint = Endpoint.of(settings, client_name, connect_timeout, reply_timeout)
    if endpoint is None:
        return None
    # The server's error replies become the library's ResponseError, which
    # lives in the module of its base exception class.
    module = sys.modules[errors.base.__module__]
    return Multiplexer(endpoint, errors, module.ResponseError)
