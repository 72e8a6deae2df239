"""Fixtures for Pluck tests: a Pluck instance per test on each matrix backend."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from hotmesh.durable import Connection
from hotmesh.pluck import Pluck
from hotmesh.search import SearchField, SearchIndex
from tests.durable.conftest import FAST_ENGINE

GREETING_INDEX = SearchIndex(
    "greeting",
    fields=[SearchField("email", "text"), SearchField("newsletter", "tag")],
    prefixes=["greeting"],
)
"""The default index of the Pluck instance in upstream's tests."""


@pytest.fixture
def namespace() -> str:
    """Return a namespace no other test uses."""
    return f"p{secrets.token_hex(4)}"


@pytest.fixture
def connection(backend_url: str) -> Connection:
    """Return a connection whose engines poll fast, so sleeps wake promptly."""
    return Connection(url=backend_url, engine=FAST_ENGINE, activate_delay=0.05)


@pytest.fixture
async def pluck(connection: Connection, namespace: str) -> AsyncIterator[Pluck]:
    """Yield a Pluck instance in the test's namespace and shut it down afterwards."""
    instance = Pluck(connection, namespace=namespace, search=GREETING_INDEX)
    yield instance
    await instance.shutdown()
