"""The runner: the response to one run of a workflow function, with a stub store."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any, cast

from hotmesh.durable import RetryPolicy, workflow
from hotmesh.durable._context import Execution
from hotmesh.durable._runner import run
from hotmesh.hotmesh import HotMesh
from hotmesh.store.protocol import AppKey, Step, StepResult
from tests.durable import _workflows


class SlowStore:
    """Serves reads and writes of the search session after a delay."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.steps: list[Step] = []

    async def read_job_fields(
        self, app: AppKey, job_id: str, fields: list[str]
    ) -> list[str | None]:
        await asyncio.sleep(self.delay)
        return [None] * len(fields)

    async def commit_step(self, app: AppKey, step: Step) -> StepResult:
        await asyncio.sleep(self.delay)
        self.steps.append(step)
        return StepResult(applied=True, status=1)


def execution(replay: dict[str, str] | None = None) -> Execution:
    mesh = SimpleNamespace(store=SlowStore(0.05), app=AppKey("hmsh", "durable"))
    run_state = Execution(
        mesh=cast(HotMesh, mesh),
        namespace="durable",
        workflow_id="w1",
        workflow_name="flow",
        task_queue="tests",
        dimension="",
        origin_id="w1",
        parent_id=None,
        expire=60,
        policy=RetryPolicy(maximum_attempts=2, backoff_coefficient=1),
    )
    run_state.load_history(replay or {})
    return run_state


async def test_single_activity_suspends_with_591() -> None:
    response = await run(_workflows.retry_count, ["k", 3], execution(), 5)

    assert response["code"] == 591
    assert response["data"]["name"] == "count"
    assert response["data"]["marker"] == "-proxy-1-"
    assert response["data"]["job_id"] == "w1-$activity-1"
    assert response["data"]["topic"] == "tests-flow-activity"
    assert response["data"]["arguments"] == ["k", 3]


async def test_gather_waits_for_slow_branch() -> None:
    async def flow() -> list[Any]:
        async def slow_branch() -> float:
            await workflow.search().set(ready="yes")
            return await workflow.sleep_for(1)

        return list(await asyncio.gather(slow_branch(), workflow.sleep_for(2)))

    response = await run(flow, [], execution(), 5)

    assert response["code"] == 589
    items = response["data"]["items"]
    assert [(item["kind"], item["marker"]) for item in items] == [
        ("sleep", "-sleep-2-"),
        ("sleep", "-sleep-3-"),
    ]
    assert [item["last"] for item in items] == [False, True]
    assert items[0]["next"] == 1
    assert response["data"]["job_id"] == "w1-$collate-2"


async def test_replayed_gather_returns_in_order() -> None:
    replay = {
        "-proxy-1-": json.dumps({"data": "Hello, 1!", "name": "slow_greet"}),
        "-proxy-2-": json.dumps({"data": "Hello, 2!", "name": "slow_greet"}),
        "-sleep-3-": json.dumps({"data": 1.0}),
    }

    response = await run(_workflows.gather_greets, [["1", "2"]], execution(replay), 5)

    assert response["code"] == 200
    outcome = json.loads(response["data"]["outcome"])
    assert outcome["data"] == ["Hello, 1!", "Hello, 2!", 1.0]


async def test_except_exception_cannot_swallow_suspension() -> None:
    async def flow() -> str:
        try:
            await workflow.sleep_for(1)
        except Exception:
            return "swallowed"
        return "slept"

    response = await run(flow, [], execution(), 5)

    assert response["code"] == 588
    assert response["data"]["duration"] == 1.0


async def test_swallowed_suspension_still_suspends() -> None:
    async def flow() -> str:
        try:
            await workflow.sleep_for(1)
        except BaseException:
            return "swallowed"
        return "slept"

    response = await run(flow, [], execution(), 5)

    assert response["code"] == 588


async def test_failure_asks_for_retry_then_gives_up() -> None:
    async def flow() -> None:
        raise RuntimeError("broken")

    first = await run(flow, [], execution(), 5)
    again = execution()
    again.attempt, again.retrying = 1, True
    last = await run(flow, [], again, 5)

    assert first == {"code": 599, "data": {"delay": 1.0, "attempt": 1}}
    assert last["code"] == 200
    error = json.loads(last["data"]["outcome"])["error"]
    assert error["code"] == 597
    assert error["message"] == "broken"
    assert error["type"] == "RuntimeError"


async def test_run_without_durable_step_times_out() -> None:
    async def flow() -> None:
        await asyncio.Event().wait()

    response = await run(flow, [], execution(), 0.2)

    assert response["code"] == 599
