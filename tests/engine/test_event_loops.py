"""The engine, its workers and the store run on uvloop's event loop too."""

from __future__ import annotations

from typing import Any

import pytest
import uvloop

from hotmesh import HotMesh

MODEL = """
app:
  id: loops
  version: '1'
  graphs:
    - subscribes: loops.test
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: loops.work
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


def echo(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"y": message["data"]["x"]}}


async def run_jobs(url: str, namespace: str) -> list[Any]:
    hotmesh = await HotMesh.init(
        app_id="loops",
        namespace=namespace,
        connection=url,
        engine={"block_ms": 200},
        workers=[{"topic": "loops.work", "callback": echo}],
    )
    try:
        await hotmesh.deploy(MODEL)
        await hotmesh.activate("1")
        outputs = []
        for value in ("one", "two", "three"):
            job = await hotmesh.pubsub("loops.test", {"x": value}, timeout=10)
            outputs.append(job["data"]["y"])
        return outputs
    finally:
        await hotmesh.stop()


@pytest.mark.timeout(60)
def test_jobs_run_on_uvloop(backend_url: str, namespace: str) -> None:
    outputs = uvloop.run(run_jobs(backend_url, namespace))

    assert outputs == ["one", "two", "three"]
