"""The store conformance suite, on the fakeredis plugin under plugins/.

The plugin is a separate distribution (``pip install -e
plugins/hotmesh-fakeredis``); the store is selected by its URL scheme
alone, as a user would select it.
"""

from __future__ import annotations

import secrets

import pytest
from store_urls import with_options

from hotmesh.errors import UnknownBackendError
from hotmesh.registry import backend_for_scheme, open_store
from hotmesh.store.protocol import Store
from hotmesh.testing import OpenStore

pytest_plugins = ["hotmesh.testing.conformance"]


@pytest.fixture
def hotmesh_store_factory() -> OpenStore:
    """Open stores on one in-process server per test."""
    try:
        backend_for_scheme("fakeredis")
    except UnknownBackendError:
        pytest.skip(
            "fakeredis plugin not installed: pip install -e plugins/hotmesh-fakeredis"
        )
    url = f"fakeredis://t{secrets.token_hex(6)}"

    async def open_fake_store(**options: str) -> Store:
        return await open_store(with_options(url, options))

    return open_fake_store
