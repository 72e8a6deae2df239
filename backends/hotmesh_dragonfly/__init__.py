"""The Dragonfly backend: the Redis-family store with Dragonfly's rules."""

from hotmesh_dragonfly.plugin import dragonfly_flavor

__all__ = ["dragonfly_flavor"]
