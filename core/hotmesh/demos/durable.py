"""Greet someone through a durable workflow whose activity fails half the time.

Run it with ``hotmesh demo durable [NAME] [--url URL]`` or as a script:
``python -m hotmesh.demos.durable``. With no URL and no configured backend
it uses the embedded ValKey server in ``.hotmesh/``.

The file is laid out the way an application usually splits its code:
activities, a workflow, a worker that runs them, and a client that starts
the workflow and waits for its result. The worker logs each failed attempt
of the activity, and the retry policy runs it again until it succeeds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys

from hotmesh.durable import Client, Connection, RetryPolicy, Worker, workflow

TASK_QUEUE = "demo"

# -- activities: ordinary functions, free to fail and to do I/O ---------------


def greet(name: str) -> str:
    """Return a greeting, or fail at random half of the time."""
    if random.random() < 0.5:
        raise ConnectionError(f"the greeting for {name} got lost on the way")
    return f"¡Hola, {name}!"


# -- the workflow: deterministic code that calls activities durably -----------

activities = workflow.proxy_activities(
    activities=[greet],
    retry_policy=RetryPolicy(
        maximum_attempts=0,
        backoff_coefficient=1.5,
        initial_interval="200ms",
        maximum_interval="1 second",
    ),
)


async def hello(name: str) -> str:
    """Greet ``name``; the greet activity is retried until it succeeds."""
    return str(await activities.greet(name))


# -- the worker and the client ------------------------------------------------


async def run(name: str, url: str | None) -> str:
    """Start a worker, run one workflow through a client, return its result."""
    connection = Connection(url=url)
    worker = await Worker.create(
        connection=connection, task_queue=TASK_QUEUE, workflow=hello
    )
    try:
        async with Client(connection) as client:
            handle = await client.workflow.start(
                workflow_name=hello, task_queue=TASK_QUEUE, args=[name]
            )
            print(f"started workflow {handle.workflow_id}")
            return str(await handle.result(timeout=120))
    finally:
        await worker.shutdown()


def main(argv: list[str] | None = None) -> int:
    """Print the workflow's greeting for NAME (default ``HotMesh``)."""
    parser = argparse.ArgumentParser(prog="hotmesh demo durable")
    parser.add_argument("name", nargs="?", default="HotMesh", help="who to greet")
    parser.add_argument(
        "--url", help="store URL; default: the configured or embedded server"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    # Print the worker's warnings about failed attempts as they happen, on
    # stdout only.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    log = logging.getLogger("hotmesh.durable")
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False
    try:
        greeting = asyncio.run(run(args.name, args.url))
    finally:
        log.removeHandler(handler)
        log.propagate = True
    print(greeting)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
