"""A password in a connection URL appears in no log, error or repr.

The server requires a password, and an ACL user has one of its own. The
tests run a workflow with each, fail to authenticate and fail to connect,
and search every log record, exception chain and repr for the secret.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

from _servers import LocalServer, ServerFactory, free_port
from hotmesh import HotMesh
from hotmesh.config import parse_url
from hotmesh.durable import Client, Connection, Worker
from hotmesh.errors import AuthenticationError, ConnectionFailedError, HotMeshError
from hotmesh.registry import open_store
from tests.reliability import _workflows
from tests.reliability._support import ENGINE, TASK_QUEUE
from tests.reliability._workflows import ONCE

pytestmark = pytest.mark.timeout(60)

PASSWORD = "s3cret-Pa55word"
USER_PASSWORD = "u5er-Pa55word"
WRONG_PASSWORD = "wr0ng-Pa55word"
SECRETS = (PASSWORD, USER_PASSWORD, WRONG_PASSWORD)


@pytest.fixture
def server(server_factory: ServerFactory) -> LocalServer:
    """Start a ValKey server with a password and an ACL user ``app``."""
    started = server_factory("--requirepass", PASSWORD)
    with started.client(password=PASSWORD) as client:
        rule = f">{USER_PASSWORD}"
        client.execute_command("ACL", "SETUSER", "app", "on", rule, "~*", "&*", "+@all")
    return started


def leaks(text: str) -> list[str]:
    """Return the secrets that appear in a text."""
    return [secret for secret in SECRETS if secret in text]


def exception_text(error: BaseException) -> str:
    """Return an exception's traceback with its whole chain, and its repr."""
    return "".join(traceback.format_exception(error)) + repr(error)


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Return every captured log record, formatted with its exception."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.mark.parametrize("user", ["", "app"])
async def test_password_absent_from_logs(
    server: LocalServer,
    caplog: pytest.LogCaptureFixture,
    journal: Path,
    namespace: str,
    user: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = USER_PASSWORD if user else PASSWORD
    url = f"valkey://{user}:{secret}@127.0.0.1:{server.port}/0"
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
                workflow_name="one_step",
                task_queue=TASK_QUEUE,
                args=[str(journal), "secret"],
                retry_policy=ONCE,
            )
            assert await handle.result(timeout=20) == "SECRET"
    finally:
        await worker.shutdown()

    assert caplog.records
    assert leaks(logged_text(caplog)) == []


async def test_password_absent_from_store_reprs(server: LocalServer) -> None:
    url = f"valkey://:{PASSWORD}@127.0.0.1:{server.port}/0"
    texts = [repr(parse_url(url)), str(parse_url(url))]
    store = await open_store(url)
    try:
        texts += [repr(store), str(store), repr(store.info), str(store.info)]
    finally:
        await store.close()
    mesh = await HotMesh.init(app_id="secrets", connection=url, engine=dict(ENGINE))
    try:
        texts += [repr(mesh), repr(mesh.store), repr(mesh.engine)]
        texts += [repr(router) for router in mesh.routers]
    finally:
        await mesh.stop()

    assert leaks("\n".join(texts)) == []


def test_password_absent_from_connection_repr() -> None:
    connection = Connection(url=f"valkey://:{PASSWORD}@127.0.0.1:6379/0")

    assert leaks(repr(connection)) == []


async def test_wrong_password_error_hides_it(
    server: LocalServer, caplog: pytest.LogCaptureFixture, namespace: str
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"valkey://app:{WRONG_PASSWORD}@127.0.0.1:{server.port}/0"
    errors: list[BaseException] = []
    for connect in (
        lambda: open_store(url),
        lambda: HotMesh.init(app_id="secrets", connection=url, engine=dict(ENGINE)),
        lambda: Client(url, namespace=namespace).mesh(),
    ):
        with pytest.raises(AuthenticationError) as caught:
            await connect()
        errors.append(caught.value)

    for error in errors:
        assert "***" in str(error)
        assert leaks(exception_text(error)) == []
    assert leaks(logged_text(caplog)) == []


async def test_unreachable_server_error_hides_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"valkey://app:{PASSWORD}@127.0.0.1:{free_port()}/0?connect_timeout=1"

    with pytest.raises(ConnectionFailedError) as caught:
        await open_store(url)

    assert isinstance(caught.value, HotMeshError)
    assert leaks(exception_text(caught.value)) == []
    assert leaks(logged_text(caplog)) == []
