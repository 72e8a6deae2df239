"""Checks of the arguments that Durable's public calls take.

Each check returns the value in the form the caller stores, or raises
ConfigurationError naming the argument, the call and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hotmesh.durable import _app
from hotmesh.durable.durations import is_finite_number
from hotmesh.durable.retry import RetryPolicy
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from hotmesh.errors import ConfigurationError


def check_args(args: object, where: str) -> list[Any]:
    """Return the arguments of a workflow call as a list.

    Only a list or a tuple is taken: a dict or a string would otherwise be
    split into its keys or characters.
    """
    if not isinstance(args, list | tuple):
        raise ConfigurationError(
            f"args of {where} is a {type(args).__name__}: pass a list or tuple "
            "of the workflow function's arguments, such as args=['Ada']"
        )
    return list(args)


def workflow_name(workflow: object, where: str) -> str:
    """Return the name of a workflow given as its function or its name."""
    name = (
        workflow if isinstance(workflow, str) else getattr(workflow, "__name__", None)
    )
    if not isinstance(name, str) or not (
        isinstance(workflow, str) or callable(workflow)
    ):
        raise ConfigurationError(
            f"workflow_name of {where} is {workflow!r}: pass the workflow "
            "function or its name as a string"
        )
    return _app.check_name("workflow name", name)


def check_expire(expire: object, where: str) -> int:
    """Return ``expire`` as whole seconds from 0 to :data:`MAX_EXPIRE_SECONDS`."""
    allowed = f"0 (kept without expiry) to {MAX_EXPIRE_SECONDS} (10 years)"
    if isinstance(expire, bool) or not isinstance(expire, int | float):
        raise ConfigurationError(
            f"expire of {where} is {expire!r}: pass whole seconds from {allowed}"
        )
    if isinstance(expire, float) and not expire.is_integer():
        raise ConfigurationError(
            f"expire of {where} is {expire!r}: pass whole seconds from {allowed}"
        )
    if not 0 <= expire <= MAX_EXPIRE_SECONDS:
        raise ConfigurationError(
            f"expire of {where} is {expire!r}, out of range: pass whole seconds "
            f"from {allowed}"
        )
    return int(expire)


def check_retry_policy(policy: object, where: str) -> RetryPolicy:
    """Return ``policy``, or the default policy when it is None."""
    if policy is None:
        return RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise ConfigurationError(
            f"retry_policy of {where} is a {type(policy).__name__}: pass a "
            "RetryPolicy, such as RetryPolicy(maximum_attempts=3), or None "
            "for the default"
        )
    return policy


def check_workflow_id(workflow_id: object, where: str) -> str | None:
    """Return a client's workflow id; None stays None (a new id is made).

    Raises:
        ConfigurationError: The id is empty, not a string, or fails
            :func:`~hotmesh.durable._app.check_workflow_id`.
    """
    if workflow_id is None:
        return None
    if not isinstance(workflow_id, str) or not workflow_id:
        raise ConfigurationError(
            f"workflow_id of {where} is {workflow_id!r}: pass a non-empty string, "
            "or None for a new random id"
        )
    return _app.check_workflow_id(workflow_id)


def check_signal_id(signal_id: object, where: str) -> str:
    """Return ``signal_id`` if it is a non-empty string."""
    if not isinstance(signal_id, str) or not signal_id:
        raise ConfigurationError(
            f"signal id of {where} is {signal_id!r}: pass the non-empty string "
            "that the workflow's wait_for() call waits for"
        )
    return signal_id


def check_timeout(timeout: object, where: str) -> float | None:
    """Return a wait's timeout: None, or finite seconds of 0 or more."""
    if timeout is None:
        return None
    if not is_finite_number(timeout) or timeout < 0:
        raise ConfigurationError(
            f"timeout={timeout!r} of {where} is invalid: give seconds, 0 or "
            "more, or None to wait as long as the workflow runs"
        )
    return float(timeout)


def check_concurrency(concurrency: object) -> int:
    """Return a worker's concurrency if it is an int of 1 or more."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise ConfigurationError(
            f"concurrency of Worker.create is {concurrency!r}: pass an int, "
            "1 or more (messages each stream handles at once)"
        )
    if concurrency < 1:
        raise ConfigurationError(
            f"concurrency of Worker.create is {concurrency}: pass 1 or more, "
            "or the worker never runs a message"
        )
    return concurrency


def check_run_timeout(run_timeout: object) -> float:
    """Return a worker's run timeout if it is finite seconds above 0."""
    if not is_finite_number(run_timeout) or run_timeout <= 0:
        raise ConfigurationError(
            f"run_timeout of Worker.create is {run_timeout!r}: pass seconds above 0"
        )
    return float(run_timeout)


def workflow_functions(
    workflow: object,
) -> dict[str, Callable[..., Any]]:
    """Return the workflow functions of ``Worker.create(workflow=...)`` by name.

    Takes one function, a list or tuple of them, or a mapping of names to
    them. Whether each is an ``async def`` function is checked by the caller.
    """
    fix = (
        "pass an 'async def' workflow function, a list of them, or a dict of "
        "names to them"
    )
    found: dict[Any, Any]
    if isinstance(workflow, Mapping):
        found = dict(workflow)
    elif callable(workflow):
        found = {_function_name(workflow, fix): workflow}
    elif isinstance(workflow, Sequence) and not isinstance(workflow, str | bytes):
        found = {_function_name(item, fix): item for item in workflow}
    else:
        raise ConfigurationError(f"workflow of Worker.create is {workflow!r}: {fix}")
    for name in found:
        if not isinstance(name, str):
            raise ConfigurationError(
                f"workflow of Worker.create has the key {name!r}: keys are "
                "workflow names (strings)"
            )
        if not callable(found[name]):
            raise ConfigurationError(
                f"workflow {name!r} of Worker.create is {found[name]!r}: {fix}"
            )
    return found


def _function_name(function: object, fix: str) -> str:
    name = getattr(function, "__name__", None)
    if not callable(function) or not isinstance(name, str):
        raise ConfigurationError(f"workflow of Worker.create has {function!r}: {fix}")
    return name
