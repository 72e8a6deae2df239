"""Fixtures for Durable tests: clients and workers on each matrix backend."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hotmesh.durable import Client, Connection, Worker

FAST_ENGINE = {
    "block_ms": 200,
    "reclaim_delay_ms": 1500,
    "timer_poll_ms": 100,
    "scout_lease_ms": 1000,
}


@pytest.fixture
def namespace() -> str:
    """Return a Durable namespace no other test uses."""
    return f"d{secrets.token_hex(4)}"


@pytest.fixture
def connection(backend_url: str) -> Connection:
    """Return a connection whose engines poll fast, so sleeps wake promptly."""
    return Connection(url=backend_url, engine=FAST_ENGINE, activate_delay=0.05)


class Durable:
    """Creates clients and workers in one namespace and closes them after a test."""

    def __init__(self, connection: Connection, namespace: str) -> None:
        self.connection = connection
        self.namespace = namespace
        self.clients: list[Client] = []
        self.workers: list[Worker] = []

    def client(self) -> Client:
        client = Client(self.connection, namespace=self.namespace)
        self.clients.append(client)
        return client

    async def worker(self, **options: Any) -> Worker:
        options.setdefault("task_queue", "tests")
        worker = await Worker.create(
            connection=self.connection, namespace=self.namespace, **options
        )
        self.workers.append(worker)
        return worker

    async def close(self) -> None:
        await asyncio.gather(*(worker.shutdown() for worker in self.workers))
        await asyncio.gather(*(client.close() for client in self.clients))


@pytest.fixture
async def durable(connection: Connection, namespace: str) -> AsyncIterator[Durable]:
    """Yield a factory of Durable clients and workers, closed after the test."""
    helper = Durable(connection, namespace)
    yield helper
    await helper.close()
