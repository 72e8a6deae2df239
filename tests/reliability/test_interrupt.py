"""Interrupting a workflow while its activity runs.

The interrupt reaches the workflow's children, its timers and theirs go,
and the activity's result, which arrives after the interrupt, changes
nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotmesh.durable import WorkflowInterruptedError
from hotmesh.durable._app import activity_topic
from hotmesh.store.protocol import INTERRUPTED_BELOW
from tests.reliability import _journal
from tests.reliability._support import TASK_QUEUE, wait_for
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable, MeshFactory

pytestmark = pytest.mark.timeout(60)

ACTIVITY_SECONDS = 3.0
"""How long the interrupted activity runs, so how late its result arrives."""


async def test_interrupt_drops_late_result(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    store = mesh.store
    assert store is not None
    await durable.worker()
    handle = await client.workflow.start(
        workflow_name="child_then_slow",
        task_queue=TASK_QUEUE,
        args=[str(journal), "long", ACTIVITY_SECONDS],
        retry_policy=ONCE,
    )
    activity_job = f"{handle.workflow_id}-$activity-2"
    child_job = f"{handle.workflow_id}-child_nap-1"

    async def started() -> bool:
        return _journal.counts(journal, "start")["long"] == 1

    await wait_for(started, timeout=20, condition="the activity started")
    assert await mesh.get_status(child_job) > 0
    assert await mesh.get_status(activity_job) > 0
    await handle.interrupt()

    with pytest.raises(WorkflowInterruptedError) as caught:
        await handle.result(timeout=10)
    assert caught.value.code == 410

    async def children_interrupted() -> bool:
        statuses = [await mesh.get_status(job) for job in (child_job, activity_job)]
        return all(status < INTERRUPTED_BELOW for status in statuses)

    await wait_for(children_interrupted, timeout=10, condition="children interrupted")
    interrupted = await mesh.get_status(activity_job)

    async def late_result_handled() -> bool:
        # Consumers delete each message they acknowledge, so empty streams
        # mean the activity's request and its response were both handled.
        if _journal.counts(journal, "end")["long"] != 1:
            return False
        topic = activity_topic(TASK_QUEUE, "child_then_slow")
        depths = [await store.stream_depth(durable.app(), name) for name in (topic, "")]
        return depths == [0, 0]

    await wait_for(
        late_result_handled, timeout=ACTIVITY_SECONDS + 10, condition="late result"
    )
    assert await mesh.get_status(activity_job) == interrupted
    activity_state = await mesh.get_state("", activity_job)
    assert "outcome" not in activity_state.get("data", {})
    parent = await mesh.get_raw(handle.workflow_id)
    assert "-proxy-2-" not in parent
    assert await handle.status() < INTERRUPTED_BELOW


async def test_interrupt_removes_timers(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    store = mesh.store
    assert store is not None
    await durable.worker()
    handle = await client.workflow.start(
        workflow_name="nap_then_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "never", 60],
        retry_policy=ONCE,
    )

    async def timer_set() -> bool:
        return await store.next_timer_due(durable.app()) is not None

    await wait_for(timer_set, timeout=20, condition="the sleep's timer")
    await handle.interrupt()
    with pytest.raises(WorkflowInterruptedError):
        await handle.result(timeout=10)

    assert await store.next_timer_due(durable.app()) is None


async def test_interrupt_removes_child_timers(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    store = mesh.store
    assert store is not None
    await durable.worker()
    handle = await client.workflow.start(
        workflow_name="child_then_slow",
        task_queue=TASK_QUEUE,
        args=[str(journal), "long", ACTIVITY_SECONDS],
        retry_policy=ONCE,
    )
    child_job = f"{handle.workflow_id}-child_nap-1"

    async def child_sleeps() -> bool:
        return await store.next_timer_due(durable.app()) is not None

    await wait_for(child_sleeps, timeout=20, condition="the child's timer")
    await handle.interrupt()
    with pytest.raises(WorkflowInterruptedError):
        await handle.result(timeout=10)

    async def child_interrupted() -> bool:
        return await mesh.get_status(child_job) < INTERRUPTED_BELOW

    await wait_for(child_interrupted, timeout=10, condition="child interrupted")
    assert await store.next_timer_due(durable.app()) is None


SELF_INTERRUPT_MODEL = """
app:
  id: selfstop
  version: '1'
  graphs:
    - subscribes: selfstop.start
      expire: 30
      activities:
        t0:
          type: trigger
        long:
          type: hook
          sleep: 60
        short:
          type: hook
          sleep: 0.3
        stop:
          type: interrupt
          reason: stopped by its own interrupt activity
      transitions:
        t0:
          - to: long
          - to: short
        short:
          - to: stop
"""
"""A job that sleeps 60 s in one branch and interrupts itself from another."""


async def test_interrupt_activity_removes_timers(meshes: MeshFactory) -> None:
    mesh = await meshes("selfstop")
    await mesh.deploy(SELF_INTERRUPT_MODEL)
    await mesh.activate("1", delay=0.05)
    store = mesh.store
    assert store is not None
    job_id = await mesh.pub("selfstop.start", {})

    async def interrupted() -> bool:
        return await mesh.get_status(job_id) < INTERRUPTED_BELOW

    await wait_for(interrupted, timeout=10, condition="the job interrupted itself")
    state = await mesh.get_state("selfstop.start", job_id)
    assert "stopped by its own interrupt activity" in state["metadata"]["err"]
    assert await store.next_timer_due(mesh.app) is None


async def test_gathered_waits_start_together(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    store = mesh.store
    assert store is not None
    await durable.worker()
    handle = await client.workflow.start(
        workflow_name="slow_sleep_and_child",
        task_queue=TASK_QUEUE,
        args=[str(journal), "long", ACTIVITY_SECONDS],
        retry_policy=ONCE,
    )
    child_job = f"{handle.workflow_id}-child_nap-3"

    async def started() -> bool:
        return _journal.counts(journal, "start")["long"] == 1

    await wait_for(started, timeout=20, condition="the activity started")
    # The sleep and the child start with the activity, not after it.
    await asyncio.sleep(ACTIVITY_SECONDS / 3)
    try:
        assert await store.next_timer_due(durable.app()) is not None
        assert child_job in await store.find_jobs(durable.app())
    finally:
        await handle.interrupt()
