"""Activities of the Durable tests. Workers import them by module."""

from __future__ import annotations

import asyncio
from collections import Counter

from hotmesh.durable import FatalError

calls: Counter[str] = Counter()
"""Calls per activity and first argument in this process."""


def greet(name: str) -> str:
    calls[f"greet:{name}"] += 1
    return f"Hello, {name}!"


def bye(name: str) -> str:
    calls[f"bye:{name}"] += 1
    return f"Goodbye, {name}!"


async def slow_greet(name: str, seconds: float = 0.5) -> str:
    calls[f"slow_greet:{name}"] += 1
    await asyncio.sleep(seconds)
    return f"Hello, {name}!"


def echo(value: object) -> object:
    return value


def count(key: str, target: int) -> int:
    """Fail until this process has called it ``target`` times for ``key``."""
    calls[f"count:{key}"] += 1
    seen = calls[f"count:{key}"]
    if seen < target:
        raise RuntimeError(f"count {seen} of {target}")
    return seen


def always_fails(message: str) -> None:
    calls[f"always_fails:{message}"] += 1
    raise ValueError(message)


def fatal(message: str) -> None:
    calls[f"fatal:{message}"] += 1
    raise FatalError(message)
