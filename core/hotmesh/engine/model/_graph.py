"""Check one graph of a model: its activities, transitions, tree and hooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hotmesh.engine.model._expressions import MappingChecker, Report
from hotmesh.engine.model._literals import (
    interrupt_number,
    is_literal,
    sleep_seconds,
)
from hotmesh.engine.model._types import (
    ACTIVITY_TYPES,
    LEGACY_HOOK_TYPE,
    MAX_EXPIRE_SECONDS,
)
from hotmesh.engine.model._yaml import NodePath
from hotmesh.store.protocol import TIMER_TOPIC

TOPIC_TYPES = frozenset({"worker", "await", "signal"})
"""Activity types that cannot run without a ``topic``."""

HOOK_TYPES = frozenset({"hook", LEGACY_HOOK_TYPE})

SIGNAL_SUBTYPES = ("one", "all")

FORBIDDEN_ID_PARTS = (",", "::")
"""Separators the engine uses inside job field names."""

GATES = ("and", "or")


def map_ancestors(
    trigger: str, children: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Walk the tree from ``trigger`` and list each reached activity's ancestors.

    Returns:
        For every activity reachable from the trigger, the ids from the
        trigger to its parent. The trigger maps to an empty list. An activity
        reached twice keeps the ancestors of the first path found.
    """
    ancestors: dict[str, list[str]] = {trigger: []}
    pending = [trigger]
    while pending:
        aid = pending.pop()
        for child in children.get(aid, ()):
            if child not in ancestors:
                ancestors[child] = [*ancestors[aid], aid]
                pending.append(child)
    return ancestors


class GraphChecker:
    """Validate one entry of ``app.graphs``."""

    def __init__(self, graph: Any, path: NodePath) -> None:
        self.graph: dict[str, Any] = graph if isinstance(graph, dict) else {}
        self.is_mapping = isinstance(graph, dict)
        self.path = path
        activities = self.graph.get("activities")
        self.activities: dict[str, Any] = (
            activities if isinstance(activities, dict) else {}
        )

    def activity_ids(self) -> list[str]:
        """Return the ids of the graph's activities, in YAML order."""
        return list(self.activities)

    def check(self, report: Report) -> None:
        """Report every structural problem of the graph."""
        if not self.is_mapping:
            message = "each graph must be a mapping with subscribes, activities"
            report(self.path, message)
            return
        self._check_topics(report)
        self._check_expire(report)
        self._check_activity_map(report)
        if not self.activities:
            return
        for aid, definition in self.activities.items():
            self._check_activity(aid, definition, report)
        edges = self._check_transitions(report)
        self._check_tree(edges, report)
        self._check_hooks(report)

    def check_mappings(self, mappings: MappingChecker, report: Report) -> None:
        """Report unknown activities and functions named in expressions."""
        for aid, definition in self.activities.items():
            mappings.check_tree(definition, (*self.path, "activities", aid), report)
        if "expire" in self.graph:
            mappings.check_tree(self.graph["expire"], (*self.path, "expire"), report)
        for rule_path, rule in self._rules("transitions"):
            conditions = rule.get("conditions")
            mappings.check_tree(conditions, (*rule_path, "conditions"), report)
        for rule_path, rule in self._rules("hooks"):
            conditions = rule.get("conditions")
            path = (*rule_path, "conditions")
            mappings.check_tree(conditions, path, report, in_hook=True)

    def _type_of(self, aid: str) -> str | None:
        """Return an activity's type, or None unless it is a string."""
        definition = self.activities.get(aid)
        kind = definition.get("type") if isinstance(definition, dict) else None
        return kind if isinstance(kind, str) else None

    def _rules(self, section: str) -> list[tuple[NodePath, dict[str, Any]]]:
        """List the mapping entries of ``transitions`` or ``hooks`` with paths."""
        groups = self.graph.get(section)
        if not isinstance(groups, dict):
            return []
        found = []
        for key, rules in groups.items():
            if isinstance(rules, list):
                for index, rule in enumerate(rules):
                    if isinstance(rule, dict):
                        found.append(((*self.path, section, key, index), rule))
        return found

    def _check_topics(self, report: Report) -> None:
        subscribes = self.graph.get("subscribes")
        path = (*self.path, "subscribes")
        if subscribes is None:
            report(path, "missing 'subscribes': the topic that starts this graph")
        elif not isinstance(subscribes, str) or not subscribes:
            report(path, f"'subscribes' must be a non-empty string, not {subscribes!r}")
        publishes = self.graph.get("publishes")
        if publishes is not None and not (isinstance(publishes, str) and publishes):
            message = f"'publishes' must be a non-empty string, not {publishes!r}"
            report((*self.path, "publishes"), message)

    def _check_expire(self, report: Report) -> None:
        """Report a literal ``expire`` outside 0 to :data:`MAX_EXPIRE_SECONDS`.

        An expression is resolved when a job starts, where the engine checks
        the same range.
        """
        if "expire" not in self.graph:
            return
        value = self.graph["expire"]
        if not isinstance(value, bool):
            seconds = _literal_seconds(value)
            if seconds is None or 0 <= seconds <= MAX_EXPIRE_SECONDS:
                return
        topic = self.graph.get("subscribes")
        message = (
            f"graph {topic!r} has expire {value!r}, out of range: give whole "
            f"seconds from 0 to {MAX_EXPIRE_SECONDS} (10 years), 0 to keep jobs"
        )
        report((*self.path, "expire"), message)

    def _check_activity_map(self, report: Report) -> None:
        activities = self.graph.get("activities")
        path = (*self.path, "activities")
        if activities is None:
            report(path, "missing 'activities': a graph needs at least a trigger")
        elif not isinstance(activities, dict) or not activities:
            report(path, "'activities' must be a mapping of activity id to activity")

    def _check_activity(self, aid: str, definition: Any, report: Report) -> None:
        path = (*self.path, "activities", aid)
        for part in FORBIDDEN_ID_PARTS:
            if part in aid:
                message = f"invalid activity id {aid!r}: ids may not contain"
                report(path, f"{message} {part!r}")
        if not isinstance(definition, dict):
            report(path, f"activity {aid!r} must be a mapping with a 'type'")
            return
        kind = definition.get("type")
        if kind not in (*ACTIVITY_TYPES, LEGACY_HOOK_TYPE):
            valid = ", ".join(ACTIVITY_TYPES)
            if kind is None:
                reason = "missing activity type"
            elif isinstance(kind, str):
                reason = f"unknown type {kind!r}"
            else:
                reason = f"the activity type must be a string, not {kind!r}"
            report((*path, "type"), f"{reason}; valid types: {valid}")
            kind = None
        _check_fields(kind, definition, path, report)

    def _check_transitions(self, report: Report) -> list[tuple[str, str, NodePath]]:
        """Check ``transitions`` and return its valid (source, target, path) edges."""
        transitions = self.graph.get("transitions")
        path = (*self.path, "transitions")
        if transitions is None:
            return []
        if not isinstance(transitions, dict):
            report(path, "'transitions' must map activity ids to lists of transitions")
            return []
        edges = []
        for source, rules in transitions.items():
            if source not in self.activities:
                report((*path, source), f"transition from unknown activity {source!r}")
            if not isinstance(rules, list):
                message = "transitions must be a list of {to: ...} entries"
                report((*path, source), message)
                continue
            for index, rule in enumerate(rules):
                target = self._check_rule(rule, (*path, source, index), report)
                if target is not None and source in self.activities:
                    edges.append((source, target, (*path, source, index, "to")))
        return edges

    def _check_rule(self, rule: Any, path: NodePath, report: Report) -> str | None:
        """Check a transition or hook rule and return its target, or None if invalid."""
        if not isinstance(rule, dict):
            report(path, "each rule must be a mapping with 'to' and 'conditions'")
            return None
        if "conditions" in rule:
            _check_conditions(rule["conditions"], (*path, "conditions"), report)
        target = rule.get("to")
        if not isinstance(target, str):
            report((*path, "to"), "missing 'to': the id of the target activity")
            return None
        if target not in self.activities:
            report((*path, "to"), f"target {target!r} is not an activity of this graph")
            return None
        return target

    def _check_tree(
        self, edges: list[tuple[str, str, NodePath]], report: Report
    ) -> None:
        triggers = [aid for aid in self.activities if self._type_of(aid) == "trigger"]
        if not triggers:
            report((*self.path, "activities"), "graph has no activity of type trigger")
            return
        for extra in triggers[1:]:
            message = f"second trigger {extra!r}: a graph has exactly one trigger"
            report((*self.path, "activities", extra), f"{message}, {triggers[0]!r}")
        if len(triggers) > 1:
            return
        children = _check_parents(triggers[0], edges, report)
        ancestors = map_ancestors(triggers[0], children)
        for aid in self.activities:
            if aid not in ancestors:
                message = f"activity {aid!r} is not reachable from trigger"
                report((*self.path, "activities", aid), f"{message} {triggers[0]!r}")
        self._check_cycles(ancestors, report)

    def _check_cycles(self, ancestors: dict[str, list[str]], report: Report) -> None:
        for aid, definition in self.activities.items():
            if self._type_of(aid) != "cycle":
                continue
            target = definition.get("ancestor")
            path = (*self.path, "activities", aid, "ancestor")
            if not isinstance(target, str):
                continue
            if target not in self.activities:
                message = f"cycle ancestor {target!r} is not an activity of this graph"
                report(path, message)
            elif aid in ancestors and target not in ancestors[aid]:
                report(path, f"{target!r} is not an ancestor of cycle activity {aid!r}")

    def _check_hooks(self, report: Report) -> None:
        hooks = self.graph.get("hooks")
        path = (*self.path, "hooks")
        if hooks is None:
            return
        if not isinstance(hooks, dict):
            report(path, "'hooks' must map topics to lists of rules")
            return
        hooked: dict[str, str] = {}
        for topic, rules in hooks.items():
            if not isinstance(rules, list):
                report((*path, topic), "hook rules must be a list of {to: ...} entries")
                continue
            for index, rule in enumerate(rules):
                rule_path = (*path, topic, index)
                target = self._check_rule(rule, rule_path, report)
                if target is None:
                    continue
                if self._type_of(target) not in HOOK_TYPES:
                    kind = self._type_of(target)
                    message = f"hook rule target {target!r} is a {kind}, not a hook"
                    report((*rule_path, "to"), message)
                elif hooked.setdefault(target, topic) != topic:
                    message = f"{target!r} is already the target of hook topic"
                    report((*rule_path, "to"), f"{message} {hooked[target]!r}")


def _check_fields(
    kind: str | None, definition: dict[str, Any], path: NodePath, report: Report
) -> None:
    """Check the fields that a type requires or constrains.

    ``kind`` is None when the type is missing or invalid, which the caller
    has reported.
    """
    topic = definition.get("topic")
    if topic is not None and not (isinstance(topic, str) and topic):
        report((*path, "topic"), f"'topic' must be a non-empty string, not {topic!r}")
    elif topic == TIMER_TOPIC and kind == "worker":
        message = f"topic {topic!r} is reserved for the engine's timers; rename it"
        report((*path, "topic"), message)
    elif topic is None and kind in TOPIC_TYPES:
        report((*path, "topic"), f"missing 'topic': every {kind} activity needs one")
    if kind == "cycle" and not isinstance(definition.get("ancestor"), str):
        message = "missing 'ancestor': the id of the activity a cycle re-enters"
        report((*path, "ancestor"), message)
    if "cycle" in definition and not isinstance(definition["cycle"], bool):
        report((*path, "cycle"), "'cycle' must be true or false")
    _check_literals(kind, definition, path, report)
    subtype = definition.get("subtype")
    if kind == "signal" and subtype is not None and subtype not in SIGNAL_SUBTYPES:
        message = f"signal subtype must be 'one' or 'all', not {subtype!r}"
        report((*path, "subtype"), message)
    for section in ("input", "output", "job"):
        block = definition.get(section)
        if block is not None and not isinstance(block, dict):
            report((*path, section), f"'{section}' must be a mapping")
        elif block is not None and not isinstance(block.get("maps", {}), dict):
            report((*path, section, "maps"), f"'{section}.maps' must be a mapping")


def _check_literals(
    kind: str | None, definition: dict[str, Any], path: NodePath, report: Report
) -> None:
    """Report literal ``sleep`` and interrupt ``code`` and ``expire`` values
    that the engine would reject when a job reaches the activity."""
    sleep = definition.get("sleep")
    if is_literal(sleep):
        try:
            sleep_seconds(sleep)
        except ValueError as exc:
            report((*path, "sleep"), f"'sleep' is {sleep!r}, {exc}")
    if kind != "interrupt":
        return
    for name in ("code", "expire"):
        value = definition.get(name)
        if is_literal(value):
            try:
                interrupt_number(name, value)
            except ValueError as exc:
                report((*path, name), f"interrupt {name!r} is {value!r}: {exc}")


def _check_parents(
    trigger: str, edges: list[tuple[str, str, NodePath]], report: Report
) -> dict[str, list[str]]:
    """Report targets with a second parent and return each source's children."""
    parents: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    for source, target, path in edges:
        if target == trigger:
            report(path, f"the trigger {trigger!r} cannot be a transition target")
            continue
        parent = parents.setdefault(target, source)
        if parent != source:
            message = f"{target!r} already has parent {parent!r}; graphs are trees"
            report(path, f"{message}, so each activity has one parent")
            continue
        if target not in children.setdefault(source, []):
            children[source].append(target)
    return children


def _check_conditions(conditions: Any, path: NodePath, report: Report) -> None:
    if conditions is None:
        return
    if not isinstance(conditions, dict):
        report(path, "'conditions' must be a mapping with code, gate or match")
        return
    gate = conditions.get("gate")
    if gate is not None and gate not in GATES:
        report((*path, "gate"), f"'gate' must be 'and' or 'or', not {gate!r}")
    match = conditions.get("match")
    if match is None:
        return
    if not isinstance(match, list):
        report((*path, "match"), "'match' must be a list of {expected, actual}")
        return
    for index, entry in enumerate(match):
        if not isinstance(entry, dict) or not {"expected", "actual"} <= entry.keys():
            report((*path, "match", index), "each match needs 'expected' and 'actual'")


def _literal_seconds(value: Any) -> float | None:
    """Return a literal number of seconds, or None for expressions and non-numbers."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and not value.startswith("{"):
        try:
            return float(value)
        except ValueError:
            return None
    return None
