"""Job-level steps: creating a job, finishing it, failing and interrupting it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hotmesh.engine import collator
from hotmesh.engine.cache import VERSION_FIELD
from hotmesh.engine.mapper import map_rules
from hotmesh.engine.messages import Message, new_guid
from hotmesh.engine.model import AppModel, Graph
from hotmesh.engine.model._types import MAX_EXPIRE_SECONDS
from hotmesh.engine.pipe import UNDEFINED, resolve
from hotmesh.engine.state import (
    FINISHED_FIELD,
    activity_field,
    counter_field,
    decode,
    encode,
    job_output,
    metadata_field,
    now_iso,
    read_status,
)
from hotmesh.engine.stats import stats_updates
from hotmesh.engine.steps import (
    _apply_job_maps,
    _Draft,
    _emits,
    emit_message,
    finish_message,
    json_str,
    transition_messages,
)
from hotmesh.engine.transitions import select_children
from hotmesh.errors import ConfigurationError
from hotmesh.store.protocol import (
    ENGINE_TOPIC,
    INTERRUPTED_BELOW,
    STATUS_FIELD,
    Dependent,
    Guard,
    Lease,
    NewJob,
    Outgoing,
    Step,
)

TRIGGER_DAD = ",0"
DEFAULT_EXPIRE_SECONDS = 1


@dataclass(frozen=True)
class ParentLink:
    """The await activity that started a child job."""

    job_id: str
    gid: str
    dad: str
    aid: str
    detached: bool = False


@dataclass
class JobRequest:
    """Everything needed to start a job of a graph."""

    model: AppModel
    graph: Graph
    data: dict[str, Any]
    engine_guid: str | None = None
    parent: ParentLink | None = None
    search: Mapping[str, Any] = field(default_factory=dict)
    markers: Mapping[str, Any] = field(default_factory=dict)
    pending_seconds: int | None = None
    job_id: str | None = None
    lease: Lease | None = None
    origin: str = ""
    default_expire: int = DEFAULT_EXPIRE_SECONDS


def _trigger_context(request: JobRequest, trigger_id: str) -> dict[str, Any]:
    data = request.data
    node = {
        "input": {"data": data},
        "output": {"data": data, "metadata": {}},
        "hook": {},
    }
    context: dict[str, Any] = {"metadata": {}, "data": {}, trigger_id: node}
    context["$job"] = context
    context["$self"] = node
    return context


def _resolve_job_id(request: JobRequest, stats: Mapping[str, Any], context: Any) -> str:
    if request.job_id:
        return request.job_id
    expression = stats.get("id")
    if expression is None:
        return new_guid()
    value = resolve(expression, context)
    if value is UNDEFINED or value is None or value == "":
        return new_guid()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    job_id = str(value)
    if "\n" in job_id or len(job_id) > 512:
        raise ConfigurationError(
            f"job id {job_id[:40]!r} is invalid: max 512 chars, one line"
        )
    return job_id


def resolve_expire(graph: Graph, context: Any, default: int) -> int:
    """Return a graph's retention in seconds after completion (0 keeps jobs).

    A value that is not a number gives ``default``, and a negative one 0.

    Raises:
        ConfigurationError: The value is above :data:`MAX_EXPIRE_SECONDS`.
            It is raised before the job is written.
    """
    if graph.expire is None:
        return default
    value = resolve(graph.expire, context)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    if math.isnan(seconds):
        return default
    if seconds > MAX_EXPIRE_SECONDS:
        raise ConfigurationError(
            f"expire of graph {graph.subscribes!r} resolved to {value!r}, out of "
            f"range: a job is kept at most {MAX_EXPIRE_SECONDS} s (10 years), "
            "so give seconds from 0 to that, 0 to keep the job"
        )
    return max(0, int(seconds))


def build_job(request: JobRequest) -> NewJob:
    """Build the first state of a job: its trigger step."""
    model, graph = request.model, request.graph
    trigger = model.activity(graph.trigger)
    context = _trigger_context(request, trigger.id)
    stats = trigger.definition.get("stats") or {}
    job_id = _resolve_job_id(request, stats, context)
    gid = new_guid()
    key = resolve(stats.get("key"), context) if stats.get("key") is not None else ""
    stamp = now_iso()
    metadata: dict[str, Any] = {
        "jid": job_id,
        "gid": gid,
        "tpc": graph.subscribes,
        "app": model.app_id,
        "vrs": model.version,
        "aid": trigger.id,
        "key": "" if key is UNDEFINED else key,
        "jc": stamp,
        "ju": stamp,
    }
    if request.engine_guid:
        metadata["ngn"] = request.engine_guid
    parent = request.parent
    if parent is not None:
        metadata.update(
            pj=parent.job_id,
            pg=parent.gid,
            pd=parent.dad,
            pa=parent.aid,
            px=parent.detached,
        )
    context["metadata"] = metadata

    draft = _Draft()
    _apply_job_maps(trigger, context, draft)
    metadata["expire"] = resolve_expire(graph, context, request.default_expire)
    for name, value in metadata.items():
        draft.fields[metadata_field(name)] = encode(value)
    draft.fields[activity_field(trigger.id, TRIGGER_DAD, "o")] = encode(request.data)
    draft.fields[activity_field(trigger.id, TRIGGER_DAD, "m")] = encode(
        {
            "aid": trigger.id,
            "dad": TRIGGER_DAD,
            "atp": "trigger",
            "ac": stamp,
            "au": stamp,
        }
    )
    draft.fields[counter_field(trigger.id, TRIGGER_DAD)] = str(collator.TRIGGER_DONE)
    draft.fields[VERSION_FIELD] = "1"
    for name, value in request.search.items():
        draft.fields[f"_{name}"] = value if isinstance(value, str) else encode(value)
    for name, value in request.markers.items():
        if name.startswith("-"):
            draft.fields[name] = value if isinstance(value, str) else encode(value)

    updates = stats_updates(trigger, context, job_id, datetime.now(UTC))
    if request.pending_seconds is not None:
        return NewJob(
            stats=updates,
            job_id=job_id,
            status=-1,
            fields=draft.fields,
            origin=request.origin,
            lease=request.lease,
            expire_seconds=request.pending_seconds,
        )

    children = list(select_children(trigger, context, 200))
    transition_messages(draft, children, job_id, gid, TRIGGER_DAD)
    if not children:
        draft.messages.append(finish_message(job_id, gid))
    elif _emits(trigger, context):
        snapshot = {**draft.fields, STATUS_FIELD: str(len(children))}
        draft.send(emit_message(job_id, gid, snapshot))
    if parent is not None and parent.detached:
        ack = Message(
            "result",
            metadata=_parent_address(parent),
            data={"job_id": job_id, "jc": stamp, "ju": stamp},
        )
        draft.send(ack)
    dependents = []
    if parent is not None:
        entry = json.dumps(
            {"type": "child", "jid": job_id, "gid": gid, "tpc": graph.subscribes}
        )
        dependents.append(Dependent(parent.job_id, entry))
    return NewJob(
        job_id=job_id,
        status=len(children),
        fields=draft.fields,
        origin=request.origin,
        lease=request.lease,
        messages=draft.messages,
        dependents=dependents,
        stats=updates,
    )


def _parent_address(parent: ParentLink) -> dict[str, Any]:
    return {
        "guid": new_guid(),
        "jid": parent.job_id,
        "gid": parent.gid,
        "dad": parent.dad,
        "aid": parent.aid,
    }


def job_error(fields: Mapping[str, str]) -> dict[str, Any] | None:
    """Return the error stored on a job, parsed, or None."""
    raw = decode(fields.get(metadata_field("err")))
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"message": raw, "code": 500}
    return parsed if isinstance(parsed, dict) else {"message": raw, "code": 500}


@dataclass
class Finish:
    """The completion tasks of a job: one step and, for interrupted jobs,
    the parent notification sent before it."""

    step: Step
    notify_first: list[Outgoing]


def finish_job(
    fields: Mapping[str, str], publishes: str | None, lease: Lease | None
) -> Finish:
    """Build the completion tasks of a finished or interrupted job."""
    output = job_output(fields)
    metadata = output["metadata"]
    jid = json_str(fields.get(metadata_field("jid")))
    expire = metadata.get("expire", DEFAULT_EXPIRE_SECONDS)
    notices: list[tuple[str, str]] = []
    engine_guid = metadata.get("ngn")
    if engine_guid:
        notices.append(
            (str(engine_guid), json.dumps({"type": "job", "topic": jid, "job": output}))
        )
    if publishes:
        body = {"type": "job", "topic": publishes, "job": output}
        notices.append((f"{publishes}.{jid}", json.dumps(body)))
    parent_messages = _parent_result(fields, output, emit=False)
    interrupted = (read_status(fields) or 0) < INTERRUPTED_BELOW
    signals = [name[2:] for name in fields if name.startswith("s/")]
    step = Step(
        job_id=jid,
        lease=lease,
        guards=[Guard(FINISHED_FIELD, "absent")],
        fields={FINISHED_FIELD: "1"},
        messages=[] if interrupted else parent_messages,
        expire_seconds=_finished_expire(expire),
        publish=notices,
        drop_signals=signals,
    )
    return Finish(step, parent_messages if interrupted else [])


def _finished_expire(expire: Any) -> int | None:
    """Return the seconds to keep a finished job, None to keep it for good.

    Values above :data:`MAX_EXPIRE_SECONDS` are lowered to it, because the
    store rejects them. The engine rejects such values where it resolves
    them, so this only guards job fields written by other means.
    """
    if not expire:
        return None
    return min(int(expire), MAX_EXPIRE_SECONDS)


def emit_notices(
    fields: Mapping[str, str], publishes: str | None
) -> tuple[list[tuple[str, str]], list[Outgoing]]:
    """Return the publications and parent message of a job's interim state."""
    output = job_output(fields)
    jid = json_str(fields.get(metadata_field("jid")))
    notices: list[tuple[str, str]] = []
    engine_guid = output["metadata"].get("ngn")
    if engine_guid:
        notices.append(
            (str(engine_guid), json.dumps({"type": "job", "topic": jid, "job": output}))
        )
    if publishes:
        body = {"type": "job", "topic": publishes, "job": output}
        notices.append((f"{publishes}.{jid}", json.dumps(body)))
    return notices, _parent_result(fields, output, emit=True)


def _parent_result(
    fields: Mapping[str, str], output: dict[str, Any], *, emit: bool
) -> list[Outgoing]:
    metadata = output["metadata"]
    if not metadata.get("pj") or not metadata.get("pa") or metadata.get("px"):
        return []
    parent = ParentLink(
        job_id=str(metadata["pj"]),
        gid=str(metadata.get("pg", "")),
        dad=str(metadata.get("pd", "")),
        aid=str(metadata["pa"]),
    )
    error = job_error(fields)
    if error is not None and "code" in error:
        message = Message(
            "result",
            metadata=_parent_address(parent),
            data=error,
            status="error",
            code=int(error.get("code") or 500),
        )
    elif emit:
        message = Message(
            "result",
            metadata=_parent_address(parent),
            data=output.get("data", {}),
            status="pending",
            code=202,
        )
    else:
        message = Message(
            "result", metadata=_parent_address(parent), data=output.get("data", {})
        )
    return [Outgoing(ENGINE_TOPIC, message.to_json())]


def fail_job_step(
    fields: Mapping[str, str], *, code: int, message: str, lease: Lease | None = None
) -> Step | None:
    """Build a step that ends a running job with an error stored on it."""
    status = read_status(fields)
    if status is None or status <= 0:
        return None
    jid = json_str(fields.get(metadata_field("jid")))
    gid = json_str(fields.get(metadata_field("gid")))
    error = json.dumps({"message": message, "code": code, "job_id": jid})
    return Step(
        job_id=jid,
        lease=lease,
        guards=[Guard(STATUS_FIELD, "equals", str(status), on_fail="retry")],
        fields={metadata_field("err"): encode(error)},
        status_delta=-status,
        on_finish=[finish_message(jid, gid)],
    )


def interrupt_step(
    fields: Mapping[str, str],
    *,
    reason: str | None = None,
    code: int = 410,
    throw: bool = True,
    stack: str = "",
    expire: int | None = None,
) -> Step:
    """Build the step that interrupts a running job."""
    jid = json_str(fields.get(metadata_field("jid")))
    gid = json_str(fields.get(metadata_field("gid")))
    written: dict[str, str] = {}
    if throw:
        error = {
            "code": code,
            "message": reason or f"job [{jid}] interrupted",
            "stack": stack,
            "job_id": jid,
        }
        written[metadata_field("err")] = encode(json.dumps(error))
    if expire is not None:
        written[metadata_field("expire")] = encode(expire)
    return Step(
        job_id=jid,
        guards=[Guard(STATUS_FIELD, "greater", "0")],
        fields=written,
        status_delta=collator.INTERRUPT_DELTA,
        on_finish=[finish_message(jid, gid)],
        cancel_timers=True,
    )


def map_input(maps: Any, context: dict[str, Any]) -> Any:
    return map_rules(maps, context) if maps else {}
