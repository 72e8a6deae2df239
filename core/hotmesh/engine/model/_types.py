"""Compiled, typed objects of an app model, as the engine executes it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hotmesh.errors import ModelError

ACTIVITY_TYPES = (
    "await",
    "cycle",
    "hook",
    "interrupt",
    "signal",
    "trigger",
    "worker",
)
"""Activity types the engine runs."""

LEGACY_HOOK_TYPE = "activity"
"""Older spelling of the ``hook`` type, rewritten to ``hook`` at compile time."""

DOCUMENT_FORMAT = 1
"""Version of the JSON layout written by :meth:`AppModel.to_document`."""

MAX_EXPIRE_SECONDS = 315_360_000
"""Maximum seconds a finished job is kept: 10 years of 365 days.

Graph ``expire`` values, ``default_expire`` and interrupt ``expire`` options
above it are rejected, because Redis and Valkey reject ``EXPIRE`` values whose
milliseconds overflow a signed 64-bit integer. Sleeps have the same bound.
"""


@dataclass(frozen=True)
class Transition:
    """An edge from an activity to one of its children."""

    to: str
    conditions: dict[str, Any] | None = None
    """Raw ``conditions`` mapping (``code``, ``gate``, ``match``), or None."""


@dataclass(frozen=True)
class HookRule:
    """A graph ``hooks`` rule that routes signals on a topic to a hook activity."""

    topic: str
    to: str
    conditions: dict[str, Any] | None = None
    """Raw ``conditions`` mapping with its ``match`` list, or None."""


@dataclass(frozen=True)
class Activity:
    """One compiled activity of a graph."""

    id: str
    type: str
    graph_topic: str
    """The ``subscribes`` topic of the graph that contains the activity."""
    ancestors: list[str] = field(default_factory=list)
    """Activity ids from the trigger to the parent, empty for the trigger."""
    parent: str | None = None
    transitions: list[Transition] = field(default_factory=list)
    """Outgoing transitions in YAML order."""
    cycle: bool = False
    """True when a cycle activity re-enters this one, or when set in YAML."""
    hook_topic: str | None = None
    """Topic of the graph ``hooks`` rule that targets this activity."""
    definition: dict[str, Any] = field(default_factory=dict)
    """The activity mapping as written, after ``$ref`` resolution."""

    @property
    def topic(self) -> str | None:
        """The ``topic`` field: a literal topic or a mapping expression."""
        value = self.definition.get("topic")
        return value if isinstance(value, str) else None

    @property
    def input_maps(self) -> dict[str, Any] | None:
        """The ``input.maps`` rules, or None when absent."""
        return _maps(self.definition, "input")

    @property
    def output_maps(self) -> dict[str, Any] | None:
        """The ``output.maps`` rules, or None when absent."""
        return _maps(self.definition, "output")

    @property
    def job_maps(self) -> dict[str, Any] | None:
        """The ``job.maps`` rules, or None when absent."""
        return _maps(self.definition, "job")

    @property
    def depth(self) -> int:
        """Number of ancestors, 0 for the trigger."""
        return len(self.ancestors)


@dataclass(frozen=True)
class Graph:
    """One graph of an app: a tree of activities started by one topic."""

    subscribes: str
    trigger: str
    """Id of the graph's trigger activity."""
    activities: dict[str, Activity]
    """Activities by id, in YAML order."""
    publishes: str | None = None
    expire: Any = None
    """Raw ``expire`` value (seconds or a mapping expression), None when absent."""
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class AppModel:
    """A validated and compiled app model."""

    app_id: str
    version: str
    settings: dict[str, Any]
    graphs: list[Graph]
    hook_rules: dict[str, list[HookRule]]
    """Graph ``hooks`` rules of every graph, by topic."""
    _by_topic: dict[str, Graph] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, Activity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_topic = {graph.subscribes: graph for graph in self.graphs}
        by_id = {
            aid: activity
            for graph in self.graphs
            for aid, activity in graph.activities.items()
        }
        object.__setattr__(self, "_by_topic", by_topic)
        object.__setattr__(self, "_by_id", by_id)

    def graph_for_topic(self, topic: str) -> Graph | None:
        """Return the graph whose ``subscribes`` equals ``topic``, or None."""
        return self._by_topic.get(topic)

    def activity(self, aid: str) -> Activity:
        """Return the activity with id ``aid``.

        Raises:
            KeyError: No graph of the app has an activity with this id.
        """
        try:
            return self._by_id[aid]
        except KeyError:
            raise KeyError(f"app {self.app_id!r} has no activity {aid!r}") from None

    def to_document(self) -> str:
        """Serialise the compiled model to JSON text.

        The same model always produces the same text, and
        :meth:`from_document` reads it back into an equal model.
        """
        document = _app_to_json(self)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_document(cls, text: str) -> AppModel:
        """Rebuild a model from the text written by :meth:`to_document`.

        Raises:
            ModelError: The text is not a model document of a known format.
        """
        try:
            document = json.loads(text)
            if document.get("format") != DOCUMENT_FORMAT:
                raise ValueError(f"unsupported format {document.get('format')!r}")
            return _app_from_json(document)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelError(f"invalid app model document: {exc}") from exc


def _maps(definition: dict[str, Any], section: str) -> dict[str, Any] | None:
    block = definition.get(section)
    if not isinstance(block, dict):
        return None
    maps = block.get("maps")
    return maps if isinstance(maps, dict) else None


def _app_to_json(model: AppModel) -> dict[str, Any]:
    return {
        "format": DOCUMENT_FORMAT,
        "app_id": model.app_id,
        "version": model.version,
        "settings": model.settings,
        "graphs": [_graph_to_json(graph) for graph in model.graphs],
        "hook_rules": {
            topic: [{"to": rule.to, "conditions": rule.conditions} for rule in rules]
            for topic, rules in model.hook_rules.items()
        },
    }


def _graph_to_json(graph: Graph) -> dict[str, Any]:
    return {
        "subscribes": graph.subscribes,
        "publishes": graph.publishes,
        "expire": graph.expire,
        "trigger": graph.trigger,
        "input_schema": graph.input_schema,
        "output_schema": graph.output_schema,
        "activities": [_activity_to_json(a) for a in graph.activities.values()],
    }


def _activity_to_json(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "type": activity.type,
        "ancestors": activity.ancestors,
        "parent": activity.parent,
        "transitions": [
            {"to": t.to, "conditions": t.conditions} for t in activity.transitions
        ],
        "cycle": activity.cycle,
        "hook_topic": activity.hook_topic,
        "definition": activity.definition,
    }


def _app_from_json(document: dict[str, Any]) -> AppModel:
    hook_rules = {
        topic: [HookRule(topic, rule["to"], rule["conditions"]) for rule in rules]
        for topic, rules in document["hook_rules"].items()
    }
    return AppModel(
        app_id=document["app_id"],
        version=document["version"],
        settings=document["settings"],
        graphs=[_graph_from_json(graph) for graph in document["graphs"]],
        hook_rules=hook_rules,
    )


def _graph_from_json(document: dict[str, Any]) -> Graph:
    topic = document["subscribes"]
    activities = [_activity_from_json(a, topic) for a in document["activities"]]
    return Graph(
        subscribes=topic,
        trigger=document["trigger"],
        activities={activity.id: activity for activity in activities},
        publishes=document["publishes"],
        expire=document["expire"],
        input_schema=document["input_schema"],
        output_schema=document["output_schema"],
    )


def _activity_from_json(document: dict[str, Any], graph_topic: str) -> Activity:
    return Activity(
        id=document["id"],
        type=document["type"],
        graph_topic=graph_topic,
        ancestors=document["ancestors"],
        parent=document["parent"],
        transitions=[
            Transition(t["to"], t["conditions"]) for t in document["transitions"]
        ],
        cycle=document["cycle"],
        hook_topic=document["hook_topic"],
        definition=document["definition"],
    )
