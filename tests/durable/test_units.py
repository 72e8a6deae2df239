"""Durable parts that need no server: durations, policies, errors, exports."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import hotmesh.durable
from hotmesh.durable import (
    FatalError,
    InvalidDurationError,
    MaxedError,
    NonDeterminismError,
    NotInWorkflowError,
    RetryPolicy,
    WorkflowInterruptedError,
    WorkflowNotFoundError,
    to_seconds,
    workflow,
)
from hotmesh.durable._activities import qualified_name, run_activity
from hotmesh.durable.errors import ApplicationError, error_from_dict, error_to_dict
from hotmesh.errors import ConfigurationError, JobInterruptedError, JobNotFoundError

# Importing the workflows registers the activities they proxy, as a worker's
# imports would.
from tests.durable import _workflows  # noqa: F401


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (5, 5.0),
        (0.25, 0.25),
        (timedelta(minutes=2), 120.0),
        ("500ms", 0.5),
        ("2 seconds", 2.0),
        ("1s", 1.0),
        ("15 minutes", 900.0),
        ("1.5h", 5400.0),
        ("3 days", 259_200.0),
        ("2 weeks", 1_209_600.0),
        ("1 month", 2_592_000.0),
        ("1 year", 31_536_000.0),
        (" 10 MIN ", 600.0),
    ],
)
def test_duration_in_seconds(value: object, seconds: float) -> None:
    assert to_seconds(value) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "write a number and a unit"),
        ("5", "write a number and a unit"),
        ("3 fortnights", "unknown unit 'fortnights'"),
        (-1, "0 or more"),
        (float("nan"), "0 or more"),
        (True, "pass seconds"),
        (None, "pass seconds"),
        (10**400, "an integer of 1329 bits is outside the float range"),
        # repr() raises ValueError for an int of more than 4300 digits.
        pytest.param(
            -(10**5000), "an integer of 16610 bits is outside", id="5001-digits"
        ),
    ],
)
def test_invalid_duration(value: object, message: str) -> None:
    with pytest.raises(InvalidDurationError, match=message):
        to_seconds(value)  # type: ignore[arg-type]


def test_retry_delays_grow_to_maximum() -> None:
    policy = RetryPolicy()

    assert [policy.delay(n) for n in range(1, 6)] == [1, 10, 100, 120, 120]
    assert policy.allows_retry(3)
    assert not policy.allows_retry(4)
    assert RetryPolicy(maximum_attempts=0).allows_retry(1_000)


def test_retry_policy_round_trip() -> None:
    policy = RetryPolicy(
        maximum_attempts=2,
        backoff_coefficient=2,
        initial_interval="500ms",
        maximum_interval=timedelta(seconds=3),
        non_retryable_error_types=("KeyError",),
    )

    again = RetryPolicy.from_dict(policy.to_dict())

    assert [again.delay(n) for n in range(1, 5)] == [0.5, 1.0, 2.0, 3.0]
    assert not again.retries(KeyError("x"))
    assert again.retries(ValueError("x"))
    assert not again.retries(FatalError("x"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maximum_attempts": -1}, "maximum_attempts -1 is invalid"),
        ({"backoff_coefficient": 0.5}, "backoff_coefficient 0.5 is invalid"),
        ({"maximum_interval": "forever"}, "duration 'forever' is invalid"),
    ],
)
def test_invalid_retry_policy(options: dict[str, object], message: str) -> None:
    with pytest.raises((ConfigurationError, InvalidDurationError), match=message):
        RetryPolicy(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FatalError("stop", workflow_id="w1"), FatalError),
        (NonDeterminismError("changed"), NonDeterminismError),
        (MaxedError("tired", type="ValueError"), MaxedError),
        (WorkflowInterruptedError("gone"), WorkflowInterruptedError),
        (ValueError("plain"), ApplicationError),
    ],
)
def test_error_round_trip(error: BaseException, expected: type) -> None:
    rebuilt = error_from_dict(error_to_dict(error), workflow_id="w1")

    assert type(rebuilt) is expected
    assert str(rebuilt) == str(error)
    assert rebuilt.workflow_id == "w1"


def test_errors_keep_engine_bases() -> None:
    interrupted = error_from_dict({"code": 410, "message": "job [w] interrupted"})
    missing = WorkflowNotFoundError("missing", workflow_id="w2")

    assert isinstance(interrupted, JobInterruptedError)
    assert interrupted.code == 410
    assert isinstance(missing, JobNotFoundError)
    assert missing.job_id == "w2"


def test_exhausted_error_class_follows_code() -> None:
    rebuilt = error_from_dict({"type": "RetryableError", "code": 597, "message": "m"})

    assert type(rebuilt) is MaxedError
    assert rebuilt.type == "RetryableError"


def test_workflow_calls_need_workflow() -> None:
    with pytest.raises(NotInWorkflowError, match="only works inside a workflow"):
        workflow.random()


async def test_unknown_activity_in_worker() -> None:
    response = await run_activity({}, {"data": {"name": "ghost", "arguments": []}})

    assert response["code"] == 200
    assert '"type": "UnknownActivityError"' in response["data"]["outcome"]
    assert '"code": 404' in response["data"]["outcome"]


def test_public_names() -> None:
    assert hotmesh.durable.__all__ == sorted(hotmesh.durable.__all__)
    assert set(hotmesh.durable.__all__) == {
        "ApplicationError",
        "Client",
        "Connection",
        "DuplicateWorkflowError",
        "DurableError",
        "DurableTimeoutError",
        "Duration",
        "FatalError",
        "InvalidDurationError",
        "MaxedError",
        "NonDeterminismError",
        "NotInWorkflowError",
        "RetryPolicy",
        "RetryableError",
        "UnknownActivityError",
        "Worker",
        "WorkflowClient",
        "WorkflowHandle",
        "WorkflowInterruptedError",
        "WorkflowNotFoundError",
        "WorkflowSuspended",
        "to_seconds",
        "workflow",
    }


async def test_activity_found_by_qualified_name() -> None:
    from hotmesh.demos import durable as durable_demo
    from tests.durable import _activities

    payload = {
        "name": "greet",
        "function": qualified_name(_activities.greet),
        "arguments": ["Ada"],
    }
    response = await run_activity({}, {"data": payload})

    assert qualified_name(durable_demo.greet) != payload["function"]
    assert json.loads(response["data"]["outcome"]) == {
        "data": "Hello, Ada!",
        "name": "greet",
    }
