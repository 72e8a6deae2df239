"""Checking a query against its index and reducing it to tests on job fields.

Both search paths start from the same :class:`Plan`: the server's index
turns it into an ``FT.SEARCH`` query, the scan evaluates it in Python.
Conditions whose outcome is known without reading a job (a tag value with
the separator in it, a text with no words, an empty range) become
constants here, so neither path has to express them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeAlias

from hotmesh.errors import ConfigurationError
from hotmesh.search._model import (
    Condition,
    Equals,
    FieldType,
    Match,
    Not,
    NotEquals,
    Range,
    SearchField,
    SearchIndex,
    SearchQuery,
)
from hotmesh.search._values import (
    has_unsearchable_control,
    parse_number,
    query_tag,
    text_words,
)


@dataclass(frozen=True)
class TagTest:
    """The tag field ``field`` has the tag ``tag``."""

    field: str
    tag: bytes
    separator: str


@dataclass(frozen=True)
class WordsTest:
    """The text field ``field`` contains every word of ``words``."""

    field: str
    words: tuple[bytes, ...]


@dataclass(frozen=True)
class RangeTest:
    """The numeric field ``field`` lies between ``low`` and ``high``."""

    field: str
    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class NotTest:
    """The inner test fails, or its field is missing."""

    test: Test


@dataclass(frozen=True)
class Constant:
    """A test with the same outcome for every job."""

    value: bool


Test: TypeAlias = TagTest | WordsTest | RangeTest | NotTest
Resolved: TypeAlias = Test | Constant


@dataclass(frozen=True)
class Plan:
    """A query checked against its index: every test must pass.

    When ``satisfiable`` is false no job can match and ``tests`` is empty.
    ``numeric_fields`` are the job fields whose values decide whether the
    index contains a job at all (see :func:`hotmesh.search.parse_number`).
    """

    index: SearchIndex
    tests: tuple[Test, ...]
    satisfiable: bool
    numeric_fields: tuple[str, ...]

    @property
    def fields_to_read(self) -> tuple[str, ...]:
        """Job fields the scan reads to evaluate the plan, without repeats."""
        names = [*self.numeric_fields, *(_test_field(test) for test in self.tests)]
        return tuple(dict.fromkeys(names))


def plan_query(index: SearchIndex, query: SearchQuery) -> Plan:
    """Check a query against its index and reduce it to a :class:`Plan`.

    Raises ``ConfigurationError`` naming the condition when it refers to a
    field the index lacks, does not fit the field's type, or has a tag
    value that no query can express.
    """
    numeric = tuple(item.field for item in index.fields if item.type == "numeric")
    tests: list[Test] = []
    for condition in query.conditions:
        resolved = _resolve(index, condition)
        if isinstance(resolved, Constant):
            if not resolved.value:
                return Plan(index, (), satisfiable=False, numeric_fields=numeric)
            continue
        tests.append(resolved)
    return Plan(index, tuple(tests), satisfiable=True, numeric_fields=numeric)


def _resolve(index: SearchIndex, condition: Condition) -> Resolved:
    if isinstance(condition, Not):
        return _negate(_resolve(index, condition.condition))
    if isinstance(condition, NotEquals):
        return _negate(_resolve(index, Equals(condition.field, condition.value)))
    if isinstance(condition, Equals):
        return _resolve_equals(index, condition)
    if isinstance(condition, Range):
        item = _field(index, condition, condition.field, "numeric")
        return _range(
            item,
            -math.inf if condition.low is None else float(condition.low),
            math.inf if condition.high is None else float(condition.high),
            condition.low_inclusive,
            condition.high_inclusive,
        )
    if isinstance(condition, Match):
        item = _field(index, condition, condition.field, "text")
        return _words(item, condition.text)
    raise ConfigurationError(f"invalid search condition {condition!r}")


def _negate(resolved: Resolved) -> Resolved:
    if isinstance(resolved, Constant):
        return Constant(not resolved.value)
    return NotTest(resolved)


def _resolve_equals(index: SearchIndex, condition: Equals) -> Resolved:
    item = _field(index, condition, condition.field, None)
    value = condition.value
    if item.type == "numeric":
        number = _number(condition, value)
        return _range(item, number, number, True, True)
    if not isinstance(value, str):
        raise ConfigurationError(
            f"invalid search condition {condition!r}: the {item.type} field "
            f"{item.name!r} takes a string value"
        )
    if item.type == "text":
        return _words(item, value)
    tag = query_tag(value)
    if has_unsearchable_control(tag):
        raise ConfigurationError(
            f"invalid search condition {condition!r}: tag values with control "
            "characters other than whitespace cannot be searched"
        )
    if not tag or item.separator.encode() in tag:
        # Tags are never empty and never contain the separator.
        return Constant(False)
    return TagTest(item.field, tag, item.separator)


def _number(condition: Condition, value: str | float) -> float:
    if isinstance(value, str):
        number = parse_number(value)
        if number is None:
            raise ConfigurationError(
                f"invalid search condition {condition!r}: {value!r} is not a number"
            )
        return number
    number = float(value)
    if math.isnan(number):
        raise ConfigurationError(f"invalid search condition {condition!r}: NaN")
    return number


def _range(
    item: SearchField,
    low: float,
    high: float,
    low_inclusive: bool,
    high_inclusive: bool,
) -> Resolved:
    if low > high or (low == high and not (low_inclusive and high_inclusive)):
        return Constant(False)
    return RangeTest(item.field, low, high, low_inclusive, high_inclusive)


def _words(item: SearchField, text: str) -> Resolved:
    words = tuple(sorted(text_words(text)))
    if not words:
        return Constant(False)
    return WordsTest(item.field, words)


def _field(
    index: SearchIndex, condition: Condition, name: str, expected: FieldType | None
) -> SearchField:
    item = index.get_field(name)
    if item is None:
        known = ", ".join(repr(field.name) for field in index.fields) or "none"
        raise ConfigurationError(
            f"invalid search condition {condition!r}: index {index.name!r} has "
            f"no field {name!r} (its fields: {known})"
        )
    if expected is not None and item.type != expected:
        raise ConfigurationError(
            f"invalid search condition {condition!r}: field {name!r} is a "
            f"{item.type} field, and {type(condition).__name__} needs a "
            f"{expected} field"
        )
    return item


def _test_field(test: Test) -> str:
    while isinstance(test, NotTest):
        test = test.test
    return test.field
