"""Runs a workflow function once and turns the run into a worker response.

The function runs as a task. A durable call with no stored outcome records
a :class:`~hotmesh.durable._context.Request` and waits on a future that
only the runner settles. When the task has recorded requests, no store
round trip of a durable call is in flight, and a few event-loop turns pass
without progress, every branch that will start a durable call has started
it. The runner then raises ``WorkflowSuspended`` in the waiting calls and
responds to the graph with the requests (several of them are collated).

Each durable call yields to the event loop once before it returns, whether
it replays or suspends, so the order in which concurrent branches take
execution indexes is the same on every run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from hotmesh.durable._app import collation_job_id, require_store
from hotmesh.durable._context import COLLATE, Execution, Request, bind, marker_key
from hotmesh.durable.errors import (
    FatalError,
    RetryableError,
    RetryRequested,
    WorkflowSuspended,
)
from hotmesh.durable.retry import plan_failure
from hotmesh.errors import StoreError

logger = logging.getLogger(__name__)

SETTLE_TURNS = 3
"""Event-loop turns without progress after which a run counts as waiting."""

SEAL_TIMEOUT = 1.0
"""Seconds a suspended function may take to unwind before it is cancelled."""

DONE, SLEEP, COLLATED, CHILD, PROXY, RETRY = 200, 588, 589, 590, 591, 599
_SINGLE_CODES = {"sleep": SLEEP, "proxy": PROXY, "child": CHILD, "start": CHILD}

WorkflowFunction = Callable[..., Coroutine[Any, Any, Any]]
Response = dict[str, Any]


async def run(
    function: WorkflowFunction,
    arguments: Sequence[Any],
    execution: Execution,
    run_timeout: float,
) -> Response:
    """Run a workflow function until it returns, fails or waits; respond."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(function(*arguments), context=bind(execution))
    timed_out = False
    try:
        await asyncio.wait_for(_until_waiting(execution, task), run_timeout)
    except TimeoutError:
        timed_out = True
    execution.seal()
    if not task.done() and not timed_out:
        await asyncio.wait({task}, timeout=SEAL_TIMEOUT)
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if timed_out and not execution.requests:
        error = RetryableError(
            f"workflow function {execution.workflow_name!r} neither returned nor "
            f"waited for a durable step within {run_timeout}s",
            workflow_id=execution.workflow_id,
        )
        return _failed(execution, error)
    return _respond(execution, task)


async def _until_waiting(execution: Execution, task: asyncio.Task[Any]) -> None:
    """Return once the task is done or waits only on its durable requests."""
    while not task.done():
        execution.changed.clear()
        if execution.requests and execution.inflight == 0:
            mark = execution.progress
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
            if mark == execution.progress and execution.inflight == 0:
                return
            continue
        changed = asyncio.ensure_future(execution.changed.wait())
        try:
            await asyncio.wait({task, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()


def _respond(execution: Execution, task: asyncio.Task[Any]) -> Response:
    error = None if task.cancelled() else task.exception()
    if isinstance(error, RetryRequested):
        return _retry(execution, error.failures, "a child workflow did not start")
    if execution.requests and (error is None or not isinstance(error, Exception)):
        return _suspend(execution)
    if task.cancelled() or isinstance(error, WorkflowSuspended):
        error = FatalError(
            f"workflow function {execution.workflow_name!r} stopped without a "
            "result; do not catch WorkflowSuspended or CancelledError",
            workflow_id=execution.workflow_id,
        )
    if error is not None:
        return _failed(execution, error)
    return _done(execution, task.result())


def _done(execution: Execution, value: Any) -> Response:
    try:
        outcome = json.dumps({"data": value, "name": execution.workflow_name})
    except (TypeError, ValueError) as exc:
        error = FatalError(
            f"result of workflow {execution.workflow_name!r} cannot be stored as "
            f"JSON: {exc}",
            workflow_id=execution.workflow_id,
        )
        return _failed(execution, error)
    return {"code": DONE, "data": {"outcome": outcome}}


def _failed(execution: Execution, error: BaseException) -> Response:
    earlier = execution.attempt if execution.retrying else 0
    stack = "".join(traceback.format_exception(error))
    plan = plan_failure(error, execution.policy, earlier + 1, stack)
    if plan.delay is not None:
        return _retry(execution, plan.failures, repr(error))
    logger.warning(
        "workflow %r (%s%s) failed for good on run %d: %s",
        execution.workflow_id,
        execution.workflow_name,
        f" hook thread {execution.dimension}" if execution.dimension else "",
        plan.failures,
        error,
    )
    outcome = json.dumps(
        {"error": plan.error, "name": execution.workflow_name}, default=str
    )
    return {"code": DONE, "data": {"outcome": outcome}}


def _retry(execution: Execution, failures: int, reason: str) -> Response:
    delay = execution.policy.delay(failures)
    logger.warning(
        "workflow %r (%s) runs again in %.1fs, attempt %d: %s",
        execution.workflow_id,
        execution.workflow_name,
        delay,
        failures + 1,
        reason,
    )
    return {"code": RETRY, "data": {"delay": delay, "attempt": failures}}


def _suspend(execution: Execution) -> Response:
    requests = sorted(execution.requests, key=lambda request: request.index)
    carried = execution.attempt if any(r.reissue for r in requests) else 0
    first = requests[0]
    code = _SINGLE_CODES.get(first.kind)
    if len(requests) == 1 and code is not None and not execution.dimension:
        return {"code": code, "data": {**first.item, "attempt": carried}}
    marker = marker_key(COLLATE, execution.dimension, first.index)
    failure = execution.replay.get(marker)
    if failure is not None:
        error = FatalError(
            f"collation at execution index {first.index} failed: {failure}",
            workflow_id=execution.workflow_id,
        )
        return _failed(execution, error)
    job_id = collation_job_id(
        execution.workflow_id, execution.dimension, first.index, carried
    )
    return {
        "code": COLLATED,
        "data": {
            "job_id": job_id,
            "marker": marker,
            "items": _items(requests),
            "attempt": carried,
        },
    }


def _items(requests: list[Request]) -> list[dict[str, Any]]:
    items = []
    for position, request in enumerate(requests):
        item = {**request.item, "kind": request.kind}
        last = position == len(requests) - 1
        item["last"] = last
        if not last:
            item["next"] = position + 1
        items.append(item)
    return items


async def run_request(
    execution: Execution,
    function: WorkflowFunction,
    arguments: Sequence[Any],
    run_timeout: float,
) -> Response:
    """Load a run's history from the workflow's job, then run the function.

    When the history cannot be read, the response requests another run
    after the retry policy's delay instead of failing the workflow.
    """
    store = require_store(execution.mesh)
    try:
        fields = await store.read_job(execution.mesh.app, execution.workflow_id)
    except StoreError as exc:
        failures = execution.attempt + 1 if execution.retrying else 1
        return _retry(execution, failures, f"history not read: {exc}")
    execution.load_history(fields or {})
    return await run(function, arguments, execution, run_timeout)
