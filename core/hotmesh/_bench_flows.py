"""The workers, workflows and functions that ``hotmesh bench`` times.

Workers and activities return their input, so only orchestration is timed.

``python -m hotmesh._bench_flows yaml|durable NAMESPACE`` is a worker
process of the ``-1p`` and ``-2p`` workloads, which the benchmark starts
and stops with :func:`worker_processes`. It serves the YAML worker
topic, or the Durable task queue, of a namespace on the server that
``HOTMESH_URL`` (or the configuration) names, and talks to the benchmark
in lines on standard input and output:

* it prints ``ready`` once it consumes messages, or ``error: <message>``
  and exits 1 when it cannot;
* ``reset`` clears its store call counts and prints ``ok``;
* ``counts`` prints its store call counts by verb as one JSON object;
* end of input (the benchmark closed the pipe or exited) stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from hotmesh.durable import workflow
from hotmesh.store.protocol import AppKey, Store

WORKER_TOPIC = "bench.work"
"""Topic of the YAML model's worker activities."""

TASK_QUEUE = "bench"
"""Task queue of the Durable workflows."""

PROBE_APP_ID = "probe"
PROBE_KEY = "shared"
"""Key-value entry (in app :data:`PROBE_APP_ID` of the namespace) that the
benchmark writes and a worker process must read. A worker process whose
store is not the benchmark's (such as ``fakeredis://``, in-process) so
fails at start instead of leaving jobs unanswered."""


def increment(message: dict[str, Any]) -> dict[str, Any]:
    """Return the message's ``n`` plus one: the YAML worker callback."""
    return {"data": {"n": int(message["data"].get("n") or 0) + 1}}


async def echo(value: int) -> int:
    """Return the value unchanged, so only orchestration is timed."""
    return value


steps = workflow.proxy_activities(activities={"echo": echo})


async def bench_one(value: int) -> int:
    """Call one proxied activity."""
    result: int = await steps.echo(value)
    return result


async def bench_chain(value: int) -> int:
    """Call ten proxied activities in sequence."""
    for _ in range(10):
        value = await steps.echo(value)
    return value


DURABLE_WORKFLOWS = [bench_one, bench_chain]

pluck_runs: collections.Counter[str] = collections.Counter()
"""Runs of :func:`pluck_echo` by argument, so the benchmark can tell a
cache hit from a run."""


async def pluck_echo(value: str) -> str:
    """Return the value unchanged and count the run: the Pluck function."""
    pluck_runs[value] += 1
    return value


# -- the benchmark side: starting and stopping worker processes -------------


WORKER_START_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 10.0
"""Seconds a worker process may take to start, to reply to a command, or
to exit once its standard input closes."""


class WorkerProcesses:
    """Worker processes of one namespace, running :mod:`hotmesh._bench_flows`.

    Each process gets the benchmark's URL through ``HOTMESH_URL``, so the URL
    (and any password in it) stays out of the process list. Without a URL
    it inherits this process's configuration and working folder, so it
    attaches to the same embedded server.
    """

    def __init__(self, kind: str, namespace: str, concurrency: int) -> None:
        self.kind = kind
        self.namespace = namespace
        self.concurrency = concurrency
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, count: int, connection: Any, store: Store) -> None:
        """Start ``count`` processes and wait until each consumes messages.

        Raises:
            RuntimeError: A process failed to start or did not report ready
                within :data:`WORKER_START_TIMEOUT` seconds.
        """
        probe = AppKey(namespace=self.namespace, app_id=PROBE_APP_ID)
        await store.kv_set(probe, PROBE_KEY, "1", ttl_ms=3_600_000)
        environment = dict(os.environ)
        if isinstance(connection, str):
            environment["HOTMESH_URL"] = connection
        command = [sys.executable, "-m", "hotmesh._bench_flows", self.kind]
        command += [self.namespace, "--concurrency", str(self.concurrency)]
        for _ in range(count):
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=environment,
            )
            self.processes.append(process)
        for process in self.processes:
            line = await self._reply(process, WORKER_START_TIMEOUT, "start")
            if line != "ready":
                raise RuntimeError(
                    f"worker process {process.pid} failed to start: {line}"
                )

    async def reset_counts(self) -> None:
        """Clear the store call counts of every process."""
        for process in self.processes:
            await self._send(process, "reset")
            await self._reply(process, WORKER_STOP_TIMEOUT, "reset")

    async def read_counts(self) -> collections.Counter[str]:
        """Return the store calls of every process since the last reset."""
        total: collections.Counter[str] = collections.Counter()
        for process in self.processes:
            await self._send(process, "counts")
            line = await self._reply(process, WORKER_STOP_TIMEOUT, "counts")
            total.update(json.loads(line))
        return total

    async def stop(self) -> None:
        """Close each process's input, then terminate or kill what still runs."""
        for process in self.processes:
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()
        for process in self.processes:
            await _end_process(process)
        self.processes.clear()

    @staticmethod
    async def _send(process: asyncio.subprocess.Process, command: str) -> None:
        assert process.stdin is not None
        process.stdin.write(f"{command}\n".encode())
        await process.stdin.drain()

    @staticmethod
    async def _reply(
        process: asyncio.subprocess.Process, timeout: float, step: str
    ) -> str:
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
        except TimeoutError:
            raise RuntimeError(
                f"worker process {process.pid} did not reply to {step!r} within "
                f"{timeout:g} s"
            ) from None
        if not line:
            status = await process.wait()
            raise RuntimeError(
                f"worker process {process.pid} exited with status {status} "
                f"during {step!r}; its error output is above"
            )
        return line.decode().strip()


async def _end_process(process: asyncio.subprocess.Process) -> None:
    try:
        await asyncio.wait_for(process.wait(), WORKER_STOP_TIMEOUT)
        return
    except TimeoutError:
        pass
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), WORKER_STOP_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def worker_processes(
    kind: str,
    count: int,
    namespace: str,
    concurrency: int,
    connection: Any,
    store: Store,
) -> AsyncIterator[WorkerProcesses]:
    """Run worker processes for the block; they are stopped on any exit."""
    workers = WorkerProcesses(kind, namespace, concurrency)
    try:
        await workers.start(count, connection, store)
        yield workers
    finally:
        await workers.stop()


# -- the worker process itself ---------------------------------------------------------


async def _serve(kind: str, namespace: str, concurrency: int) -> int:
    from hotmesh.bench import CountingStore
    from hotmesh.hotmesh import HotMesh
    from hotmesh.registry import open_store

    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(commands), sys.stdin
    )
    store = await open_store(None)
    counter = CountingStore(store)
    stop: Any = None
    try:
        probe = AppKey(namespace=namespace, app_id=PROBE_APP_ID)
        if await store.kv_get(probe, PROBE_KEY) is None:
            print(
                "error: the benchmark's probe entry is missing from this "
                "process's store, so it does not share the benchmark's server "
                "(an in-process backend such as fakeredis:// cannot be shared)",
                flush=True,
            )
            return 1
        if kind == "yaml":
            mesh = await HotMesh.init(
                app_id="bench",
                namespace=namespace,
                connection=counter,
                engine=None,
                workers=[
                    {
                        "topic": WORKER_TOPIC,
                        "callback": increment,
                        "concurrency": concurrency,
                    }
                ],
            )
            stop = mesh.stop
        else:
            from hotmesh.durable import Connection, Worker

            connection = Connection(url=counter, activate_delay=0.1)  # type: ignore[arg-type]
            worker = await Worker.create(
                connection=connection,
                namespace=namespace,
                task_queue=TASK_QUEUE,
                workflow=DURABLE_WORKFLOWS,
                concurrency=concurrency,
            )
            stop = worker.shutdown
        print("ready", flush=True)
        while line := await commands.readline():
            command = line.decode().strip()
            if command == "reset":
                counter.calls.clear()
                print("ok", flush=True)
            elif command == "counts":
                print(json.dumps(dict(counter.calls)), flush=True)
        return 0
    finally:
        if stop is not None:
            await stop()
        await store.close()


def main(argv: list[str] | None = None) -> int:
    """Serve the benchmark's workers until standard input closes."""
    parser = argparse.ArgumentParser(
        prog="python -m hotmesh._bench_flows",
        description="A worker process of hotmesh bench's -1p and -2p workloads.",
    )
    parser.add_argument("kind", choices=["yaml", "durable"])
    parser.add_argument("namespace")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="messages handled at once"
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_serve(args.kind, args.namespace, args.concurrency))
    except KeyboardInterrupt:
        # Ctrl-C in a terminal reaches the benchmark and its worker
        # processes alike; the benchmark reports it.
        return 130
    except Exception as error:
        print(f"error: {type(error).__name__}: {error}", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
