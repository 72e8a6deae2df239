"""Replies and notices lost to a dropped connection: nothing waits for a reclaim.

The server hands messages to a consumer in the reply to a read, or in the
reply to a write that claims the messages it appends. When that reply is
lost, the messages stay pending for the consumer, and without a look at its
own pending messages they would wait for a reclaim (60 s here). A job's
completion notice published while a subscription reconnects is lost too.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hotmesh import HotMesh
from hotmesh.errors import ConnectionFailedError, JobNotFoundError
from hotmesh.registry import open_store
from hotmesh.store.protocol import AppKey, Step, StepResult, Store, StreamMessage

RECLAIM_DELAY_MS = 60_000

MODEL = """
app:
  id: lost
  version: '1'
  graphs:
    - subscribes: lost.test
      activities:
        t1:
          type: trigger
        h1:
          type: hook
        h2:
          type: hook
        a1:
          type: worker
          topic: lost.work
          input:
            maps:
              x: '{t1.output.data.x}'
          job:
            maps:
              y: '{$self.output.data.y}'
      transitions:
        t1:
          - to: h1
        h1:
          - to: h2
        h2:
          - to: a1
"""


class DroppingStore:
    """Forward every call to a store, losing the reply of the first armed call.

    The call completes on the server, then raises ConnectionFailedError as
    when the connection drops before the reply arrives.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self.lose_read_of: str | None = None
        """Topic whose next read that returns messages loses its reply."""
        self.lose_claims = False
        """Whether the next commit that claims messages loses its reply."""
        self.lost: list[str] = []
        """Ids of the messages whose reply was lost."""
        self.failing_groups = 0
        """How many ``ensure_group`` calls still fail, as when the server
        is unreachable when consumers start."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def read_messages(
        self, app: AppKey, topic: str, *args: Any, **kwargs: Any
    ) -> list[StreamMessage]:
        items = await self._store.read_messages(app, topic, *args, **kwargs)
        if items and topic == self.lose_read_of:
            self.lose_read_of = None
            self._lose([item.lease.message_id for item in items])
        return items

    async def commit_step(self, app: AppKey, step: Step) -> StepResult:
        result = await self._store.commit_step(app, step)
        if result.claimed and self.lose_claims:
            self.lose_claims = False
            self._lose([item.lease.message_id for item in result.claimed])
        return result

    async def ensure_group(self, app: AppKey, topic: str, group: str) -> None:
        if self.failing_groups > 0:
            self.failing_groups -= 1
            raise ConnectionFailedError("cannot reach the server")
        await self._store.ensure_group(app, topic, group)

    def _lose(self, message_ids: list[str]) -> None:
        self.lost.extend(message_ids)
        raise ConnectionFailedError("connection dropped before the reply arrived")


def double(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"y": message["data"]["x"] * 2}}


async def start_mesh(wrapper: DroppingStore, namespace: str) -> HotMesh:
    """Start an engine and a worker on ``wrapper`` with 60 s reclaim delays."""
    hotmesh = await HotMesh.init(
        app_id="lost",
        namespace=namespace,
        connection=wrapper,
        engine={
            "block_ms": 200,
            "reclaim_delay_ms": RECLAIM_DELAY_MS,
            "timer_poll_ms": 100,
        },
        workers=[
            {
                "topic": "lost.work",
                "callback": double,
                "reclaim_delay_ms": RECLAIM_DELAY_MS,
            }
        ],
    )
    await hotmesh.deploy(MODEL)
    await hotmesh.activate("1", delay=0.05)
    return hotmesh


@pytest.fixture
async def dropping(backend_url: str, namespace: str) -> Any:
    """Yield a store that loses chosen replies and a HotMesh instance on it."""
    store = await open_store(backend_url)
    wrapper = DroppingStore(store)
    hotmesh = await start_mesh(wrapper, namespace)
    yield wrapper, hotmesh
    await hotmesh.stop()
    await store.close()


@pytest.mark.timeout(60)
async def test_lost_read_reply_resumes(dropping: Any) -> None:
    wrapper, hotmesh = dropping
    wrapper.lose_read_of = "lost.work"
    started = time.monotonic()

    job = await hotmesh.pubsub("lost.test", {"x": 21}, timeout=20)

    assert len(wrapper.lost) == 1
    assert job["data"]["y"] == 42
    assert time.monotonic() - started < RECLAIM_DELAY_MS / 1000


@pytest.mark.timeout(60)
async def test_lost_claim_reply_resumes(dropping: Any) -> None:
    wrapper, hotmesh = dropping
    wrapper.lose_claims = True
    started = time.monotonic()

    job = await hotmesh.pubsub("lost.test", {"x": 5}, timeout=20)

    assert len(wrapper.lost) >= 1
    assert job["data"]["y"] == 10
    assert time.monotonic() - started < RECLAIM_DELAY_MS / 1000


@pytest.mark.timeout(60)
async def test_consumers_start_after_failed_group(
    backend_url: str, namespace: str
) -> None:
    store = await open_store(backend_url)
    wrapper = DroppingStore(store)
    # The first consumers to start cannot create their groups.
    wrapper.failing_groups = 3
    hotmesh = await start_mesh(wrapper, namespace)
    try:
        job = await hotmesh.pubsub("lost.test", {"x": 3}, timeout=10)
    finally:
        await hotmesh.stop()
        await store.close()

    assert wrapper.failing_groups == 0
    assert job["data"]["y"] == 6


@pytest.fixture
def unnotified(dropping: Any, monkeypatch: pytest.MonkeyPatch) -> HotMesh:
    """Return the instance of ``dropping`` with every completion notice lost,
    as when the notices are published while its subscription reconnects."""
    _, hotmesh = dropping
    monkeypatch.setattr(hotmesh.quorum, "on_job", lambda body: None)
    return hotmesh


@pytest.mark.timeout(60)
async def test_lost_notice_pubsub_returns(unnotified: HotMesh) -> None:
    job = await unnotified.pubsub("lost.test", {"x": 4}, timeout=10)

    assert job["data"]["y"] == 8
    assert job["metadata"]["js"] == 0


@pytest.mark.timeout(60)
async def test_lost_notice_of_expired_job_raises(
    unnotified: HotMesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first status read comes 2 s or more after the start, when the
    # job has finished and its default expire of 1 s has passed.
    monkeypatch.setattr("hotmesh.hotmesh.POLL_SECONDS", 4.0)

    with pytest.raises(JobNotFoundError, match="finished and expired"):
        await unnotified.pubsub("lost.test", {"x": 4}, timeout=10)
