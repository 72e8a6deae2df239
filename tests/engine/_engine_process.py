"""An engine in its own process, for tests that need several processes.

Usage: ``python _engine_process.py URL NAMESPACE APP``. It starts an engine
with a short scout lease and answers commands published on the app channel
``test.command``: ``{"pub": TOPIC, "data": {...}, "reply": CHANNEL}`` starts
a job and publishes ``{"job_id": ...}`` on ``reply``. The test ends it with
SIGKILL or SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from hotmesh import HotMesh


async def main(url: str, namespace: str, app_id: str) -> None:
    hotmesh = await HotMesh.init(
        app_id=app_id,
        namespace=namespace,
        connection=url,
        engine={
            "block_ms": 200,
            "timer_poll_ms": 100,
            "scout_lease_ms": 2000,
            "concurrency": 1,
        },
    )
    assert hotmesh.store is not None
    store = hotmesh.store

    async def on_command(channel: str, text: str) -> None:
        command: dict[str, Any] = json.loads(text)
        job_id = await hotmesh.pub(command["pub"], command.get("data") or {})
        reply = json.dumps({"job_id": job_id})
        await store.publish(hotmesh.app, command["reply"], reply)

    await store.subscribe(hotmesh.app, "test.command", on_command)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
