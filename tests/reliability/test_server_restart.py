"""The server restarts while workflows sleep: nothing is lost or repeated.

The server writes every change to its append-only file before it replies,
and is killed with SIGKILL while workflows sleep and workers wait in
blocking reads. It restarts on the same port a moment later. The workers
reconnect by themselves and each workflow wakes once, never early, and
typically late by about the timer poll interval or less.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from _servers import LocalServer
from hotmesh.durable import Client, Connection, Worker, WorkflowHandle
from tests.reliability import _journal, _workflows
from tests.reliability._support import (
    ENGINE,
    TASK_QUEUE,
    TIMER_POLL_MS,
    StreamProbe,
    wait_for,
)
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

# NOTE: killing the server under a thousand workflows sometimes leaves a
# client connection that the server closed to the garbage collector with
# its StreamWriter open, and Python then warns "unclosed <StreamWriter".
# Which client owns it is not traced yet; the warning is ignored here only.
pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.filterwarnings("ignore:unclosed <StreamWriter:ResourceWarning"),
]

WORKFLOWS = 1000
"""Workflows asleep when the server is killed."""


def start_budget(workflows: int) -> float:
    """Return the seconds allowed to start the workflows, whose sleeps end 1
    to 5 s after that: about 20 s for a thousand on a loaded 2-core machine."""
    return 3 + workflows / 60


STARTS_IN_FLIGHT = 50

DOWNTIME_SECONDS = 1.5
"""How long the server stays down before it restarts."""

STEP_ALLOWANCE_MS = 50
"""Time the median wake may take beyond the timer poll interval: one step,
whose write the server syncs to disk before it replies."""

MAX_LATENESS_MS = 1000
"""Most a sleep may end late. A full garbage collection of this process (60
to 90 ms here) or a slow disk sync of the server delays the wakes queued
behind it."""


@dataclass
class Outcome:
    """What a restart did to the sleeping workflows, by workflow id."""

    results: dict[str, str]
    due_ms: dict[str, int]
    woke_ms: dict[str, int]
    back_ms: int
    """When the restarted server first replied to PING."""


def wake_ms(fields: dict[str, str]) -> int:
    """Return when the workflow's sleep ended: its sleeper's last update."""
    for name, raw in fields.items():
        if name.startswith("a/sleeper/") and name.endswith("/m"):
            stamp = datetime.fromisoformat(json.loads(raw)["au"])
            return round(stamp.timestamp() * 1000)
    raise AssertionError("the workflow has no sleeper record")


async def restart_while_sleeping(
    url: str, server: LocalServer, namespace: str, journal: Path, workflows: int
) -> Outcome:
    """Start sleeping workflows, kill and restart the server, await them all.

    The sleeps end from 1 to 5 s after all workflows have had time to start,
    spread evenly, and the server goes down shortly before the first ends,
    so some sleeps end while it is down.
    """
    durable = Durable(url, namespace)
    probe = StreamProbe(url, durable.app())
    waits: asyncio.Future[list[Any]] | None = None
    try:
        client = durable.client()
        mesh = await client.mesh()
        await durable.worker()
        await durable.worker()
        budget = start_budget(workflows)
        asleep_by = time.time() + budget
        slots = asyncio.Semaphore(STARTS_IN_FLIGHT)

        async def start(index: int) -> WorkflowHandle:
            async with slots:
                # Each sleep is an argument, fixed when the workflow starts,
                # so a replay sleeps the same duration.
                nap = asleep_by + 1 + 4 * index / workflows - time.time()
                return await client.workflow.start(
                    workflow_name="nap_then_step",
                    task_queue=TASK_QUEUE,
                    args=[str(journal), f"sleeper-{index}", nap],
                    retry_policy=ONCE,
                )

        handles = await asyncio.gather(*(start(index) for index in range(workflows)))

        async def all_asleep() -> dict[str, int] | None:
            timers = await probe.timers()
            return timers if len(timers) == workflows else None

        timers = await wait_for(
            all_asleep, timeout=budget, condition="every sleep started"
        )
        # The clients wait for the results through the restart.
        waits = asyncio.gather(*(handle.result(timeout=120) for handle in handles))
        # Down from half the downtime before the first sleep ends. A sleep
        # is due its duration after the workflow reached it, which can be
        # later than its start under load, so the stored due times count.
        first_due = min(timers.values()) / 1000
        await asyncio.sleep(max(0.0, first_due - DOWNTIME_SECONDS / 2 - time.time()))
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        await asyncio.sleep(DOWNTIME_SECONDS)
        await asyncio.to_thread(server.start)
        back_ms = int(time.time() * 1000)

        results = await waits
        woke = {
            handle.workflow_id: wake_ms(await mesh.get_raw(handle.workflow_id))
            for handle in handles
        }
    finally:
        if waits is not None and not waits.done():
            waits.cancel()
        await probe.close()
        await durable.close()
        # Collected here, so the warning filter of this module applies.
        gc.collect()
    return Outcome(
        results={
            handle.workflow_id: result
            for handle, result in zip(handles, results, strict=True)
        },
        # A sleep's timer id is "sleep:<job id>:<activity and address>".
        due_ms={timer.split(":")[1]: due for timer, due in timers.items()},
        woke_ms=woke,
        back_ms=back_ms,
    )


async def test_restart_wakes_each_once_on_time(
    persistent_server: tuple[str, LocalServer], namespace: str, journal: Path
) -> None:
    url, server = persistent_server

    outcome = await restart_while_sleeping(url, server, namespace, journal, WORKFLOWS)

    names = [f"sleeper-{index}" for index in range(WORKFLOWS)]
    assert sorted(outcome.results.values()) == sorted(name.upper() for name in names)
    starts = _journal.counts(journal, "start")
    assert {name: starts[name] for name in names} == dict.fromkeys(names, 1)
    assert outcome.woke_ms.keys() == outcome.due_ms.keys()
    for job_id, woke in outcome.woke_ms.items():
        assert woke >= outcome.due_ms[job_id], f"{job_id} woke early"
    overdue = [due for due in outcome.due_ms.values() if due < outcome.back_ms]
    assert overdue, "no sleep ended while the server was down"
    lateness = {
        job_id: woke - max(outcome.due_ms[job_id], outcome.back_ms)
        for job_id, woke in outcome.woke_ms.items()
    }
    by_due = sorted(outcome.due_ms, key=outcome.due_ms.__getitem__)
    sampled = [lateness[job_id] for job_id in by_due[::50]]
    median = statistics.median(lateness.values())
    assert median <= TIMER_POLL_MS + STEP_ALLOWANCE_MS, (
        f"median lateness {median} ms is too high (lateness in ms of "
        f"every 50th workflow, by due time: {sampled})"
    )
    assert max(lateness.values()) <= MAX_LATENESS_MS, (
        f"a sleep ended too late (lateness in ms of every 50th workflow, by due "
        f"time: {sampled})"
    )


MID_STEP_RECLAIM_MS = 60_000
"""Reclaim delay of the mid-step test, the default. Results are awaited for
30 s, so no message may wait for a reclaim."""

MID_STEP_WORKFLOWS = 100


async def test_restart_mid_step_finishes_all(
    persistent_server: tuple[str, LocalServer], namespace: str, journal: Path
) -> None:
    url, server = persistent_server
    engine = {**ENGINE, "reclaim_delay_ms": MID_STEP_RECLAIM_MS}
    connection = Connection(url=url, engine=engine, activate_delay=0.05)
    client = Client(connection, namespace=namespace)
    worker = await Worker.create(
        connection=connection,
        namespace=namespace,
        task_queue=TASK_QUEUE,
        workflow=_workflows.workflows(),
        reclaim_delay_ms=MID_STEP_RECLAIM_MS,
    )
    try:
        names = [f"step-{index}" for index in range(MID_STEP_WORKFLOWS)]
        handles = await asyncio.gather(
            *(
                client.workflow.start(
                    workflow_name="one_step",
                    task_queue=TASK_QUEUE,
                    args=[str(journal), name],
                    retry_policy=ONCE,
                )
                for name in names
            )
        )
        # Killed while the engine and the worker apply the first steps.
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        await asyncio.sleep(DOWNTIME_SECONDS)
        await asyncio.to_thread(server.start)

        results = await asyncio.gather(
            *(handle.result(timeout=30) for handle in handles)
        )
    finally:
        await worker.shutdown()
        await client.close()
        gc.collect()

    assert results == [name.upper() for name in names]
    ends = _journal.counts(journal, "end")
    assert all(ends[name] >= 1 for name in names)


async def test_result_begun_while_down_waits(
    persistent_server: tuple[str, LocalServer], namespace: str, journal: Path
) -> None:
    url, server = persistent_server
    durable = Durable(url, namespace)
    try:
        client = durable.client()
        await durable.worker()
        handle = await client.workflow.start(
            workflow_name="nap_then_step",
            task_queue=TASK_QUEUE,
            args=[str(journal), "late-waiter", 2.0],
            retry_policy=ONCE,
        )
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        # The wait begins while the server's port is closed.
        waiting = asyncio.ensure_future(handle.result(timeout=30))
        await asyncio.sleep(DOWNTIME_SECONDS)
        assert not waiting.done()
        await asyncio.to_thread(server.start)

        assert await waiting == "LATE-WAITER"
    finally:
        await durable.close()
        gc.collect()
