"""Each engine step costs one atomic write, plus a state read when uncached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hotmesh import HotMesh
from hotmesh.bench import CountingStore
from hotmesh.registry import open_store

MODEL = """
app:
  id: trips
  version: '1'
  graphs:
    - subscribes: trips.test
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: trips.work
          input:
            maps:
              x: '{t1.output.data.x}'
          job:
            maps:
              y: '{$self.output.data.y}'
      transitions:
        t1:
          - to: a1
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("state_cache", [10_000, 0], ids=["cached", "uncached"])
async def test_step_costs_one_write(
    backend_url: str, namespace: str, state_cache: int
) -> None:
    store = await open_store(backend_url)
    counting = CountingStore(store)

    def echo(message: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"y": message["data"]["x"]}}

    hotmesh = await HotMesh.init(
        app_id="trips",
        namespace=namespace,
        connection=counting,
        engine={"block_ms": 200, "state_cache": state_cache},
        workers=[{"topic": "trips.work", "callback": echo}],
    )
    try:
        await hotmesh.deploy(MODEL)
        await hotmesh.activate("1")
        counting.calls.clear()

        job = await hotmesh.pubsub("trips.test", {"x": "counted"}, timeout=10)

        assert job["data"]["y"] == "counted"
        calls: Callable[[str], int] = counting.calls.__getitem__
        # Steps: leg 1 of a1, then leg 2 of a1 with the job's completion
        # folded in, each one atomic write. An engine that wrote the job's
        # last state reuses it; without that cache each step first reads it.
        assert calls("create_job") == 1
        assert calls("commit_step") == 2
        assert calls("read_job") == (0 if state_cache else 2)
        # The worker responds and acknowledges in one write.
        assert calls("ack") == 1
        assert calls("add_message") == 0
    finally:
        await hotmesh.stop()
        await store.close()
