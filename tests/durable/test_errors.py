"""Durable errors: typed, with a code and the workflow id, and never a hang."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh import HotMesh
from hotmesh.durable import (
    ApplicationError,
    DuplicateWorkflowError,
    FatalError,
    InvalidDurationError,
    NonDeterminismError,
    RetryPolicy,
    UnknownActivityError,
    WorkflowNotFoundError,
    WorkflowNotRunningError,
)
from hotmesh.errors import ConfigurationError, JobTimeoutError
from tests.durable import _activities, _workflows
from tests.durable.conftest import Durable

pytestmark = pytest.mark.timeout(60)


async def test_duplicate_workflow_id(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.gather_greets)
    client = durable.client()
    workflow_id = f"{durable.namespace}-twice"
    await client.workflow.start(
        workflow_name="gather_greets",
        task_queue="tests",
        args=[["x"]],
        workflow_id=workflow_id,
    )

    with pytest.raises(DuplicateWorkflowError) as caught:
        await client.workflow.start(
            workflow_name="gather_greets",
            task_queue="tests",
            args=[["y"]],
            workflow_id=workflow_id,
        )

    assert str(caught.value) == f"Duplicate job: {workflow_id}"
    assert caught.value.workflow_id == workflow_id
    assert caught.value.code == 409


async def test_changed_code_is_non_determinism(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.shifting)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="shifting", task_queue="tests", args=["Ada"]
    )

    with pytest.raises(NonDeterminismError) as caught:
        await handle.result(timeout=20)

    assert "execution index 1" in str(caught.value)
    assert "'bye'" in str(caught.value)
    assert "'greet'" in str(caught.value)
    assert caught.value.code == 598
    assert _workflows.runs[f"shifting:{handle.workflow_id}"] == 2


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        ("1 fortnight", "unknown unit 'fortnight'"),
        ("11 years", "sleep at most 315360000 s"),
    ],
)
async def test_bad_duration_fails_workflow(
    durable: Durable, duration: str, message: str
) -> None:
    await durable.worker(workflow=_workflows.bad_sleep)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="bad_sleep", task_queue="tests", args=[duration]
    )

    with pytest.raises(InvalidDurationError) as caught:
        await handle.result(timeout=20)

    assert message in str(caught.value)
    assert caught.value.workflow_id == handle.workflow_id


async def test_configuration_error_fails_at_once(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.empty_signal_id)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="empty_signal_id",
        task_queue="tests",
        retry_policy=RetryPolicy(maximum_attempts=5, initial_interval=0.05),
    )

    with pytest.raises(FatalError) as caught:
        await handle.result(timeout=20)

    assert "workflow.wait_for" in str(caught.value)
    assert caught.value.code == 598
    assert _workflows.runs[f"empty_signal_id:{handle.workflow_id}"] == 1


async def test_unknown_activity_fails_workflow(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.unknown_activity)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="unknown_activity", task_queue="tests", args=["Ada"]
    )

    with pytest.raises(UnknownActivityError) as caught:
        await handle.result(timeout=20)

    assert "'missing_activity'" in str(caught.value)
    assert caught.value.code == 404


async def test_exhausted_activity_raises(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.exhausted)
    client = durable.client()
    message = f"broken-{durable.namespace}"
    handle = await client.workflow.start(
        workflow_name="exhausted", task_queue="tests", args=[message]
    )

    result = await handle.result(timeout=30)

    assert result == {
        "returned": "MaxedError",
        "returned_message": f"{message}-returned",
        "raised": "MaxedError",
        "code": 597,
        "message": message,
    }
    assert _activities.calls[f"always_fails:{message}-returned"] == 2
    assert _activities.calls[f"always_fails:{message}"] == 3


async def test_missing_workflow_raises_at_once(durable: Durable) -> None:
    client = durable.client()
    handle = client.workflow.get_handle("no-such-workflow")

    with pytest.raises(WorkflowNotFoundError) as caught:
        await handle.result(timeout=5)
    assert caught.value.workflow_id == "no-such-workflow"
    with pytest.raises(WorkflowNotFoundError):
        await handle.status()
    with pytest.raises(WorkflowNotFoundError):
        await handle.interrupt()


async def test_result_timeout_keeps_workflow(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.signal_waiter)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="signal_waiter", task_queue="tests", args=["never"]
    )

    with pytest.raises(JobTimeoutError):
        await handle.result(timeout=1)
    assert await handle.status() > 0


async def test_invalid_names_rejected(durable: Durable) -> None:
    client = durable.client()

    with pytest.raises(ConfigurationError, match="task_queue 'a b' is invalid"):
        await client.workflow.start(workflow_name="x", task_queue="a b")
    with pytest.raises(ConfigurationError, match="must be an 'async def'"):
        await durable.worker(workflow=_activities.greet)


async def test_failed_worker_ends_workflow(durable: Durable, backend_url: str) -> None:
    def broken(message: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("worker crashed on purpose")

    raw = await HotMesh.init(
        app_id=durable.namespace,
        connection=backend_url,
        workers=[{"topic": "tests-broken", "callback": broken}],
    )
    try:
        client = durable.client()
        handle = await client.workflow.start(workflow_name="broken", task_queue="tests")

        with pytest.raises(ApplicationError) as caught:
            await handle.result(timeout=20)
    finally:
        await raw.stop()

    assert caught.value.code == 500
    assert "worker crashed on purpose" in str(caught.value)
    assert (await handle.state())["done"] is True


async def test_taken_child_id_fails_parent_at_once(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.lone_child, _workflows.child_greeting])
    client = durable.client()
    parent_id = f"{durable.namespace}-parent"
    child_id = f"{parent_id}-child_greeting-1"
    other = await client.workflow.start(
        workflow_name="child_greeting",
        task_queue="tests",
        args=["first"],
        workflow_id=child_id,
    )
    await other.result(timeout=10)
    handle = await client.workflow.start(
        workflow_name="lone_child",
        task_queue="tests",
        args=["second"],
        workflow_id=parent_id,
    )

    # The default policy retries after 1 s and 10 s: 5 s allows no retry.
    with pytest.raises(DuplicateWorkflowError) as caught:
        await handle.result(timeout=5)

    assert f"child workflow id {child_id!r} is taken" in str(caught.value)
    assert caught.value.code == 409
    assert caught.value.workflow_id == parent_id
    assert _workflows.runs[f"lone_child:{parent_id}"] == 2


async def test_second_interrupt_names_state(durable: Durable) -> None:
    await durable.worker(workflow=_workflows.signal_waiter)
    client = durable.client()
    handle = await client.workflow.start(
        workflow_name="signal_waiter", task_queue="tests", args=["never"]
    )
    await handle.interrupt(throw=False)

    with pytest.raises(WorkflowNotRunningError) as caught:
        await handle.interrupt()

    message = str(caught.value)
    assert caught.value.state == "interrupted"
    assert "is no longer running: it was interrupted" in message
    assert "status" not in message
    assert "not found" not in message
    assert not isinstance(caught.value, WorkflowNotFoundError)


async def test_interrupt_after_finish_names_state(durable: Durable) -> None:
    await durable.worker(workflow=[_workflows.child_greeting, _workflows.fatal_example])
    client = durable.client()
    completed = await client.workflow.start(
        workflow_name="child_greeting", task_queue="tests", args=["Ada"]
    )
    failed = await client.workflow.start(
        workflow_name="fatal_example", task_queue="tests", args=["Ada"]
    )
    await completed.result(timeout=10)
    await failed.result(timeout=10, throw_on_error=False)

    with pytest.raises(WorkflowNotRunningError) as finished:
        await completed.interrupt()
    with pytest.raises(WorkflowNotRunningError) as crashed:
        await failed.interrupt()

    assert finished.value.state == "completed"
    assert "is no longer running: it completed" in str(finished.value)
    assert crashed.value.state == "failed"
    assert "is no longer running: it failed" in str(crashed.value)
