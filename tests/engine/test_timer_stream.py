"""Timers deliver to a stream of their own, which every engine reads.

A wake therefore does not wait behind messages queued in the engine
stream, and the engine's throttle applies to both streams.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from hotmesh import HotMesh
from hotmesh.engine.router import PAUSED, Router
from hotmesh.errors import ConfigurationError, ModelValidationError
from hotmesh.store.protocol import ENGINE_TOPIC, TIMER_TOPIC
from tests.engine.conftest import MeshFactory

NAP_APP = """
app:
  id: nap
  version: '1'
  graphs:
    - subscribes: nap.start
      activities:
        t1:
          type: trigger
        nap:
          type: hook
          sleep: 1
        after:
          type: hook
      transitions:
        t1:
          - to: nap
        nap:
          - to: after
"""


def engine_router(hotmesh: HotMesh, topic: str) -> Router:
    """Return the router of this instance's engine that reads ``topic``."""
    (router,) = [router for router in hotmesh.routers if router.topic == topic]
    return router


async def wait_until(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 5
    while not await condition():
        assert time.monotonic() < deadline, "condition not met within 5 s"
        await asyncio.sleep(0.05)


async def test_wake_needs_no_engine_stream(mesh: MeshFactory) -> None:
    hotmesh = await mesh("nap")
    assert hotmesh.store is not None
    await hotmesh.deploy(NAP_APP)
    await hotmesh.activate("1")
    job_id = await hotmesh.pub("nap.start", {})

    async def nap_fields() -> list[str]:
        fields = await hotmesh.get_raw(job_id)
        return [name for name in fields if name.startswith("a/nap/")]

    async def asleep() -> bool:
        return bool(await nap_fields())

    async def woke() -> bool:
        # The wake stores the timer's message as the hook's data.
        return any(name.endswith("/h") for name in await nap_fields())

    async def finished() -> bool:
        return await hotmesh.get_status(job_id) == 0

    await wait_until(asleep)
    assert not await woke()
    engine_router(hotmesh, ENGINE_TOPIC).set_throttle(PAUSED)

    await wait_until(woke)
    # The step after the sleep waits in the paused engine stream.
    assert await hotmesh.get_status(job_id) > 0
    assert await hotmesh.store.stream_depth(hotmesh.app, ENGINE_TOPIC) == 1
    engine_router(hotmesh, ENGINE_TOPIC).set_throttle(0)
    await wait_until(finished)


async def test_throttle_pauses_timer_stream(mesh: MeshFactory) -> None:
    hotmesh = await mesh("nap")
    timers = engine_router(hotmesh, TIMER_TOPIC)

    async def paused() -> bool:
        return timers.throttle_ms == PAUSED

    async def resumed() -> bool:
        return timers.throttle_ms == 0

    await hotmesh.throttle(PAUSED)
    await wait_until(paused)
    await hotmesh.throttle(0)
    await wait_until(resumed)


async def test_worker_rejects_timer_topic(mesh: MeshFactory) -> None:
    with pytest.raises(ConfigurationError, match="reserves"):
        await mesh("nap", [{"topic": TIMER_TOPIC, "callback": lambda m: m}])


async def test_model_rejects_timer_topic(mesh: MeshFactory) -> None:
    hotmesh = await mesh("nap")
    model = NAP_APP.replace(
        "        after:\n          type: hook\n",
        f"        after:\n          type: worker\n          topic: '{TIMER_TOPIC}'\n",
    )
    with pytest.raises(ModelValidationError, match="reserved for the engine's timers"):
        await hotmesh.deploy(model)
