"""A Durable worker process that crash tests kill with SIGKILL.

Usage: ``python _worker_process.py URL NAMESPACE``. It runs the ``journey``
workflow of :mod:`tests.durable._crash` on task queue ``crash`` until killed.
"""

from __future__ import annotations

import asyncio
import sys

from hotmesh.durable import Connection, Worker
from tests.durable import _crash
from tests.durable.conftest import FAST_ENGINE


async def main(url: str, namespace: str) -> None:
    connection = Connection(url=url, engine=FAST_ENGINE, activate_delay=0.05)
    worker = await Worker.create(
        connection=connection,
        namespace=namespace,
        task_queue="crash",
        workflow=_crash.journey,
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
