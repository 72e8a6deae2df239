"""Workflow functions of the Durable tests. Workers import them by module."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from hotmesh.durable import RetryPolicy, workflow
from tests.durable import _activities

activities = workflow.proxy_activities(
    activities=_activities,
    retry_policy=RetryPolicy(maximum_attempts=3, backoff_coefficient=1),
)
tolerant = workflow.proxy_activities(
    activities=_activities,
    retry_policy=RetryPolicy(
        maximum_attempts=2, backoff_coefficient=1, throw_on_error=False
    ),
)

runs: Counter[str] = Counter()
"""Runs per workflow id in this process, for workflows that change per run."""


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


async def child_greeting(name: str) -> str:
    greeting = await activities.greet(name)
    return f"child says {greeting}"


async def gathered_family(name: str) -> list[Any]:
    """Gather an activity, a sleep and a child, then start a second child."""
    gathered = await asyncio.gather(
        activities.greet(name),
        workflow.sleep_for(0.2),
        workflow.exec_child(child_greeting, args=[f"{name}-child"]),
    )
    started = await workflow.start_child(child_greeting, args=[f"{name}-started"])
    return [*gathered, started]


async def basic(name: str) -> dict[str, Any]:
    """Every kind of durable step, as upstream's "basic" scenario has them."""
    random1 = workflow.random()
    proxy_greeting = await activities.greet(name)
    await activities.greet(f"{name}2")
    random2 = workflow.random()
    once_greeting = await workflow.once(_activities.greet, name)
    slept = await workflow.sleep_for("1 second")

    child_output = await workflow.exec_child(child_greeting, args=[f"{name}-child"])
    started = await workflow.start_child(child_greeting, args=[f"{name}-started"])
    payload = await workflow.wait_for(f"{workflow.get_context().workflow_id}-go")

    greeting3, greeting4 = await asyncio.gather(
        activities.greet(f"{name}3"), activities.greet(f"{name}4")
    )
    job_id, job_body = await asyncio.gather(
        workflow.start_child(
            child_greeting,
            args=["gathered"],
            workflow_id=f"{workflow.get_context().workflow_id}-started2",
        ),
        workflow.exec_child(child_greeting, args=["start-HotMeshy"]),
    )
    return {
        "random1": random1,
        "random2": random2,
        "proxy_greeting": proxy_greeting,
        "once_greeting": once_greeting,
        "slept": slept,
        "child_output": child_output,
        "started": started,
        "payload": payload,
        "greeting3": greeting3,
        "greeting4": greeting4,
        "job_id": job_id,
        "job_body": job_body,
    }


async def signal_waiter(name: str) -> list[Any]:
    """Greet, wait for two signals at once, greet again (upstream "signal")."""
    stranger = await activities.greet("stranger")
    first, second = await asyncio.gather(
        workflow.wait_for(f"{name}-a"), workflow.wait_for(f"{name}-b")
    )
    return [stranger, first, second, await activities.greet(name)]


async def sleeper(name: str) -> str:
    """Run a slow activity, then sleep twice (upstream "sleep")."""
    greeting = await activities.slow_greet(name, 1.0)
    await workflow.sleep_for("1 seconds")
    await workflow.sleep_for(2)
    return str(greeting)


async def retry_count(key: str, target: int) -> int:
    """Call an activity that fails until its third call (upstream "retry")."""
    return int(await activities.count(key, target))


async def exhausted(message: str) -> dict[str, Any]:
    """Call a failing activity without and with throw_on_error."""
    returned = await tolerant.always_fails(f"{message}-returned")
    try:
        await activities.always_fails(message)
    except Exception as error:
        return {
            "returned": type(returned).__name__,
            "returned_message": str(returned),
            "raised": type(error).__name__,
            "code": getattr(error, "code", None),
            "message": str(error),
        }
    return {}


async def fatal_example(name: str) -> None:
    """Catch an activity's FatalError and raise it again (upstream "fatal")."""
    try:
        await activities.fatal(f"stop-retrying-please-{name}")
    except Exception:
        raise


async def flaky_workflow(target: int) -> int:
    """Fail until this process ran it ``target`` times (upstream "unknown")."""
    key = f"flaky:{workflow.get_context().workflow_id}"
    runs[key] += 1
    if runs[key] < target:
        raise RuntimeError("recurring-test-error")
    return runs[key]


async def collision(name: str) -> str:
    """Start a child with the parent's own id (upstream "collision")."""
    greeting = await activities.greet(name)
    child = await workflow.exec_child(
        child_greeting, args=[name], workflow_id=workflow.get_context().workflow_id
    )
    return f"{greeting} {child}"


async def lone_child(name: str) -> str:
    """Run one child under its default id, ``<parent id>-child_greeting-1``."""
    runs[f"lone_child:{workflow.get_context().workflow_id}"] += 1
    return str(await workflow.exec_child(child_greeting, args=[name]))


async def fixable(name: str) -> str:
    """Collide with the parent's id, or use a free id from the third run on."""
    parent_id = workflow.get_context().workflow_id
    runs[f"fixable:{parent_id}"] += 1
    child_id = parent_id if runs[f"fixable:{parent_id}"] <= 2 else f"{parent_id}-fixed"
    return str(
        await workflow.exec_child(child_greeting, args=[name], workflow_id=child_id)
    )


async def parent_interrupts(name: str) -> dict[str, Any]:
    """Run one child, start another, then interrupt it (upstream "interrupt")."""
    parent_id = workflow.get_context().workflow_id
    output = await workflow.exec_child(
        child_greeting, args=[f"{name} to CHILD"], workflow_id=f"{parent_id}-1"
    )
    started = await workflow.start_child(
        long_child, args=[name], workflow_id=f"{parent_id}-2"
    )
    await workflow.sleep_for(0.5)
    await workflow.interrupt(started, throw=False, expire=600)
    return {"child_output": output, "interrupted": started}


async def long_child(name: str) -> str:
    await workflow.sleep_for("30 seconds")
    return name


async def nested(name: str) -> dict[str, Any]:
    """An activity, then a child workflow (upstream "nested")."""
    activity_output = await activities.greet(name)
    child_output = await workflow.exec_child(child_greeting, args=[f"{name} to CHILD"])
    return {"activity_output": activity_output, "child_output": child_output}


async def searcher(name: str) -> dict[str, Any]:
    """Write and read search fields, then wait for a hook's signal ("goodbye")."""
    search = workflow.search()
    added = await search.set({"custom1": "durable", "custom2": 55}, jimbo="jones")
    hello_greeting, bye_greeting = await asyncio.gather(
        activities.greet(name), activities.bye(name)
    )
    custom1 = await search.get("custom1")
    incremented = await search.incr("custom2", 10)
    values = await search.mget("custom1", "custom2", "jimbo")
    multiplied = await search.mult("product", 12)
    multiplied = await search.mult("product", 10)
    removed = await search.delete("jimbo", "missing")
    signal = await workflow.wait_for(f"{workflow.get_context().workflow_id}-hooked")
    return {
        "added": added,
        "greetings": f"{hello_greeting} - {bye_greeting}",
        "custom1": custom1,
        "incremented": incremented,
        "values": values,
        "multiplied": multiplied,
        "removed": removed,
        "signal": signal,
    }


async def searcher_hook(name: str) -> str:
    """A hook thread: count, sleep and run an activity, then signal its workflow."""
    context = workflow.get_context()
    await workflow.search().incr("counter", 100)
    greeting, slept = await asyncio.gather(
        activities.slow_greet(name, 0.2), workflow.sleep_for(0.5)
    )
    child = await workflow.exec_child(child_greeting, args=[f"{name}-hook-child"])
    await workflow.sleep_for(0.5)
    await workflow.signal(
        f"{context.workflow_id}-hooked",
        {"greeting": greeting, "slept": slept, "child": child},
    )
    return str(greeting)


async def shifting(name: str) -> str:
    """Call one activity on the first run and another later: non-deterministic."""
    key = f"shifting:{workflow.get_context().workflow_id}"
    runs[key] += 1
    if runs[key] == 1:
        await activities.greet(name)
        return "unreachable"
    await activities.bye(name)
    return "unreachable"


async def bad_sleep(duration: str) -> float:
    return await workflow.sleep_for(duration)


async def empty_signal_id() -> Any:
    """Wait for an empty signal id, which raises ConfigurationError."""
    runs[f"empty_signal_id:{workflow.get_context().workflow_id}"] += 1
    return await workflow.wait_for("")


async def unknown_activity(name: str) -> str:
    return str(await activities.missing_activity(name))


async def self_hooker(name: str) -> Any:
    """Start a hook thread on itself and wait for the thread's signal."""
    await workflow.hook(pinger, args=[name])
    return await workflow.wait_for(f"{workflow.get_context().workflow_id}-pinged")


async def pinger(name: str) -> None:
    """A hook thread that signals its workflow once the wait has started."""
    context = workflow.get_context()
    await workflow.sleep_for(1)
    await workflow.signal(
        f"{context.workflow_id}-pinged", {"name": name, "dimension": context.dimension}
    )
