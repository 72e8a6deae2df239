"""A workflow that no worker serves yet waits, then completes once one starts.

Nothing reads the workflow's request, so it stays on its topic's stream:
no reclaim moves it and no delivery count grows, however long it waits.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from hotmesh.durable._app import workflow_topic
from hotmesh.errors import JobTimeoutError
from tests.reliability import _journal
from tests.reliability._support import RECLAIM_DELAY_MS, TASK_QUEUE
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(60)


async def test_unserved_workflow_waits(durable: Durable, journal: Path) -> None:
    client = durable.client()
    mesh = await client.mesh()
    store = mesh.store
    assert store is not None
    handle = await client.workflow.start(
        workflow_name="one_step",
        task_queue=TASK_QUEUE,
        args=[str(journal), "late"],
        retry_policy=ONCE,
    )
    # The client's engine reclaims twice meanwhile.
    await asyncio.sleep(2.5 * RECLAIM_DELAY_MS / 1000)

    assert await handle.status() > 0
    state = await handle.state()
    assert "error" not in state
    assert "response" not in state
    with pytest.raises(JobTimeoutError) as caught:
        await handle.result(timeout=0.5)
    assert "keeps running" in str(caught.value)
    topic = workflow_topic(TASK_QUEUE, "one_step")
    assert await store.stream_depth(durable.app(), topic) == 1
    assert await store.read_dead_letters(durable.app(), topic) == []
    assert _journal.read(journal) == []

    await durable.worker()

    assert await handle.result(timeout=30) == "LATE"
    assert _journal.pids(journal, "end", "late") == [os.getpid()]
