"""Store verbs of streams: claims, acknowledgements, reclaim, dead letters."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from hotmesh import errors
from hotmesh.store.protocol import (
    AppKey,
    Claim,
    Lease,
    Outgoing,
    ReclaimResult,
    StreamMessage,
    describe_topic,
)
from hotmesh_redis import calls
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.replies import (
    MESSAGE_FIELD,
    claimed_messages,
    lease_lost,
    message_payload,
    text,
)

logger = logging.getLogger(__name__)


class StreamVerbs(RespBase):
    """Add, claim, acknowledge and reclaim stream messages."""

    @translated
    async def ensure_group(self, app: AppKey, topic: str, group: str) -> None:
        key = self.keys(app).stream(topic)
        try:
            # Start at id 0, so messages added before the group existed are
            # delivered too.
            await self.client.xgroup_create(key, group, id="0", mkstream=True)
        except self.flavor.errors.base as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @translated
    async def add_message(self, app: AppKey, message: Outgoing) -> str:
        what = f"message for {describe_topic(message.topic)}"
        payload = self.encode(message.payload, what)
        key = self.keys(app).stream(message.topic)
        message_id = await self.client.xadd(key, {MESSAGE_FIELD: payload})
        return text(message_id)

    @translated
    async def read_messages(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        count: int,
        block_ms: int,
    ) -> list[StreamMessage]:
        key = self.keys(app).stream(topic)
        options: dict[str, int] = {"count": count}
        if block_ms > 0:  # BLOCK 0 would wait forever
            options["block"] = block_ms
        try:
            reply = await self._blocking.xreadgroup(
                group, consumer, {key: ">"}, **options
            )
        except self.flavor.errors.base as exc:
            if "NOGROUP" in str(exc):
                raise errors.StoreError(
                    f"topic {topic!r} of app {app.app_id!r} has no group {group!r}: "
                    "call ensure_group first"
                ) from None
            raise
        messages = []
        for _stream, entries in reply or []:
            for message_id, entry in entries:
                lease = Lease(topic, group, text(message_id), consumer, 1)
                messages.append(StreamMessage(lease, message_payload(entry, lease)))
        return messages

    @translated
    async def read_own_pending(
        self, app: AppKey, topic: str, group: str, consumer: str, *, count: int
    ) -> list[StreamMessage]:
        script_keys = (self.keys(app).stream(topic),)
        try:
            reply = await self.run_script(
                "own_pending", script_keys, (group, consumer, count)
            )
        except self.flavor.errors.base as exc:
            if "NOGROUP" in str(exc):
                return []
            raise
        messages = []
        for message_id, deliveries, payload in reply:
            lease = Lease(topic, group, text(message_id), consumer, int(deliveries))
            messages.append(StreamMessage(lease, text(payload)))
        return messages

    @translated
    async def ack(
        self,
        app: AppKey,
        lease: Lease,
        messages: Sequence[Outgoing] = (),
        claim: Claim | None = None,
    ) -> Sequence[StreamMessage]:
        keys = self.keys(app)
        call = calls.ScriptCall(
            keys, [keys.stream(lease.topic)], self.max_payload_bytes
        )
        call.add_lease(lease)
        call.add_messages(messages)
        call.add_claim(claim)
        reply = await self.run_script("ack", call.keys, call.args)
        if not int(reply[0]):
            raise lease_lost(lease)
        return claimed_messages(reply[1:], claim) if claim else []

    @translated
    async def extend_lease(self, app: AppKey, lease: Lease, ttl_ms: int = 0) -> bool:
        if ttl_ms < 0:
            raise ValueError(f"ttl_ms must be 0 or more, got {ttl_ms}")
        keys = self.keys(app)
        call = calls.ScriptCall(keys, [keys.stream(lease.topic)], None)
        call.add_lease(lease)
        call.add(ttl_ms)
        return bool(await self.run_script("extend_lease", call.keys, call.args))

    @translated
    async def reclaim(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        min_idle_ms: int,
        max_deliveries: int,
        count: int,
    ) -> ReclaimResult:
        keys = self.keys(app)
        script_keys = (
            keys.stream(topic),
            keys.dead_letters(topic),
            keys.lease_deadlines(topic),
        )
        args = (group, consumer, min_idle_ms, max_deliveries, count)
        try:
            reply = await self.run_script("reclaim", script_keys, args)
        except self.flavor.errors.base as exc:
            if "NOGROUP" in str(exc):
                return ReclaimResult(claimed=[], dead=[])
            raise
        result = ReclaimResult(claimed=[], dead=[])
        for kind, message_id, owner, deliveries, payload in reply:
            lease = Lease(topic, group, text(message_id), text(owner), int(deliveries))
            message = StreamMessage(lease, text(payload))
            target = result.claimed if text(kind) == "claimed" else result.dead
            target.append(message)
        if result.dead:
            logger.warning(
                "dead-lettered %d messages of topic %r in app %r after %d deliveries",
                len(result.dead),
                topic,
                app.app_id,
                max_deliveries,
            )
        return result

    @translated
    async def stream_depth(self, app: AppKey, topic: str) -> int:
        return int(await self.client.xlen(self.keys(app).stream(topic)))

    @translated
    async def read_dead_letters(
        self, app: AppKey, topic: str, count: int = 100
    ) -> list[str]:
        key = self.keys(app).dead_letters(topic)
        entries = await self.client.xrange(key, "-", "+", count=count)
        return [text(entry.get(MESSAGE_FIELD, b"")) for _id, entry in entries]
