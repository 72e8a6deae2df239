"""Exceptions of the Durable layer.

Every class derives from :class:`DurableError`, itself a
:class:`~hotmesh.errors.HotMeshError`. Errors about one job also derive
from the engine's job error of the same meaning, so ``except
JobNotFoundError`` catches :class:`WorkflowNotFoundError` too::

    HotMeshError
    └── DurableError
        ├── ApplicationError             (599, any other failure)
        ├── RetryableError               (599)
        ├── DurableTimeoutError          (596, not retried)
        ├── MaxedError                   (597, retries exhausted)
        ├── FatalError                   (598, not retried)
        │   └── NonDeterminismError
        ├── NotInWorkflowError           (also a RuntimeError)
        ├── InvalidDurationError         (also a ValueError)
        ├── UnknownActivityError         (also an AttributeError)
        ├── WorkflowNotFoundError        (also a JobNotFoundError)
        ├── DuplicateWorkflowError       (also a DuplicateJobError)
        ├── WorkflowNotRunningError      (409, no longer running)
        └── WorkflowInterruptedError     (also a JobInterruptedError)

:class:`WorkflowSuspended` and :class:`RetryRequested` are not errors:
they are control signals that leave a workflow function when it waits for
something or must run again later. They derive from ``BaseException`` so
that ``except Exception`` in workflow code does not catch them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hotmesh.errors import (
    DuplicateJobError,
    HotMeshError,
    JobInterruptedError,
    JobNotFoundError,
)

RETRYABLE = 599
MAXED = 597
FATAL = 598
TIMEOUT = 596
NOT_FOUND = 404
DUPLICATE = 409
INTERRUPTED = 410


class DurableError(HotMeshError):
    """Root of the Durable layer's errors.

    Attributes:
        code: Status code, as upstream HotMesh numbers them (598 fatal, 597
            retries exhausted, 596 timeout, 599 retryable, 410 interrupted).
        workflow_id: The workflow the error belongs to, when known.
        type: Class name of the exception that was first raised, which may
            differ from this class once an error crossed a process.
        non_retryable: True when a retry policy must not retry the error.
        details: Extra JSON data stored with the error.
    """

    default_code: ClassVar[int] = RETRYABLE
    default_non_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        workflow_id: str | None = None,
        code: int | None = None,
        type: str | None = None,
        non_retryable: bool | None = None,
        details: Any = None,
        stack: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = self.default_code if code is None else code
        self.workflow_id = workflow_id
        self.job_id = workflow_id
        self.type = type or self.__class__.__name__
        if non_retryable is None:
            non_retryable = self.default_non_retryable
        self.non_retryable = non_retryable
        self.details = details
        self.stack = stack

    def __str__(self) -> str:
        return self.message


class ApplicationError(DurableError):
    """A failure raised by user code, rebuilt after crossing a process."""


class RetryableError(DurableError):
    """A failure that the retry policy retries."""


class DurableTimeoutError(DurableError):
    """A timeout that ends the workflow or activity without retries."""

    default_code = TIMEOUT
    default_non_retryable = True


class MaxedError(DurableError):
    """Retries are exhausted; the message is the last failure's message."""

    default_code = MAXED
    default_non_retryable = True


class FatalError(DurableError):
    """A failure that must not be retried.

    Raise it from an activity or a workflow to stop retrying at once.
    """

    default_code = FATAL
    default_non_retryable = True


class NonDeterminismError(FatalError):
    """The workflow code no longer matches the history it is replaying."""


class NotInWorkflowError(DurableError, RuntimeError):
    """A workflow-only function was called outside a workflow function."""

    default_non_retryable = True


class InvalidDurationError(DurableError, ValueError):
    """A duration is not a number of seconds, a timedelta or text like "5 minutes"."""

    default_non_retryable = True


class UnknownActivityError(DurableError, AttributeError):
    """No activity with the requested name is registered."""

    default_code = NOT_FOUND
    default_non_retryable = True


class WorkflowNotFoundError(DurableError, JobNotFoundError):
    """No workflow with the given id exists, or it expired."""

    default_code = NOT_FOUND


class DuplicateWorkflowError(DurableError, DuplicateJobError):
    """A workflow with the same id already exists."""

    default_code = DUPLICATE
    default_non_retryable = True


class WorkflowNotRunningError(DurableError):
    """The workflow exists but no longer runs, so it cannot be interrupted.

    Attributes:
        state: How it ended: ``"completed"``, ``"failed"`` or
            ``"interrupted"``.
    """

    default_code = DUPLICATE
    default_non_retryable = True

    def __init__(self, message: str, *, state: str = "", **options: Any) -> None:
        super().__init__(message, **options)
        self.state = state


class WorkflowInterruptedError(DurableError, JobInterruptedError):
    """The workflow was interrupted before it finished."""

    default_code = INTERRUPTED
    default_non_retryable = True


class WorkflowSuspended(BaseException):
    """Leaves a workflow function that waits for a durable step.

    The worker raises it in the function after recording what it waits
    for; the function runs again from the top once the step is done.
    Workflow code must let it propagate.
    """


class RetryRequested(BaseException):
    """Leaves a workflow function so that it runs again after a retry delay."""

    def __init__(self, failures: int) -> None:
        super().__init__(failures)
        self.failures = failures


_BY_TYPE: dict[str, type[DurableError]] = {
    cls.__name__: cls
    for cls in (
        ApplicationError,
        RetryableError,
        DurableTimeoutError,
        MaxedError,
        FatalError,
        NonDeterminismError,
        NotInWorkflowError,
        InvalidDurationError,
        UnknownActivityError,
        WorkflowNotFoundError,
        DuplicateWorkflowError,
        WorkflowNotRunningError,
        WorkflowInterruptedError,
    )
}

_BY_CODE: dict[int, type[DurableError]] = {
    TIMEOUT: DurableTimeoutError,
    MAXED: MaxedError,
    FATAL: FatalError,
    NOT_FOUND: WorkflowNotFoundError,
    DUPLICATE: DuplicateWorkflowError,
    INTERRUPTED: WorkflowInterruptedError,
}


def error_to_dict(error: BaseException, *, code: int | None = None) -> dict[str, Any]:
    """Describe an exception as JSON data that :func:`error_from_dict` reads."""
    if isinstance(error, DurableError):
        data: dict[str, Any] = {
            "type": error.type,
            "message": error.message,
            "code": error.code if code is None else code,
            "non_retryable": error.non_retryable,
        }
        if error.details is not None:
            data["details"] = error.details
        if error.stack:
            data["stack"] = error.stack
        return data
    return {
        "type": type(error).__name__,
        "message": str(error),
        "code": RETRYABLE if code is None else code,
        "non_retryable": False,
    }


def error_from_dict(data: Any, *, workflow_id: str | None = None) -> DurableError:
    """Rebuild an error from :func:`error_to_dict` data or an engine error.

    The class is the Durable class named by ``type`` when its code matches,
    else the class of the ``code``, else :class:`ApplicationError`. So an
    exhausted ``RetryableError`` (code 597) comes back as a MaxedError.
    """
    if not isinstance(data, dict):
        return ApplicationError(str(data), workflow_id=workflow_id)
    code = _int_or(data.get("code"), RETRYABLE)
    name = str(data.get("type") or "")
    cls = _class_of(name, code)
    non_retryable = data.get("non_retryable")
    return cls(
        str(data.get("message") or "unknown error"),
        workflow_id=workflow_id or _str_or_none(data.get("job_id")),
        code=code,
        type=name or None,
        non_retryable=non_retryable if isinstance(non_retryable, bool) else None,
        details=data.get("details"),
        stack=_str_or_none(data.get("stack")),
    )


def _class_of(name: str, code: int) -> type[DurableError]:
    """Pick the class named ``name`` when it has this code, else the code's."""
    named = _BY_TYPE.get(name)
    if named is not None and named.default_code == code:
        return named
    return _BY_CODE.get(code) or named or ApplicationError


def _int_or(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None
