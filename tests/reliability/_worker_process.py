"""A Durable worker process that reliability tests kill with SIGKILL.

Usage: ``python _worker_process.py URL NAMESPACE [--concurrency N]
[--reclaim-delay-ms MS] [--graceful]``. It serves every workflow of
:mod:`tests.reliability._workflows` on task queue ``reliability`` and
prints ``ready <consumer name>`` once it consumes its streams. With
``--graceful``, SIGTERM starts a shutdown that waits for the activities in
flight, and the process prints ``stopping`` when the shutdown begins.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from hotmesh.durable import Connection, Worker
from tests.reliability import _workflows
from tests.reliability._support import ENGINE, RECLAIM_DELAY_MS, TASK_QUEUE


async def main(arguments: argparse.Namespace) -> None:
    connection = Connection(url=arguments.url, engine=ENGINE, activate_delay=0.05)
    worker = await Worker.create(
        connection=connection,
        namespace=arguments.namespace,
        task_queue=TASK_QUEUE,
        workflow=_workflows.workflows(),
        concurrency=arguments.concurrency,
        reclaim_delay_ms=arguments.reclaim_delay_ms,
    )
    if arguments.graceful:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: _stop(worker))
    print("ready", worker.mesh.instance_id, flush=True)
    await worker.run()


def _stop(worker: Worker) -> None:
    print("stopping", flush=True)
    asyncio.get_running_loop().create_task(worker.shutdown())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("namespace")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--reclaim-delay-ms", type=int, default=RECLAIM_DELAY_MS)
    parser.add_argument("--graceful", action="store_true")
    asyncio.run(main(parser.parse_args()))
