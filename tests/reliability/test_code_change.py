"""Workflow code that changes while instances sleep fails them on wake.

A woken workflow replays its stored history. When the new code makes
another durable call at a recorded position, the run fails for good with a
NonDeterminismError that names the position, instead of reading another
call's stored result.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from pathlib import Path

import pytest

from hotmesh.durable import NonDeterminismError, WorkflowHandle
from tests.reliability import _journal, _workflows
from tests.reliability._support import TASK_QUEUE, wait_for
from tests.reliability._workflows import ONCE
from tests.reliability.conftest import Durable

pytestmark = pytest.mark.timeout(60)

INSTANCES = 3
SLEEP_SECONDS = 2.0

CHANGES = [
    pytest.param(
        _workflows.sleep_then_step,
        _workflows.step_before_sleep,
        "made a proxy call at execution index 1, but its history contains a "
        "sleep call there",
        id="activity-before-sleep",
    ),
    pytest.param(
        _workflows.step_sleep_step,
        _workflows.other_step_first,
        "made a proxy 'flaky' at execution index 1, but its history contains a "
        "proxy 'step' there",
        id="other-activity-first",
    ),
    pytest.param(
        _workflows.sleep_then_step,
        _workflows.nap_before_sleep,
        "made a sleep call of 0.5s at execution index 1, but its history "
        "contains a sleep call of 2.0s there",
        id="sleep-before-sleep",
    ),
]


async def asleep(handle: WorkflowHandle) -> bool:
    """Return whether the workflow has entered its sleep."""
    dump = await handle.export()
    return "sleeper" in json.dumps(dump["process"])


@pytest.mark.parametrize(("before", "after", "message"), CHANGES)
async def test_changed_code_fails_on_wake(
    durable: Durable,
    journal: Path,
    before: _workflows.WorkflowFunction,
    after: _workflows.WorkflowFunction,
    message: str,
) -> None:
    client = durable.client()
    old = await durable.worker(workflow={"changing": before})
    handles = [
        await client.workflow.start(
            workflow_name="changing",
            task_queue=TASK_QUEUE,
            args=[str(journal), f"w{index}", SLEEP_SECONDS],
            retry_policy=ONCE,
        )
        for index in range(INSTANCES)
    ]
    for handle in handles:
        await wait_for(partial(asleep, handle), timeout=20, condition="the sleep")
    await old.shutdown()
    await durable.worker(workflow={"changing": after})

    errors = await asyncio.gather(
        *(handle.result(timeout=30, throw_on_error=False) for handle in handles)
    )

    for handle, error in zip(handles, errors, strict=True):
        assert isinstance(error, NonDeterminismError)
        assert message in str(error)
        assert error.workflow_id == handle.workflow_id
        assert await handle.status() == 0
    starts = _journal.counts(journal, "start")
    for index in range(INSTANCES):
        assert starts[f"w{index}-inserted"] == 0
        assert starts[f"w{index}"] == 0
