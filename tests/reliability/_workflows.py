"""Workflows and activities of the reliability tests.

Worker processes and the test process import this module by the same name,
so both register the activities under the same qualified names. Every
activity journals its calls (see :mod:`tests.reliability._journal`). One
whose name is listed in ``RELIABILITY_STALL`` blocks for an hour after it
journals its start, so a test can kill its process mid-activity.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine
from typing import Any

from hotmesh.durable import RetryPolicy, workflow
from tests.reliability import _journal

WorkflowFunction = Callable[..., Coroutine[Any, Any, Any]]

STALL_VARIABLE = "RELIABILITY_STALL"
"""Comma-separated activity names that block once started, in this process."""

STALL_SECONDS = 3600


def stall_if_listed(name: str) -> None:
    """Block this thread for an hour when ``RELIABILITY_STALL`` lists ``name``."""
    listed = os.environ.get(STALL_VARIABLE, "").split(",")
    if name in listed or "*" in listed:
        time.sleep(STALL_SECONDS)


def step(journal: str, name: str) -> str:
    """Journal a call, stall if listed, and return the name in upper case."""
    _journal.record(journal, "start", name)
    stall_if_listed(name)
    _journal.record(journal, "end", name)
    return name.upper()


def flaky(journal: str, name: str, failures: int) -> str:
    """Fail the first ``failures`` calls for ``name``, counted over all processes."""
    earlier = _journal.counts(journal, "start")[name]
    _journal.record(journal, "start", name, call=earlier + 1)
    if earlier < failures:
        _journal.record(journal, "raise", name, call=earlier + 1)
        raise RuntimeError(f"{name} fails on call {earlier + 1} of {failures}")
    stall_if_listed(name)
    _journal.record(journal, "end", name, call=earlier + 1)
    return name.upper()


def slow(journal: str, name: str, seconds: float) -> str:
    """Journal a call, block this worker thread for ``seconds``, and return."""
    _journal.record(journal, "start", name)
    time.sleep(seconds)
    _journal.record(journal, "end", name)
    return name.upper()


async def slow_blocking(journal: str, name: str, seconds: float) -> str:
    """Journal a call, block the worker's event loop for ``seconds``, and return."""
    _journal.record(journal, "start", name)
    time.sleep(seconds)
    _journal.record(journal, "end", name)
    return name.upper()


def sized(journal: str, size: int) -> str:
    """Journal a call and return a string of ``size`` characters."""
    _journal.record(journal, "start", "sized")
    return "x" * size


def measure(journal: str, value: str) -> int:
    """Journal a call and return the length of its argument."""
    _journal.record(journal, "start", "measure")
    return len(value)


ONCE = RetryPolicy(maximum_attempts=1)
RETRIES = RetryPolicy(maximum_attempts=3, backoff_coefficient=1, initial_interval=0.2)

steps = workflow.proxy_activities(activities=[step, flaky, slow], retry_policy=ONCE)
retried = workflow.proxy_activities(activities=[flaky], retry_policy=RETRIES)
blocking = workflow.proxy_activities(activities=[slow_blocking], retry_policy=ONCE)
payloads = workflow.proxy_activities(activities=[sized, measure], retry_policy=ONCE)


async def one_step(journal: str, name: str) -> str:
    """Run one activity."""
    result: str = await steps.step(journal, name)
    return result


async def retried_step(journal: str, name: str, failures: int) -> str:
    """Run an activity that fails ``failures`` times, with retries left."""
    result: str = await retried.flaky(journal, name, failures)
    return result


async def nap_then_step(journal: str, name: str, seconds: float) -> str:
    """Sleep, then run one activity."""
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result


async def slow_step(journal: str, name: str, seconds: float) -> str:
    """Run one activity that blocks its worker thread for ``seconds``."""
    result: str = await steps.slow(journal, name, seconds)
    return result


async def slow_blocking_step(journal: str, name: str, seconds: float) -> str:
    """Run one coroutine activity that blocks its event loop for ``seconds``."""
    result: str = await blocking.slow_blocking(journal, name, seconds)
    return result


async def big_result(journal: str, size: int) -> int:
    """Ask an activity for a result of ``size`` characters."""
    return len(await payloads.sized(journal, size))


async def big_argument(journal: str, size: int) -> int:
    """Pass an argument of ``size`` characters to an activity."""
    result: int = await payloads.measure(journal, "x" * size)
    return result


async def child_nap(seconds: float) -> float:
    """A child workflow that sleeps."""
    return await workflow.sleep_for(seconds)


async def child_then_slow(journal: str, name: str, seconds: float) -> str:
    """Start a sleeping child, then run a slow activity."""
    await workflow.start_child(child_nap, args=[seconds * 20])
    result: str = await steps.slow(journal, name, seconds)
    return result


async def slow_sleep_and_child(journal: str, name: str, seconds: float) -> list[Any]:
    """Wait at once for a slow activity, a long sleep and a sleeping child."""
    return list(
        await asyncio.gather(
            steps.slow(journal, name, seconds),
            workflow.sleep_for(seconds * 20),
            workflow.exec_child(child_nap, args=[seconds * 20]),
        )
    )


def workflows() -> dict[str, WorkflowFunction]:
    """Return the workflows above by name, for Worker.create."""
    return {
        function.__name__: function
        for function in (
            one_step,
            retried_step,
            nap_then_step,
            slow_step,
            slow_blocking_step,
            big_result,
            big_argument,
            child_nap,
            child_then_slow,
            slow_sleep_and_child,
        )
    }


# -- versions of a workflow whose code changes ---------------------------------
# Tests serve one of these under the name "changing", then another.


async def sleep_then_step(journal: str, name: str, seconds: float) -> str:
    """Version 1: sleep, then an activity."""
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result


async def step_before_sleep(journal: str, name: str, seconds: float) -> str:
    """Version 2 of :func:`sleep_then_step`: an activity inserted before the sleep."""
    await steps.step(journal, f"{name}-inserted")
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result


async def nap_before_sleep(journal: str, name: str, seconds: float) -> str:
    """Version 2 of :func:`sleep_then_step`: a shorter sleep inserted first."""
    await workflow.sleep_for(seconds / 4)
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result


async def step_sleep_step(journal: str, name: str, seconds: float) -> str:
    """Version 1: an activity, a sleep, an activity."""
    await steps.step(journal, f"{name}-first")
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result


async def other_step_first(journal: str, name: str, seconds: float) -> str:
    """Version 2 of :func:`step_sleep_step`: another activity inserted first."""
    await steps.flaky(journal, f"{name}-inserted", 0)
    await steps.step(journal, f"{name}-first")
    await workflow.sleep_for(seconds)
    result: str = await steps.step(journal, name)
    return result
