"""A readable dump of one job: status, dependents and the process tree."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hotmesh.engine.state import decode, job_data, job_metadata
from hotmesh.store.protocol import STATUS_FIELD

_NODES = {"o": ("output", "data"), "m": ("output", "metadata"), "h": ("hook", "data")}


def _insert(tree: dict[str, Any], path: Sequence[str], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def export_job(fields: Mapping[str, str], dependents: Sequence[str]) -> dict[str, Any]:
    """Return ``{status, dependencies, process, data, metadata}`` for a job.

    ``process`` nests each activity's state under its dimensional address:
    the trigger ``t1`` at ``,0`` appears as ``process["0"]["t1"]``.
    """
    process: dict[str, Any] = {}
    for name, raw in fields.items():
        if not name.startswith("a/"):
            continue
        _, aid, dad, node = name.split("/", 3)
        dims = dad.split(",")[1:]
        if node == "as":
            _insert(process, [*dims, aid, "output", "metadata", "as"], int(raw))
        elif node in _NODES:
            _insert(process, [*dims, aid, *_NODES[node]], decode(raw))
    parsed = []
    for entry in dependents:
        try:
            parsed.append(json.loads(entry))
        except ValueError:
            parsed.append({"entry": entry})
    return {
        "status": fields.get(STATUS_FIELD),
        "dependencies": parsed,
        "process": process,
        "metadata": job_metadata(fields),
        "data": job_data(fields) or {},
    }
