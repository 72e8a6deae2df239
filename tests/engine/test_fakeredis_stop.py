"""An instance on the in-memory fakeredis server stops promptly.

fakeredis's pub/sub read lets a cancellation pass unnoticed, so closing the
store must not wait for its reader task to end by itself.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest

from hotmesh import HotMesh

MODEL = """
app:
  id: stops
  version: '1'
  graphs:
    - subscribes: stops.test
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: stops.work
          job:
            maps:
              y: '{$self.output.data.y}'
      transitions:
        t1:
          - to: a1
"""

STOP_SECONDS = 2.0
"""A generous bound: stopping takes milliseconds when nothing waits."""


def answer(message: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"y": "done"}}


async def start(engine: dict[str, Any], **options: Any) -> HotMesh:
    """Start an instance on a fakeredis server of its own and deploy the model."""
    pytest.importorskip("hotmesh_fakeredis")
    hotmesh = await HotMesh.init(
        app_id="stops",
        namespace=f"stop{secrets.token_hex(3)}",
        connection=f"fakeredis://stops{secrets.token_hex(4)}",
        engine=engine,
        **options,
    )
    await hotmesh.deploy(MODEL)
    return hotmesh


@pytest.mark.timeout(60)
async def test_stop_after_pubsub_is_prompt() -> None:
    hotmesh = await start(
        {"block_ms": 100}, workers=[{"topic": "stops.work", "callback": answer}]
    )
    await hotmesh.activate("1")
    job = await hotmesh.pubsub("stops.test", {}, timeout=10)
    started = time.monotonic()

    await asyncio.wait_for(hotmesh.stop(), STOP_SECONDS * 5)

    assert job["data"]["y"] == "done"
    assert time.monotonic() - started < STOP_SECONDS


@pytest.mark.timeout(60)
async def test_stop_right_after_deploy_is_prompt() -> None:
    hotmesh = await start({})
    started = time.monotonic()

    await asyncio.wait_for(hotmesh.stop(), STOP_SECONDS * 5)

    assert time.monotonic() - started < STOP_SECONDS
