"""A worker process that reports each request and never answers it.

Usage: ``python _stalling_worker.py URL NAMESPACE APP TOPIC MARKER_FILE``.
The test kills it with SIGKILL while its callback runs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from hotmesh import HotMesh


async def main(url: str, namespace: str, app_id: str, topic: str, marker: str) -> None:
    def stall(message: dict[str, Any]) -> dict[str, Any]:
        with Path(marker).open("a") as handle:
            handle.write(message["metadata"]["jid"] + "\n")
        time.sleep(3600)
        return {"data": {}}

    await HotMesh.init(
        app_id=app_id,
        namespace=namespace,
        connection=url,
        workers=[{"topic": topic, "callback": stall}],
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
