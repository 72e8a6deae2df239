"""Runnable examples, started with ``hotmesh demo NAME``."""
