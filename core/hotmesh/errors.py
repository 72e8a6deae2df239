"""Exceptions raised by HotMesh.

Every error the library raises derives from :class:`HotMeshError`; database
driver errors are translated at the store boundary, so callers never need to
catch ``redis`` or ``valkey`` exceptions::

    HotMeshError
    ├── ConfigurationError
    │   ├── UnknownBackendError
    │   └── MissingDependencyError
    ├── StoreError
    │   ├── ConnectionFailedError
    │   ├── AuthenticationError
    │   ├── UnsupportedOperationError
    │   ├── LeaseLostError
    │   └── PayloadTooLargeError
    ├── ModelError
    │   ├── ModelValidationError
    │   └── DeploymentError
    ├── JobError
    │   ├── DuplicateJobError
    │   ├── JobNotFoundError
    │   ├── JobTimeoutError
    │   ├── JobFailedError
    │   └── JobInterruptedError
    ├── TopicNotFoundError
    ├── HookNotFoundError
    ├── PipeError
    └── SerializationError
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class HotMeshError(Exception):
    """Root of every exception raised by HotMesh."""


class ConfigurationError(HotMeshError):
    """A setting, URL or argument is invalid."""


class UnknownBackendError(ConfigurationError):
    """No installed backend plugin handles a URL scheme."""


class MissingDependencyError(ConfigurationError):
    """An optional package that a backend needs is not installed."""


class StoreError(HotMeshError):
    """The store failed to carry out an operation."""


class ConnectionFailedError(StoreError):
    """The server could not be reached or dropped the connection."""


class AuthenticationError(StoreError):
    """The server rejected the credentials."""


class UnsupportedOperationError(StoreError):
    """The backend does not implement an optional operation."""


class LeaseLostError(StoreError):
    """A write presented a claim that another consumer has taken over.

    Nothing was written: the message now belongs to the other consumer.
    """


class PayloadTooLargeError(StoreError):
    """A value exceeds the configured maximum payload size."""


class ModelError(HotMeshError):
    """A YAML app model is invalid or could not be deployed."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a model."""

    message: str
    path: str = ""
    file: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<inline>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.path:
            where = f"{where} at {self.path}"
        return f"{where}: {self.message}"


class ModelValidationError(ModelError):
    """A model has one or more problems, all listed in :attr:`problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid app model, {count} {noun}:\n{lines}")


class DeploymentError(ModelError):
    """A model is valid but could not be deployed or activated."""


class JobError(HotMeshError):
    """An operation on a job failed."""

    def __init__(self, message: str, *, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class DuplicateJobError(JobError):
    """A job with the same id already exists."""


class JobNotFoundError(JobError):
    """No job with the given id exists (or it has expired)."""


class JobTimeoutError(JobError):
    """A job did not finish within the time a caller waited for it.

    The job itself keeps running.
    """

    code = 504


class JobFailedError(JobError):
    """A job finished with an error, stored on the job."""

    def __init__(
        self,
        message: str,
        *,
        job_id: str | None = None,
        code: int = 500,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, job_id=job_id)
        self.code = code
        self.data = data or {}


class JobInterruptedError(JobFailedError):
    """A job was interrupted before it finished."""


class TopicNotFoundError(HotMeshError):
    """No graph of the active app version subscribes to a topic."""


class HookNotFoundError(HotMeshError):
    """No paused hook activity matches a hook's topic and payload."""


class PipeError(HotMeshError):
    """A mapping expression or ``@pipe`` could not be evaluated."""


class SerializationError(HotMeshError):
    """A value could not be serialised for the store."""
