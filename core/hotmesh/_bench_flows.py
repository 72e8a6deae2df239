"""Durable workflows that ``hotmesh bench`` times: activities echo their input."""

from __future__ import annotations

from hotmesh.durable import workflow


async def echo(value: int) -> int:
    """Return the value unchanged, so only orchestration is timed."""
    return value


steps = workflow.proxy_activities(activities={"echo": echo})


async def bench_one(value: int) -> int:
    """Call one proxied activity."""
    result: int = await steps.echo(value)
    return result


async def bench_chain(value: int) -> int:
    """Call ten proxied activities in sequence."""
    for _ in range(10):
        value = await steps.echo(value)
    return value
