"""Store verbs of timers and signals."""

from __future__ import annotations

from collections.abc import Sequence

from hotmesh.store.protocol import AppKey, Timer
from hotmesh_redis import calls
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.replies import text, timer_topic


class TimerVerbs(RespBase):
    """Schedule, cancel and fire timers; read and remove hook signals."""

    # -- timers ---------------------------------------------------------------

    @translated
    async def schedule_timers(self, app: AppKey, timers: Sequence[Timer]) -> None:
        if not timers:
            return
        keys = self.keys(app)
        call = calls.ScriptCall(
            keys, [keys.timers, keys.timer_payloads], self.max_payload_bytes
        )
        call.add_timers(timers)
        await self.run_script("schedule_timers", call.keys, call.args)

    @translated
    async def cancel_timer(self, app: AppKey, timer_id: str) -> bool:
        keys = self.keys(app)
        removed = await self.run_script(
            "cancel_timer", (keys.timers, keys.timer_payloads), (timer_id,)
        )
        return bool(removed)

    @translated
    async def fire_due_timers(self, app: AppKey, now_ms: int, limit: int) -> int:
        keys = self.keys(app)
        due = await self.client.zrangebyscore(
            keys.timers, "-inf", now_ms, start=0, num=limit
        )
        if not due:
            return 0
        encoded = await self.client.hmget(keys.timer_payloads, due)
        call = calls.ScriptCall(keys, [keys.timers, keys.timer_payloads], None)
        call.add(now_ms)
        topics = {timer_topic(value) for value in encoded if value is not None}
        call.add(len(topics))
        for topic in topics:
            call.add(topic, call.key_ref(keys.stream(text(topic))))
        call.add(*due)
        return int(await self.run_script("fire_due_timers", call.keys, call.args))

    @translated
    async def next_timer_due(self, app: AppKey) -> int | None:
        first = await self.client.zrange(self.keys(app).timers, 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    # -- signals --------------------------------------------------------------

    @translated
    async def get_signal(self, app: AppKey, key: str) -> str | None:
        value = await self.client.hget(self.keys(app).signals, key)
        return None if value is None else text(value)

    @translated
    async def delete_signal(self, app: AppKey, key: str) -> bool:
        return bool(await self.client.hdel(self.keys(app).signals, key))
