"""Compile a validated model document into :class:`AppModel` objects."""

from __future__ import annotations

import copy
from typing import Any

from hotmesh.engine.model._graph import map_ancestors
from hotmesh.engine.model._types import (
    LEGACY_HOOK_TYPE,
    Activity,
    AppModel,
    Graph,
    HookRule,
    Transition,
)


def compile_app(data: dict[str, Any]) -> AppModel:
    """Build the app model from a document that passed validation.

    The document is copied, so the model shares no mutable state with it.
    """
    app = copy.deepcopy(data["app"])
    graphs = [_compile_graph(graph) for graph in app["graphs"]]
    hook_rules: dict[str, list[HookRule]] = {}
    for graph in app["graphs"]:
        for topic, rules in (graph.get("hooks") or {}).items():
            hook_rules.setdefault(topic, []).extend(
                HookRule(topic, rule["to"], rule.get("conditions")) for rule in rules
            )
    return AppModel(
        app_id=app["id"],
        version=str(app["version"]),
        settings=app.get("settings") or {},
        graphs=graphs,
        hook_rules=hook_rules,
    )


def _compile_graph(graph: dict[str, Any]) -> Graph:
    activities: dict[str, Any] = graph["activities"]
    trigger = next(aid for aid, item in activities.items() if item["type"] == "trigger")
    transitions = _transitions(graph)
    children = {
        source: [edge.to for edge in edges] for source, edges in transitions.items()
    }
    ancestors = map_ancestors(trigger, children)
    cycled = {
        item["ancestor"] for item in activities.values() if item["type"] == "cycle"
    }
    hook_topics = {
        rule["to"]: topic
        for topic, rules in (graph.get("hooks") or {}).items()
        for rule in rules
    }
    compiled = {
        aid: Activity(
            id=aid,
            type="hook" if item["type"] == LEGACY_HOOK_TYPE else item["type"],
            graph_topic=graph["subscribes"],
            ancestors=ancestors[aid],
            parent=ancestors[aid][-1] if ancestors[aid] else None,
            transitions=transitions.get(aid, []),
            cycle=aid in cycled or item.get("cycle") is True,
            hook_topic=hook_topics.get(aid),
            definition=item,
        )
        for aid, item in activities.items()
    }
    return Graph(
        subscribes=graph["subscribes"],
        trigger=trigger,
        activities=compiled,
        publishes=graph.get("publishes"),
        expire=graph.get("expire"),
        input_schema=_schema(graph, "input"),
        output_schema=_schema(graph, "output"),
    )


def _transitions(graph: dict[str, Any]) -> dict[str, list[Transition]]:
    """Read ``transitions``, dropping any ``code`` written beside ``to``.

    Only ``conditions.code`` selects by status code; the TypeScript SDK
    (0.1.9) also ignores a ``code`` outside ``conditions``.
    """
    return {
        source: [Transition(rule["to"], rule.get("conditions")) for rule in rules]
        for source, rules in (graph.get("transitions") or {}).items()
    }


def _schema(graph: dict[str, Any], section: str) -> dict[str, Any] | None:
    block = graph.get(section)
    schema = block.get("schema") if isinstance(block, dict) else None
    return schema if isinstance(schema, dict) else None
