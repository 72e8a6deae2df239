"""Retry policies of workflows and activities."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotmesh.durable.durations import Duration, is_finite_number, to_seconds
from hotmesh.durable.errors import (
    FATAL,
    MAXED,
    DurableError,
    InvalidDurationError,
    error_to_dict,
)
from hotmesh.errors import ConfigurationError


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how far apart, a failed workflow or activity runs again.

    The n-th retry waits ``initial_interval * backoff_coefficient ** (n - 1)``
    seconds, at most ``maximum_interval``. The defaults reproduce upstream
    HotMesh: 1 s, 10 s, 100 s, then 120 s.

    Attributes:
        maximum_attempts: Total runs, the first one included; 0 means no
            limit. The default, 4, is upstream's three retries.
        backoff_coefficient: Factor between consecutive delays (1 or more).
        initial_interval: Delay before the first retry.
        maximum_interval: Maximum delay between two runs.
        non_retryable_error_types: Exception class names that fail at once.
        throw_on_error: For activities only: when False, a failed call
            returns its :class:`~hotmesh.durable.errors.DurableError`
            instead of raising it in the workflow.
    """

    maximum_attempts: int = 4
    backoff_coefficient: float = 10.0
    initial_interval: Duration = 1.0
    maximum_interval: Duration = 120.0
    non_retryable_error_types: Sequence[str] = field(default_factory=tuple)
    throw_on_error: bool = True

    def __post_init__(self) -> None:
        attempts = self.maximum_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
            raise ConfigurationError(
                f"RetryPolicy maximum_attempts {attempts!r} is invalid: "
                "use an int, 0 (no limit) or more"
            )
        coefficient = self.backoff_coefficient
        if not is_finite_number(coefficient) or coefficient < 1:
            raise ConfigurationError(
                f"RetryPolicy backoff_coefficient {coefficient!r} is invalid: "
                "use a finite number, 1 or more"
            )
        for name in ("initial_interval", "maximum_interval"):
            try:
                to_seconds(getattr(self, name))
            except InvalidDurationError as exc:
                raise ConfigurationError(f"RetryPolicy {name}: {exc}") from None
        names = self.non_retryable_error_types
        if (
            isinstance(names, str | bytes)
            or not isinstance(names, Collection)
            or not all(isinstance(name, str) for name in names)
        ):
            raise ConfigurationError(
                f"RetryPolicy non_retryable_error_types {names!r} is invalid: "
                "use a list or tuple of exception class names, such as "
                "['ValueError']"
            )
        if not isinstance(self.throw_on_error, bool):
            raise ConfigurationError(
                f"RetryPolicy throw_on_error {self.throw_on_error!r} is invalid: "
                "use True or False"
            )

    def allows_retry(self, failures: int) -> bool:
        """Return whether a run may follow ``failures`` failed runs."""
        return self.maximum_attempts == 0 or failures < self.maximum_attempts

    def delay(self, failures: int) -> float:
        """Return the seconds to wait before the run after ``failures`` failures."""
        initial = to_seconds(self.initial_interval)
        longest = to_seconds(self.maximum_interval)
        exponent = max(failures - 1, 0)
        try:
            delay = initial * self.backoff_coefficient**exponent
        except OverflowError:
            return longest
        return min(delay, longest)

    def retries(self, error: BaseException) -> bool:
        """Return whether the policy retries this error at all.

        A ConfigurationError is never retried: it reports an invalid
        argument, which another run would pass again.
        """
        if isinstance(error, ConfigurationError):
            return False
        if isinstance(error, DurableError) and error.non_retryable:
            return False
        name = error.type if isinstance(error, DurableError) else type(error).__name__
        return name not in self.non_retryable_error_types

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as JSON data for the engine's messages."""
        return {
            "maximum_attempts": self.maximum_attempts,
            "backoff_coefficient": self.backoff_coefficient,
            "initial_interval": to_seconds(self.initial_interval),
            "maximum_interval": to_seconds(self.maximum_interval),
            "non_retryable_error_types": list(self.non_retryable_error_types),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RetryPolicy:
        """Read a policy written by :meth:`to_dict`; defaults fill the gaps."""
        if not isinstance(data, Mapping):
            return cls()
        defaults = cls()
        return cls(
            maximum_attempts=int(
                data.get("maximum_attempts", defaults.maximum_attempts)
            ),
            backoff_coefficient=float(
                data.get("backoff_coefficient", defaults.backoff_coefficient)
            ),
            initial_interval=float(
                data.get("initial_interval", defaults.initial_interval)
            ),
            maximum_interval=float(
                data.get("maximum_interval", defaults.maximum_interval)
            ),
            non_retryable_error_types=tuple(
                str(name) for name in data.get("non_retryable_error_types") or ()
            ),
        )


@dataclass(frozen=True)
class FailurePlan:
    """The outcome of a failed run: a retry after ``delay``, or a final error."""

    failures: int
    delay: float | None = None
    error: dict[str, Any] | None = None


def plan_failure(
    error: BaseException, policy: RetryPolicy, failures: int, stack: str = ""
) -> FailurePlan:
    """Decide whether a run that failed for the ``failures``-th time runs again.

    A final error keeps the message and type of ``error``. Its code is 597
    when retries ran out. It is 598 when the error is not retryable, unless
    the error is a DurableError, which keeps its own code.
    """
    retryable = policy.retries(error)
    if retryable and policy.allows_retry(failures):
        return FailurePlan(failures, delay=policy.delay(failures))
    described = error_to_dict(error)
    if stack:
        described["stack"] = stack
    if retryable:
        described.update(code=MAXED, non_retryable=True)
    elif not isinstance(error, DurableError):
        described.update(code=FATAL, non_retryable=True)
    return FailurePlan(failures, error=described)
