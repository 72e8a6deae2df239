"""Workflows that sleep past the reclaim delay run each side effect once.

Sleeping workflows hold no message: a timer wakes each one. Reclaimers that
run all through the sleep must find nothing to take over, and each
workflow's activity, whose call is the side effect, runs exactly once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.reliability import _journal
from tests.reliability._support import RECLAIM_DELAY_MS, TASK_QUEUE, Processes
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(120)

WORKFLOWS = 200


async def test_sleepers_run_each_effect_once(
    durable: Durable, processes: Processes, journal: Path
) -> None:
    client = durable.client()
    await client.mesh()
    other = processes.start("_worker_process.py", durable.url, durable.namespace)
    assert (await processes.read_line(other)).startswith("ready")
    await durable.worker()
    names = [f"sleeper-{index}" for index in range(WORKFLOWS)]
    # Sleeps from 1.5 to 2.5 reclaim delays, spread over the workflows.
    seconds = [
        (1.5 + index / WORKFLOWS) * RECLAIM_DELAY_MS / 1000
        for index in range(WORKFLOWS)
    ]
    handles = await asyncio.gather(
        *(
            client.workflow.start(
                workflow_name="nap_then_step",
                task_queue=TASK_QUEUE,
                args=[str(journal), name, nap],
                retry_policy=ONCE,
            )
            for name, nap in zip(names, seconds, strict=True)
        )
    )
    results = await asyncio.gather(*(handle.result(timeout=60) for handle in handles))

    assert results == [name.upper() for name in names]
    starts = _journal.counts(journal, "start")
    ends = _journal.counts(journal, "end")
    assert {name: starts[name] for name in names} == dict.fromkeys(names, 1)
    assert {name: ends[name] for name in names} == dict.fromkeys(names, 1)
    # Both worker processes took part.
    assert len({line["pid"] for line in _journal.read(journal)}) == 2
