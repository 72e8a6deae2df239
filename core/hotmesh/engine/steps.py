"""Activity steps: from a message and the job's state to one atomic write.

Each function here is pure: it reads the job fields it is given and returns
the :class:`~hotmesh.store.protocol.Step` that carries the job forward. The
engine reads the state, calls one of these, and commits the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotmesh.engine import collator
from hotmesh.engine.mapper import map_rules
from hotmesh.engine.messages import Message, new_guid
from hotmesh.engine.model import Activity, AppModel
from hotmesh.engine.model._literals import interrupt_number, sleep_seconds
from hotmesh.engine.pipe import UNDEFINED, resolve
from hotmesh.engine.pipe._values import truthy as is_truthy
from hotmesh.engine.state import (
    activity_field,
    build_context,
    counter_field,
    decode,
    encode,
    guid_field,
    job_fields,
    metadata_field,
    now_iso,
    signal_field,
)
from hotmesh.engine.transitions import select_children
from hotmesh.errors import PipeError
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    STATUS_FIELD,
    TIMER_TOPIC,
    Guard,
    Lease,
    Outgoing,
    Step,
    Timer,
)


@dataclass
class StepInput:
    """Everything a step function needs."""

    model: AppModel
    activity: Activity
    fields: Mapping[str, str]
    message: Message
    lease: Lease | None
    now_ms: int


@dataclass
class _Draft:
    """Fields and messages collected while a step is built."""

    fields: dict[str, str] = field(default_factory=dict)
    messages: list[Outgoing] = field(default_factory=list)

    def send(self, message: Message, topic: str = ENGINE_TOPIC) -> None:
        self.messages.append(Outgoing(topic, message.to_json()))


def _job_ids(fields: Mapping[str, str]) -> tuple[str, str]:
    jid = json_str(fields.get(metadata_field("jid")))
    gid = json_str(fields.get(metadata_field("gid")))
    return jid, gid


def json_str(raw: str | None) -> str:
    """Decode a JSON string field, or return '' when missing."""
    if raw is None:
        return ""
    value = decode(raw)
    return value if isinstance(value, str) else str(value)


def finish_message(jid: str, gid: str) -> Outgoing:
    message = Message("finish", metadata={"guid": new_guid(), "jid": jid, "gid": gid})
    return Outgoing(ENGINE_TOPIC, message.to_json())


def emit_message(jid: str, gid: str, snapshot: Mapping[str, str]) -> Message:
    """Return the message that publishes a job's interim state.

    ``snapshot`` contains the job's fields as the emitting step leaves them,
    so the published state is that of the step, not of a later one.
    """
    return Message(
        "emit",
        metadata={"guid": new_guid(), "jid": jid, "gid": gid},
        data={"fields": dict(snapshot)},
    )


def transition_messages(
    draft: _Draft, children: list[str], jid: str, gid: str, dad: str
) -> None:
    """Seed each child's counter and send its ``transition`` message."""
    child_dad = collator.child_dad(dad)
    for child in children:
        draft.fields[counter_field(child, child_dad)] = str(collator.SEED)
        metadata = {"guid": new_guid(), "jid": jid, "gid": gid, "dad": child_dad}
        draft.send(Message("transition", metadata={**metadata, "aid": child}))


def _activity_metadata(activity: Activity, dad: str, **extra: Any) -> str:
    stamp = now_iso()
    metadata = {
        "aid": activity.id,
        "dad": dad,
        "atp": activity.type,
        "stp": activity.definition.get("subtype") or activity.topic or "",
        "ac": stamp,
        "au": stamp,
        **extra,
    }
    return encode(metadata)


def _apply_output_maps(activity: Activity, context: dict[str, Any]) -> None:
    if not activity.output_maps:
        return
    mapped = map_rules(activity.output_maps, context)
    if isinstance(mapped, dict):
        output = context["$self"]["output"].setdefault("data", {})
        output.update({k: v for k, v in mapped.items() if v is not UNDEFINED})


def _apply_job_maps(activity: Activity, context: dict[str, Any], draft: _Draft) -> None:
    if not activity.job_maps:
        return
    mapped = map_rules(activity.job_maps, context)
    draft.fields.update(job_fields(activity.job_maps, mapped))


def _emits(activity: Activity, context: dict[str, Any]) -> bool:
    flag = activity.definition.get("emit")
    if flag is None:
        return False
    return is_truthy(resolve(flag, context))


# -- leg 1 -------------------------------------------------------------------


def leg1(step: StepInput) -> Step:
    """Build the leg-1 step of any non-trigger activity."""
    activity = step.activity
    builder = _LEG1_BUILDERS.get(activity.type)
    if builder is None:
        raise PipeError(
            f"activity {activity.id!r} has unsupported type {activity.type!r}"
        )
    return builder(step)


def _leg1_context(step: StepInput) -> tuple[dict[str, Any], str]:
    activity = step.activity
    dad = step.message.dad
    dims = collator.dimension_map(activity.ancestors, activity.id, dad)
    return build_context(step.fields, dims, activity.id), dad


def _leg1_guard(activity: Activity, dad: str) -> Guard:
    return Guard(counter_field(activity.id, dad), "equals", str(collator.SEED))


def _leg1_worker(step: StepInput) -> Step:
    activity = step.activity
    context, dad = _leg1_context(step)
    jid, gid = _job_ids(step.fields)
    data = map_rules(activity.input_maps, context) if activity.input_maps else {}
    topic = resolve(activity.topic, context)
    if not isinstance(topic, str) or not topic:
        raise PipeError(
            f"activity {activity.id!r} resolved no topic from {activity.topic!r}"
        )
    if topic == TIMER_TOPIC:
        raise PipeError(
            f"activity {activity.id!r} resolved topic {topic!r} from "
            f"{activity.topic!r}; the engine reserves that topic for its timers"
        )
    metadata = {
        "guid": new_guid(),
        "jid": jid,
        "gid": gid,
        "dad": dad,
        "aid": activity.id,
    }
    draft = _Draft()
    draft.fields[activity_field(activity.id, dad, "m")] = _activity_metadata(
        activity, dad
    )
    if activity.type == "worker":
        retry = activity.definition.get("retry")
        request = Message(
            "request",
            metadata={**metadata, "topic": topic},
            data=data if isinstance(data, dict) else {"value": data},
            policies={"retry": retry} if retry else None,
        )
        draft.send(request, topic)
    else:
        awaited = resolve(activity.definition.get("await", True), context)
        request = Message(
            "await",
            metadata={**metadata, "topic": topic, "await": awaited is not False},
            data=data if isinstance(data, dict) else {"value": data},
        )
        draft.send(request)
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[_leg1_guard(activity, dad)],
        fields=draft.fields,
        increments=[(counter_field(activity.id, dad), collator.LEG1_WAIT)],
        messages=draft.messages,
    )


def _sleep_seconds(activity: Activity, context: dict[str, Any]) -> float:
    """Return a hook's sleep in seconds; 0 when it does not sleep.

    Raises:
        PipeError: The sleep resolves to a value that is not a number, or
            to one outside 0 to :data:`MAX_EXPIRE_SECONDS`.
    """
    raw = activity.definition.get("sleep")
    if raw is None:
        return 0.0
    value = resolve(raw, context)
    if value is UNDEFINED or value is None:
        return 0.0
    try:
        return sleep_seconds(value)
    except ValueError as exc:
        raise PipeError(
            f"sleep of activity {activity.id!r} resolved to {value!r}, {exc}"
        ) from None


def _leg1_hook(step: StepInput) -> Step:
    activity = step.activity
    context, dad = _leg1_context(step)
    sleep = _sleep_seconds(activity, context)
    if sleep <= 0 and not activity.hook_topic:
        return _leg1_complete(step, context, dad)
    jid, gid = _job_ids(step.fields)
    draft = _Draft()
    _apply_output_maps(activity, context)
    _apply_job_maps(activity, context, draft)
    draft.fields[activity_field(activity.id, dad, "m")] = _activity_metadata(
        activity, dad
    )
    output = context["$self"]["output"].get("data")
    if output:
        draft.fields[activity_field(activity.id, dad, "o")] = encode(output)
    timers: list[Timer] = []
    signals: dict[str, str] = {}
    address = {
        "guid": new_guid(),
        "jid": jid,
        "gid": gid,
        "dad": dad,
        "aid": activity.id,
    }
    if sleep > 0:
        due = step.now_ms + int(sleep * 1000)
        wake = Message("timehook", metadata=address, data={"timestamp": due})
        timer_id = f"sleep:{jid}:{activity.id}{dad}"
        timers.append(Timer(timer_id, due, Outgoing(TIMER_TOPIC, wake.to_json())))
    else:
        key = signal_key(step.model, activity, context)
        signals[key] = encode({"aid": activity.id, "dad": dad, "gid": gid, "jid": jid})
        draft.fields[signal_field(key)] = "1"
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[_leg1_guard(activity, dad)],
        fields=draft.fields,
        increments=[(counter_field(activity.id, dad), collator.LEG1_WAIT)],
        timers=timers,
        signals=signals,
    )


def signal_key(model: AppModel, activity: Activity, context: dict[str, Any]) -> str:
    """Return the key a paused hook is registered under for its topic."""
    topic = activity.hook_topic or ""
    rules = model.hook_rules.get(topic) or []
    expected: Any = ""
    if rules:
        match = (rules[0].conditions or {}).get("match") or [{}]
        expected = resolve(match[0].get("expected"), context)
    return f"{topic}:{'' if expected is UNDEFINED else expected}"


def _leg1_complete(
    step: StepInput,
    context: dict[str, Any],
    dad: str,
    extra: Sequence[Message] = (),
) -> Step:
    """Complete an activity that has no leg 2 (pass-through hook, signal)."""
    activity = step.activity
    jid, gid = _job_ids(step.fields)
    children = list(select_children(activity, context, 200))
    draft = _Draft()
    for message in extra:
        draft.send(message)
    _apply_output_maps(activity, context)
    _apply_job_maps(activity, context, draft)
    draft.fields[activity_field(activity.id, dad, "m")] = _activity_metadata(
        activity, dad
    )
    output = context["$self"]["output"].get("data")
    if output:
        draft.fields[activity_field(activity.id, dad, "o")] = encode(output)
    transition_messages(draft, children, jid, gid, dad)
    if _emits(activity, context):
        draft.send(emit_message(jid, gid, {**step.fields, **draft.fields}))
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[_leg1_guard(activity, dad)],
        fields=draft.fields,
        increments=[
            (counter_field(activity.id, dad), collator.leg1_complete(activity.cycle))
        ],
        status_delta=len(children) - 1,
        messages=draft.messages,
        on_finish=[finish_message(jid, gid)],
    )


def _leg1_cycle(step: StepInput) -> Step:
    activity = step.activity
    context, dad = _leg1_context(step)
    jid, gid = _job_ids(step.fields)
    ancestor = str(activity.definition.get("ancestor"))
    depth = activity.ancestors.index(ancestor)
    data = map_rules(activity.input_maps, context) if activity.input_maps else {}
    target = collator.cycle_target_dad(dad, depth)
    reentry = Message(
        "cycle",
        metadata={
            "guid": new_guid(),
            "jid": jid,
            "gid": gid,
            "dad": target,
            "aid": ancestor,
        },
        data=data if isinstance(data, dict) else {},
    )
    draft = _Draft()
    draft.fields[activity_field(activity.id, dad, "m")] = _activity_metadata(
        activity, dad
    )
    draft.send(reentry)
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[_leg1_guard(activity, dad)],
        fields=draft.fields,
        increments=[(counter_field(activity.id, dad), collator.CYCLE_EXIT)],
        messages=draft.messages,
    )


@dataclass(frozen=True)
class InterruptOrder:
    """The job an interrupt activity targets and the interrupt options."""

    job_id: str
    reason: str | None
    code: int
    throw: bool
    expire: int | None
    stack: str


def interrupt_order(step: StepInput) -> InterruptOrder:
    """Resolve an interrupt activity's target and options."""
    context, _ = _leg1_context(step)
    definition = step.activity.definition
    jid, _ = _job_ids(step.fields)

    def option(name: str, default: Any) -> Any:
        if name not in definition:
            return default
        value = resolve(definition[name], context)
        return default if value is UNDEFINED or value is None else value

    target = option("target", jid)
    expire = option("expire", None)
    if expire is not None:
        expire = _interrupt_number(step.activity, "expire", expire)
    return InterruptOrder(
        job_id=str(target),
        reason=option("reason", None),
        code=_interrupt_number(step.activity, "code", option("code", 410)),
        throw=option("throw", True) is not False,
        expire=expire,
        stack=str(option("stack", "")),
    )


def _interrupt_number(activity: Activity, name: str, value: Any) -> int:
    """Return the interrupt option ``name`` as a whole number.

    Raises:
        PipeError: The option resolved to a value that is not a whole
            number, or to one out of range.
    """
    try:
        return interrupt_number(name, value)
    except ValueError as exc:
        raise PipeError(
            f"{name} of interrupt activity {activity.id!r} resolved to {value!r}: {exc}"
        ) from None


def _leg1_interrupt(step: StepInput) -> Step:
    """Interrupt this job, or complete after another job was interrupted."""
    order = interrupt_order(step)
    jid, gid = _job_ids(step.fields)
    if order.job_id != jid:
        return _leg1_pass(step)
    activity = step.activity
    context, dad = _leg1_context(step)
    draft = _Draft()
    _apply_job_maps(activity, context, draft)
    draft.fields[activity_field(activity.id, dad, "m")] = _activity_metadata(
        activity, dad
    )
    if order.throw:
        error = {
            "code": order.code,
            "message": order.reason or f"job [{jid}] interrupted",
            "stack": order.stack,
            "job_id": jid,
        }
        draft.fields[metadata_field("err")] = encode(encode(error))
    if order.expire is not None:
        draft.fields[metadata_field("expire")] = encode(order.expire)
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[_leg1_guard(activity, dad)],
        fields=draft.fields,
        increments=[(counter_field(activity.id, dad), collator.leg1_complete(False))],
        status_delta=collator.INTERRUPT_DELTA - 1,
        on_finish=[finish_message(jid, gid)],
        cancel_timers=True,
    )


def _leg1_pass(step: StepInput) -> Step:
    context, dad = _leg1_context(step)
    return _leg1_complete(step, context, dad)


def _leg1_signal(step: StepInput) -> Step:
    """Complete a signal activity and send its hook (``one``) or hooks (``all``)."""
    activity = step.activity
    definition = activity.definition
    context, dad = _leg1_context(step)
    topic = str(definition.get("topic"))
    signal_maps = (definition.get("signal") or {}).get("maps")
    payload = map_rules(signal_maps, context) if signal_maps else {}
    payload = payload if isinstance(payload, dict) else {}
    if definition.get("subtype") == "all":
        resolver_maps = (definition.get("resolver") or {}).get("maps")
        query = map_rules(resolver_maps, context) if resolver_maps else {}
        query = query if isinstance(query, dict) else {}
        if definition.get("scrub") is not None:
            query["scrub"] = is_truthy(resolve(definition["scrub"], context))
        key_name = resolve(definition.get("key_name"), context)
        key_value = resolve(definition.get("key_value"), context)
        order = Message(
            "hookall",
            metadata={"guid": new_guid(), "topic": topic},
            data={
                "data": payload,
                "query": query,
                "facets": [f"{key_name}:{key_value}"],
            },
        )
        return _leg1_complete(step, context, dad, [order])
    status = resolve(definition.get("status", "success"), context)
    code = resolve(definition.get("code", 200), context)
    signal = webhook_message(step.model, topic, payload, str(status), int(code))
    return _leg1_complete(step, context, dad, [signal] if signal else [])


def webhook_message(
    model: AppModel, topic: str, payload: dict[str, Any], status: str, code: int
) -> Message | None:
    """Return the message resuming the hook ``payload`` matches on ``topic``."""
    rules = model.hook_rules.get(topic)
    if not rules:
        return None
    match = (rules[0].conditions or {}).get("match") or [{}]
    scope = {"$self": {"hook": {"data": payload}}, "$hook": {"data": payload}}
    actual = resolve(match[0].get("actual"), scope)
    key = f"{topic}:{'' if actual is UNDEFINED else actual}"
    if status not in ("success", "pending", "error"):
        status = "success"
    return Message(
        "webhook",
        metadata={"guid": new_guid(), "signal": key, "topic": topic},
        data=payload,
        status=status,  # type: ignore[arg-type]
        code=code,
    )


_LEG1_BUILDERS = {
    "worker": _leg1_worker,
    "await": _leg1_worker,
    "hook": _leg1_hook,
    "cycle": _leg1_cycle,
    "signal": _leg1_signal,
    "interrupt": _leg1_interrupt,
}


# -- leg 2 -------------------------------------------------------------------


def leg2(step: StepInput, dad: str, hook_data: bool, signal: str | None = None) -> Step:
    """Build the leg-2 step of an activity receiving a response or signal.

    ``dad`` is the activity's original address. ``hook_data`` binds the
    message data as the activity's hook data instead of its output.
    ``signal`` is the hook registration to remove once a final signal lands.
    """
    activity = step.activity
    message = step.message
    jid, gid = _job_ids(step.fields)
    counter = counter_field(activity.id, dad)
    current = int(step.fields.get(counter) or 0)
    entries = collator.entry_count(current)
    effective = collator.with_last(dad, entries) if entries > 0 else dad
    dims = collator.dimension_map(activity.ancestors, activity.id, effective)
    context = build_context(step.fields, dims, activity.id)
    node = context["$self"]

    draft = _Draft()
    err: str | None = None
    if message.status == "error":
        err = encode(message.data)
        node["output"]["metadata"]["$error"] = {**message.data, "is_stream_error": True}
    elif hook_data:
        node["hook"]["data"] = message.data
    else:
        node["output"]["data"] = message.data
    children = list(select_children(activity, context, message.code))
    if err is not None and not children:
        job_err = encode({**message.data, "is_stream_error": True})
        draft.fields[metadata_field("err")] = encode(job_err)
    _apply_job_maps(activity, context, draft)

    extra = {"err": err} if err is not None else {}
    draft.fields[activity_field(activity.id, effective, "m")] = _activity_metadata(
        activity, effective, **extra
    )
    if hook_data and message.status != "error":
        draft.fields[activity_field(activity.id, effective, "h")] = encode(message.data)
    output = node["output"].get("data")
    if output and message.status != "error":
        draft.fields[activity_field(activity.id, effective, "o")] = encode(output)
    draft.fields[guid_field(message.guid)] = "1"
    transition_messages(draft, children, jid, gid, effective)
    if _emits(activity, context):
        draft.send(emit_message(jid, gid, {**step.fields, **draft.fields}))

    final = message.status != "pending"
    drop = [signal] if signal and final and message.code == 200 else []
    return Step(
        job_id=jid,
        lease=step.lease,
        guards=[
            Guard(counter, "prefix", collator.LEG2_OPEN_PREFIX),
            Guard(counter, "equals", str(current), on_fail="retry"),
            Guard(guid_field(message.guid), "absent"),
        ],
        fields=draft.fields,
        delete_fields=[signal_field(key) for key in drop],
        increments=[(counter, collator.leg2_exit(final, activity.cycle))],
        status_delta=len(children) - (1 if final else 0),
        messages=draft.messages,
        on_finish=[finish_message(jid, gid)],
        drop_signals=drop,
    )


def active_guard() -> Guard:
    """Return a guard that drops a message for a finished or interrupted job."""
    return Guard(STATUS_FIELD, "greater", "0")
