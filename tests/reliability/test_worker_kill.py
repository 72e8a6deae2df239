"""Worker processes killed with SIGKILL: their messages go to another worker.

A killed consumer leaves every message it read but did not acknowledge
pending in its consumer group. After ``reclaim_delay_ms`` another consumer
claims them, so each one is processed and its workflow completes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hotmesh.durable import DurableError
from hotmesh.durable._app import activity_topic
from hotmesh.hotmesh import ENGINE_GROUP, WORKER_GROUP
from hotmesh.store.protocol import ENGINE_TOPIC, TIMER_TOPIC, AppKey
from tests.reliability import _journal
from tests.reliability._support import (
    RECLAIM_DELAY_MS,
    TASK_QUEUE,
    Processes,
    StreamProbe,
    wait_for,
)
from tests.reliability._workflows import ONCE, STALL_VARIABLE
from tests.reliability.conftest import Durable, MeshFactory

pytestmark = pytest.mark.timeout(120)

WORKFLOWS = 5

RECLAIM_COUNT = 3
"""Deliveries before a message is dead-lettered: the routers' default."""

REQUESTS = 6
"""Requests waiting when the callback process starts."""

RUNNING = 3
"""Requests the callback process runs at once: it reads only that many."""


async def test_inflight_activities_redelivered(
    durable: Durable,
    processes: Processes,
    probe: StreamProbe,
    journal: Path,
) -> None:
    client = durable.client()
    await client.mesh()
    process = processes.start(
        "_worker_process.py",
        durable.url,
        durable.namespace,
        env={STALL_VARIABLE: "*"},
    )
    ready, consumer = (await processes.read_line(process)).split()
    assert ready == "ready"
    names = [f"w{index}" for index in range(WORKFLOWS)]
    handles = [
        await client.workflow.start(
            workflow_name="one_step", task_queue=TASK_QUEUE, args=[str(journal), name]
        )
        for name in names
    ]

    async def all_started() -> bool:
        return sum(_journal.counts(journal, "start").values()) == WORKFLOWS

    await wait_for(all_started, timeout=30, condition="every activity started")
    topic = activity_topic(TASK_QUEUE, "one_step")
    pending = await probe.pending(topic, WORKER_GROUP)
    assert sorted(entry.consumer for entry in pending) == [consumer] * WORKFLOWS
    processes.kill(process)

    await durable.worker()
    results = [await handle.result(timeout=30) for handle in handles]

    assert results == [name.upper() for name in names]
    for name in names:
        assert _journal.pids(journal, "start", name) == [process.pid, os.getpid()]
        assert _journal.pids(journal, "end", name) == [os.getpid()]
    assert await probe.pending(topic, WORKER_GROUP) == []


MODEL = """
app:
  id: relay
  version: '1'
  graphs:
    - subscribes: relay.start
      expire: 120
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: relay.work
          job:
            maps:
              done: '{$self.output.data.done}'
      transitions:
        t1:
          - to: a1
"""


async def test_read_unacked_requests_redelivered(
    backend_url: str,
    namespace: str,
    meshes: MeshFactory,
    processes: Processes,
    journal: Path,
) -> None:
    app = AppKey(namespace, "relay")
    engine = await meshes(app.app_id)
    await engine.deploy(MODEL)
    await engine.activate("1", delay=0.05)
    job_ids = [await engine.pub("relay.start", {}) for _ in range(REQUESTS)]
    store = engine.store
    assert store is not None

    async def all_requested() -> bool:
        return await store.stream_depth(app, "relay.work") == REQUESTS

    await wait_for(all_requested, timeout=20, condition="every request sent")
    process = processes.start(
        "_callback_process.py",
        backend_url,
        namespace,
        app.app_id,
        "relay.work",
        str(journal),
        str(RUNNING),
        env={STALL_VARIABLE: "*"},
    )
    consumer = (await processes.read_line(process)).split()[1]

    async def running() -> bool:
        return sum(_journal.counts(journal, "start").values()) == RUNNING

    await wait_for(running, timeout=20, condition="the first requests started")
    probe = StreamProbe(backend_url, app)
    try:
        pending = await probe.pending("relay.work", WORKER_GROUP)
    finally:
        await probe.close()
    assert [entry.consumer for entry in pending] == [consumer] * RUNNING
    processes.kill(process)

    def answer(message: dict[str, Any]) -> dict[str, Any]:
        _journal.record(journal, "start", str(message["metadata"]["jid"]))
        return {"data": {"done": True}}

    worker = {
        "topic": "relay.work",
        "callback": answer,
        "reclaim_delay_ms": RECLAIM_DELAY_MS,
        "concurrency": REQUESTS,
    }
    await meshes(app.app_id, [worker], engine=False)

    async def all_finished() -> bool:
        statuses = [await engine.get_status(job_id) for job_id in job_ids]
        return statuses == [0] * REQUESTS

    await wait_for(all_finished, timeout=30, condition="every job finished")
    stalled = {line["name"] for line in _journal.read(journal)[:RUNNING]}
    for job_id in job_ids:
        state = await engine.get_state("relay.start", job_id)
        assert state["data"]["done"] is True
        killed = [process.pid] if job_id in stalled else []
        assert _journal.pids(journal, "start", job_id) == [*killed, os.getpid()]


@dataclass(frozen=True)
class Delivery:
    """One delivery of a request, seen while its worker process stalled in it."""

    count: int
    """The message's delivery count."""
    attempt: int
    """The retry attempt the request carries: failed calls before it."""
    pid: int


async def kill_each_delivery(
    processes: Processes,
    probe: StreamProbe,
    workers: list[subprocess.Popen[str]],
    journal: Path,
    name: str,
    topic: str,
    *,
    calls_before: int,
) -> list[Delivery]:
    """Kill the process running activity ``name`` at each delivery, in turn.

    Every worker process stalls in the activity, and a live one reclaims
    the request once the killed one's lease lapses. The first stalled
    delivery is call ``calls_before + 1`` of the activity.
    """
    by_pid = {process.pid: process for process in workers}
    seen: list[Delivery] = []
    for count in range(1, len(workers) + 1):

        async def running(count: int = count) -> Delivery | None:
            pids = _journal.pids(journal, "start", name)
            pending = await probe.pending(topic, WORKER_GROUP)
            if len(pids) != calls_before + count or len(pending) != 1:
                return None
            request = await probe.payload(topic, pending[0].message_id)
            attempt = int(request["data"]["attempt"])
            return Delivery(pending[0].deliveries, attempt, pids[-1])

        delivery = await wait_for(running, timeout=30, condition=f"delivery {count}")
        seen.append(delivery)
        processes.kill(by_pid[delivery.pid])
    return seen


async def start_stalling_workers(
    processes: Processes, durable: Durable, count: int
) -> list[subprocess.Popen[str]]:
    """Start worker processes whose activities all stall."""
    workers = [
        processes.start(
            "_worker_process.py",
            durable.url,
            durable.namespace,
            env={STALL_VARIABLE: "*"},
        )
        for _ in range(count)
    ]
    for process in workers:
        assert (await processes.read_line(process)).startswith("ready")
    return workers


async def test_killed_retry_redelivered(
    durable: Durable, processes: Processes, probe: StreamProbe, journal: Path
) -> None:
    client = durable.client()
    await client.mesh()
    workers = await start_stalling_workers(processes, durable, 2)
    handle = await client.workflow.start(
        workflow_name="retried_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "flaky", 1],
        retry_policy=ONCE,
    )
    topic = activity_topic(TASK_QUEUE, "retried_step")

    seen = await kill_each_delivery(
        processes, probe, workers, journal, "flaky", topic, calls_before=1
    )
    await durable.worker()
    result = await handle.result(timeout=30)

    assert result == "FLAKY"
    assert [delivery.count for delivery in seen] == [1, 2]
    # The first call failed, so the request that died is the first retry.
    assert [delivery.attempt for delivery in seen] == [1, 1]
    calls = [line for line in _journal.read(journal) if line["name"] == "flaky"]
    assert [line["event"] for line in calls] == [
        "start",
        "raise",
        "start",
        "start",
        "start",
        "end",
    ]
    assert calls[-1]["pid"] == os.getpid()
    assert await handle.status() == 0


async def test_killed_every_delivery_fails(
    durable: Durable, processes: Processes, probe: StreamProbe, journal: Path
) -> None:
    client = durable.client()
    mesh = await client.mesh()
    workers = await start_stalling_workers(processes, durable, RECLAIM_COUNT)
    handle = await client.workflow.start(
        workflow_name="retried_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "flaky", 1],
        retry_policy=ONCE,
    )
    topic = activity_topic(TASK_QUEUE, "retried_step")

    seen = await kill_each_delivery(
        processes, probe, workers, journal, "flaky", topic, calls_before=1
    )
    await durable.worker()
    with pytest.raises(DurableError) as caught:
        await handle.result(timeout=30)

    assert [delivery.count for delivery in seen] == [1, 2, 3]
    assert "delivery count" in str(caught.value)
    assert await handle.status() == 0
    assert _journal.counts(journal, "start")["flaky"] == 1 + RECLAIM_COUNT
    assert _journal.counts(journal, "end")["flaky"] == 0
    assert mesh.store is not None
    dead = await mesh.store.read_dead_letters(durable.app(), topic)
    assert len(dead) == 1
    assert json.loads(dead[0])["metadata"]["jid"].startswith(handle.workflow_id)


async def test_crash_during_shutdown_leaves_nothing_owned(
    durable: Durable, processes: Processes, probe: StreamProbe, journal: Path
) -> None:
    client = durable.client()
    await client.mesh()
    process = processes.start(
        "_worker_process.py",
        durable.url,
        durable.namespace,
        "--graceful",
        env={STALL_VARIABLE: "*"},
    )
    dead_consumer = (await processes.read_line(process)).split()[1]
    handle = await client.workflow.start(
        workflow_name="one_step", task_queue=TASK_QUEUE, args=[str(journal), "last"]
    )

    async def started() -> bool:
        return _journal.counts(journal, "start")["last"] == 1

    await wait_for(started, timeout=30, condition="the activity started")
    process.send_signal(signal.SIGTERM)
    assert await processes.read_line(process) == "stopping"
    # The shutdown waits for the stalled activity, and the process dies meanwhile.
    await asyncio.sleep(0.5)
    assert process.poll() is None
    processes.kill(process)

    worker = await durable.worker()
    result = await handle.result(timeout=30)

    assert result == "LAST"
    assert worker.mesh.instance_id != dead_consumer
    assert _journal.pids(journal, "end", "last") == [os.getpid()]
    topics = await probe.topics()
    assert activity_topic(TASK_QUEUE, "one_step") in topics
    for topic in topics:
        group = ENGINE_GROUP if topic in (ENGINE_TOPIC, TIMER_TOPIC) else WORKER_GROUP
        owned = [
            entry
            for entry in await probe.pending(topic, group)
            if entry.consumer == dead_consumer
        ]
        assert owned == [], f"topic {topic!r}"
