"""The state of one run of a workflow function, and its replay history.

A workflow function runs again from the top after every durable step.
Each durable call takes the next *execution index*. The outcome of a
finished call is stored on the workflow's job as a marker field named
``-<kind><dimension>-<index>-``, for example ``-proxy-3-``, or
``-sleep,0,0-2-`` in a hook thread. A later run returns that stored
outcome instead of doing the work again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from hotmesh.durable.errors import (
    DUPLICATE,
    NOT_FOUND,
    DurableError,
    NonDeterminismError,
    NotInWorkflowError,
    WorkflowSuspended,
    error_from_dict,
)
from hotmesh.durable.retry import RetryPolicy
from hotmesh.hotmesh import HotMesh

MARKER = re.compile(r"^-(?P<kind>[a-z]+)(?P<dim>(?:,\d+)*)-(?P<index>\d+)-$")
SEARCH_MARKER = re.compile(r"^-search(?P<dim>(?:,\d+)*)-(?P<index>\d+)-\d+-$")

COLLATE = "collate"
"""Marker kind written only when a collation job itself failed."""

_current: contextvars.ContextVar[Execution] = contextvars.ContextVar(
    "hotmesh_durable_execution"
)


def marker_key(kind: str, dimension: str, index: int) -> str:
    """Return the marker field of a durable call."""
    return f"-{kind}{dimension}-{index}-"


@dataclass(frozen=True)
class WorkflowInfo:
    """Facts about one run of a workflow function.

    Attributes:
        namespace: The Durable namespace (HotMesh app id).
        workflow_id: The workflow's id; a hook thread shares it.
        workflow_name: The running function's name.
        task_queue: The task queue its worker reads.
        workflow_topic: The stream topic of the function's worker.
        dimension: ``""`` for the main thread, ``",0,1"`` style for a hook
            thread.
        origin_id: Id of the top-level workflow this one descends from.
        parent_id: Id of the parent workflow, or None.
        attempt: Failed runs before this one in the current retry series.
        counter: Execution index of the last durable call so far.
    """

    namespace: str
    workflow_id: str
    workflow_name: str
    task_queue: str
    workflow_topic: str
    dimension: str
    origin_id: str
    parent_id: str | None
    attempt: int
    counter: int


@dataclass
class Request:
    """A durable call that waits for the engine: one item of a suspension."""

    kind: str
    index: int
    item: dict[str, Any]
    reissue: bool = False


@dataclass(frozen=True)
class Stored:
    """A stored outcome: a value, or an error."""

    value: Any = None
    error: DurableError | None = None
    spawn_failed: bool = False
    """True when the engine could not start a child (duplicate id, no graph)."""


@dataclass
class Execution:
    """Everything one run of a workflow function reads and records."""

    mesh: HotMesh
    namespace: str
    workflow_id: str
    workflow_name: str
    task_queue: str
    dimension: str
    origin_id: str
    parent_id: str | None
    expire: int
    policy: RetryPolicy
    attempt: int = 0
    retrying: bool = False
    replay: dict[str, str] = field(default_factory=dict)
    history: dict[int, str] = field(default_factory=dict)
    counter: int = 0
    requests: list[Request] = field(default_factory=list)
    waiters: list[asyncio.Future[Any]] = field(default_factory=list)
    sealed: bool = False
    inflight: int = 0
    progress: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def info(self) -> WorkflowInfo:
        return WorkflowInfo(
            namespace=self.namespace,
            workflow_id=self.workflow_id,
            workflow_name=self.workflow_name,
            task_queue=self.task_queue,
            workflow_topic=f"{self.task_queue}-{self.workflow_name}",
            dimension=self.dimension,
            origin_id=self.origin_id,
            parent_id=self.parent_id,
            attempt=self.attempt if self.retrying else 0,
            counter=self.counter,
        )

    def load_history(self, fields: Mapping[str, str]) -> None:
        """Keep this thread's markers from a job's fields."""
        for name, value in fields.items():
            match = MARKER.match(name) or SEARCH_MARKER.match(name)
            if match is None or match["dim"] != self.dimension:
                continue
            self.replay[name] = value
            kind = match.groupdict().get("kind") or "search"
            if kind != COLLATE:
                self.history[int(match["index"])] = kind

    def next_index(self) -> int:
        """Take the next execution index."""
        self.check_open()
        self.counter += 1
        self.touch()
        return self.counter

    def check_open(self) -> None:
        """Raise WorkflowSuspended once the run is being suspended."""
        if self.sealed:
            raise WorkflowSuspended()

    def touch(self) -> None:
        """Note progress, so the runner waits before suspending."""
        self.progress += 1
        self.changed.set()

    def lookup(self, kind: str, index: int, name: str | None = None) -> Stored | None:
        """Return the stored outcome of a call, or None when it has none.

        Raises:
            NonDeterminismError: The history contains another kind of call,
                or a call of another name, at this index.
        """
        raw = self.replay.get(marker_key(kind, self.dimension, index))
        if raw is None:
            recorded = self.history.get(index)
            if recorded is not None and recorded != kind:
                self.mismatch(index, f"{kind} call", f"{recorded} call")
            return None
        stored, recorded_name = read_stored(raw, self.workflow_id)
        if name and recorded_name and recorded_name != name:
            self.mismatch(index, f"{kind} {name!r}", f"{kind} {recorded_name!r}")
        return stored

    def mismatch(self, index: int, found: str, recorded: str) -> NoReturn:
        """Raise NonDeterminismError for a call ``found`` at ``index`` where the
        history contains the call ``recorded``."""
        raise NonDeterminismError(
            f"workflow {self.workflow_id!r} made a {found} at execution index "
            f"{index}, but its history contains a {recorded} there; the workflow "
            "code changed while this workflow ran",
            workflow_id=self.workflow_id,
        )

    async def suspend(self, request: Request) -> Any:
        """Record a request and wait until the runner suspends the run."""
        self.check_open()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.requests.append(request)
        self.waiters.append(waiter)
        self.touch()
        return await waiter

    def seal(self) -> None:
        """Make every waiting and later durable call raise WorkflowSuspended."""
        self.sealed = True
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(WorkflowSuspended())

    @contextlib.asynccontextmanager
    async def io(self) -> AsyncIterator[None]:
        """Mark a store round trip, so the runner does not suspend during it."""
        self.check_open()
        self.inflight += 1
        self.touch()
        try:
            yield
        finally:
            self.inflight -= 1
            self.touch()


def current() -> Execution:
    """Return the run of the calling workflow function.

    Raises:
        NotInWorkflowError: The caller is not running inside a workflow.
    """
    try:
        return _current.get()
    except LookupError:
        raise NotInWorkflowError(
            "this function only works inside a workflow function run by a "
            "Durable Worker"
        ) from None


def bind(execution: Execution) -> contextvars.Context:
    """Return a context in which :func:`current` returns ``execution``."""
    context = contextvars.copy_context()
    context.run(_current.set, execution)
    return context


def read_stored(raw: str, workflow_id: str) -> tuple[Stored, str | None]:
    """Decode a marker value into an outcome and the recorded call name."""
    try:
        data = json.loads(raw)
    except ValueError:
        return Stored(value=raw), None
    if not isinstance(data, dict):
        return Stored(value=data), None
    name = data.get("name")
    recorded = str(name) if isinstance(name, str) else None
    if "data" in data:
        return Stored(value=data["data"]), recorded
    if isinstance(data.get("error"), dict):
        return Stored(error=error_from_dict(data["error"], workflow_id=workflow_id)), (
            recorded
        )
    if data.get("is_stream_error"):
        error = error_from_dict(data, workflow_id=workflow_id)
        spawn_failed = error.code in (DUPLICATE, NOT_FOUND)
        return Stored(error=error, spawn_failed=spawn_failed), None
    return Stored(), recorded
