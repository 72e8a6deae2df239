"""A HotMesh worker process whose callback journals and may stall.

Usage: ``python _callback_process.py URL NAMESPACE APP TOPIC JOURNAL
CONCURRENCY``. It serves one topic, reading as many requests as it can run
at once. The callback journals each request's job id, then blocks for an
hour when ``RELIABILITY_STALL`` is ``*``. It prints ``ready <consumer
name>`` once it consumes the topic.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from hotmesh import HotMesh
from tests.reliability import _journal
from tests.reliability._support import RECLAIM_DELAY_MS
from tests.reliability._workflows import stall_if_listed


async def main(
    url: str, namespace: str, app_id: str, topic: str, journal: str, concurrency: str
) -> None:
    def callback(message: dict[str, Any]) -> dict[str, Any]:
        job_id = str(message["metadata"]["jid"])
        _journal.record(journal, "start", job_id)
        stall_if_listed(job_id)
        _journal.record(journal, "end", job_id)
        return {"data": {"done": True}}

    hotmesh = await HotMesh.init(
        app_id=app_id,
        namespace=namespace,
        connection=url,
        workers=[
            {
                "topic": topic,
                "callback": callback,
                "concurrency": int(concurrency),
                "reclaim_delay_ms": RECLAIM_DELAY_MS,
            }
        ],
    )
    print("ready", hotmesh.instance_id, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
