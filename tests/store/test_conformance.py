"""The store conformance suite, on every backend of the test matrix."""

from __future__ import annotations

import pytest
from store_urls import with_options

from hotmesh.registry import open_store
from hotmesh.store.protocol import Store
from hotmesh.testing import OpenStore

pytest_plugins = ["hotmesh.testing.conformance"]


@pytest.fixture
def hotmesh_store_factory(backend_url: str) -> OpenStore:
    """Open stores on the matrix backend of the test, through the registry."""

    async def open_matrix_store(**options: str) -> Store:
        return await open_store(with_options(backend_url, options))

    return open_matrix_store
