"""Building the KEYS and ARGV of script calls.

The argument layouts written here are the ones each script's header
describes; a section added here must be read in the same place there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from hotmesh.errors import PayloadTooLargeError, SerializationError
from hotmesh.store.protocol import (
    INTERRUPTED_BELOW,
    Claim,
    Dependent,
    Guard,
    Lease,
    NewJob,
    Outgoing,
    StatsUpdate,
    Step,
    Timer,
    describe_topic,
)
from hotmesh_redis.keys import ORIGIN_FIELD, AppKeys
from hotmesh_redis.scripting import ScriptArg

_GUARD_KINDS = frozenset({"exists", "absent", "equals", "prefix", "greater"})

_ACTIVITY_PARTS = {
    "o": "output",
    "h": "hook data",
    "m": "metadata",
    "as": "collation counter",
}
"""Words for the last segment of an activity's job field."""


def describe_job_field(name: str) -> str:
    """Describe a job field in words, for error messages.

    The field names follow the layout that :mod:`hotmesh.engine.state`
    documents, for example ``a/t1/,0/o`` is the output of activity ``t1``.
    A name outside that layout is quoted as it is.
    """
    kind, _, rest = name.partition("/")
    if kind == "a" and rest.count("/") == 2:
        activity, dimension, part = rest.split("/")
        words = _ACTIVITY_PARTS.get(part, f"field {part!r}")
        text = f"{words} of activity {activity!r}"
        if dimension not in ("", ",0"):
            text += f" at dimension {dimension!r}"
        return text
    if kind == "d" and rest:
        return f"job data {rest!r}"
    if kind == "m" and rest:
        return f"job metadata {rest!r}"
    if kind == "s" and rest:
        return f"hook signal {rest!r}"
    if kind == "g" and rest:
        return "record of an applied message"
    if name.startswith("_"):
        return f"search field {name[1:]!r}"
    if name.startswith("-"):
        return f"marker field {name[1:]!r}"
    return f"job field {name!r}"


def encode_text(value: str, label: str, max_bytes: int | None = None) -> bytes:
    """Encode a value as UTF-8, enforcing the configured size limit.

    ``label`` names the value in error messages ("job field 'a'").
    """
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SerializationError(
            f"{label} is not valid Unicode and cannot be stored as UTF-8: {exc.reason}"
        ) from None
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"{label} is {len(data)} bytes, more than the store's limit of "
            f"{max_bytes} bytes (URL option max_payload_bytes); store large "
            "data elsewhere and pass a reference, or raise the limit"
        )
    return data


class ScriptCall:
    """KEYS and ARGV of one script call, built section by section.

    Arguments that name a key carry the key's 1-based index in KEYS
    (see :meth:`key_ref`); each key is declared once.
    """

    def __init__(
        self, keys: AppKeys, fixed_keys: Sequence[str], max_payload_bytes: int | None
    ) -> None:
        self.app_keys = keys
        self.keys: list[str] = []
        self.args: list[ScriptArg] = []
        self._key_index: dict[str, int] = {}
        self._max_bytes = max_payload_bytes
        for key in fixed_keys:
            self.key_ref(key)

    def key_ref(self, key: str) -> int:
        index = self._key_index.get(key)
        if index is None:
            self.keys.append(key)
            index = len(self.keys)
            self._key_index[key] = index
        return index

    def add(self, *values: ScriptArg) -> None:
        self.args.extend(values)

    def add_payload(self, value: str, label: str) -> None:
        self.args.append(encode_text(value, label, self._max_bytes))

    def add_lease(self, lease: Lease | None) -> None:
        if lease is None:
            self.add(0, 0, "", "", "", 0)
            return
        stream = self.key_ref(self.app_keys.stream(lease.topic))
        deadlines = self.key_ref(self.app_keys.lease_deadlines(lease.topic))
        self.add(stream, deadlines, lease.group, lease.message_id)
        self.add(lease.consumer, lease.delivery)

    def add_pairs(
        self,
        pairs: Iterable[tuple[str, str]],
        label: str,
        describe: Callable[[str], str] | None = None,
    ) -> None:
        """Add a count, then each name and value.

        ``describe`` turns a name into the words that error messages use
        for its value; without it they read ``{label} 'name'``.
        """
        items = list(pairs)
        self.add(len(items))
        for name, value in items:
            what = f"{label} {name!r}" if describe is None else describe(name)
            self.add(encode_text(name, f"name of {what}"))
            self.add_payload(value, what)

    def add_names(self, names: Sequence[str], label: str) -> None:
        self.add(len(names))
        for name in names:
            self.add(encode_text(name, label))

    def add_messages(self, messages: Sequence[Outgoing]) -> None:
        self.add(len(messages))
        for message in messages:
            stream = self.key_ref(self.app_keys.stream(message.topic))
            self.add(stream)
            self.add_payload(
                message.payload, f"message for {describe_topic(message.topic)}"
            )

    def add_claim(self, claim: Claim | None) -> None:
        if claim is None:
            self.add(0, "", "", 0)
            return
        stream = self.key_ref(self.app_keys.stream(claim.topic))
        self.add(stream, claim.group, claim.consumer, int(claim.count))

    def add_timers(self, timers: Sequence[Timer]) -> None:
        self.add(len(timers))
        for timer in timers:
            self.add(encode_text(timer.timer_id, "timer id"), str(timer.due_ms))
            self.add(self.encode_timer_message(timer))

    def encode_timer_message(self, timer: Timer) -> bytes:
        topic = encode_text(timer.message.topic, "timer topic")
        payload = encode_text(
            timer.message.payload,
            f"message of timer {timer.timer_id!r}",
            self._max_bytes,
        )
        return b"%d:%s%s" % (len(topic), topic, payload)

    def add_dependents(self, dependents: Sequence[Dependent]) -> None:
        self.add(len(dependents))
        for dependent in dependents:
            owner = dependent.owner_job_id
            self.add(self.key_ref(self.app_keys.dependents(owner)))
            self.add(self.key_ref(self.app_keys.job(owner)))
            self.add_payload(dependent.entry, f"dependent entry of job {owner!r}")

    def add_expire(self, seconds: int | None) -> None:
        if seconds is not None and seconds < 0:
            raise ValueError(f"expire_seconds must be 0 or more, got {seconds}")
        self.add("" if seconds is None else str(seconds))

    def add_publications(self, publications: Sequence[tuple[str, str]]) -> None:
        self.add(len(publications))
        for channel, message in publications:
            what = f"message published to channel {channel!r}"
            self.add(encode_text(self.app_keys.channel(channel), f"channel of {what}"))
            self.add_payload(message, what)


def _job_call(keys: AppKeys, job_id: str, max_bytes: int | None) -> ScriptCall:
    fixed = (
        keys.job(job_id),
        keys.dependents(job_id),
        keys.timers,
        keys.timer_payloads,
        keys.signals,
    )
    call = ScriptCall(keys, fixed, max_bytes)
    call.add(INTERRUPTED_BELOW)
    return call


def create_job_call(keys: AppKeys, job: NewJob, max_bytes: int | None) -> ScriptCall:
    """Build the call of ``create_job.lua``."""
    call = _job_call(keys, job.job_id, max_bytes)
    call.add_lease(job.lease)
    call.add(ORIGIN_FIELD, encode_text(job.origin, "job origin"), job.status)
    call.add_pairs(job.fields.items(), "job field", describe_job_field)
    call.add_messages(job.messages)
    call.add_messages(job.on_finish)
    call.add_timers(job.timers)
    call.add_dependents(job.dependents)
    call.add_expire(job.expire_seconds)
    call.add_publications(job.publish)
    _add_stats(call, job.stats)
    call.add_claim(job.claim)
    return call


def _add_stats(call: ScriptCall, updates: Sequence[StatsUpdate]) -> None:
    call.add(len(updates))
    for update in updates:
        call.add(call.key_ref(call.app_keys.stats(update.bucket)))
        call.add(len(update.counters))
        for name, amount in update.counters.items():
            call.add(encode_text(name, "stats counter"), repr(float(amount)))
        call.add(len(update.index))
        for facet, job_id in update.index:
            call.add(call.key_ref(call.app_keys.stats_index(update.bucket, facet)))
            call.add(encode_text(job_id, "indexed job id"))


def commit_step_call(keys: AppKeys, step: Step, max_bytes: int | None) -> ScriptCall:
    """Build the call of ``commit_step.lua``."""
    call = _job_call(keys, step.job_id, max_bytes)
    call.add_lease(step.lease)
    _add_guards(call, step.guards)
    call.add(len(step.increments))
    for name, amount in step.increments:
        call.add(encode_text(name, "increment field"), int(amount))
    call.add(int(step.status_delta))
    call.add_pairs(step.fields.items(), "job field", describe_job_field)
    call.add_names(step.delete_fields, "deleted field")
    call.add_messages(step.messages)
    call.add_messages(step.on_finish)
    call.add_timers(step.timers)
    call.add(1 if step.cancel_timers else 0)
    call.add_pairs(step.signals.items(), "signal")
    call.add_dependents(step.dependents)
    call.add_expire(step.expire_seconds)
    call.add_names(step.drop_signals, "dropped signal")
    call.add_publications(step.publish)
    call.add_claim(step.claim)
    return call


def _add_guards(call: ScriptCall, guards: Sequence[Guard]) -> None:
    call.add(len(guards))
    for guard in guards:
        if guard.kind not in _GUARD_KINDS:
            raise ValueError(f"unknown guard kind {guard.kind!r} on {guard.field!r}")
        if guard.on_fail not in ("drop", "retry"):
            raise ValueError(f"unknown guard on_fail {guard.on_fail!r}")
        if guard.kind == "greater" and not _is_integer(guard.value):
            raise ValueError(
                f"invalid bound {guard.value!r} of the 'greater' guard on "
                f"{guard.field!r}: expected an integer"
            )
        call.add(encode_text(guard.field, "guard field"), guard.kind)
        call.add(encode_text(guard.value, "guard value"), guard.on_fail)


def _is_integer(text: str) -> bool:
    return text.removeprefix("-").isdigit()
