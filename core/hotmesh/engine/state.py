"""Job state: field names, value encoding and the job context tree.

A job is one hash of fields in the store:

* ``:``: the status semaphore (see :mod:`hotmesh.engine.collator`).
* ``m/<key>``: job metadata (``jid``, ``gid``, ``tpc``, ``vrs``, ...).
* ``d/<path>``: one leaf of the job data, its path segments joined by ``/``.
* ``a/<aid>/<dad>/<node>``: an activity's ``o`` (output data), ``h`` (hook
  data) or ``m`` (activity metadata) at one dimensional address, and its
  collation counter ``as``.
* ``-<name>`` and ``_<name>``: marker and search fields, written verbatim.
* ``g/<guid>``: the ids of messages already applied to the job.
* ``s/<key>``: hook signals the job registered, removed when it finishes.
* ``fin``: set once the job's completion tasks ran.

Values other than counters and verbatim fields are JSON text, so every
backend stores the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hotmesh.engine.pipe import UNDEFINED
from hotmesh.errors import SerializationError
from hotmesh.store.protocol import STATUS_FIELD

JOB_METADATA_KEYS = (
    "ngn", "tpc", "pj", "pg", "pd", "px", "pa", "key", "app", "vrs",
    "jid", "gid", "aid", "ts", "jc", "ju", "err", "trc", "expire",
)  # fmt: skip

FINISHED_FIELD = "fin"


def metadata_field(key: str) -> str:
    return f"m/{key}"


def data_field(path: str) -> str:
    return f"d/{path}"


def activity_field(aid: str, dad: str, node: str) -> str:
    return f"a/{aid}/{dad}/{node}"


def counter_field(aid: str, dad: str) -> str:
    return activity_field(aid, dad, "as")


def guid_field(guid: str) -> str:
    return f"g/{guid}"


def signal_field(key: str) -> str:
    return f"s/{key}"


def now_iso() -> str:
    """Return the current UTC time as an ISO 8601 string with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        stamp = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(value: Any) -> str:
    """Encode a value as compact JSON text."""
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_json_default
        )
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"value cannot be stored: {exc}") from exc


_PLAIN_STRING = re.compile(r'"[^"\\\x00-\x1f]*"')
"""A JSON string without escapes: its text is its value."""


def decode(text: str | None) -> Any:
    """Decode a stored value; a missing value decodes to UNDEFINED."""
    if text is None:
        return UNDEFINED
    # Most stored values are plain strings, which need no JSON parser.
    if _PLAIN_STRING.fullmatch(text):
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def job_fields(rules: Any, mapped: Any, prefix: str = "") -> dict[str, str]:
    """Return the job fields that mapped job-map values write.

    Paths follow the structure of the ``rules``: a nested mapping of rules
    gives ``/``-joined paths, and the value of any other rule (a reference,
    a ``@pipe``, a literal) is stored whole under its path. Two key forms
    are expanded at the top level:

    * ``name[N]``: the value's entries are stored as ``name/<key>``, so
      each present index of a sparse array is its own field;
    * ``name[-]`` and ``name[_]``: the value's keys are hoisted to the top
      of the job data; keys starting with ``-`` or ``_`` become marker and
      search fields, written verbatim.

    UNDEFINED values are not written.
    """
    fields: dict[str, str] = {}
    if not isinstance(rules, Mapping) or not isinstance(mapped, Mapping):
        return fields
    for key, rule in rules.items():
        name = str(key)
        value = mapped.get(name, UNDEFINED)
        if value is UNDEFINED:
            continue
        if not prefix and name.endswith("]") and "[" in name:
            fields.update(_dynamic_fields(name, value))
            continue
        path = f"{prefix}/{name}" if prefix else name
        nested = isinstance(rule, Mapping) and not _is_expression(rule)
        if nested and isinstance(value, Mapping):
            fields.update(job_fields(rule, value, path))
        else:
            fields[data_field(path)] = encode(value)
    return fields


def _is_expression(rule: Mapping[str, Any]) -> bool:
    return "@pipe" in rule or "@reduce" in rule


def _dynamic_fields(key: str, value: Any) -> dict[str, str]:
    name, _, suffix = key[:-1].partition("[")
    fields: dict[str, str] = {}
    if suffix in ("-", "_"):
        if isinstance(value, Mapping):
            for inner, item in value.items():
                if item is UNDEFINED:
                    continue
                inner = str(inner)
                if inner[:1] in ("-", "_"):
                    fields[inner] = item if isinstance(item, str) else encode(item)
                else:
                    fields[data_field(inner)] = encode(item)
        return fields
    items = value.items() if isinstance(value, Mapping) else enumerate(value or [])
    for index, item in items:
        if item is not UNDEFINED:
            fields[data_field(f"{name}/{index}")] = encode(item)
    return fields


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild a tree from ``a/b/c`` paths."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    return tree


def read_status(fields: Mapping[str, str]) -> int | None:
    raw = fields.get(STATUS_FIELD)
    if raw is None:
        return None
    return int(float(raw))


def job_metadata(fields: Mapping[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for name, raw in fields.items():
        if name.startswith("m/"):
            metadata[name[2:]] = decode(raw)
    status = read_status(fields)
    if status is not None:
        metadata["js"] = status
    return metadata


def job_data(fields: Mapping[str, str]) -> dict[str, Any] | None:
    flat = {
        name[2:]: decode(raw) for name, raw in fields.items() if name.startswith("d/")
    }
    return nest(flat) if flat else None


def job_output(fields: Mapping[str, str]) -> dict[str, Any]:
    """Return a job's ``{metadata, data}``; ``data`` is absent when never written."""
    output: dict[str, Any] = {"metadata": job_metadata(fields)}
    data = job_data(fields)
    if data is not None:
        output["data"] = data
    return output


def search_fields(fields: Mapping[str, str]) -> dict[str, str]:
    return {name[1:]: raw for name, raw in fields.items() if name.startswith("_")}


def activity_node(fields: Mapping[str, str], aid: str, dad: str) -> dict[str, Any]:
    """Return an activity's context node at one dimensional address.

    Output and hook data appear only when stored, so a reference to data an
    activity has not produced yet resolves to undefined.
    """

    def read(node: str) -> dict[str, Any] | None:
        value = decode(fields.get(activity_field(aid, dad, node)))
        return value if isinstance(value, dict) else None

    output: dict[str, Any] = {"metadata": read("m") or {}}
    hook: dict[str, Any] = {}
    data = read("o")
    if data is not None:
        output["data"] = data
    hook_data = read("h")
    if hook_data is not None:
        hook["data"] = hook_data
    return {"input": {}, "output": output, "hook": hook}


def build_context(
    fields: Mapping[str, str], dims: Mapping[str, str], self_id: str
) -> dict[str, Any]:
    """Build the context tree an activity's expressions are resolved against.

    ``dims`` maps each activity in scope (the ancestors and the activity
    itself) to the dimensional address its state is read from.
    """
    context: dict[str, Any] = {
        "metadata": job_metadata(fields),
        "data": job_data(fields) or {},
    }
    for aid, dad in dims.items():
        context[aid] = activity_node(fields, aid, dad)
    context["$job"] = context
    context["$self"] = context[self_id]
    return context
