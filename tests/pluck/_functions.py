"""Connected functions of upstream Pluck's test suite, and a call counter.

Counters are keyed by the test's namespace, so tests running on several
backends in one process do not share them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

from hotmesh.durable import RetryPolicy
from hotmesh.pluck import workflow

calls: Counter[str] = Counter()
"""Calls of ``welcome``, by ``"<namespace>:welcome:<name>"``."""

sent: Counter[tuple[str, int]] = Counter()
"""Runs of the ``send_newsletter`` activity, by email and index."""

failures: Counter[str] = Counter()
"""Errors ``greeting`` raised on purpose, by namespace."""

QUICK_RETRIES = RetryPolicy(
    maximum_attempts=3, backoff_coefficient=1, initial_interval="1 second"
)


def count(name: str) -> None:
    """Count one call in the running workflow's namespace."""
    calls[f"{workflow.get_context().namespace}:{name}"] += 1


def send_newsletter(email: str, index: int) -> int:
    """Pretend to send a newsletter and return its index."""
    sent[(email, index)] += 1
    return index


activities = workflow.proxy_activities(
    activities=[send_newsletter], retry_policy=QUICK_RETRIES
)


def greeting_text(email: str, first: str, last: str) -> str:
    """Return what ``greeting`` returns, computed locally."""
    return f"Hello, {first} {last}. Your email is [{email}]."


async def greeting(email: str, user: dict[str, str], throw_once: bool = False) -> str:
    """Mark the user subscribed, send three newsletters, greet.

    ``floe.doe@pluck.com`` also gets the ``subscribe`` hook, and with
    ``throw_once`` the first run in a namespace fails.
    """
    search = workflow.search()
    await search.set(email=email, newsletter="yes")
    for index in range(3):
        await activities.send_newsletter(email, index)
    if email == "floe.doe@pluck.com":
        await workflow.hook("subscribe", args=[email])
    namespace = workflow.get_context().namespace
    if throw_once and failures[namespace] == 0:
        failures[namespace] += 1
        raise RuntimeError("greeting failed on purpose")
    return greeting_text(email, user["first"], user["last"])


async def sleeper(email: str) -> str:
    """Send a newsletter and sleep a second, three times."""
    for index in range(3):
        await activities.send_newsletter(email, index)
        await workflow.sleep_for("1 second")
    return f"slept, {email}"


async def howdy(depth: int) -> dict[str, Any]:
    """Call itself three times and start itself once while ``depth > 0``."""
    if depth > 0:
        await asyncio.gather(
            workflow.exec_child("howdy", args=[depth - 1]),
            workflow.exec_child("howdy", args=[depth - 1]),
            workflow.exec_child("howdy", args=[depth - 1]),
            workflow.start_child("howdy", args=[depth - 1]),
        )
    return dataclasses.asdict(workflow.get_context())


async def subscribe(email: str) -> None:
    """Hook: send a newsletter to the record's email and unsubscribe it."""
    search = workflow.search()
    stored = await search.get("email")
    await activities.send_newsletter(stored or email, 0)
    await search.set(newsletter="no")


async def unsubscribe(reason: str) -> None:
    """Hook: unsubscribe the record, giving a reason."""
    await workflow.search().set(newsletter="no", reason=reason)


async def welcome(name: str) -> str:
    """Return a welcome, counted once per call (not per replay) and name."""
    await workflow.once(count, f"welcome:{name}")
    return f"Welcome, {name}."


def shout(name: str) -> str:
    """Return a greeting in capitals, from a plain (not async) function."""
    return f"HELLO, {name.upper()}!"
