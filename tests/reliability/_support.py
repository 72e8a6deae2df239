"""Settings, processes and stream probes shared by the reliability tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from hotmesh.config import parse_url
from hotmesh.durable import Client, Connection, Worker
from hotmesh.store.protocol import AppKey
from hotmesh_redis.keys import AppKeys, escape_glob
from tests.reliability import _workflows

ROOT = Path(__file__).resolve().parents[2]

TASK_QUEUE = "reliability"

RECLAIM_DELAY_MS = 1000
"""Idle time after which a consumer takes over another's pending message."""

TIMER_POLL_MS = 100

ENGINE: Mapping[str, int] = {
    "block_ms": 200,
    "reclaim_delay_ms": RECLAIM_DELAY_MS,
    "timer_poll_ms": TIMER_POLL_MS,
    "scout_lease_ms": 1000,
}
"""Engine options of every process in these tests: short delays, fast timers."""

HOTMESH_NAMESPACE = "hmsh"
"""Key prefix of the HotMesh instances that Durable opens."""


async def wait_for(
    probe: Callable[[], Awaitable[Any]],
    *,
    timeout: float,
    interval: float = 0.05,
    condition: str = "condition",
) -> Any:
    """Poll ``probe`` until it returns a truthy value, and return that value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{condition} not met within {timeout} s")
        await asyncio.sleep(interval)


async def run_workflow(
    url: str, namespace: str, workflow_name: str, args: list[Any]
) -> Any:
    """Run one reliability workflow with a worker in this process; return its result.

    The worker and client connect with ``url`` and are closed afterwards.
    """
    connection = Connection(url=url, engine=ENGINE, activate_delay=0.05)
    worker = await Worker.create(
        connection=connection,
        namespace=namespace,
        task_queue=TASK_QUEUE,
        workflow=_workflows.workflows(),
    )
    try:
        async with Client(connection, namespace=namespace) as client:
            handle = await client.workflow.start(
                workflow_name=workflow_name,
                task_queue=TASK_QUEUE,
                args=args,
                retry_policy=_workflows.ONCE,
            )
            return await handle.result(timeout=20)
    finally:
        await worker.shutdown()


# -- processes ------------------------------------------------------------------


class Processes:
    """Starts Python processes of this folder and kills them after the test."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[str]] = []

    def start(
        self, script: str, *arguments: str, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[str]:
        """Start ``python <script> <arguments>`` with this checkout on the path."""
        path = Path(__file__).with_name(script)
        environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        log = self.logs / f"{path.stem}-{len(self.started)}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(path), *arguments],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.started.append(process)
        return process

    async def read_line(
        self, process: subprocess.Popen[str], timeout: float = 30
    ) -> str:
        """Return the next line the process prints, without its newline."""
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(
                asyncio.to_thread(process.stdout.readline), timeout
            )
        except TimeoutError:
            raise AssertionError(
                f"process {process.pid} printed nothing within {timeout} s"
            ) from None
        if not line:
            raise AssertionError(
                f"process {process.pid} exited with {process.poll()}: "
                f"{self.log_of(process)}"
            )
        return line.rstrip("\n")

    def log_of(self, process: subprocess.Popen[str]) -> str:
        """Return the last lines the process wrote to its standard error."""
        index = self.started.index(process)
        for log in self.logs.glob(f"*-{index}.log"):
            return " | ".join(log.read_text().splitlines()[-10:])
        return "no log"

    @staticmethod
    def kill(process: subprocess.Popen[str]) -> None:
        """Send SIGKILL unless the process has exited, and wait until it has."""
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for process in self.started:
            self.kill(process)
            if process.stdout is not None:
                process.stdout.close()


# -- stream probes --------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """One pending entry of a consumer group: read but not acknowledged."""

    message_id: str
    consumer: str
    deliveries: int


class StreamProbe:
    """Reads consumer-group facts that the store protocol has no verb for."""

    def __init__(self, url: str, app: AppKey) -> None:
        settings = parse_url(url)
        self.keys = AppKeys(app)
        options: dict[str, Any] = {
            "password": settings.password,
            "username": settings.username,
            "decode_responses": True,
        }
        if settings.cluster:
            self.client: Any = RedisCluster(
                host=settings.host, port=settings.port or 6379, **options
            )
        else:
            self.client = aioredis.Redis(
                host=settings.host,
                port=settings.port or 6379,
                db=settings.db,
                **options,
            )

    async def pending(self, topic: str, group: str) -> list[Pending]:
        """Return the pending entries of a topic's consumer group."""
        key = self.keys.stream(topic)
        if not await self.client.exists(key):
            return []
        entries = await self.client.xpending_range(key, group, "-", "+", 10_000)
        return [
            Pending(
                str(entry["message_id"]),
                str(entry["consumer"]),
                int(entry["times_delivered"]),
            )
            for entry in entries
        ]

    async def payload(self, topic: str, message_id: str) -> dict[str, Any]:
        """Return the decoded message with this id on a topic's stream."""
        entries = await self.client.xrange(
            self.keys.stream(topic), message_id, message_id
        )
        assert entries, f"message {message_id} is not on topic {topic!r}"
        decoded: dict[str, Any] = json.loads(entries[0][1]["m"])
        return decoded

    async def timers(self) -> dict[str, int]:
        """Return the app's scheduled timers: timer id to due time in ms."""
        entries = await self.client.zrange(self.keys.timers, 0, -1, withscores=True)
        return {str(member): int(score) for member, score in entries}

    async def consumers(self, topic: str, group: str) -> dict[str, int]:
        """Return each consumer of a topic's group with its pending count."""
        key = self.keys.stream(topic)
        if not await self.client.exists(key):
            return {}
        found = await self.client.xinfo_consumers(key, group)
        return {str(entry["name"]): int(entry["pending"]) for entry in found}

    async def topics(self) -> list[str]:
        """Return the topics of the app's streams, dead-letter streams excluded."""
        prefix = self.keys.stream("")
        pattern = f"{escape_glob(prefix)}*"
        names = [name async for name in self.client.scan_iter(match=pattern)]
        return sorted(name[len(prefix) :] for name in names)

    async def close(self) -> None:
        await self.client.aclose()
