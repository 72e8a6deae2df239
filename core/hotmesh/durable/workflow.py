"""Functions a workflow function calls: its durable steps.

Call them only inside a workflow function run by a Durable
:class:`~hotmesh.durable.Worker`. Each durable call takes the next execution
index. When the workflow's history already contains its outcome the call
returns it. Otherwise the call suspends the function until the engine has
done the work. So a workflow function must make the same durable calls
in the same order on every run: no clocks, no ``random.random()``, no
unordered iteration deciding which calls happen.

Calls awaited together, as in ``await asyncio.gather(a(), b())``, are
collated: they all start before the function suspends, and run at once.
Awaiting anything else in a workflow function (a network call,
``asyncio.sleep``) is not durable. While one branch awaits such a thing, the
function may suspend with the other branches' calls, and that branch makes
its call on the next run.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import random as _random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hotmesh.durable import _app, _checks
from hotmesh.durable._activities import ActivityProxy, proxy_activities
from hotmesh.durable._context import Execution, Request, WorkflowInfo, current
from hotmesh.durable._search import Search
from hotmesh.durable.durations import Duration, to_seconds
from hotmesh.durable.errors import (
    DUPLICATE,
    DuplicateWorkflowError,
    DurableError,
    FatalError,
    InvalidDurationError,
    RetryRequested,
)
from hotmesh.durable.retry import RetryPolicy
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from hotmesh.errors import HookNotFoundError, JobNotFoundError
from hotmesh.store.protocol import Guard, Step

logger = logging.getLogger(__name__)

WorkflowRef = str | Callable[..., Awaitable[Any]]
"""A workflow function, or its name."""

__all__ = [
    "ActivityProxy",
    "Search",
    "WorkflowInfo",
    "exec_child",
    "get_context",
    "hook",
    "interrupt",
    "once",
    "proxy_activities",
    "random",
    "search",
    "signal",
    "sleep_for",
    "start_child",
    "wait_for",
]


def get_context() -> WorkflowInfo:
    """Return the running workflow's id, names, thread and execution counter."""
    return current().info


def random() -> float:
    """Return a number in [0, 1) that is the same on every run of this call.

    The value depends on the workflow id, the thread and the execution
    index, so it differs between workflows and between calls.
    """
    execution = current()
    index = execution.next_index()
    seed = f"{execution.workflow_id}{execution.dimension}-{index}"
    return _random.Random(seed).random()


def search() -> Search:
    """Return a session that reads and writes the workflow's search fields."""
    execution = current()
    return Search(execution, execution.next_index())


async def sleep_for(duration: Duration) -> float:
    """Sleep durably; return the seconds slept.

    Accepts seconds, a ``timedelta`` or text such as ``"15 minutes"`` or
    ``"1 month"`` (see :func:`~hotmesh.durable.durations.to_seconds`).

    Raises:
        InvalidDurationError: The duration is invalid or longer than
            :data:`~hotmesh.engine.model._types.MAX_EXPIRE_SECONDS` (10 years).
        NonDeterminismError: The history contains a sleep of another
            duration at this execution index. NOTE: a sleep inserted before
            a recorded sleep of the same duration is not detected.
    """
    seconds = to_seconds(duration)
    if seconds > MAX_EXPIRE_SECONDS:
        raise InvalidDurationError(
            f"sleep of {duration!r} is too long: sleep at most "
            f"{MAX_EXPIRE_SECONDS} s (10 years)"
        )
    execution = current()
    index = execution.next_index()
    await asyncio.sleep(0)
    stored = execution.lookup("sleep", index)
    if stored is not None:
        return _replayed_sleep(execution, index, seconds, stored.value)
    marker = _marker(execution, "sleep", index)
    value = json.dumps({"data": seconds})
    item = {"marker": marker, "duration": seconds, "value": value}
    await execution.suspend(Request("sleep", index, item))
    return seconds


def _replayed_sleep(
    execution: Execution, index: int, seconds: float, recorded: Any
) -> float:
    """Return a recorded sleep's seconds, checked against the requested ones.

    The marker of a sleep stores its duration as its value.
    """
    if isinstance(recorded, bool) or not isinstance(recorded, int | float):
        return seconds
    if not math.isclose(recorded, seconds, rel_tol=1e-9, abs_tol=1e-9):
        execution.mismatch(
            index,
            f"sleep call of {float(seconds)!r}s",
            f"sleep call of {float(recorded)!r}s",
        )
    return float(recorded)


async def wait_for(signal_id: str) -> Any:
    """Wait until :func:`signal` (or a client) sends ``signal_id``; return its data.

    Signal ids are shared by the whole namespace, and a signal sent while
    nothing waits for its id is dropped.

    Raises:
        ConfigurationError: ``signal_id`` is not a non-empty string.
    """
    _checks.check_signal_id(signal_id, "workflow.wait_for")
    execution = current()
    index = execution.next_index()
    await asyncio.sleep(0)
    stored = execution.lookup("wait", index, signal_id)
    if stored is not None:
        return _value_or_raise(stored.value, stored.error)
    item = {"marker": _marker(execution, "wait", index), "signal_id": signal_id}
    return await execution.suspend(Request("wait", index, item))


async def signal(signal_id: str, data: Any = None) -> None:
    """Send a signal to whatever waits for ``signal_id``; sent once, even on replay.

    Raises:
        ConfigurationError: ``signal_id`` is not a non-empty string.
    """
    _checks.check_signal_id(signal_id, "workflow.signal")
    execution = current()
    if not await _claim(execution, "signal"):
        return
    payload = {"id": signal_id, "data": data}
    try:
        async with execution.io():
            await execution.mesh.hook(_app.signal_topic(execution.namespace), payload)
    except HookNotFoundError:
        logger.info(
            "workflow %r sent signal %r but nothing waits for it; dropped",
            execution.workflow_id,
            signal_id,
        )


async def hook(
    workflow: WorkflowRef,
    *,
    args: Sequence[Any] = (),
    workflow_id: str | None = None,
    task_queue: str | None = None,
) -> None:
    """Run ``workflow`` as a hook thread of a running workflow, once.

    The hook function runs against the target's job (by default this
    workflow's own): it shares its search fields and may take durable
    steps of its own. Hooks to finished workflows are dropped.
    """
    execution = current()
    name = _checks.workflow_name(workflow, "workflow.hook")
    arguments = _checks.check_args(args, "workflow.hook")
    target = workflow_id or execution.workflow_id
    if not await _claim(execution, "hook"):
        return
    queue = task_queue or execution.task_queue
    payload = {
        "id": target,
        "arguments": arguments,
        "topic": _app.workflow_topic(queue, name),
    }
    try:
        async with execution.io():
            await execution.mesh.hook(
                _app.hook_topic(execution.namespace), payload, "pending", 202
            )
    except HookNotFoundError:
        logger.info(
            "workflow %r sent hook %r to %r, which does not run; dropped",
            execution.workflow_id,
            name,
            target,
        )


async def interrupt(
    workflow_id: str,
    *,
    reason: str | None = None,
    throw: bool = True,
    expire: int | None = None,
) -> None:
    """Interrupt another workflow, once; a finished one is left as it is."""
    execution = current()
    if not await _claim(execution, "interrupt"):
        return
    try:
        async with execution.io():
            await execution.mesh.interrupt(
                _app.execute_topic(execution.namespace),
                workflow_id,
                reason=reason,
                throw=throw,
                expire=expire,
            )
    except JobNotFoundError as exc:
        logger.info(
            "workflow %r could not interrupt %r: %s",
            execution.workflow_id,
            workflow_id,
            exc,
        )


async def once(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in the workflow and keep its result for replays.

    The function runs at least once: a crash after it returned and before
    its result was stored runs it again.
    """
    execution = current()
    index = execution.next_index()
    name = getattr(function, "__name__", "once")
    await asyncio.sleep(0)
    stored = execution.lookup("once", index, name)
    if stored is not None:
        return _value_or_raise(stored.value, stored.error)
    marker = _marker(execution, "once", index)
    async with execution.io():
        result = function(*args)
        if inspect.isawaitable(result):
            result = await result
        value = _dumps({"data": result, "name": name}, f"result of {name!r}")
        store = _app.require_store(execution.mesh)
        step = Step(
            job_id=execution.workflow_id,
            guards=[Guard(marker, "absent", on_fail="retry")],
            fields={marker: value},
        )
        await store.commit_step(execution.mesh.app, step)
    return result


async def exec_child(
    workflow: WorkflowRef,
    *,
    args: Sequence[Any] = (),
    workflow_id: str | None = None,
    task_queue: str | None = None,
    retry_policy: RetryPolicy | None = None,
    signal_in: bool = True,
) -> Any:
    """Run a child workflow and return its result (or raise its error).

    The child's id is ``workflow_id``, or by default ``<parent id>-<workflow
    name><dimension>-<execution index>``, shortened as
    :func:`~hotmesh.durable._app.derived_id` describes when it would be over
    512 characters.

    Raises:
        ConfigurationError: An argument is invalid: ``args`` is not a list
            or tuple, ``workflow_id`` is empty, over 512 characters, spans
            lines or contains the reserved ``-$``, or ``retry_policy`` is
            not a RetryPolicy.
        DuplicateWorkflowError: Another workflow has the child's id. The
            parent fails at once, without retries.
    """
    return await _child(
        "child", workflow, args, workflow_id, task_queue, retry_policy, signal_in
    )


async def start_child(
    workflow: WorkflowRef,
    *,
    args: Sequence[Any] = (),
    workflow_id: str | None = None,
    task_queue: str | None = None,
    retry_policy: RetryPolicy | None = None,
    signal_in: bool = True,
) -> str:
    """Start a child workflow without waiting for it; return its id.

    The id and its checks are those of :func:`exec_child`.
    """
    child_id = await _child(
        "start", workflow, args, workflow_id, task_queue, retry_policy, signal_in
    )
    return str(child_id)


async def _child(
    kind: str,
    workflow: WorkflowRef,
    args: Sequence[Any],
    workflow_id: str | None,
    task_queue: str | None,
    retry_policy: RetryPolicy | None,
    signal_in: bool,
) -> Any:
    where = f"workflow.{'exec' if kind == 'child' else 'start'}_child"
    execution = current()
    name = _checks.workflow_name(workflow, where)
    arguments = _arguments(_checks.check_args(args, where), name)
    policy = _checks.check_retry_policy(retry_policy, where)
    requested_id = _checks.check_workflow_id(workflow_id, where)
    queue = _app.check_name("task_queue", task_queue or execution.task_queue)
    index = execution.next_index()
    await asyncio.sleep(0)
    if requested_id is None:
        child_id = _app.child_workflow_id(
            execution.workflow_id, name, execution.dimension, index
        )
    else:
        child_id = requested_id
    stored = execution.lookup(kind, index, name)
    reissue = False
    if stored is not None:
        if not stored.spawn_failed or stored.error is None:
            return _value_or_raise(stored.value, stored.error)
        reissue = _retry_spawn(execution, stored.error, child_id)
    item = {
        "marker": _marker(execution, kind, index),
        "workflow_id": child_id,
        "topic": _app.workflow_topic(queue, name),
        "arguments": arguments,
        "policy": policy.to_dict(),
        "origin_id": execution.origin_id,
        "await": kind == "child",
        "signal_in": signal_in,
        "value": json.dumps({"data": child_id, "name": name}),
    }
    return await execution.suspend(Request(kind, index, item, reissue=reissue))


def _retry_spawn(execution: Execution, error: DurableError, child_id: str) -> bool:
    """Decide what follows a child that could not start.

    A child id that another workflow has fails the parent at once with
    DuplicateWorkflowError, because running the parent again derives the
    same id. For other spawn errors (no graph took the start message), it
    returns True to start the child again now, because this run follows a
    retry delay. Otherwise it raises RetryRequested, so the workflow runs
    again after a delay, or the spawn error once the workflow's retry
    policy is spent.
    """
    if error.code == DUPLICATE:
        raise DuplicateWorkflowError(
            f"child workflow id {child_id!r} is taken by another workflow, so "
            f"workflow {execution.workflow_id!r} could not start its child; "
            "pass exec_child/start_child a workflow_id that no other workflow "
            "uses",
            workflow_id=execution.workflow_id,
        )
    if execution.retrying:
        return True
    failures = execution.attempt + 1
    if execution.policy.allows_retry(failures):
        raise RetryRequested(failures)
    message = str(error)
    raise DuplicateWorkflowError(message, workflow_id=execution.workflow_id)


async def _claim(execution: Execution, kind: str) -> bool:
    """Claim a once-only side effect; return False when a run already did it."""
    index = execution.next_index()
    await asyncio.sleep(0)
    if execution.lookup(kind, index) is not None:
        return False
    marker = _marker(execution, kind, index)
    async with execution.io():
        store = _app.require_store(execution.mesh)
        step = Step(
            job_id=execution.workflow_id,
            guards=[Guard(marker, "absent", on_fail="retry")],
            fields={marker: json.dumps({"data": 1})},
        )
        result = await store.commit_step(execution.mesh.app, step)
    return result.applied


def _marker(execution: Execution, kind: str, index: int) -> str:
    return f"-{kind}{execution.dimension}-{index}-"


def _arguments(args: Sequence[Any], name: str) -> list[Any]:
    values = list(args)
    _dumps(values, f"arguments of {name!r}")
    return values


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise FatalError(f"{what} cannot be stored as JSON: {exc}") from exc


def _value_or_raise(value: Any, error: BaseException | None) -> Any:
    if error is not None:
        raise error
    return value
