"""Activities of the Durable tests. Workers import them by module."""

from __future__ import annotations

import asyncio
from collections import Counter

calls: Counter[str] = Counter()
"""Calls per activity and first argument in this process."""


def greet(name: str) -> str:
    calls[f"greet:{name}"] += 1
    return f"Hello, {name}!"


async def slow_greet(name: str, seconds: float = 0.5) -> str:
    calls[f"slow_greet:{name}"] += 1
    await asyncio.sleep(seconds)
    return f"Hello, {name}!"


def echo(value: object) -> object:
    return value
