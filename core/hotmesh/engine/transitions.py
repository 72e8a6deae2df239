"""Transition conditions: which children an activity starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hotmesh.engine.codes import matches_status_code
from hotmesh.engine.model import Activity, Transition
from hotmesh.engine.pipe import resolve
from hotmesh.engine.pipe._values import strict_equals


def _code_matches(rule_code: Any, code: int) -> bool:
    """Return whether a transition's ``code`` condition admits ``code``.

    The condition is a code, a pattern such as ``5**`` (any 5xx code), or a
    list of either; when absent it admits 200 only.
    """
    rules = rule_code if isinstance(rule_code, list) else [rule_code or 200]
    return any(_one_code_matches(rule, code) for rule in rules)


def _one_code_matches(rule: Any, code: int) -> bool:
    text = str(rule)
    if "*" in text:
        return matches_status_code(code, text)
    return text == str(code)


def is_selected(transition: Transition, context: dict[str, Any], code: int) -> bool:
    """Return whether a transition fires for a step that ended with ``code``."""
    conditions = transition.conditions
    if not conditions:
        return True
    if not _code_matches(conditions.get("code"), code):
        return False
    match = conditions.get("match")
    if not match:
        return True
    results = [
        strict_equals(resolve(rule.get("actual"), context), rule.get("expected"))
        for rule in match
    ]
    if conditions.get("gate") == "or":
        return any(results)
    return all(results)


def select_children(
    activity: Activity, context: dict[str, Any], code: int
) -> Sequence[str]:
    """Return the ids of the children whose transitions fire."""
    return [
        transition.to
        for transition in activity.transitions
        if is_selected(transition, context, code)
    ]
