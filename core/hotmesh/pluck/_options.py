"""Options of ``connect``, ``exec`` and ``hook``: their types and validation.

Options are dictionaries, as in upstream Pluck, so that keys such as
``"await"`` need no renaming. Each is checked once, on the call, and an
unknown key or a value of the wrong type raises
:class:`~hotmesh.pluck.errors.InvalidOptionsError` naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from hotmesh.durable import Duration, InvalidDurationError, RetryPolicy, to_seconds
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from hotmesh.pluck._ids import check_entity, check_id
from hotmesh.pluck.errors import InvalidOptionsError, InvalidTtlError
from hotmesh.search import SearchIndex

INFINITY = "infinity"
"""The ttl of a record that lives until ``flush``."""

DEFAULT_EXPIRE = 1
"""Seconds a finished record stays readable, as in upstream Pluck."""

Ttl = Duration | Literal["infinity"]
"""Seconds, a ``timedelta``, text such as ``"15 minutes"``, or ``"infinity"``."""

_NAMESPACE = re.compile(r"^[A-Za-z0-9-]+$")


class SearchData(TypedDict):
    """Search fields to set on a new record: ``{"data": {name: value}}``."""

    data: Mapping[str, Any]


ExecOptions = TypedDict(
    "ExecOptions",
    {
        "id": str,
        "ttl": Ttl,
        "prefix": str,
        "task_queue": str,
        "namespace": str,
        "search": SearchData,
        "retry_policy": RetryPolicy,
        "await": bool,
        "expire": int,
        "signal_in": bool,
    },
    total=False,
)
"""Options of :meth:`Pluck.exec <hotmesh.pluck.Pluck.exec>`."""


class ConnectOptions(TypedDict, total=False):
    """Options of :meth:`Pluck.connect <hotmesh.pluck.Pluck.connect>`."""

    ttl: Literal["infinity"]
    task_queue: str
    namespace: str
    search: SearchIndex
    concurrency: int
    run_timeout: float


class HookOptions(TypedDict, total=False):
    """Options of :meth:`Pluck.hook <hotmesh.pluck.Pluck.hook>`."""

    namespace: str
    prefix: str
    task_queue: str
    workflow_id: str


@dataclass(frozen=True)
class ExecSettings:
    """Checked options of one ``exec`` call.

    ``ttl`` is in seconds, ``math.inf`` for ``"infinity"``, None for none.
    """

    record_id: str | None = None
    ttl: float | None = None
    prefix: str | None = None
    task_queue: str | None = None
    namespace: str | None = None
    search: dict[str, Any] = field(default_factory=dict)
    retry_policy: RetryPolicy | None = None
    wait: bool = True
    expire: int = DEFAULT_EXPIRE
    signal_in: bool = True

    def call_marker(self) -> dict[str, Any]:
        """Return the last argument of the call: the ttl the entity's workflow keeps."""
        marker: dict[str, Any] = {"$type": "exec"}
        if self.ttl is not None:
            marker["ttl"] = INFINITY if math.isinf(self.ttl) else self.ttl
        return marker


@dataclass(frozen=True)
class ConnectSettings:
    """Checked options of one ``connect`` call."""

    infinite: bool = False
    task_queue: str | None = None
    namespace: str | None = None
    search: SearchIndex | None = None
    worker: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HookSettings:
    """Checked options of one ``hook`` call."""

    namespace: str | None = None
    prefix: str | None = None
    task_queue: str | None = None
    workflow_id: str | None = None


def parse_ttl(value: object) -> float:
    """Return a ttl in seconds: ``math.inf`` for ``"infinity"``.

    Raises:
        InvalidTtlError: The value is not ``"infinity"`` or a positive
            duration of at most :data:`MAX_EXPIRE_SECONDS`.
    """
    if isinstance(value, str) and value.strip().lower() == INFINITY:
        return math.inf
    try:
        seconds = to_seconds(value)  # type: ignore[arg-type]
    except InvalidDurationError as exc:
        raise InvalidTtlError(
            f"ttl {value!r} is invalid: give 'infinity' or a duration ({exc})"
        ) from exc
    if seconds <= 0:
        raise InvalidTtlError(
            f"ttl {value!r} is invalid: give a positive duration or 'infinity', "
            "or leave it out for no cache"
        )
    if seconds > MAX_EXPIRE_SECONDS:
        raise InvalidTtlError(
            f"ttl {value!r} is invalid: a finite ttl is at most "
            f"{MAX_EXPIRE_SECONDS} s (10 years); give 'infinity' to keep the "
            "response until it is flushed"
        )
    return seconds


def check_namespace(value: object) -> str:
    """Return ``value`` if it is a valid namespace (a HotMesh app id)."""
    if not isinstance(value, str) or not _NAMESPACE.match(value) or value == "a":
        raise InvalidOptionsError(
            f"namespace {value!r} is invalid: use letters, digits and '-' "
            "(and not 'a', which is reserved)"
        )
    return value


def parse_exec_options(options: Mapping[str, Any] | None) -> ExecSettings:
    """Check the options of an ``exec`` call."""
    values = _checked_mapping(options, ExecOptions.__annotations__, "exec")
    ttl = values.get("ttl")
    wait = values.get("await", True)
    signal_in = values.get("signal_in", True)
    return ExecSettings(
        record_id=_optional(values, "id", check_id),
        ttl=None if ttl is None else parse_ttl(ttl),
        prefix=_optional(values, "prefix", _check_prefix),
        task_queue=_optional(values, "task_queue", _check_task_queue),
        namespace=_optional(values, "namespace", check_namespace),
        search=_search_data(values.get("search")),
        retry_policy=_optional(values, "retry_policy", _check_policy),
        wait=_check_bool("await", wait),
        expire=_check_expire(values.get("expire", DEFAULT_EXPIRE)),
        signal_in=_check_bool("signal_in", signal_in),
    )


def parse_connect_options(options: Mapping[str, Any] | None) -> ConnectSettings:
    """Check the options of a ``connect`` call."""
    values = _checked_mapping(options, ConnectOptions.__annotations__, "connect")
    ttl = values.get("ttl")
    if ttl is not None and not math.isinf(parse_ttl(ttl)):
        raise InvalidTtlError(
            f"connect ttl {ttl!r} is invalid: connect takes only 'infinity', "
            "so give a duration to exec instead"
        )
    search = values.get("search")
    if search is not None and not isinstance(search, SearchIndex):
        raise InvalidOptionsError(
            f"connect option 'search' is {type(search).__name__}: give a SearchIndex"
        )
    worker: dict[str, Any] = {}
    if "concurrency" in values:
        worker["concurrency"] = _check_positive_int(
            "concurrency", values["concurrency"]
        )
    if "run_timeout" in values:
        worker["run_timeout"] = _check_positive_number(
            "run_timeout", values["run_timeout"]
        )
    return ConnectSettings(
        infinite=ttl is not None,
        task_queue=_optional(values, "task_queue", _check_task_queue),
        namespace=_optional(values, "namespace", check_namespace),
        search=search,
        worker=worker,
    )


def parse_hook_options(options: Mapping[str, Any] | None) -> HookSettings:
    """Check the options of a ``hook`` call."""
    values = _checked_mapping(options, HookOptions.__annotations__, "hook")
    return HookSettings(
        namespace=_optional(values, "namespace", check_namespace),
        prefix=_optional(values, "prefix", _check_prefix),
        task_queue=_optional(values, "task_queue", _check_task_queue),
        workflow_id=_optional(values, "workflow_id", _check_workflow_id),
    )


def _checked_mapping(
    options: Mapping[str, Any] | None, known: Mapping[str, Any], call: str
) -> Mapping[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidOptionsError(
            f"{call} options are {type(options).__name__}: give a dict"
        )
    unknown = sorted(str(key) for key in options if key not in known)
    if unknown:
        raise InvalidOptionsError(
            f"unknown {call} options: {', '.join(map(repr, unknown))} "
            f"(known options: {', '.join(sorted(known))})"
        )
    return options


def _optional(values: Mapping[str, Any], key: str, check: Any) -> Any:
    value = values.get(key)
    return None if value is None else check(value)


def _check_prefix(value: object) -> str:
    return check_entity(value, "prefix")


def _check_task_queue(value: object) -> str:
    return check_entity(value, "task_queue")


def _check_workflow_id(value: object) -> str:
    return check_id(value, "workflow_id")


def _check_policy(value: object) -> RetryPolicy:
    if not isinstance(value, RetryPolicy):
        raise InvalidOptionsError(
            f"option 'retry_policy' is {type(value).__name__}: give a RetryPolicy"
        )
    return value


def _check_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidOptionsError(f"option {key!r} is {value!r}: give True or False")
    return value


def _check_expire(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidOptionsError(
            f"option 'expire' is {value!r}: give whole seconds, 1 or more"
        )
    return value


def _check_positive_int(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidOptionsError(f"option {key!r} is {value!r}: give 1 or more")
    return value


def _check_positive_number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidOptionsError(
            f"option {key!r} is {value!r}: give a positive number of seconds"
        )
    return float(value)


def _search_data(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or set(value) - {"data"}:
        raise InvalidOptionsError(
            f"option 'search' is {value!r}: give {{'data': {{name: value}}}}"
        )
    data = value.get("data") or {}
    if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
        raise InvalidOptionsError(
            f"option 'search' has data {data!r}: give a dict of field names to values"
        )
    return dict(data)
