"""A workflow for crash tests, and its activity, which journals every call.

``step`` appends ``<pid> <name>`` to a journal file before it returns, and
blocks for an hour when ``HOTMESH_TEST_STALL`` names the step, so a test
can kill the process while the activity runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hotmesh.durable import RetryPolicy, workflow

STALL_VARIABLE = "HOTMESH_TEST_STALL"


def step(journal: str, name: str) -> str:
    with Path(journal).open("a") as handle:
        handle.write(f"{os.getpid()} {name}\n")
    if os.environ.get(STALL_VARIABLE) == name:
        time.sleep(3600)
    return name.upper()


steps = workflow.proxy_activities(
    activities=[step], retry_policy=RetryPolicy(maximum_attempts=1)
)


async def journey(journal: str) -> list[object]:
    """Two activities, a sleep, an activity, a signal, an activity."""
    one = await steps.step(journal, "one")
    two = await steps.step(journal, "two")
    await workflow.sleep_for(2)
    slept = await steps.step(journal, "slept")
    signal = await workflow.wait_for(f"{workflow.get_context().workflow_id}-go")
    three = await steps.step(journal, "three")
    return [one, two, slept, signal, three]
