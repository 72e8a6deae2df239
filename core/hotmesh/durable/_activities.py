"""Activities: proxies that call them from workflows, and the worker that runs them.

An activity is an ordinary function (``def`` or ``async def``) with JSON
arguments and result. A workflow calls it through the proxy that
:func:`proxy_activities` returns; the call becomes a job of the app's
activity graph, which sends it to the workflow worker's activity topic and
retries it as its :class:`~hotmesh.durable.retry.RetryPolicy` sets.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from hotmesh.durable import _app
from hotmesh.durable._context import Request, current
from hotmesh.durable.errors import FatalError, UnknownActivityError
from hotmesh.durable.retry import RetryPolicy, plan_failure

logger = logging.getLogger(__name__)

ActivityFunction = Callable[..., Any]
Activities = ModuleType | Mapping[str, ActivityFunction] | Sequence[ActivityFunction]
"""A module, a mapping of names to functions, or a list of functions."""

_registry: dict[str, ActivityFunction] = {}
"""Activities of this process by qualified name (``module:qualname``), filled
by :func:`proxy_activities`; qualified names keep two modules' ``greet``
functions apart."""


def qualified_name(function: ActivityFunction) -> str:
    """Return the key of a function in the process registry."""
    module = getattr(function, "__module__", "?")
    return f"{module}:{getattr(function, '__qualname__', repr(function))}"


def collect(activities: Activities) -> dict[str, ActivityFunction]:
    """Return the activity functions of a module, mapping or list, by name.

    A module contributes its public functions defined in that module.
    """
    if isinstance(activities, ModuleType):
        return {
            name: function
            for name, function in vars(activities).items()
            if inspect.isfunction(function)
            and not name.startswith("_")
            and function.__module__ == activities.__name__
        }
    if isinstance(activities, Mapping):
        found = dict(activities)
    else:
        found = {function.__name__: function for function in activities}
    for name, function in found.items():
        if not callable(function):
            raise UnknownActivityError(
                f"activity {name!r} is {type(function).__name__}, not a function"
            )
    return found


def register(activities: Activities) -> dict[str, ActivityFunction]:
    """Add activities to this process's registry; return them by name."""
    found = collect(activities)
    for function in found.values():
        _registry[qualified_name(function)] = function
    return found


class ActivityProxy:
    """Calls activities from a workflow: ``await proxy.greet("Ada")``."""

    def __init__(
        self, functions: Mapping[str, ActivityFunction], policy: RetryPolicy
    ) -> None:
        self._functions = {
            name: qualified_name(function) for name, function in functions.items()
        }
        self._policy = policy

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name not in self._functions:
            known = ", ".join(sorted(self._functions)) or "none"
            raise UnknownActivityError(
                f"no activity named {name!r} was passed to proxy_activities; "
                f"known activities: {known}"
            )

        async def call(*args: Any) -> Any:
            return await self._call(name, list(args))

        call.__name__ = name
        return call

    async def _call(self, name: str, args: list[Any]) -> Any:
        execution = current()
        index = execution.next_index()
        await asyncio.sleep(0)
        stored = execution.lookup("proxy", index, name)
        if stored is None:
            try:
                json.dumps(args)
            except (TypeError, ValueError) as exc:
                raise FatalError(
                    f"arguments of activity {name!r} cannot be stored as JSON: {exc}"
                ) from exc
            dimension = execution.dimension
            item = {
                "marker": f"-proxy{dimension}-{index}-",
                "job_id": _app.activity_job_id(execution.workflow_id, dimension, index),
                "topic": _app.activity_topic(
                    execution.task_queue, execution.workflow_name
                ),
                "name": name,
                "function": self._functions[name],
                "arguments": args,
                "policy": self._policy.to_dict(),
            }
            return await execution.suspend(Request("proxy", index, item))
        if stored.error is None:
            return stored.value
        if self._policy.throw_on_error:
            raise stored.error
        return stored.error


def proxy_activities(
    *, activities: Activities, retry_policy: RetryPolicy | None = None
) -> ActivityProxy:
    """Register activities and return a proxy that calls them from workflows.

    Call it at import time of the workflow module, so the worker process
    registers the activities before any workflow calls them.
    """
    found = register(activities)
    return ActivityProxy(found, retry_policy or RetryPolicy())


async def run_activity(
    functions: Mapping[str, ActivityFunction], payload: dict[str, Any]
) -> dict[str, Any]:
    """Run one activity request; return the worker response for the graph.

    The function is the one the workflow's proxy named by qualified name,
    else the worker's own activity of the same short name.

    Code 200 carries the ``outcome`` (result or final error) as JSON text;
    code 599 makes the graph retry after ``delay`` seconds.
    """
    data = payload.get("data") or {}
    name = str(data.get("name"))
    policy = RetryPolicy.from_dict(data.get("policy"))
    attempt = int(data.get("attempt") or 0)
    qualified = str(data.get("function"))
    function = _registry.get(qualified) or functions.get(name)
    try:
        if function is None:
            raise UnknownActivityError(
                f"no activity {name!r} ({qualified}) is registered in this "
                "worker; import the module that calls proxy_activities for it, "
                "or pass it to Worker.create(activities=...)"
            )
        result = await _invoke(function, data.get("arguments") or [])
        try:
            outcome = json.dumps({"data": result, "name": name})
        except (TypeError, ValueError) as exc:
            raise FatalError(
                f"result of activity {name!r} cannot be stored as JSON: {exc}"
            ) from exc
    except Exception as exc:
        return _failure(name, exc, policy, attempt, str(data.get("parent_id")))
    return {"code": 200, "data": {"outcome": outcome}}


async def _invoke(function: ActivityFunction, args: list[Any]) -> Any:
    if inspect.iscoroutinefunction(function):
        return await function(*args)
    result = await asyncio.to_thread(function, *args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _failure(
    name: str,
    error: Exception,
    policy: RetryPolicy,
    attempt: int,
    workflow_id: str,
) -> dict[str, Any]:
    stack = "".join(traceback.format_exception(error))
    plan = plan_failure(error, policy, attempt + 1, stack)
    if plan.delay is not None:
        logger.warning(
            "activity %r of workflow %r failed on attempt %d: %s; retrying in %.1fs",
            name,
            workflow_id,
            plan.failures,
            error,
            plan.delay,
        )
        return {"code": 599, "data": {"delay": plan.delay, "attempt": plan.failures}}
    logger.warning(
        "activity %r of workflow %r failed for good on attempt %d: %s",
        name,
        workflow_id,
        plan.failures,
        error,
    )
    outcome = json.dumps({"error": plan.error, "name": name}, default=str)
    return {"code": 200, "data": {"outcome": outcome}}


__all__ = ["ActivityProxy", "proxy_activities", "run_activity"]
