"""The store conformance suite, as a pytest plugin.

A backend package runs the suite against its store by naming this plugin
in a test module and defining one fixture there (or in a conftest)::

    pytest_plugins = ["hotmesh.testing.conformance"]

    @pytest.fixture
    def hotmesh_store_factory():
        async def open_store(**options: str) -> Store:
            store = MyStore(url, options)
            await store.connect()
            return store
        return open_store

Fixture contract:

* ``hotmesh_store_factory`` returns an async callable. Each call returns a
  new store, already connected, on the same server and data as the
  previous calls, so two stores of one test see each other's writes.
  Keyword arguments are backend options given as strings, as in a URL's
  query string; the suite passes only ``max_payload_bytes``. The suite
  closes every store it gets, so the factory need not.
* Each test works in its own app, ``AppKey("t<random hex>", "app")``, and
  never flushes the server. Stores that implement
  :class:`hotmesh.testing.StoreInspection` get that app's keys deleted
  after each test; tests that need inspection skip on other stores, naming
  the protocol.
* Tests are async and marked for pytest-asyncio, which must be installed.

Every module that lists this plugin in ``pytest_plugins`` gets the
contract test classes (``TestJobs``, ``TestSteps``, ...) added to it, so
test ids read ``test_store.py::TestSteps::test_lost_lease_writes_nothing``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from hotmesh.store.protocol import AppKey, Store
from hotmesh.testing import OpenStore, StoreInspection
from hotmesh.testing.contracts import CONTRACT_CLASSES


def pytest_pycollect_makeitem(
    collector: pytest.Collector, name: str, obj: object
) -> list[pytest.Class] | None:
    """Add the contract classes to each module that lists this plugin."""
    if name != "pytest_plugins" or not isinstance(collector, pytest.Module):
        return None
    plugins = [obj] if isinstance(obj, str) else obj
    if not isinstance(plugins, list | tuple) or __name__ not in plugins:
        return None
    items = []
    for contract in CONTRACT_CLASSES:
        # pytest finds a class collector's object by name on its module.
        setattr(collector.obj, contract.__name__, contract)
        items.append(pytest.Class.from_parent(collector, name=contract.__name__))
    return items


@pytest.fixture
def hotmesh_app() -> AppKey:
    """Return an app key in a namespace no other test uses."""
    return AppKey(namespace=f"t{secrets.token_hex(6)}", app_id="app")


@pytest_asyncio.fixture
async def hotmesh_open_store(
    hotmesh_store_factory: OpenStore, hotmesh_app: AppKey
) -> AsyncIterator[OpenStore]:
    """Return the backend's factory; close its stores and purge the app after."""
    opened: list[Store] = []

    async def open_store(**options: Any) -> Store:
        store = await hotmesh_store_factory(**options)
        opened.append(store)
        return store

    yield open_store
    try:
        inspectable = [store for store in opened if isinstance(store, StoreInspection)]
        if inspectable:
            await inspectable[0].purge_app(hotmesh_app)
    finally:
        for store in opened:
            await store.close()


@pytest_asyncio.fixture
async def hotmesh_store(hotmesh_open_store: OpenStore) -> Store:
    """Return a connected store; the suite closes it after the test."""
    return await hotmesh_open_store()


@pytest.fixture
def hotmesh_inspection(hotmesh_store: Store) -> StoreInspection:
    """Return the store's test-only inspection view, or skip the test."""
    if not isinstance(hotmesh_store, StoreInspection):
        pytest.skip(
            f"{type(hotmesh_store).__name__} does not implement "
            "hotmesh.testing.StoreInspection"
        )
    return hotmesh_store
