"""HotMesh store plugin for fakeredis: an in-process server for unit tests."""

from hotmesh_fakeredis.store import FakeRedisStore, fake_server

__all__ = ["FakeRedisStore", "fake_server"]
