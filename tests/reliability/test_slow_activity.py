"""A live activity slower than the reclaim delay runs once.

While an activity runs, its worker extends the lease of the request, so a
reclaimer in another process leaves the request alone, even when the
activity blocks the worker's event loop or the reclaimer's delay is the
shorter one. The activity runs in a worker process, and a worker in the
test process reclaims every ``RECLAIM_DELAY_MS`` while it runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import _journal
from tests.reliability._support import (
    RECLAIM_DELAY_MS,
    TASK_QUEUE,
    Processes,
    wait_for,
)
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(90)

SLOW_SECONDS = 3.5 * RECLAIM_DELAY_MS / 1000
"""How long the activity runs: several reclaim delays."""

DEFAULT_RECLAIM_DELAY_MS = 60_000
"""The reclaim delay of a Durable worker created without one."""

CASES = [
    pytest.param("slow_step", RECLAIM_DELAY_MS, id="thread"),
    pytest.param("slow_blocking_step", RECLAIM_DELAY_MS, id="blocked-event-loop"),
    pytest.param("slow_step", DEFAULT_RECLAIM_DELAY_MS, id="longer-reclaim-delay"),
]


@pytest.mark.parametrize(("workflow", "runner_reclaim_delay_ms"), CASES)
async def test_slow_activity_runs_once(
    durable: Durable,
    processes: Processes,
    journal: Path,
    workflow: str,
    runner_reclaim_delay_ms: int,
) -> None:
    client = durable.client()
    await client.mesh()
    runner = processes.start(
        "_worker_process.py",
        durable.url,
        durable.namespace,
        "--reclaim-delay-ms",
        str(runner_reclaim_delay_ms),
    )
    assert (await processes.read_line(runner)).startswith("ready")
    handle = await client.workflow.start(
        workflow_name=workflow,
        task_queue=TASK_QUEUE,
        args=[str(journal), "slow", SLOW_SECONDS],
        retry_policy=ONCE,
    )

    async def started() -> bool:
        return _journal.counts(journal, "start")["slow"] == 1

    await wait_for(started, timeout=30, condition="the activity started")
    await durable.worker()

    async def ended() -> bool:
        return runner.pid in _journal.pids(journal, "end", "slow")

    await wait_for(ended, timeout=SLOW_SECONDS + 10, condition="the activity ended")
    assert _journal.pids(journal, "start", "slow") == [runner.pid]
    assert await handle.result(timeout=30) == "SLOW"
    assert _journal.pids(journal, "end", "slow") == [runner.pid]
