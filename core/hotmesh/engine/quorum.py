"""The quorum: how the engines and workers of an app talk to each other.

Every HotMesh instance listens on the app-wide channel, on its own channel
(its guid) and on the channel of each worker topic it serves. Messages are
JSON objects with a ``type``:

* ``ping`` / ``pong``: count the live engines and workers (one pong per
  engine or worker, optionally with a profile);
* ``activate``: switch every engine to a version;
* ``throttle``: set the delay before each read of matching consumers;
* ``rollcall``: ask consumers to send profiles periodically;
* ``job``: a finished job's output, sent to the instance awaiting it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hotmesh.engine.router import PAUSED, Router
from hotmesh.errors import ConfigurationError, DeploymentError
from hotmesh.store.protocol import AppKey, Store

logger = logging.getLogger(__name__)

APP_CHANNEL = ""
MAX_THROTTLE_MS = 2_147_483_647
GLOBAL_SCOPE = ":"


@dataclass
class Member:
    """One engine or worker of this instance, with its quorum profile."""

    router: Router
    role: str
    lanes: tuple[Router, ...] = ()
    """More routers of the same member, which take its throttle (an engine
    reads its timer stream with one)."""
    started: float = field(default_factory=time.time)

    def set_throttle(self, delay_ms: int) -> None:
        for router in (self.router, *self.lanes):
            router.set_throttle(delay_ms)

    def profile(self, guid: str, app: AppKey) -> dict[str, Any]:
        router = self.router
        profile: dict[str, Any] = {
            "engine_id": guid,
            "namespace": app.namespace,
            "app_id": app.app_id,
            "role": self.role,
            "stream": router.topic,
            "counts": dict(router.counts),
            "timestamp": time.time(),
            "inited": self.started,
            "throttle": router.throttle_ms,
            "reclaim_delay_ms": router.settings.reclaim_delay_ms,
            "reclaim_count": router.settings.reclaim_count,
        }
        if self.role == "worker":
            profile["worker_topic"] = router.topic
        return profile


def check_throttle(value: Any) -> int:
    """Return a valid throttle in milliseconds (-1 pauses) or raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(
            f"throttle {value!r} is invalid: give whole milliseconds, or -1 to pause"
        )
    if value == PAUSED:
        return PAUSED
    if not 0 <= value <= MAX_THROTTLE_MS:
        raise ConfigurationError(
            f"throttle {value} is out of range: use -1 or 0..{MAX_THROTTLE_MS} ms"
        )
    return value


class Quorum:
    """Publishes and handles quorum messages for one HotMesh instance."""

    def __init__(self, store: Store, app: AppKey, guid: str) -> None:
        self.store = store
        self.app = app
        self.guid = guid
        self.members: list[Member] = []
        self.listeners: list[Callable[[dict[str, Any]], Any]] = []
        self.on_activate: Callable[[str], None] | None = None
        self.on_job: Callable[[dict[str, Any]], None] | None = None
        self._pongs: list[dict[str, Any]] = []
        self._rollcall: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "ping": self._on_ping,
            "pong": self._on_pong,
            "activate": self._on_activate,
            "throttle": self._on_throttle,
            "rollcall": self._on_rollcall,
            "job": self._on_job,
        }

    async def pub(self, message: dict[str, Any], channel: str | None = None) -> int:
        """Publish a quorum message; the target defaults to its topic or guid."""
        if channel is None:
            channel = message.get("topic") or message.get("guid") or APP_CHANNEL
        return await self.store.publish(self.app, str(channel), json.dumps(message))

    def sub(self, callback: Callable[[dict[str, Any]], Any]) -> None:
        """Call ``callback`` with every quorum message this instance receives."""
        self.listeners.append(callback)

    def unsub(self, callback: Callable[[dict[str, Any]], Any]) -> None:
        with contextlib.suppress(ValueError):
            self.listeners.remove(callback)

    async def receive(self, channel: str, text: str) -> None:
        """Handle one message from a quorum channel."""
        try:
            message = json.loads(text)
        except ValueError:
            logger.warning("ignoring non-JSON quorum message on %r", channel)
            return
        if not isinstance(message, dict):
            return
        handler = self._handlers.get(str(message.get("type")))
        if handler is not None:
            await handler(message)
        for listener in list(self.listeners):
            result = listener(message)
            if asyncio.iscoroutine(result):
                await result

    # -- handlers -------------------------------------------------------------

    async def _on_ping(self, message: dict[str, Any]) -> None:
        details = bool(message.get("details"))
        for member in self.members:
            pong: dict[str, Any] = {
                "type": "pong",
                "guid": self.guid,
                "originator": message.get("originator"),
                "role": member.role,
            }
            if details:
                pong["profile"] = member.profile(self.guid, self.app)
            await self.pub(pong, APP_CHANNEL)

    async def _on_pong(self, message: dict[str, Any]) -> None:
        if message.get("originator") == self.guid:
            self._pongs.append(message)

    async def _on_activate(self, message: dict[str, Any]) -> None:
        version = message.get("until_version")
        if version and self.on_activate is not None:
            self.on_activate(str(version))

    async def _on_job(self, message: dict[str, Any]) -> None:
        if self.on_job is not None:
            self.on_job(message)

    def _targets(self, message: dict[str, Any]) -> list[Member]:
        topic = message.get("topic")
        guid = message.get("guid")
        if guid and guid != self.guid:
            return []
        if topic:
            return [
                m
                for m in self.members
                if m.role == "worker" and m.router.topic == topic
            ]
        if "topic" in message and topic is None:
            return [m for m in self.members if m.role == "engine"]
        return list(self.members)

    async def _on_throttle(self, message: dict[str, Any]) -> None:
        try:
            delay = check_throttle(message.get("throttle"))
        except ConfigurationError as exc:
            logger.warning("ignoring throttle message: %s", exc)
            return
        for member in self._targets(message):
            member.set_throttle(delay)

    async def _on_rollcall(self, message: dict[str, Any]) -> None:
        members = self._targets(message)
        if not members:
            return
        if self._rollcall is not None:
            self._rollcall.cancel()
        self._rollcall = asyncio.create_task(self._send_rollcall(message, members))

    async def _send_rollcall(
        self, message: dict[str, Any], members: list[Member]
    ) -> None:
        interval = float(message.get("interval") or 0)
        remaining = int(message.get("max") or 12)
        await asyncio.sleep(random.random())
        while remaining > 0:
            for member in members:
                profile = member.profile(self.guid, self.app)
                if message.get("signature") and member.role == "worker":
                    profile["signature"] = _callback_name(member.router)
                pong = {"type": "pong", "guid": self.guid, "originator": None}
                await self.pub({**pong, "profile": profile}, APP_CHANNEL)
            remaining -= 1
            if interval <= 0:
                return
            await asyncio.sleep(interval / 2 + random.random() * interval / 2)

    # -- requests ---------------------------------------------------------------

    async def request_quorum(self, delay: float, details: bool = False) -> int:
        """Ping every member, wait ``delay`` seconds, return how many responded."""
        self._pongs = []
        ping = {"type": "ping", "originator": self.guid, "details": details}
        await self.pub(ping, APP_CHANNEL)
        await asyncio.sleep(delay)
        return len(self._pongs)

    async def roll_call(self, delay: float = 1.0) -> list[dict[str, Any]]:
        """Return the profiles of every live engine and worker, with stream depths."""
        await self.request_quorum(delay, details=True)
        profiles = [pong["profile"] for pong in self._pongs if "profile" in pong]
        depths: dict[str, int] = {}
        for profile in profiles:
            stream = profile["stream"]
            if stream not in depths:
                depths[stream] = await self.store.stream_depth(self.app, stream)
            profile["stream_depth"] = depths[stream]
        return profiles

    async def activate(self, version: str, delay: float, retries: int = 3) -> bool:
        """Switch every engine of the app to ``version`` at once.

        Takes the activation lease, pings until the membership count is
        stable over three rounds, broadcasts the switch and records it.
        """
        lease_ms = int(delay * 6000) + 1000
        if not await self.store.acquire_role(self.app, "activate", self.guid, lease_ms):
            await asyncio.sleep(delay * 6)
            profile = await self.store.load_app_profile(self.app)
            return profile.get("active_version") == version
        try:
            for attempt in range(retries + 1):
                counts = [
                    await self.request_quorum(delay * 2**attempt) for _ in range(4)
                ]
                last = counts[-3:]
                if last[0] > 0 and len(set(last)) == 1:
                    notice = {"type": "activate", "until_version": version}
                    await self.pub(notice, APP_CHANNEL)
                    await asyncio.sleep(delay)
                    return True
            raise DeploymentError(
                f"activation of version {version!r} failed: the quorum of "
                f"app {self.app.app_id!r} did not settle after {retries} retries"
            )
        finally:
            await self.store.release_role(self.app, "activate", self.guid)

    async def stop(self) -> None:
        if self._rollcall is not None:
            self._rollcall.cancel()
            await asyncio.gather(self._rollcall, return_exceptions=True)


def _callback_name(router: Router) -> str:
    handler = router.handler
    callback = getattr(handler, "callback", handler)
    module = getattr(callback, "__module__", "?")
    return f"{module}.{getattr(callback, '__qualname__', '?')}"
