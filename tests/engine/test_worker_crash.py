"""A worker killed mid-callback loses no job: another worker finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import MeshFactory, wait_for

pytestmark = pytest.mark.timeout(90)

MODEL = """
app:
  id: crash
  version: '1'
  graphs:
    - subscribes: crash.test
      expire: 60
      activities:
        t1:
          type: trigger
        a1:
          type: worker
          topic: crash.work
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


async def test_killed_worker_job_completes(
    mesh: MeshFactory, backend_url: str, namespace: str, tmp_path: Path
) -> None:
    engine = await mesh("crash")
    await engine.deploy(MODEL)
    await engine.activate("1")
    marker = tmp_path / "seen.txt"
    script = Path(__file__).with_name("_stalling_worker.py")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [
            sys.executable,
            str(script),
            backend_url,
            namespace,
            "crash",
            "crash.work",
            str(marker),
        ],
        env=env,
    )
    try:
        job_id = await engine.pub("crash.test", {"x": "saved"})

        async def seen() -> bool:
            return marker.exists() and job_id in marker.read_text()

        await wait_for(seen, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert await engine.get_status(job_id) == 1

    def answer(message: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"y": message["data"]["x"] + " again"}}

    await mesh(
        "crash",
        [{"topic": "crash.work", "callback": answer, "reclaim_delay_ms": 1000}],
        with_engine=False,
    )

    async def finished() -> bool:
        return await engine.get_status(job_id) == 0

    await wait_for(finished, timeout=30)
    state = await engine.get_state("crash.test", job_id)
    assert state["data"]["y"] == "saved again"
