"""A callback slower than the reclaim delay keeps its message and runs once."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import pytest

from tests.engine.conftest import MeshFactory

pytestmark = pytest.mark.timeout(60)

MODEL = """
app:
  id: slow
  version: '1'
  graphs:
    - subscribes: slow.test
      expire: 30
      activities:
        t1:
          type: trigger
        w1:
          type: worker
          topic: slow.work
          input:
            maps:
              key: '{t1.output.data.key}'
          job:
            maps:
              done: '{$self.output.data.done}'
      transitions:
        t1:
          - to: w1
"""


async def test_slow_callback_runs_once(mesh: MeshFactory) -> None:
    runs: collections.Counter[str] = collections.Counter()

    async def slow(message: dict[str, Any]) -> dict[str, Any]:
        runs[message["data"]["key"]] += 1
        await asyncio.sleep(3)
        return {"data": {"done": True}}

    worker = {"topic": "slow.work", "callback": slow, "reclaim_delay_ms": 1000}
    first = await mesh("slow", [worker])
    await mesh("slow", [worker])
    await first.deploy(MODEL)
    await first.activate("1", delay=0.05)

    jobs = await asyncio.gather(
        *(first.pubsub("slow.test", {"key": f"k{n}"}, timeout=30) for n in range(3))
    )

    assert all(job["data"]["done"] is True for job in jobs)
    assert runs == {"k0": 1, "k1": 1, "k2": 1}
