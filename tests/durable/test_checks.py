"""Durable calls reject invalid arguments with ConfigurationError before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from hotmesh.durable import Client, RetryPolicy, Worker, workflow
from hotmesh.durable._checks import MAX_EXPIRE_SECONDS, check_expire
from hotmesh.errors import ConfigurationError
from tests.durable import _workflows

# The client connects on first use, and every check runs before that, so
# these tests need no server.
UNREACHABLE = "redis://127.0.0.1:1"


async def start(**options: Any) -> None:
    options.setdefault("workflow_name", "hello")
    options.setdefault("task_queue", "tests")
    async with Client(UNREACHABLE) as client:
        await client.workflow.start(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"args": {"name": "Ada"}}, "args of client.workflow.start is a dict"),
        ({"args": "Ada"}, "args of client.workflow.start is a str"),
        ({"args": None}, "args of client.workflow.start is a NoneType"),
        ({"workflow_name": None}, "workflow_name of client.workflow.start is None"),
        ({"workflow_name": 5}, "workflow_name of client.workflow.start is 5"),
        ({"expire": "abc"}, "expire of client.workflow.start is 'abc'"),
        ({"expire": 10**20}, f"from 0 .* to {MAX_EXPIRE_SECONDS} \\(10 years\\)"),
        ({"expire": -1}, "expire of client.workflow.start is -1, out of range"),
        ({"expire": 1.5}, "pass whole seconds"),
        ({"expire": True}, "expire of client.workflow.start is True"),
        ({"retry_policy": "x"}, "retry_policy of client.workflow.start is a str"),
        ({"retry_policy": {}}, "pass a RetryPolicy"),
        ({"workflow_id": ""}, "workflow_id of client.workflow.start is ''"),
        ({"workflow_id": 5}, "pass a non-empty string, or None"),
    ],
)
async def test_start_rejects_invalid(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        await start(**options)


def test_expire_accepts_range_ends() -> None:
    assert check_expire(0, "start") == 0
    assert check_expire(MAX_EXPIRE_SECONDS, "start") == MAX_EXPIRE_SECONDS
    assert check_expire(60.0, "start") == 60
    with pytest.raises(ConfigurationError, match="out of range"):
        check_expire(MAX_EXPIRE_SECONDS + 1, "start")


@pytest.mark.parametrize("signal_id", [None, "", 5])
async def test_signal_rejects_invalid_id(signal_id: Any) -> None:
    async with Client(UNREACHABLE) as client:
        with pytest.raises(ConfigurationError, match=r"signal id of .* is"):
            await client.workflow.signal(signal_id)


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf"), "5", True])
async def test_result_rejects_invalid_timeout(timeout: Any) -> None:
    async with Client(UNREACHABLE) as client:
        handle = client.workflow.get_handle("w1")
        with pytest.raises(ConfigurationError, match=r"timeout=.* is invalid"):
            await handle.result(timeout=timeout)


@pytest.mark.parametrize("expire", [-1, 10**20, "abc"])
async def test_interrupt_rejects_invalid_expire(expire: Any) -> None:
    async with Client(UNREACHABLE) as client:
        handle = client.workflow.get_handle("w1")
        with pytest.raises(ConfigurationError, match=r"expire of handle\.interrupt"):
            await handle.interrupt(expire=expire)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workflow": None}, "workflow of Worker.create is None"),
        ({"workflow": "hello"}, "workflow of Worker.create is 'hello'"),
        ({"workflow": [None]}, "workflow of Worker.create has None"),
        ({"workflow": {"hello": 5}}, "workflow 'hello' of Worker.create is 5"),
        ({"workflow": {5: _workflows.hello}}, "has the key 5"),
        ({"concurrency": 0}, "concurrency of Worker.create is 0: pass 1 or more"),
        ({"concurrency": -3}, "concurrency of Worker.create is -3"),
        ({"concurrency": 2.5}, "concurrency of Worker.create is 2.5: pass an int"),
        ({"concurrency": True}, "concurrency of Worker.create is True"),
        ({"run_timeout": 0}, "run_timeout of Worker.create is 0"),
    ],
)
async def test_worker_rejects_invalid(options: dict[str, Any], message: str) -> None:
    options.setdefault("workflow", _workflows.hello)
    with pytest.raises(ConfigurationError, match=message):
        await Worker.create(task_queue="tests", connection=UNREACHABLE, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maximum_attempts": "x"}, "maximum_attempts 'x' is invalid: use an int"),
        ({"maximum_attempts": 1.5}, "maximum_attempts 1.5 is invalid"),
        ({"backoff_coefficient": "2"}, "backoff_coefficient '2' is invalid"),
        ({"backoff_coefficient": float("inf")}, "use a finite number"),
        ({"initial_interval": None}, "RetryPolicy initial_interval: duration None"),
        ({"maximum_interval": -1}, "RetryPolicy maximum_interval: duration -1"),
        ({"non_retryable_error_types": "KeyError"}, "use a list or tuple"),
        ({"non_retryable_error_types": [KeyError]}, "exception class names"),
        ({"throw_on_error": "no"}, "throw_on_error 'no' is invalid"),
    ],
)
def test_retry_policy_rejects_invalid(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RetryPolicy(**options)


def test_retry_policy_keeps_valid_fields() -> None:
    policy = RetryPolicy(
        maximum_attempts=0,
        backoff_coefficient=1,
        initial_interval="500ms",
        maximum_interval=2,
        non_retryable_error_types={"KeyError"},
        throw_on_error=False,
    )

    assert policy.to_dict() == {
        "maximum_attempts": 0,
        "backoff_coefficient": 1,
        "initial_interval": 0.5,
        "maximum_interval": 2.0,
        "non_retryable_error_types": ["KeyError"],
    }


async def test_workflow_signal_rejects_invalid_id() -> None:
    with pytest.raises(ConfigurationError, match=r"signal id of workflow\.signal"):
        await workflow.signal(None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"signal id of workflow\.wait_for"):
        await workflow.wait_for("")
