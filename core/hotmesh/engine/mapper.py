"""Mapping of ``maps`` rules (input, output and job maps) into data.

Rules are walked recursively: an ``{'@pipe': rows}`` object runs as a pipe,
any other object maps key by key, a list maps element by element, and a
scalar resolves as a cell, so ``{a1.output.data.x}`` reads the job context
and ``null`` or ``5`` stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotmesh.engine.pipe import UNDEFINED, evaluate_pipe, is_pipe, resolve
from hotmesh.errors import PipeError


def map_rules(rules: Any, context: Mapping[str, Any]) -> Any:
    """Return the data that ``rules`` describe, read from ``context``.

    Keys whose value is UNDEFINED are left out of objects and UNDEFINED
    list elements become None, as JSON would write them. The result is a
    fresh tree of plain dicts and lists, so changing it never changes the
    context. Returns UNDEFINED when ``rules`` is a single cell that
    resolves to UNDEFINED.

    Raises:
        PipeError: A pipe fails, or a mapped value contains itself (as
            ``{$job}`` does, because the root holds ``$job``).
    """
    if is_pipe(rules):
        return _detach(evaluate_pipe(rules, context), set())
    if isinstance(rules, Mapping):
        mapped = {key: map_rules(rule, context) for key, rule in rules.items()}
        return {key: value for key, value in mapped.items() if value is not UNDEFINED}
    if isinstance(rules, list | tuple):
        elements = (map_rules(rule, context) for rule in rules)
        return [None if value is UNDEFINED else value for value in elements]
    return _detach(resolve(rules, context), set())


def _detach(value: Any, open_ids: set[int]) -> Any:
    """Copy containers into plain dicts and lists, dropping UNDEFINED entries."""
    if not isinstance(value, Mapping | list | tuple):
        return value
    if id(value) in open_ids:
        raise PipeError(
            "a mapped value contains itself. Map a part of it such as "
            "{$job.data} instead of {$job}"
        )
    open_ids.add(id(value))
    try:
        if isinstance(value, Mapping):
            return {
                key: _detach(item, open_ids)
                for key, item in value.items()
                if item is not UNDEFINED
            }
        return [
            None if item is UNDEFINED else _detach(item, open_ids) for item in value
        ]
    finally:
        open_ids.discard(id(value))
