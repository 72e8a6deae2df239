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
from hotmesh.durable._app import (
    MAX_ID_LENGTH,
    activity_job_id,
    check_workflow_id,
    child_workflow_id,
    collation_job_id,
    derived_id,
    is_workflow_id,
)
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
        "WorkflowNotRunningError",
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


def test_short_derived_ids_keep_shape() -> None:
    assert activity_job_id("w1", "", 3) == "w1-$activity-3"
    assert activity_job_id("w1", ",0,1", 3) == "w1-$activity,0,1-3"
    assert collation_job_id("w1", "", 2, 0) == "w1-$collate-2"
    assert collation_job_id("w1", "", 2, 1) == "w1-$collate-2-1"
    assert child_workflow_id("w1", "child", "", 4) == "w1-child-4"


def test_derived_id_fits_at_limit() -> None:
    base = "x" * (MAX_ID_LENGTH - len("-$activity-1"))
    assert activity_job_id(base, "", 1) == f"{base}-$activity-1"
    assert len(activity_job_id(base, "", 1)) == MAX_ID_LENGTH


@pytest.mark.parametrize("length", [MAX_ID_LENGTH - 11, 600, MAX_ID_LENGTH])
def test_long_derived_ids_shortened(length: int) -> None:
    base = "x" * length
    activity = activity_job_id(base, ",0,1", 12)
    collation = collation_job_id(base, "", 3, 2)
    child = child_workflow_id(base, "child_nap", "", 7)

    for job_id in (activity, collation, child):
        assert len(job_id) <= MAX_ID_LENGTH
        assert "-$" in job_id
        assert job_id.startswith("x" * 400)
    assert activity.endswith("-$activity,0,1-12")
    assert collation.endswith("-$collate-3-2")
    assert child.endswith("-child_nap-7")
    assert not is_workflow_id(activity)
    assert not is_workflow_id(collation)
    assert is_workflow_id(child)
    assert activity == activity_job_id(base, ",0,1", 12)


def test_long_bases_with_same_prefix_differ() -> None:
    first = "x" * MAX_ID_LENGTH
    second = "x" * (MAX_ID_LENGTH - 1) + "y"

    assert activity_job_id(first, "", 1) != activity_job_id(second, "", 1)
    assert child_workflow_id(first, "c", "", 1) != child_workflow_id(second, "c", "", 1)


def test_grandchild_ids_stay_within_limit() -> None:
    job_id = "x" * MAX_ID_LENGTH
    for depth in range(5):
        job_id = child_workflow_id(job_id, "child", "", depth + 1)
        assert len(job_id) <= MAX_ID_LENGTH
        assert len(activity_job_id(job_id, "", 1)) <= MAX_ID_LENGTH


def test_derived_id_suffix_too_long() -> None:
    with pytest.raises(ConfigurationError) as caught:
        derived_id("x" * 100, "-" + "n" * MAX_ID_LENGTH + "-1")

    assert "use a shorter workflow name" in str(caught.value)


@pytest.mark.parametrize(
    ("workflow_id", "message"),
    [
        ("victim-$activity-2", "'-$' is reserved"),
        ("victim-$collate-1", "'-$' is reserved"),
        ("a-$b", "'-$' is reserved"),
        ("x" * (MAX_ID_LENGTH + 1), "max 512 chars, one line"),
        ("two\nlines", "max 512 chars, one line"),
        ("", "pass a non-empty string"),
    ],
)
def test_invalid_workflow_id(workflow_id: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_workflow_id(workflow_id)

    assert message in str(caught.value)


@pytest.mark.parametrize("workflow_id", ["a", "a$b", "$activity", "x" * MAX_ID_LENGTH])
def test_valid_workflow_id(workflow_id: str) -> None:
    assert check_workflow_id(workflow_id) == workflow_id
