"""The server restarts while workflows sleep: nothing is lost or repeated.

The server writes every change to its append-only file before it replies,
and is killed with SIGKILL while workflows sleep and workers wait in
blocking reads. It restarts on the same port a moment later. The workers
reconnect by themselves and each workflow wakes once, never early.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from _servers import LocalServer
from tests.reliability import _journal
from tests.reliability._support import (
    TASK_QUEUE,
    TIMER_POLL_MS,
    StreamProbe,
    wait_for,
)
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(120)

WORKFLOWS = 20
DOWNTIME_SECONDS = 1.5
"""How long the server stays down before it restarts."""

STEP_ALLOWANCE_MS = 200
"""Time the engine may take to apply a wake once the scout fires its timer:
a stream read and one step, on a loaded machine."""


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
    url: str, server: LocalServer, namespace: str, journal: Path
) -> Outcome:
    """Start sleeping workflows, kill and restart the server, await them all."""
    durable = Durable(url, namespace)
    probe = StreamProbe(url, durable.app())
    try:
        client = durable.client()
        mesh = await client.mesh()
        await durable.worker()
        await durable.worker()
        # Sleeps from 1 to 4 s: some end while the server is down.
        naps = [1 + 3 * index / WORKFLOWS for index in range(WORKFLOWS)]
        handles = [
            await client.workflow.start(
                workflow_name="nap_then_step",
                task_queue=TASK_QUEUE,
                args=[str(journal), f"sleeper-{index}", nap],
                retry_policy=ONCE,
            )
            for index, nap in enumerate(naps)
        ]

        async def all_asleep() -> dict[str, int] | None:
            timers = await probe.timers()
            return timers if len(timers) == WORKFLOWS else None

        timers = await wait_for(all_asleep, timeout=20, condition="every sleep started")
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        await asyncio.sleep(DOWNTIME_SECONDS)
        await asyncio.to_thread(server.start)
        back_ms = int(time.time() * 1000)

        results = await asyncio.gather(
            *(handle.result(timeout=60) for handle in handles)
        )
        woke = {
            handle.workflow_id: wake_ms(await mesh.get_raw(handle.workflow_id))
            for handle in handles
        }
    finally:
        await probe.close()
        await durable.close()
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


async def test_restart_wakes_each_once(
    persistent_server: tuple[str, LocalServer], namespace: str, journal: Path
) -> None:
    url, server = persistent_server

    outcome = await restart_while_sleeping(url, server, namespace, journal)

    names = [f"sleeper-{index}" for index in range(WORKFLOWS)]
    assert sorted(outcome.results.values()) == sorted(name.upper() for name in names)
    starts = _journal.counts(journal, "start")
    assert {name: starts[name] for name in names} == dict.fromkeys(names, 1)
    assert outcome.woke_ms.keys() == outcome.due_ms.keys()
    for job_id, woke in outcome.woke_ms.items():
        assert woke >= outcome.due_ms[job_id], f"{job_id} woke early"


async def test_restart_lateness_within_poll(
    persistent_server: tuple[str, LocalServer], namespace: str, journal: Path
) -> None:
    url, server = persistent_server

    outcome = await restart_while_sleeping(url, server, namespace, journal)

    lateness = {
        job_id: woke - max(outcome.due_ms[job_id], outcome.back_ms)
        for job_id, woke in outcome.woke_ms.items()
    }
    latest = max(lateness.values())
    by_due = sorted(outcome.due_ms, key=outcome.due_ms.__getitem__)
    assert latest <= TIMER_POLL_MS + STEP_ALLOWANCE_MS, (
        f"a sleep ended {latest} ms late (lateness in ms, by due time: "
        f"{[lateness[job_id] for job_id in by_due]})"
    )
