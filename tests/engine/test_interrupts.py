"""Interrupting a job also interrupts the children it waits for."""

from __future__ import annotations

import asyncio

import pytest

from hotmesh import JobInterruptedError, JobNotFoundError
from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(60)

MODEL = """
app:
  id: family
  version: '1'
  graphs:
    - subscribes: parent.start
      expire: 30
      activities:
        p0:
          type: trigger
        p1:
          type: await
          topic: child.start
          input:
            maps:
              key: '{p0.output.data.key}'
      transitions:
        p0:
          - to: p1
    - subscribes: child.start
      expire: 30
      activities:
        c0:
          type: trigger
          stats:
            id: '{$self.input.data.key}'
        c1:
          type: hook
      transitions:
        c0:
          - to: c1
      hooks:
        child.resume:
          - to: c1
            conditions:
              match:
                - expected: '{$job.metadata.jid}'
                  actual: '{$self.hook.data.id}'
"""


async def test_interrupt_cascades_to_child(mesh: MeshFactory) -> None:
    hotmesh = await mesh("family")
    await hotmesh.deploy(MODEL)
    await hotmesh.activate("1", delay=0.05)
    parent = await hotmesh.pub("parent.start", {"key": "kid-1"})

    async def child_paused() -> bool:
        try:
            return await hotmesh.get_status("kid-1") == 1
        except JobNotFoundError:
            return False

    await wait_for(child_paused)
    await hotmesh.interrupt("parent.start", parent, reason="stop the family")

    async def child_interrupted() -> bool:
        return await hotmesh.get_status("kid-1") < -100_000_000

    await wait_for(child_interrupted)
    assert await hotmesh.get_status(parent) < -100_000_000
    state = await hotmesh.get_state("child.start", "kid-1")
    assert "interrupted" in state["metadata"]["err"]
    with pytest.raises(JobNotFoundError, match="not running"):
        await hotmesh.interrupt("parent.start", parent)


@pytest.mark.parametrize(("code", "key"), [(410, "kid-2"), (503, "kid-3")])
async def test_interrupted_pubsub_raises_interrupted(
    mesh: MeshFactory, code: int, key: str
) -> None:
    """Any interrupt code raises JobInterruptedError, carrying the code."""
    hotmesh = await mesh("family")
    await hotmesh.deploy(MODEL)
    await hotmesh.activate("1", delay=0.05)
    waiter = hotmesh.pubsub("child.start", {"key": key}, timeout=10)

    task = asyncio.ensure_future(waiter)

    async def paused() -> bool:
        try:
            return await hotmesh.get_status(key) == 1
        except JobNotFoundError:
            return False

    await wait_for(paused)
    await hotmesh.interrupt("child.start", key, reason="enough", code=code)

    with pytest.raises(JobInterruptedError) as caught:
        await task
    assert caught.value.code == code
    assert str(caught.value) == "enough"
