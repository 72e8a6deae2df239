"""The store protocol: every verb the engine uses to persist and exchange state.

The engine never issues a raw database command. It calls these verbs, and a
backend plugin implements them. On the Redis family each verb that moves a
job forward is one Lua script, so it applies completely or not at all in one
round trip.

Names used below:

* *app*: an :class:`AppKey`, the namespace and app id every key belongs to.
* *topic*: a stream name. The engine stream has the empty topic ``""``;
  each worker topic (``"work.do"``) has its own stream.
* *job fields*: a job's state is a flat mapping of field names to strings.
  The store treats names and values as opaque, except for the status field
  (:data:`STATUS_FIELD`), which holds a signed integer. Other names that
  start with ``:`` are reserved for the store's own bookkeeping and are
  left out of :meth:`Store.read_job`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from hotmesh.search import SearchIndex, SearchQuery, SearchResult

STATUS_FIELD = ":"
"""Job field holding the job's status semaphore (an integer, see the engine)."""

ENGINE_TOPIC = ""
"""Topic of the engine stream."""

TIMER_TOPIC = "$timers"
"""Topic of the stream where the engine's timers deliver their messages.

Every engine reads it beside the engine stream, so a timer that fires while
the engine stream has a backlog is applied without waiting behind it.
Workers may not use this topic.
"""


def describe_topic(topic: str) -> str:
    """Name a topic's stream in messages and logs."""
    if topic == ENGINE_TOPIC:
        return "the engine stream"
    if topic == TIMER_TOPIC:
        return "the timer stream"
    return f"topic {topic!r}"


INTERRUPTED_BELOW = -100_000_000
"""A job status below this value means the job was interrupted."""

# Capability names. A backend declares the ones it may have; the live
# server refines them at connect time.
CAP_SEARCH = "search"
CAP_CLUSTER = "cluster"
CAP_SCRIPTS = "scripts"
CAP_PERSISTENCE = "persistence"


@dataclass(frozen=True)
class AppKey:
    """Namespace and app id that scope every key of one app."""

    namespace: str
    app_id: str


@dataclass(frozen=True)
class ServerInfo:
    """What the live server is and can do, read at connect time."""

    name: str
    version: str
    capabilities: frozenset[str]
    url: str = ""
    """Connection URL with any password masked."""


@dataclass(frozen=True)
class Lease:
    """A consumer's claim on one stream message.

    Writes that acknowledge the message present the lease. When another
    consumer has reclaimed the message since (its delivery count or owner
    changed), the write fails with :class:`~hotmesh.errors.LeaseLostError`
    and writes nothing.
    """

    topic: str
    group: str
    message_id: str
    consumer: str
    delivery: int


@dataclass(frozen=True)
class StreamMessage:
    """A message read from a stream, with the lease that claims it."""

    lease: Lease
    payload: str


@dataclass(frozen=True)
class Claim:
    """A request to take new messages of one stream along with a write.

    A write that carries a claim and appends messages to ``topic``'s stream
    then reads up to ``count`` new messages of that stream for
    ``consumer`` of ``group``, as :meth:`Store.read_messages` would without
    blocking, never more than the write appended. The consumer processes
    them at once instead of waiting for its next read. A backend may take
    none; the messages then reach the group's readers as usual.
    """

    topic: str
    group: str
    consumer: str
    count: int = 1


@dataclass(frozen=True)
class Outgoing:
    """A message to append to a stream."""

    topic: str
    payload: str


@dataclass(frozen=True)
class Timer:
    """A message to append to the engine stream once ``due_ms`` has passed.

    ``timer_id`` identifies the timer within the app: scheduling the same id
    twice keeps one timer, due at the later of the two times, with the
    message scheduled for that time. A timer scheduled by a :class:`Step` or
    a :class:`NewJob` belongs to that job, and a step with ``cancel_timers``
    removes it (see :class:`Step`).
    """

    timer_id: str
    due_ms: int
    message: Outgoing


GuardKind = Literal["exists", "absent", "equals", "prefix", "greater"]


@dataclass(frozen=True)
class Guard:
    """A condition on one job field, checked before a step writes anything.

    Kinds:

    * ``exists``: the field is present.
    * ``absent``: the field is missing.
    * ``equals``: the field's value equals ``value``.
    * ``prefix``: the field's value starts with ``value``.
    * ``greater``: the field holds an integer greater than ``int(value)``.

    When a guard fails, ``on_fail`` decides the outcome: ``"drop"``
    acknowledges the incoming message (a duplicate or stale delivery) and
    writes nothing else; ``"retry"`` writes nothing and leaves the message
    unacknowledged, so the caller can re-read the state and try again.
    """

    field: str
    kind: GuardKind
    value: str = ""
    on_fail: Literal["drop", "retry"] = "drop"


@dataclass(frozen=True)
class Dependent:
    """An entry appended to the dependents list of ``owner_job_id``.

    When the owner's state already expires, the list gets the same expiry,
    so it never outlives the job.
    """

    owner_job_id: str
    entry: str


@dataclass(frozen=True)
class StatsUpdate:
    """Counters and index entries a new job adds to one stats bucket.

    ``counters`` are added to the bucket's numeric fields (created at 0);
    each ``index`` pair appends a job id to the list of one facet
    (``"color:red"``). Buckets and their lists never expire on their own:
    :meth:`Store.close_index` with ``scrub`` removes them.
    """

    bucket: str
    counters: Mapping[str, float] = field(default_factory=dict)
    index: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Step:
    """One atomic change to a job.

    A backend applies a step in this order, all or nothing:

    1. When ``lease`` is given, check it (else raise ``LeaseLostError``).
    2. Check ``guards`` in order; the first that fails ends the step (see
       :class:`Guard`).
    3. Write ``fields``, delete ``delete_fields``.
    4. Apply ``increments`` in order, then add ``status_delta`` to the status
       field. The resulting values are returned. When a field to increment
       contains something other than an integer, the step raises
       ``StoreError`` and writes nothing.
    5. When ``cancel_timers`` is true, remove every timer that this job's
       steps and its :class:`NewJob` scheduled and that has not fired yet,
       with its message. Timers scheduled through
       :meth:`Store.schedule_timers` belong to no job and stay.
    6. When the new status is not below :data:`INTERRUPTED_BELOW`, append
       ``messages``, schedule ``timers``, register ``signals`` and
       ``dependents``.
    7. When the new status is at most 0 and the status before the delta was
       above 0, append ``on_finish`` (the step that finished the job).
    8. When ``expire_seconds`` is set, expire every key the job owns (its
       state and its dependents list) after that many seconds (0 removes
       the expiry).
    9. Remove ``drop_signals``; publish ``publish`` notifications.
    10. Acknowledge and delete the leased message.
    11. Take the messages of ``claim`` (see :class:`Claim`) and return them
        in :attr:`StepResult.claimed`.
    """

    job_id: str
    lease: Lease | None = None
    guards: Sequence[Guard] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    delete_fields: Sequence[str] = ()
    increments: Sequence[tuple[str, int]] = ()
    status_delta: int = 0
    messages: Sequence[Outgoing] = ()
    on_finish: Sequence[Outgoing] = ()
    timers: Sequence[Timer] = ()
    cancel_timers: bool = False
    signals: Mapping[str, str] = field(default_factory=dict)
    drop_signals: Sequence[str] = ()
    dependents: Sequence[Dependent] = ()
    expire_seconds: int | None = None
    publish: Sequence[tuple[str, str]] = ()
    claim: Claim | None = None


@dataclass(frozen=True)
class StepResult:
    """Outcome of :meth:`Store.commit_step` or :meth:`Store.create_job`.

    ``applied`` is false when a guard failed; ``failed_guard`` is then its
    index in the step's guards. ``status`` is the job status after the step
    (before it, when not applied), ``counters`` the values of the step's
    increments, in order. ``claimed`` contains the messages taken for the
    write's :class:`Claim`, leased to its consumer.
    """

    applied: bool
    status: int
    counters: tuple[int, ...] = ()
    failed_guard: int | None = None
    claimed: Sequence[StreamMessage] = ()


@dataclass(frozen=True)
class NewJob:
    """The first state and messages of a job, written by :meth:`Store.create_job`.

    ``status`` is the initial value of the status field. ``origin`` names
    the message that created the job: when a job with this id already
    exists and was created by the same origin, the call is a replay of a
    redelivered message and succeeds without writing job state.

    The lists apply as in :class:`Step`, the initial status taking the place
    of the new status: nothing is sent when it is below
    :data:`INTERRUPTED_BELOW`, and ``on_finish`` is sent when it is at most
    0 (a job that finishes as it is created). ``claim`` applies as in
    :class:`Step`, except on a replay, which takes nothing.
    """

    job_id: str
    status: int
    fields: Mapping[str, str]
    origin: str = ""
    lease: Lease | None = None
    messages: Sequence[Outgoing] = ()
    on_finish: Sequence[Outgoing] = ()
    timers: Sequence[Timer] = ()
    dependents: Sequence[Dependent] = ()
    expire_seconds: int | None = None
    publish: Sequence[tuple[str, str]] = ()
    stats: Sequence[StatsUpdate] = ()
    """Recorded with the job, also on a replay (never twice for one origin)."""
    claim: Claim | None = None


@dataclass(frozen=True)
class ReclaimResult:
    """Messages taken over from stale consumers, and those dead-lettered.

    ``dead`` messages exceeded the delivery ceiling: the store moved them to
    the topic's dead-letter stream and acknowledged them, so they are never
    delivered again; the caller records the failure on their jobs.
    """

    claimed: list[StreamMessage]
    dead: list[StreamMessage]


MessageCallback = Callable[[str, str], Awaitable[None] | None]
"""Pub/sub callback: receives the channel suffix and the message text."""


@runtime_checkable
class Subscription(Protocol):
    """A live pub/sub subscription."""

    async def close(self) -> None:
        """Stop receiving messages."""


@runtime_checkable
class Store(Protocol):
    """The verbs every backend implements. See the module docstring."""

    @property
    def info(self) -> ServerInfo:
        """Server name, version and capabilities (valid after :meth:`connect`)."""

    async def connect(self) -> None:
        """Open connections and read the server's capabilities.

        Raises ``ConnectionFailedError`` or ``AuthenticationError``.
        """

    async def close(self) -> None:
        """Close every connection this store opened. Safe to call twice."""

    def clone(self) -> Store:
        """Return an unconnected store on the same server and options, with
        connections of its own.

        A clone can be connected and used on another thread's event loop,
        which cannot share this store's connections. Raises
        ``UnsupportedOperationError`` when the backend cannot open such
        connections.
        """

    async def ping(self) -> None:
        """Make one round trip to the server."""

    # -- apps ---------------------------------------------------------------

    async def save_app_version(
        self, app: AppKey, version: str, document: str, deployed_at: str
    ) -> None:
        """Store the compiled document of an app version and list it in the
        app profile as deployed. Saving the same version again replaces it."""

    async def load_app_version(self, app: AppKey, version: str) -> str | None:
        """Return the compiled document of a version, or None."""

    async def activate_app_version(
        self, app: AppKey, version: str, activated_at: str
    ) -> None:
        """Mark a deployed version as the app's active version.

        Raises ``DeploymentError`` when the version was never saved.
        """

    async def load_app_profile(self, app: AppKey) -> dict[str, str]:
        """Return the app profile: ``active_version`` and ``versions/<v>``."""

    # -- jobs ---------------------------------------------------------------

    async def create_job(self, app: AppKey, job: NewJob) -> StepResult:
        """Reserve a job id and write the job's first state, atomically.

        Raises ``DuplicateJobError`` when the id is taken (unless the
        existing job has the same ``origin``: then no job state is written,
        the leased message is acknowledged and the result is returned as
        applied with the job's current status). The leased message, if any,
        is acknowledged in the same write. Raises ``LeaseLostError``
        (writing nothing) when the lease was lost.
        """

    async def commit_step(self, app: AppKey, step: Step) -> StepResult:
        """Apply one :class:`Step` atomically and return the counters.

        Applying a step a second time after it was acknowledged is
        impossible (the lease check fails); steps also carry guards that
        make a redelivered message a no-op.
        """

    async def read_job(self, app: AppKey, job_id: str) -> dict[str, str] | None:
        """Return every field of a job, or None when it does not exist."""

    async def read_job_fields(
        self, app: AppKey, job_id: str, fields: Sequence[str]
    ) -> list[str | None]:
        """Return the values of some job fields, None where missing."""

    async def delete_job(self, app: AppKey, job_id: str) -> bool:
        """Delete a job's state. Return whether it existed."""

    async def job_ttl(self, app: AppKey, job_id: str) -> int | None:
        """Return the seconds until a job expires, None if it never does or
        does not exist."""

    async def read_dependents(self, app: AppKey, job_id: str) -> list[str]:
        """Return the entries of a job's dependents list."""

    async def find_jobs(
        self, app: AppKey, pattern: str = "*", limit: int = 1000
    ) -> list[str]:
        """Return ids of jobs whose id matches a glob pattern."""

    # -- streams ------------------------------------------------------------

    async def ensure_group(self, app: AppKey, topic: str, group: str) -> None:
        """Create a topic's stream and consumer group if missing."""

    async def add_message(self, app: AppKey, message: Outgoing) -> str:
        """Append a message to a stream and return its id."""

    async def read_messages(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        count: int,
        block_ms: int,
    ) -> list[StreamMessage]:
        """Claim up to ``count`` new messages, waiting up to ``block_ms``.

        ``block_ms`` 0 returns at once. Each lease has delivery 1.
        """

    async def read_own_pending(
        self, app: AppKey, topic: str, group: str, consumer: str, *, count: int
    ) -> list[StreamMessage]:
        """Return up to ``count`` messages pending for ``consumer``, oldest first.

        Changes nothing: each lease carries the message's current delivery
        count, so the consumer can acknowledge it as if it had just read it.
        A consumer whose connection dropped while the server replied to a
        read or a claim finds the messages of that reply here.
        """

    async def ack(
        self,
        app: AppKey,
        lease: Lease,
        messages: Sequence[Outgoing] = (),
        claim: Claim | None = None,
    ) -> Sequence[StreamMessage]:
        """Acknowledge a leased message and append ``messages``, atomically.

        Returns the messages taken for ``claim`` (see :class:`Claim`).
        Raises ``LeaseLostError`` (writing nothing) when the lease was lost.
        """

    async def extend_lease(self, app: AppKey, lease: Lease, ttl_ms: int = 0) -> bool:
        """Keep a leased message from being reclaimed while its owner runs it.

        Resets the message's idle time without changing the lease. With
        ``ttl_ms`` above 0 it also sets the lease's deadline to ``ttl_ms``
        from now by the server's clock: until then :meth:`reclaim` leaves
        the message alone, whatever ``min_idle_ms`` its caller passes.
        Acknowledging or reclaiming the message clears the deadline.
        Returns False, extending nothing, when the lease was already lost.
        """

    async def reclaim(
        self,
        app: AppKey,
        topic: str,
        group: str,
        consumer: str,
        *,
        min_idle_ms: int,
        max_deliveries: int,
        count: int,
    ) -> ReclaimResult:
        """Take over messages other consumers left pending too long.

        A message is taken over when it has been idle ``min_idle_ms`` and
        its lease deadline (see :meth:`extend_lease`), if any, has passed.
        A message already delivered ``max_deliveries`` times is not claimed
        but dead-lettered (see :class:`ReclaimResult`). At most ``count``
        messages are claimed and dead-lettered in all.
        """

    async def stream_depth(self, app: AppKey, topic: str) -> int:
        """Return the number of messages in a topic's stream."""

    async def read_dead_letters(
        self, app: AppKey, topic: str, count: int = 100
    ) -> list[str]:
        """Return payloads of a topic's dead-lettered messages, oldest first."""

    # -- timers -------------------------------------------------------------

    async def schedule_timers(self, app: AppKey, timers: Sequence[Timer]) -> None:
        """Schedule timers (see :class:`Timer`)."""

    async def cancel_timer(self, app: AppKey, timer_id: str) -> bool:
        """Remove a timer. Return whether it was scheduled."""

    async def fire_due_timers(self, app: AppKey, now_ms: int, limit: int) -> int:
        """Send the messages of up to ``limit`` timers due at ``now_ms``.

        Each timer is removed and its message appended in one atomic
        write, so concurrent callers never fire the same timer twice and a
        timer is never fired before its due time by the given clock.
        Return how many fired.
        """

    async def next_timer_due(self, app: AppKey) -> int | None:
        """Return the due time of the earliest timer, or None."""

    # -- signals ------------------------------------------------------------

    async def get_signal(self, app: AppKey, key: str) -> str | None:
        """Return the registration of a paused hook, or None."""

    async def delete_signal(self, app: AppKey, key: str) -> bool:
        """Remove a hook registration. Return whether it existed."""

    # -- coordination ------------------------------------------------------

    async def acquire_role(
        self, app: AppKey, role: str, holder: str, ttl_ms: int
    ) -> bool:
        """Take or extend a role lease. Return whether ``holder`` now has it."""

    async def release_role(self, app: AppKey, role: str, holder: str) -> None:
        """Give up a role lease if ``holder`` has it."""

    async def set_throttle(self, app: AppKey, scope: str, delay_ms: int) -> None:
        """Store a throttle delay for a scope (``":"`` is app-wide)."""

    async def get_throttles(self, app: AppKey) -> dict[str, int]:
        """Return every stored throttle delay by scope."""

    async def clear_throttles(self, app: AppKey) -> None:
        """Remove every stored throttle delay."""

    async def publish(self, app: AppKey, channel: str, message: str) -> int:
        """Publish on an app channel. Return the number of receivers.

        On a cluster the count covers only the clients connected to the
        node that took the message, though every subscriber receives it.
        """

    async def subscribe(
        self, app: AppKey, channel: str, callback: MessageCallback
    ) -> Subscription:
        """Receive messages published on one app channel."""

    async def psubscribe(
        self, app: AppKey, pattern: str, callback: MessageCallback
    ) -> Subscription:
        """Receive messages on app channels matching a glob pattern."""

    # -- stats ----------------------------------------------------------------

    async def read_stats(
        self, app: AppKey, buckets: Sequence[str]
    ) -> list[dict[str, float]]:
        """Return the counters of each bucket, empty where it has none."""

    async def read_index(self, app: AppKey, bucket: str, facet: str) -> list[str]:
        """Return the job ids on a facet's index, oldest first."""

    async def take_from_index(
        self, app: AppKey, bucket: str, facet: str, count: int
    ) -> list[str]:
        """Move up to ``count`` ids from a facet's index to its processed list.

        Each id moves once, so concurrent callers never take the same id.
        """

    async def close_index(
        self, app: AppKey, bucket: str, facet: str, *, scrub: bool
    ) -> None:
        """Finish draining a facet's index.

        With ``scrub`` the processed list and the bucket's counters are
        deleted; otherwise the processed ids return to the index.
        """

    # -- key-value entries ---------------------------------------------------

    async def kv_get(self, app: AppKey, key: str) -> str | None:
        """Return an app-scoped entry, or None."""

    async def kv_set(
        self, app: AppKey, key: str, value: str, ttl_ms: int | None = None
    ) -> None:
        """Store an app-scoped entry, optionally expiring after ``ttl_ms``."""

    async def kv_delete(self, app: AppKey, key: str) -> bool:
        """Remove an app-scoped entry. Return whether it existed."""

    # -- search ---------------------------------------------------------------

    async def create_search_index(self, app: AppKey, index: SearchIndex) -> None:
        """Define a search index over the app's jobs (see :mod:`hotmesh.search`).

        Creating an index again with the same definition changes nothing,
        and a different definition under the same name replaces it. Where
        the server has no search module, the definition is still stored and
        queries scan the app's jobs, so no search verb fails because the
        module is missing.
        """

    async def get_search_index(self, app: AppKey, name: str) -> SearchIndex | None:
        """Return the definition of a search index, or None."""

    async def list_search_indexes(self, app: AppKey) -> list[str]:
        """Return the names of the app's search indexes, sorted."""

    async def drop_search_index(self, app: AppKey, name: str) -> bool:
        """Remove a search index; the jobs stay. Return whether it existed."""

    async def search_jobs(self, app: AppKey, query: SearchQuery) -> SearchResult:
        """Return the jobs that match a query, ordered by job id.

        A server index and a scan give the same ids, count and row values,
        and :attr:`SearchResult.indexed` is true when the server's index
        ran the query. Raises ``ConfigurationError`` when the index does
        not exist or a condition does not fit it.
        """


StoreFactory = Callable[[], Store]
