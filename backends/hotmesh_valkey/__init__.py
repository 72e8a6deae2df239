"""The ValKey backend: the Redis-family store driven by the ``valkey`` package."""

from hotmesh_valkey.plugin import valkey_flavor

__all__ = ["valkey_flavor"]
