"""Evaluation of a :class:`~hotmesh.search._plan.Plan` against one job, in Python.

This is the search path for servers without an index. It returns the same
result as the server's index for the same job fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotmesh.search._plan import NotTest, Plan, RangeTest, TagTest, Test, WordsTest
from hotmesh.search._values import parse_number, tags, text_words


def plan_matches(plan: Plan, fields: Mapping[str, bytes]) -> bool:
    """Return whether a job with these fields matches the plan.

    ``fields`` maps job field names to raw values and needs at least
    :attr:`Plan.fields_to_read`, and a missing name is a missing field. A
    job whose numeric field contains something other than a number is not
    in the index, so it matches no plan, not even one of negations only.
    """
    if not plan.satisfiable:
        return False
    for name in plan.numeric_fields:
        value = fields.get(name)
        if value is not None and parse_number(value) is None:
            return False
    return all(_passes(test, fields) for test in plan.tests)


def _passes(test: Test, fields: Mapping[str, bytes]) -> bool:
    if isinstance(test, NotTest):
        return not _passes(test.test, fields)
    value = fields.get(test.field)
    if value is None:
        return False
    if isinstance(test, TagTest):
        return test.tag in tags(value, test.separator)
    if isinstance(test, WordsTest):
        return text_words(value).issuperset(test.words)
    return _in_range(test, value)


def _in_range(test: RangeTest, value: bytes) -> bool:
    number = parse_number(value)
    if number is None:
        return False
    above = number >= test.low if test.low_inclusive else number > test.low
    below = number <= test.high if test.high_inclusive else number < test.high
    return above and below
