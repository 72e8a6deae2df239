"""Upstream HotMesh's Durable test scenarios, with the outcomes they assert.

Each test keeps the shape of one upstream suite (basic, collision, fatal,
goodbye, hook, interrupt, loopactivity, nested, retry, signal, sleep,
unknown). Retry policies count attempts as Temporal does: the first run
included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from _servers import BackendServer
from hotmesh.durable import (
    Client,
    DuplicateWorkflowError,
    FatalError,
    MaxedError,
    RetryPolicy,
    WorkflowInterruptedError,
    WorkflowNotFoundError,
)
from hotmesh.errors import HookNotFoundError
from hotmesh.hotmesh import HotMesh
from hotmesh.search import Match, SearchField, SearchIndex
from hotmesh.store.protocol import INTERRUPTED_BELOW
from tests.durable import _activities, _workflows
from tests.durable._searching import search_both_ways
from tests.durable.conftest import Durable
from tests.engine.conftest import wait_for

pytestmark = pytest.mark.timeout(90)

QUICK_RETRIES = RetryPolicy(
    maximum_attempts=4, backoff_coefficient=1, maximum_interval="1 second"
)

BYE_BYE = SearchIndex(
    "bye-bye",
    fields=[SearchField("custom1", "text"), SearchField("custom2", "numeric")],
    prefixes=["bye-world-"],
)
"""The index upstream's goodbye and hook workers declare."""


async def send_signal(client: Client, signal_id: str, data: Any) -> None:
    """Send a signal once something waits for it."""

    async def sent() -> bool:
        try:
            await client.workflow.signal(signal_id, data)
        except HookNotFoundError:
            return False
        return True

    await wait_for(sent, timeout=20, interval=0.1)


async def test_basic_runs_every_step(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.basic, _workflows.child_greeting])
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="basic", task_queue="tests", args=["HotMesh"], expire=600
    )
    payload = {"hello": "world"}

    await send_signal(client, f"{handle.workflow_id}-go", payload)
    result = await handle.result(timeout=30)

    assert result["proxy_greeting"] == "Hello, HotMesh!"
    assert result["once_greeting"] == "Hello, HotMesh!"
    assert result["slept"] == 1.0
    assert result["child_output"] == "child says Hello, HotMesh-child!"
    assert result["started"] == f"{handle.workflow_id}-child_greeting-8"
    assert result["payload"] == payload
    assert result["greeting3"] == "Hello, HotMesh3!"
    assert result["greeting4"] == "Hello, HotMesh4!"
    assert result["job_id"] == f"{handle.workflow_id}-started2"
    assert result["job_body"] == "child says Hello, start-HotMeshy!"
    assert 0 <= result["random1"] < 1
    assert result["random1"] != result["random2"]
    started = client.workflow.get_handle(result["started"])
    assert await started.result(timeout=10) == "child says Hello, HotMesh-started!"


async def test_collision_fails_with_duplicate(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.collision, _workflows.child_greeting])
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="collision",
        task_queue="tests",
        args=["HotMesh"],
        workflow_id=f"{durable.namespace}-collision",
        retry_policy=QUICK_RETRIES,
    )

    with pytest.raises(DuplicateWorkflowError) as caught:
        await handle.result(timeout=20)

    assert f"{durable.namespace}-collision" in str(caught.value)
    assert caught.value.workflow_id == handle.workflow_id


async def test_collision_fails_without_retry(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.fixable, _workflows.child_greeting])
    client = durable.client()
    workflow_id = f"{durable.namespace}-fixable"
    handle = await client.workflow.start(
        workflow_name="fixable",
        task_queue="tests",
        args=["FIXED"],
        workflow_id=workflow_id,
        retry_policy=QUICK_RETRIES,
    )

    with pytest.raises(DuplicateWorkflowError) as caught:
        await handle.result(timeout=20)

    assert f"child workflow id {workflow_id!r} is taken" in str(caught.value)
    assert caught.value.code == 409
    # The first run requests the child; the second reads the failed start.
    assert _workflows.runs[f"fixable:{workflow_id}"] == 2


async def test_fatal_activity_error(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.fatal_example)
    client = durable.client()
    name = f"hot-mess-{durable.namespace}"
    handle = await client.workflow.start(
        workflow_name="fatal_example", task_queue="tests", args=[name]
    )

    with pytest.raises(FatalError) as caught:
        await handle.result(timeout=20)

    assert str(caught.value) == f"stop-retrying-please-{name}"
    assert caught.value.code == 598
    assert _activities.calls[f"fatal:stop-retrying-please-{name}"] == 1


async def test_goodbye_search_and_hook(
    durable: Durable, backend: BackendServer
) -> None:
    functions = [_workflows.searcher, _workflows.searcher_hook]
    await durable.worker(
        workflow=[*functions, _workflows.child_greeting], search=BYE_BYE
    )
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="searcher",
        task_queue="tests",
        args=["HotMesh"],
        workflow_id=f"bye-world-{HotMesh.guid()}",
        expire=120,
        search={"fred": "flintstone", "barney": "rubble"},
    )

    async def hooked() -> bool:
        try:
            await client.workflow.hook(
                workflow_id=handle.workflow_id,
                workflow_name="searcher_hook",
                task_queue="tests",
                args=["HookMesh"],
            )
        except HookNotFoundError:
            return False
        return True

    await wait_for(hooked, timeout=10, interval=0.1)
    result = await handle.result(timeout=30)

    assert result["added"] == 3
    assert result["greetings"] == "Hello, HotMesh! - Goodbye, HotMesh!"
    assert result["custom1"] == "durable"
    assert result["incremented"] == 65
    assert result["values"] == ["durable", "65", "jones"]
    assert result["multiplied"] == 120
    assert result["removed"] == 1
    assert result["signal"] == {
        "greeting": "Hello, HookMesh!",
        "slept": 0.5,
        "child": "child says Hello, HookMesh-hook-child!",
    }
    fields = ["fred", "barney", "custom1", "custom2", "counter", "product", "jimbo"]
    assert await handle.query_state(fields) == {
        "fred": "flintstone",
        "barney": "rubble",
        "custom1": "durable",
        "custom2": "65",
        "counter": "100",
        "product": "120",
        "jimbo": None,
    }
    state = await handle.state()
    assert state["done"] is True
    assert state["response"] == result
    # The index covers the workflow, its child workflow (started by the
    # hook) and its activity jobs; only the workflow has custom1.
    found = await search_both_ways(
        client, backend, [Match("custom1", "durable")], index="bye-bye"
    )
    assert found.count == 1
    assert found.job_ids == [handle.workflow_id]


async def test_interrupt_started_child(durable: Durable) -> None:
    await durable.worker(
        workflow=[
            _workflows.parent_interrupts,
            _workflows.child_greeting,
            _workflows.long_child,
        ]
    )
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="parent_interrupts", task_queue="tests", args=["PARENT"]
    )

    result = await handle.result(timeout=20)

    assert result == {
        "child_output": "child says Hello, PARENT to CHILD!",
        "interrupted": f"{handle.workflow_id}-2",
    }
    child = client.workflow.get_handle(f"{handle.workflow_id}-2")
    assert await child.status() < INTERRUPTED_BELOW
    assert await child.result(timeout=5) is None


async def test_loop_activities_with_sleep(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.gather_greets)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="gather_greets", task_queue="tests", args=[["1", "2", "3"]]
    )

    result = await handle.result(timeout=20)

    assert result == ["Hello, 1!", "Hello, 2!", "Hello, 3!", 1.0]


async def test_nested_starts_race_deployment(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.nested, _workflows.child_greeting])
    first, second = durable.client(), durable.client()

    handles = await asyncio.gather(
        first.workflow.start(workflow_name="nested", task_queue="tests", args=["A"]),
        second.workflow.start(workflow_name="nested", task_queue="tests", args=["B"]),
    )

    assert await handles[0].result(timeout=20) == {
        "activity_output": "Hello, A!",
        "child_output": "child says Hello, A to CHILD!",
    }
    assert (await handles[1].result(timeout=20))["activity_output"] == "Hello, B!"


async def test_activity_retries_until_success(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.retry_count)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="retry_count", task_queue="tests", args=[durable.namespace, 3]
    )

    assert await handle.result(timeout=20) == 3


async def test_signals_wake_gathered_waits(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.signal_waiter)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="signal_waiter", task_queue="tests", args=["ColdMush"]
    )
    other = durable.client()

    await send_signal(client, "ColdMush-a", {"name": "WarmMash"})
    await send_signal(other, "ColdMush-b", {"name": "WarnCrash"})
    result = await handle.result(timeout=20)

    assert result == [
        "Hello, stranger!",
        {"name": "WarmMash"},
        {"name": "WarnCrash"},
        "Hello, ColdMush!",
    ]


async def test_sleep_result_and_interrupt(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.sleeper)
    client = durable.client()
    kept = await client.workflow.start(
        workflow_name="sleeper", task_queue="tests", args=["ColdMush"]
    )
    stopped = await client.workflow.start(
        workflow_name="sleeper", task_queue="tests", args=["ColdMush"]
    )

    activity = client.workflow.get_handle(f"{stopped.workflow_id}-$activity-1")

    async def activity_runs() -> bool:
        try:
            return await activity.status() > 0
        except WorkflowNotFoundError:
            return False

    await wait_for(activity_runs, timeout=10)
    await stopped.interrupt(expire=60)

    with pytest.raises(WorkflowInterruptedError) as caught:
        await stopped.result(timeout=10)
    assert caught.value.code == 410
    assert caught.value.workflow_id == stopped.workflow_id

    async def activity_interrupted() -> bool:
        return await activity.status() < INTERRUPTED_BELOW

    await wait_for(activity_interrupted, timeout=10)
    assert await kept.result(timeout=20) == "Hello, ColdMush!"


async def test_workflow_retries_then_succeeds(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.flaky_workflow)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="flaky_workflow",
        task_queue="tests",
        args=[3],
        retry_policy=QUICK_RETRIES,
    )

    assert await handle.result(timeout=20) == 3


async def test_workflow_retries_exhausted(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.flaky_workflow)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="flaky_workflow",
        task_queue="tests",
        args=[3],
        retry_policy=RetryPolicy(
            maximum_attempts=2, backoff_coefficient=1, maximum_interval="1s"
        ),
    )

    with pytest.raises(MaxedError) as caught:
        await handle.result(timeout=20)

    assert str(caught.value) == "recurring-test-error"
    assert caught.value.code == 597
    assert caught.value.type == "RuntimeError"
    assert caught.value.stack
    assert _workflows.runs[f"flaky:{handle.workflow_id}"] == 2
