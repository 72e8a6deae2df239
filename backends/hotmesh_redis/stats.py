"""Store verbs of job statistics: counters and facet indexes."""

from __future__ import annotations

from collections.abc import Sequence

from hotmesh.store.protocol import AppKey
from hotmesh_redis.base import RespBase, translated
from hotmesh_redis.replies import text


class StatsVerbs(RespBase):
    """Read stats buckets and drain their facet indexes."""

    @translated
    async def read_stats(
        self, app: AppKey, buckets: Sequence[str]
    ) -> list[dict[str, float]]:
        keys = self.keys(app)
        result = []
        for bucket in buckets:
            counters = await self.client.hgetall(keys.stats(bucket))
            result.append(
                {text(name): float(value) for name, value in counters.items()}
            )
        return result

    @translated
    async def read_index(self, app: AppKey, bucket: str, facet: str) -> list[str]:
        ids = await self.client.lrange(self.keys(app).stats_index(bucket, facet), 0, -1)
        return [text(job_id) for job_id in ids]

    @translated
    async def take_from_index(
        self, app: AppKey, bucket: str, facet: str, count: int
    ) -> list[str]:
        keys = self.keys(app)
        source = keys.stats_index(bucket, facet)
        target = keys.stats_processed(bucket, facet)
        taken = []
        for _ in range(count):
            job_id = await self.client.lmove(source, target, "LEFT", "RIGHT")
            if job_id is None:
                break
            taken.append(text(job_id))
        return taken

    @translated
    async def close_index(
        self, app: AppKey, bucket: str, facet: str, *, scrub: bool
    ) -> None:
        keys = self.keys(app)
        script_keys = (
            keys.stats_processed(bucket, facet),
            keys.stats_index(bucket, facet),
            keys.stats(bucket),
        )
        await self.run_script("close_index", script_keys, ("1" if scrub else "0",))
