"""Contracts of job statistics: counters recorded with a job, facet indexes."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh.store.protocol import AppKey, NewJob, StatsUpdate, Store

BUCKET = "red:0"
FACET = "color:red"


def job(job_id: str, counters: dict[str, float], origin: str = "") -> NewJob:
    update = StatsUpdate(BUCKET, counters, [(FACET, job_id)])
    return NewJob(job_id, 1, {"d/x": "1"}, origin=origin, stats=[update])


@pytest.mark.asyncio
class TestStats:
    async def test_job_records_stats(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        await hotmesh_store.create_job(
            hotmesh_app, job("a", {"count": 1, "sum:n": 2.5})
        )
        await hotmesh_store.create_job(hotmesh_app, job("b", {"count": 1, "sum:n": 1}))

        (counters, empty) = await hotmesh_store.read_stats(
            hotmesh_app, [BUCKET, "other:0"]
        )

        assert counters == {"count": 2.0, "sum:n": 3.5}
        assert empty == {}
        assert await hotmesh_store.read_index(hotmesh_app, BUCKET, FACET) == ["a", "b"]

    async def test_replay_records_stats_once(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        first = job("a", {"count": 1}, origin="m1")
        await hotmesh_store.create_job(hotmesh_app, first)
        await hotmesh_store.create_job(hotmesh_app, first)

        (counters,) = await hotmesh_store.read_stats(hotmesh_app, [BUCKET])

        assert counters == {"count": 1.0}
        assert await hotmesh_store.read_index(hotmesh_app, BUCKET, FACET) == ["a"]

    async def test_concurrent_takers_split_index(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        for number in range(20):
            await hotmesh_store.create_job(hotmesh_app, job(f"j{number}", {}))

        batches = await asyncio.gather(
            *(
                hotmesh_store.take_from_index(hotmesh_app, BUCKET, FACET, 3)
                for _ in range(10)
            )
        )

        taken = [job_id for batch in batches for job_id in batch]
        assert sorted(taken) == sorted(f"j{number}" for number in range(20))
        assert len(taken) == len(set(taken))
        assert await hotmesh_store.read_index(hotmesh_app, BUCKET, FACET) == []

    async def test_close_index_restores_or_scrubs(
        self, hotmesh_store: Store, hotmesh_app: AppKey
    ) -> None:
        for job_id in ("a", "b"):
            await hotmesh_store.create_job(hotmesh_app, job(job_id, {"count": 1}))
        await hotmesh_store.take_from_index(hotmesh_app, BUCKET, FACET, 1)

        await hotmesh_store.close_index(hotmesh_app, BUCKET, FACET, scrub=False)
        assert await hotmesh_store.read_index(hotmesh_app, BUCKET, FACET) == ["a", "b"]

        await hotmesh_store.take_from_index(hotmesh_app, BUCKET, FACET, 2)
        await hotmesh_store.close_index(hotmesh_app, BUCKET, FACET, scrub=True)
        assert await hotmesh_store.read_index(hotmesh_app, BUCKET, FACET) == []
        assert await hotmesh_store.read_stats(hotmesh_app, [BUCKET]) == [{}]
