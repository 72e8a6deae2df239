"""Engines in separate processes: scout fail-over and version switches."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotmesh import HotMesh
from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(90)

SLEEPER = """
app:
  id: procs
  version: '{version}'
  graphs:
    - subscribes: nap
      expire: 60
      activities:
        t1:
          type: trigger
        s1:
          type: hook
          sleep: '{{t1.output.data.seconds}}'
          job:
            maps:
              woke: true
      transitions:
        t1:
          - to: s1
"""


@pytest.fixture
def engine_process(backend_url: str, namespace: str) -> Iterator[subprocess.Popen[str]]:
    """Start an engine in another process and stop it after the test."""
    script = Path(__file__).with_name("_engine_process.py")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, str(script), backend_url, namespace, "procs"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    process.stdout.close()


async def _deploy_versions(hotmesh: HotMesh) -> None:
    for version in ("1", "2"):
        await hotmesh.deploy(SLEEPER.format(version=version))
    assert await hotmesh.activate("1", delay=0.1) is True


async def test_scout_fails_over(
    mesh: MeshFactory, engine_process: subprocess.Popen[str]
) -> None:
    hotmesh = await mesh("procs", engine={"scout_lease_ms": 2000})
    await _deploy_versions(hotmesh)
    assert hotmesh.store is not None
    # The other process started first and has the scout role.
    assert not await hotmesh.store.acquire_role(hotmesh.app, "scout", "probe", 100)

    job_ids = [await hotmesh.pub("nap", {"seconds": 1}) for _ in range(5)]
    engine_process.send_signal(signal.SIGKILL)
    engine_process.wait(timeout=10)

    async def all_woke() -> bool:
        statuses = [await hotmesh.get_status(job_id) for job_id in job_ids]
        return statuses == [0] * len(job_ids)

    await wait_for(all_woke, timeout=20)
    for job_id in job_ids:
        state = await hotmesh.get_state("nap", job_id)
        assert state["data"]["woke"] is True


async def test_versions_switch_together(
    mesh: MeshFactory, engine_process: subprocess.Popen[str]
) -> None:
    hotmesh = await mesh("procs")
    await _deploy_versions(hotmesh)
    assert hotmesh.quorum is not None
    assert await hotmesh.quorum.request_quorum(0.3) == 2
    assert hotmesh.store is not None
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def on_reply(channel: str, text: str) -> None:
        await replies.put(json.loads(text))

    await hotmesh.store.subscribe(hotmesh.app, "test.reply", on_reply)

    async def pub_elsewhere(data: dict[str, Any]) -> str:
        command = {"pub": "nap", "data": data, "reply": "test.reply"}
        await hotmesh.store.publish(hotmesh.app, "test.command", json.dumps(command))  # type: ignore[union-attr]
        reply = await asyncio.wait_for(replies.get(), 10)
        return str(reply["job_id"])

    before = await pub_elsewhere({"seconds": 2})
    assert await hotmesh.activate("2", delay=0.1) is True
    after = await pub_elsewhere({"seconds": 0})

    async def both_done() -> bool:
        return all([await hotmesh.get_status(job) == 0 for job in (before, after)])

    await wait_for(both_done, timeout=20)
    assert (await hotmesh.get_state("nap", before))["metadata"]["vrs"] == "1"
    assert (await hotmesh.get_state("nap", after))["metadata"]["vrs"] == "2"
