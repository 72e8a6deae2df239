"""Store verbs of coordination: role leases, throttles, pub/sub, entries."""

from __future__ import annotations

from hotmesh.store.protocol import AppKey, MessageCallback, Subscription
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.replies import text


class CoordinationVerbs(RespBase):
    """Role leases, throttles, pub/sub and app-scoped entries."""

    # -- coordination ---------------------------------------------------------

    @translated
    async def acquire_role(
        self, app: AppKey, role: str, holder: str, ttl_ms: int
    ) -> bool:
        key = self.keys(app).role(role)
        return bool(await self.run_script("acquire_role", (key,), (holder, ttl_ms)))

    @translated
    async def release_role(self, app: AppKey, role: str, holder: str) -> None:
        await self.run_script("release_role", (self.keys(app).role(role),), (holder,))

    @translated
    async def set_throttle(self, app: AppKey, scope: str, delay_ms: int) -> None:
        await self.client.hset(self.keys(app).throttles, scope, int(delay_ms))

    @translated
    async def get_throttles(self, app: AppKey) -> dict[str, int]:
        rates = await self.client.hgetall(self.keys(app).throttles)
        return {text(scope): int(delay) for scope, delay in rates.items()}

    @translated
    async def clear_throttles(self, app: AppKey) -> None:
        await self.client.delete(self.keys(app).throttles)

    @translated
    async def publish(self, app: AppKey, channel: str, message: str) -> int:
        data = self.encode(message, f"message for channel {channel!r}")
        # The valkey package's cluster client has no publish(): send the raw
        # command, which any node of a cluster relays to every other node.
        receivers = await self.run_on_node(
            "PUBLISH", self.keys(app).channel(channel), data
        )
        return int(receivers)

    @translated
    async def subscribe(
        self, app: AppKey, channel: str, callback: MessageCallback
    ) -> Subscription:
        hub = await self._pubsub_hub()
        return await hub.add("channel", self.keys(app).channel(channel), callback)

    @translated
    async def psubscribe(
        self, app: AppKey, pattern: str, callback: MessageCallback
    ) -> Subscription:
        keys = self.keys(app)
        hub = await self._pubsub_hub()
        return await hub.add("pattern", keys.channel_pattern(pattern), callback)

    # -- key-value entries ----------------------------------------------------

    @translated
    async def kv_get(self, app: AppKey, key: str) -> str | None:
        value = await self.client.get(self.keys(app).kv(key))
        return None if value is None else text(value)

    @translated
    async def kv_set(
        self, app: AppKey, key: str, value: str, ttl_ms: int | None = None
    ) -> None:
        data = self.encode(value, f"value of entry {key!r}")
        await self.client.set(self.keys(app).kv(key), data, px=ttl_ms)

    @translated
    async def kv_delete(self, app: AppKey, key: str) -> bool:
        return bool(await self.client.delete(self.keys(app).kv(key)))
