"""Workflow functions of the Durable tests. Workers import them by module."""

from __future__ import annotations

import asyncio
from typing import Any

from hotmesh.durable import RetryPolicy, workflow
from tests.durable import _activities

activities = workflow.proxy_activities(
    activities=_activities,
    retry_policy=RetryPolicy(maximum_attempts=3, backoff_coefficient=1),
)


async def hello(name: str) -> dict[str, Any]:
    first = workflow.random()
    echoed = await activities.echo(first)
    greeting = await activities.greet(name)
    second = workflow.random()
    local = await workflow.once(_activities.greet, name)
    return {
        "first": first,
        "echoed": echoed,
        "greeting": greeting,
        "second": second,
        "local": local,
    }


async def gather_greets(names: list[str]) -> list[Any]:
    calls = [activities.slow_greet(name) for name in names]
    return list(await asyncio.gather(*calls, workflow.sleep_for("1 second")))
